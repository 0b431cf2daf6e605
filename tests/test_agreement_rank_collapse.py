"""Simulation vs theory for RC1-RC6 (fast tier at small sizes; thorough tier marked slow)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims import rank_collapse, registry

LABELS = ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6"]
# RC6's negative test only needs the O(lr) part; a tiny completion run keeps it fast.
SMALL_COMPLETION = dict(size=8, rank=1, observed=30, depths=[1, 2], init_scale=0.1,
                        learning_rate=0.2, epochs=50, seeds=1)


def run(label, **params):
    outcome = registry.get(label).run(**params)
    print(label, params, outcome.summary())
    return outcome


@given(st.sampled_from([4, 8]), st.sampled_from([8, 16]))
def test_RC1_pure_attention_collapses_cubically(tokens, width):
    outcome = run("RC1", tokens=tokens, width=width)
    assert outcome.passed, outcome.summary()


@given(st.sampled_from([24, 48]), st.sampled_from([4, 8]))
def test_RC2_skip_growth(depth, tokens):
    outcome = run("RC2", depth=depth, tokens=tokens)
    assert outcome.passed, outcome.summary()


@given(st.sampled_from([4, 8, 16]), st.sampled_from([32, 64]))
def test_RC3_lyapunov_spectrum(n, depth):
    outcome = run("RC3", n=n, depth=depth)
    assert outcome.passed, outcome.summary()


# Fast-tier RC4 settings inside the width expansion (8L/n = 1/4); the defaults run in make check.
SMALL_JACOBIAN = dict(n=256, depths=[4, 8], seeds=24)


def test_RC4_jacobian_variance():
    outcome = run("RC4", **SMALL_JACOBIAN)
    assert outcome.passed, outcome.summary()


@pytest.mark.slow
def test_RC4_jacobian_variance_defaults():
    outcome = run("RC4")
    assert outcome.passed, outcome.summary()


def test_RC4_refuses_widths_outside_the_expansion():
    with pytest.raises(ValueError, match="n must be >= 32 x max"):
        run("RC4", n=200, depths=[16], seeds=2)


@given(st.floats(-0.9, 0.9), st.sampled_from([500, 1000]))
def test_RC5_relu_correlation(c0, n):
    outcome = run("RC5", c0=c0, n=n)
    assert outcome.passed, outcome.summary()


def test_RC6_end_to_end_and_completion_defaults():
    outcome = run("RC6")
    assert outcome.passed, outcome.summary()


@pytest.mark.parametrize("label", LABELS)
def test_fails_when_closed_form_perturbed(label):
    claim = registry.get(label)
    assert claim.perturbations, f"{label} lists no perturbation"
    extra = {"RC6": {"completion": SMALL_COMPLETION}, "RC4": SMALL_JACOBIAN}.get(label, {})
    for name, wrong in claim.perturbations.items():
        outcome = claim.run(closed_form=wrong, **extra)
        print(label, name, outcome.summary())
        assert not outcome.passed, name
        if label == "RC6":  # the tiny completion run may fail on its own: check the O(lr) part
            assert outcome.error > outcome.tolerance, name


def test_same_seed_same_bytes():
    first = rank_collapse.simulate_relu_correlation.uncached(n=64, depth=3, seeds=2, c0=0.3)
    second = rank_collapse.simulate_relu_correlation.uncached(n=64, depth=3, seeds=2, c0=0.3)
    assert first.tobytes() == second.tobytes()
    a = rank_collapse.simulate_pure_attention.uncached(tokens=4, width=8, depth=2, seeds=2,
                                                      start_residual=[1e-2, 1e-1])
    b = rank_collapse.simulate_pure_attention.uncached(tokens=4, width=8, depth=2, seeds=2,
                                                      start_residual=[1e-2, 1e-1])
    assert all(a[k].tobytes() == b[k].tobytes() for k in a)


def test_effective_rank_of_known_spectra():
    assert rank_collapse.effective_rank(np.ones(5)) == pytest.approx(5.0)
    assert rank_collapse.effective_rank(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("label", LABELS)
def test_thorough(label):
    claim = registry.get(label)
    outcome = claim.run(**claim.thorough)
    print(label, outcome.summary())
    assert outcome.passed, outcome.summary()
