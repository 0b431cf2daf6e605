"""Simulation vs theory for the neural-collapse claims NC1-NC8 across their domains, and unit
tests of the measurements. That each claim passes at its quick parameters and fails under every
perturbation is tests/test_claims.py's job."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import theory.neural_collapse as theory
from sims import registry
from sims.neural_collapse import (
    DigitsRun,
    cosines,
    cross_polytope,
    digits,
    frame_deviation,
    nc_metrics,
    orthogonal_frame,
    terminal_phase,
)


def assert_passes(label, **params):
    """The claim at its defaults updated by ``params`` (one simulate + compare) passes; its
    outcome is logged either way."""
    outcome = registry.get(label).run(**params)
    print(label, params, outcome.summary())


@given(st.sampled_from([(3, 4), (5, 5)]), st.floats(0.1, 0.5), st.floats(1.0, 6.0), st.integers(0, 1000))
def test_NC1_noisy_etf(shape, relative_noise, radius, seed):
    """Noise std <= radius / 2: there the finite-n bias is < 3e-3 (see NC1's error model)."""
    k, d = shape
    assert_passes(
        "NC1",
        num_classes=k,
        dim=d,
        noise_std=relative_noise * radius,
        radius=radius,
        seed=seed,
        n_per_class=300,
        replicates=24,
    )


@settings(max_examples=3)
@given(st.sampled_from([(3, 4, 3), (4, 5, 4)]), st.floats(2e-3, 1e-2))
def test_NC2_ce_unconstrained_features(shape, lam):
    k, n, d = shape
    assert_passes("NC2", num_classes=k, n_per_class=n, dim=d, lambda_w=lam, lambda_h=lam)


@settings(max_examples=3)
@given(st.sampled_from([(3, 4), (4, 5)]), st.floats(3e-3, 2e-2))
def test_NC3_mse_unconstrained_features(shape, lambda_h):
    k, n = shape
    assert_passes("NC3", num_classes=k, n_per_class=n, lambda_h=lambda_h)


@pytest.mark.slow
@pytest.mark.parametrize("label", ["NC4", "NC5", "NC8"])
def test_thorough_tier(label):
    """NC4 every depth 1-6, NC5 and NC8 every ratio, run longer."""
    assert_passes(label, **registry.get(label).thorough)


@pytest.mark.slow
@pytest.mark.parametrize("setting", [(3, 2, 1.0, 1.0), (2, 3, 1.0, 5.0)])
def test_NC8_other_class_counts_and_energies(setting):
    """GD vs the certified solve and R_0 away from Fang's setting (R_0 = 2.17 and 104.8)."""
    ka, kb, ew, eh = setting
    r0 = theory.layer_peeled_collapse_threshold(ka, kb, ew, eh)
    ratios = sorted({1, int(0.6 * r0) or 1, int(np.ceil(1.5 * r0)), int(np.ceil(2 * r0))})
    assert_passes(
        "NC8", ratios=ratios, num_majority=ka, num_minority=kb, energy_w=ew, energy_h=eh, steps=6000
    )


@given(st.sampled_from([(40, 3, 3), (80, 6, 5)]), st.floats(0.0, 1.0), st.integers(0, 2**16))
def test_NC6_central_path_identity(shape, weight_decay, seed):
    n, d, k = shape
    assert_passes("NC6", num_samples=n, dim=d, num_classes=k, weight_decay=weight_decay, seed=seed)


@given(st.sampled_from([4, 6, 10]), st.floats(0.0, 0.5), st.integers(0, 2**16))
def test_mean_cosine_of_balanced_centred_means_within_equinorm_bound(k, spread, seed):
    """NC7's exact bound: 0 <= mean cosine + 1/(K-1) <= K/(K-1) equinorm^2."""
    rng = np.random.default_rng(seed)
    means = theory.simplex_etf(k).T * (1 + spread * rng.uniform(-1, 1, k))[:, None]
    means = means + spread * rng.standard_normal(means.shape)
    means = means - means.mean(axis=0)[None, :]
    norms = np.linalg.norm(means, axis=1)
    gap = np.mean(cosines(means)[~np.eye(k, dtype=bool)]) + 1 / (k - 1)
    assert -1e-12 <= gap <= k / (k - 1) * (norms.std() / norms.mean()) ** 2 + 1e-12


def test_frames_of_NC7():
    etf = theory.simplex_etf(10).T
    assert frame_deviation(etf, theory.simplex_etf(10)) < 1e-12
    assert frame_deviation(3 * etf, orthogonal_frame(10)) == pytest.approx(1 / 9, rel=1e-12)
    cross = cross_polytope(10)
    np.testing.assert_allclose(cross.sum(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(cross, axis=0), 1)
    assert np.mean(cosines(cross.T)[~np.eye(10, dtype=bool)]) == pytest.approx(-1 / 9)
    assert frame_deviation(etf, cross) > 0.3


def test_terminal_phase_starts_where_training_error_stays_zero():
    frame = pd.DataFrame({"train_error": [0.2, 0.0, 0.1, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0]})
    digits_run = DigitsRun(np.arange(5), frame, np.zeros((2, 5, 10, 3)))
    np.testing.assert_array_equal(terminal_phase(digits_run), [3, 1])
    frame.loc[9, "train_error"] = 0.1
    assert terminal_phase(digits_run) is None


def test_digits_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="n_per_class"):
        digits(175)
    x, labels = digits(3)
    assert x.shape == (30, 64) and np.all(np.bincount(labels) == 3)


def test_nc_metrics_bad_input_names_the_parameter():
    h = np.zeros((4, 2))
    with pytest.raises(ValueError, match="labels"):
        nc_metrics(h, np.array([0, 1, 2, 5]), num_classes=3)
    with pytest.raises(ValueError, match="labels"):
        nc_metrics(h, np.array([0, 0, 2, 2]))
    with pytest.raises(ValueError, match="num_classes"):
        nc_metrics(h, np.array([0, 0, 0, 0]))
    with pytest.raises(ValueError, match="classifier"):
        nc_metrics(h, np.array([0, 1, 0, 1]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="features"):
        nc_metrics(np.zeros(4), np.array([0, 1, 0, 1]))


def test_nc_metrics_non_finite_input_is_a_value_error():
    h, labels = np.ones((4, 2)), np.array([0, 1, 0, 1])
    h[1, 0] = np.nan
    with pytest.raises(ValueError, match="features"):
        nc_metrics(h, labels)
    with pytest.raises(ValueError, match="classifier"):
        nc_metrics(np.eye(4)[:, :2], labels, np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="bias"):
        nc_metrics(np.eye(4)[:, :2], labels, np.eye(2), bias=np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="num_classes"):
        nc_metrics(np.eye(4)[:, :2], labels, num_classes=True)


def test_cosines_clamped_to_unit_interval():
    """Parallel rows: round-off may put the raw dot product above 1; the clamp keeps 1."""
    v = np.array([[0.1, 0.2, 0.3], [0.3, 0.6, 0.9]]) * 1.7
    assert np.all(np.abs(cosines(v)) <= 1.0)


def test_nc_metrics_same_input_same_bytes():
    rng = np.random.default_rng(0)
    h, labels, w = rng.standard_normal((30, 4)), np.arange(30) % 3, rng.standard_normal((3, 4))
    assert nc_metrics(h, labels, w) == nc_metrics(h.copy(), labels.copy(), w.copy())
