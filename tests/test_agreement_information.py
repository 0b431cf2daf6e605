"""Simulation against theory for the information area (IB1-IB6), and negative tests."""

import numpy as np
import pytest
from hypothesis import given, settings
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
from theory import information as theory


def _run(label, closed_form=None, **params):
    outcome = registry.get(label).run(closed_form=closed_form, **params)
    print(label, outcome.summary())
    return outcome


@given(d_x=st.integers(2, 4), d_y=st.integers(1, 3), seed=st.integers(0, 1000))
def test_IB1_gaussian_ib_matches_optimised_encoders(d_x, d_y, seed):
    outcome = _run("IB1", d_x=d_x, d_y=d_y, seed=seed)
    assert outcome.passed, outcome.summary()


@given(st.sampled_from([0.05, 0.1, 0.2, 0.3]))
def test_IB2_iterative_ib_traces_the_binary_curve(p):
    outcome = _run("IB2", p=p)
    assert outcome.passed, outcome.summary()


@given(st.integers(0, 1000))
@settings(max_examples=3)
def test_IB3_estimators_agree_with_closed_forms(seed):
    outcome = _run("IB3", seed=seed, n_samples=40_000)
    assert outcome.passed, outcome.summary()


def test_IB5_linear_network_does_not_compress():
    outcome = _run("IB5")
    assert outcome.passed, outcome.summary()


@given(st.sampled_from([3, 5, 7]), st.floats(0.3, 0.7), st.floats(0.0, 0.4), st.integers(0, 99))
def test_IB6_xu_raginsky_bound_holds(n, theta, flip, seed):
    outcome = _run("IB6", n=n, theta=theta, flip=flip, seed=seed, n_datasets=100_000)
    assert outcome.passed, outcome.summary()


# Smaller settings where the defaults are slow; every perturbation still fails there.
@pytest.mark.parametrize("label, params", [
    ("IB1", dict(d_x=2, d_y=1, seed=3)), ("IB2", {}), ("IB3", dict(n_samples=40_000)),
    ("IB5", {}), ("IB6", {}),
])
def test_fails_when_closed_form_perturbed(label, params):
    claim = registry.get(label)
    assert claim.perturbations
    for name, wrong in claim.perturbations.items():
        assert not claim.run(closed_form=wrong, **params).passed, name


def _raises(*args, **kwargs):
    raise ValueError("i_tx must be in [0.0, 1.0], got -8.008566259537294e-17")


@pytest.mark.parametrize("label, closed_form", [
    ("IB2", (theory.binary_ib_critical_beta, theory.binary_ib_point, _raises)),
    ("IB6", (_raises, theory.majority_vote_generalisation)),
])
def test_a_closed_form_that_raises_gives_a_failed_outcome_saying_why(label, closed_form):
    params = dict(n_datasets=1000) if label == "IB6" else {}
    outcome = registry.get(label).run(closed_form=closed_form, **params)
    assert not outcome.passed
    assert "_raises raised ValueError: i_tx must be in" in outcome.summary()


def test_original_binning_is_their_digitize_with_30_edges():
    """Shwartz-Ziv & Tishby bin by bins[np.digitize(v, bins) - 1], bins = linspace(-1, 1, 30):
    29 cells and values >= 1 in a cell of their own."""
    edges = np.linspace(-1, 1, 30)
    values = np.concatenate([np.linspace(-1, 1, 2001), [1.0, 1.5, -1.0]])
    values = values[np.min(np.abs(values[:, None] - edges[None, :]), axis=1) > 1e-9]
    values = np.concatenate([values, [-1.0, 1.0, 3.0]])  # the range's ends, and beyond it
    theirs = np.digitize(values, edges) - 1
    (name, n_bins, low, high, width, top), = [s for s in SCHEMES if s[5]]
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
        for layer, (fan_in, fan_out) in enumerate(zip((12, 10, 7, 5, 4), (10, 7, 5, 4, 3),
                                                     strict=True)):
            w = flat[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out)
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


@pytest.mark.slow
def test_IB4_information_plane():
    """At the defaults: the published var_u.mat when present, else the surrogate."""
    outcome = _run("IB4")
    assert outcome.passed, outcome.summary()
    assert f"{default_data_source()} data" in outcome.parts[0][2]
    claim = registry.get("IB4")
    for name, wrong in claim.perturbations.items():
        assert not claim.run(closed_form=wrong).passed, name


@pytest.mark.slow
@pytest.mark.parametrize("setup", [
    dict(data="surrogate"),
    pytest.param(dict(data="published", **ORIGINAL_SETUP), marks=pytest.mark.skipif(
        default_data_source() != "published", reason="var_u.mat not present")),
])
def test_IB4_on_the_other_data_and_setup(setup):
    outcome = _run("IB4", **setup)
    assert outcome.passed, outcome.summary()
    assert f"{setup['data']} data" in outcome.parts[0][2]
