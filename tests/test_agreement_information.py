"""Simulation against theory for the information area (IB1-IB6) over each claim's domain.

That the true closed form passes and every perturbation fails at the ``quick`` parameters is
tests/test_claims.py's (registry-driven); here hypothesis draws parameters inside each claim's
domain, plus unit tests of the binning and of the hashed estimator.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sims import registry
from sims.datasets import default_data_source, twelve_bit_task
from sims.information import (
    ORIGINAL_SETUP,
    SCHEMES,
    bin_indices,
    binned_information,
    initial_parameters,
)


def assert_passes(label, **params):
    """Simulate claim ``label`` at its defaults updated by ``params`` and compare its own
    closed form: the outcome must pass (its summary is printed either way)."""
    outcome = registry.get(label).run(**params)
    print(label, outcome.summary())
    assert outcome.passed, outcome.summary()
    return outcome


@given(d_x=st.integers(2, 4), d_y=st.integers(1, 3), seed=st.integers(0, 1000))
def test_IB1_gaussian_ib_matches_optimised_encoders(d_x, d_y, seed):
    assert_passes("IB1", d_x=d_x, d_y=d_y, seed=seed)


def test_IB1_grid_keeps_away_from_critical_slowing_down():
    """Two critical betas 11 % apart (3.2525, 3.6086): 0.9 x the second was 0.15 % below the
    first, where 3000 iterations left 2e-7 bits (a hypothesis find); such betas are left out."""
    outcome = assert_passes("IB1", d_x=3, d_y=3, seed=173)
    critical = np.asarray(outcome.details["critical"])
    betas = np.asarray(outcome.details["betas"])
    assert np.min(np.abs(np.log(betas[:, None] / critical[None, np.isfinite(critical)]))) >= np.log(1.1)


@given(st.sampled_from([0.05, 0.1, 0.2, 0.3]))
def test_IB2_iterative_ib_traces_the_binary_curve(p):
    assert_passes("IB2", p=p)


@given(st.integers(0, 1000))
@settings(max_examples=3)
def test_IB3_estimators_agree_with_closed_forms(seed):
    assert_passes("IB3", seed=seed, n_samples=40_000)


@given(st.sampled_from([3, 5, 7]), st.floats(0.3, 0.7), st.floats(0.0, 0.4), st.integers(0, 99))
# Drawn by make check: W = M with P(M = 1) near 1/2, where the plug-in MI's standard error at the
# drawn table collapsed (a 2.9-sigma draw read as 7.5 sigma); see claims.plug_in_comparison.
@example(n=3, theta=0.49609375, flip=0.0, seed=70)
def test_IB6_xu_raginsky_bound_holds(n, theta, flip, seed):
    assert_passes("IB6", n=n, theta=theta, flip=flip, seed=seed, n_datasets=100_000)


def test_plug_in_comparison_at_the_true_table():
    """Away from a stationary point: the delta method's sqrt(Var[i] / N) at the true table, after
    the second-order allowance 16 / (2 N ln 2); at W = M, P(M = 1) = 1/2 the first-order term
    vanishes and only the allowance is left (within it: 0; beyond it: inf)."""
    from sims.information.claims import plug_in_comparison

    n_samples = 100_000
    allowance = 16 / (2 * n_samples * np.log(2))
    p = 0.3  # W = M: I = h(p), i(m, m) = -log2 P(M = m)
    se = np.sqrt(p * (1 - p) * np.log2((1 - p) / p) ** 2 / n_samples)
    far = plug_in_comparison("I", 0.88, 0.88 + allowance + 3 * se, np.diag([1 - p, p]), n_samples)
    assert far.error == pytest.approx(3.0) and far.tolerance == 4.0
    half = np.diag([0.5, 0.5])
    assert plug_in_comparison("I", 1.0, 1.0 - 0.9 * allowance, half, n_samples).error == 0.0
    assert plug_in_comparison("I", 1.0, 1.0 - 1.1 * allowance, half, n_samples).error == np.inf


def test_original_binning_is_their_digitize_with_30_edges():
    """Shwartz-Ziv & Tishby bin by bins[np.digitize(v, bins) - 1], bins = linspace(-1, 1, 30):
    29 cells and values >= 1 in a cell of their own."""
    edges = np.linspace(-1, 1, 30)
    values = np.concatenate([np.linspace(-1, 1, 2001), [1.0, 1.5, -1.0]])
    values = values[np.min(np.abs(values[:, None] - edges[None, :]), axis=1) > 1e-9]
    values = np.concatenate([values, [-1.0, 1.0, 3.0]])  # the range's ends, and beyond it
    theirs = np.digitize(values, edges) - 1
    ((name, n_bins, low, high, width, top),) = [s for s in SCHEMES if s[5]]
    ours = bin_indices(values, n_bins=n_bins, low=low, high=high, bin_width=width, top_cell=top)
    assert np.array_equal(ours, theirs) and len(np.unique(ours)) == 30


def test_hashed_binned_information_matches_a_plain_numpy_count():
    x, y = twelve_bit_task()
    params = 3.0 * initial_parameters([0, 1])[:, None, :]  # large weights: saturated units
    information = binned_information(params, np.array([0.0, 1.0]), x, y)
    assert information.shape == (2, 1, 6, len(SCHEMES), 2)
    for member, relu in enumerate((False, True)):
        flat = params[member, 0]
        h = x.astype(float)
        offset = 0
        for layer, (fan_in, fan_out) in enumerate(zip((12, 10, 7, 5, 4), (10, 7, 5, 4, 3), strict=True)):
            w = flat[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out)
            offset += fan_in * fan_out + fan_out
            z = h @ w
            h = np.maximum(z, 0) if relu else np.tanh(z)
            bins = np.clip(np.floor((h + 1) / 2 * 30), 0, 29)
            _, counts = np.unique(bins, axis=0, return_counts=True)
            p = counts / counts.sum()
            assert information[member, 0, layer, 0, 0] == pytest.approx(-np.sum(p * np.log2(p)))
            _, joint = np.unique(np.column_stack([bins, y]), axis=0, return_counts=True)
            q = joint / joint.sum()
            p_y = np.bincount(y) / y.size
            i_ty = -np.sum(p * np.log2(p)) - np.sum(p_y * np.log2(p_y)) + np.sum(q * np.log2(q))
            assert information[member, 0, layer, 0, 1] == pytest.approx(i_ty)


def test_layer_split_gradient_is_the_plain_slices_gradient():
    """plane._layers' hand-written derivative (the pieces concatenated) against JAX's own
    derivative of the same slices (each piece padded to 263 and added), for tanh and ReLU
    members at initial and saturated weights: equal to round-off (the two programs may
    accumulate a product in another order; IB4's engine runs gave the same bits here)."""
    import jax
    import jax.numpy as jnp

    from sims.information import plane

    def plain_cross_entropy(flat, x_t, y_onehot, relu):
        h = x_t
        for i, ((fan_in, fan_out), start) in enumerate(zip(plane._SHAPES, plane._OFFSETS[:-1], strict=True)):
            w = flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
            b = flat[start + fan_in * fan_out : start + fan_in * fan_out + fan_out]
            z = w.T @ h + b[:, None]
            if i < len(plane._SHAPES) - 1:
                h = jnp.where(relu > 0.5, jnp.maximum(z, 0.0), jnp.tanh(z))
        return jnp.mean(jax.nn.logsumexp(z, axis=0) - jnp.sum(z * y_onehot.T, axis=0))

    x, y = twelve_bit_task()
    x, y_onehot = jnp.asarray(x[:256], jnp.float64), jnp.eye(2)[y[:256]]
    for scale in (1.0, 3.0):
        flat = jnp.asarray(scale * initial_parameters([7])[0])
        for relu in (0.0, 1.0):
            hyper = {"relu": jnp.float64(relu)}
            ours = jax.jit(jax.grad(plane._cross_entropy))(flat, (x, y_onehot), hyper)
            plain = jax.jit(jax.grad(plain_cross_entropy))(flat, x.T, y_onehot, jnp.float64(relu))
            assert ours.shape == (plane._OFFSETS[-1],)
            for start, stop in zip(plane._OFFSETS[:-1], plane._OFFSETS[1:], strict=True):
                assert np.any(np.asarray(plain)[start:stop] != 0)  # every layer's piece is reached
            scale = float(np.max(np.abs(np.asarray(plain))))
            np.testing.assert_allclose(np.asarray(ours), np.asarray(plain), rtol=1e-12, atol=1e-14 * scale)


@pytest.mark.slow
@pytest.mark.parametrize(
    "setup",
    [
        dict(),  # the defaults: the published var_u.mat when present, else the surrogate
        dict(data="surrogate"),
        pytest.param(
            dict(data="published", **ORIGINAL_SETUP),
            marks=[
                pytest.mark.skipif(default_data_source() != "published", reason="var_u.mat not present"),
                # A finding, not a tolerance to loosen: under the authors' own training setup
                # the ReLU network binned on [-1, 1] (the artefact) compresses at its worst seed only to
                # final/max = 0.71 (0.685, seed 1, before a round-off change), above the claim's
                # 0.6 (the note of 2026-12-06 has the per-seed table). Strict: a pass fails.
                pytest.mark.xfail(
                    strict=True,
                    reason="finding: ReLU on [-1, 1] under the original setup, worst seed, "
                    "compresses only to ~0.7 (> 0.6)",
                ),
            ],
        ),
    ],
)
def test_IB4_information_plane(setup):
    outcome = assert_passes("IB4", **setup)
    data = setup.get("data", default_data_source())
    assert all(f"{data} data" in c.note for c in outcome.comparisons[:4])
