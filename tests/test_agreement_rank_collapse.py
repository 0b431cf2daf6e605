"""Simulation vs theory for the rank-collapse claims RC1-RC6 across their domains, and unit tests
of the measurements. That each claim passes at its quick parameters and fails under every
perturbation is tests/test_claims.py's job; the thorough tier is marked slow."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims import rank_collapse, registry

LABELS = ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6"]


def assert_passes(label, **params):
    """The claim at its defaults updated by ``params`` (one simulate + compare) passes; its
    outcome is logged either way."""
    outcome = registry.get(label).run(**params)
    print(label, params, outcome.summary())
    assert outcome.passed, outcome.summary()


@given(st.sampled_from([4, 8]), st.sampled_from([8, 16]))
def test_RC1_pure_attention_collapses_cubically(tokens, width):
    assert_passes("RC1", tokens=tokens, width=width)


@given(st.sampled_from([24, 48]), st.sampled_from([4, 8]))
def test_RC2_skip_growth(depth, tokens):
    assert_passes("RC2", depth=depth, tokens=tokens)


@given(st.sampled_from([4, 8, 16]), st.sampled_from([32, 64]))
def test_RC3_lyapunov_spectrum(n, depth):
    assert_passes("RC3", n=n, depth=depth)


def test_RC4_refuses_widths_outside_the_expansion():
    with pytest.raises(ValueError, match="n must be >= 32 x max"):
        registry.get("RC4").simulate(n=200, depths=[16], seeds=2)


@given(st.floats(-0.9, 0.9), st.sampled_from([500, 1000]))
def test_RC5_relu_correlation(c0, n):
    assert_passes("RC5", c0=c0, n=n)


def test_same_seed_same_bytes():
    first = rank_collapse.simulate_relu_correlation.uncached(n=64, depth=3, seeds=2, c0=0.3)
    second = rank_collapse.simulate_relu_correlation.uncached(n=64, depth=3, seeds=2, c0=0.3)
    assert first.cosines.tobytes() == second.cosines.tobytes()
    a = rank_collapse.simulate_pure_attention.uncached(
        tokens=4, width=8, depth=2, seeds=2, start_residual=[1e-2, 1e-1]
    )
    b = rank_collapse.simulate_pure_attention.uncached(
        tokens=4, width=8, depth=2, seeds=2, start_residual=[1e-2, 1e-1]
    )
    assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b, strict=True))


def test_effective_rank_of_known_spectra():
    assert rank_collapse.effective_rank(np.ones(5)) == pytest.approx(5.0)
    assert rank_collapse.effective_rank(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)


def test_origin_bin_is_a_square():
    """Saxe et al.'s bin at the origin: |Re z| < a and |Im z| < a, not |z| < a."""
    z = np.array([0.0, 0.04 + 0.04j, 0.049 - 0.049j, 0.06, 0.03 + 0.06j, -0.05])
    assert rank_collapse.origin_bin_fraction(z, 0.05) == pytest.approx(3 / 6)
    assert rank_collapse.origin_bin_fraction(np.stack([z, z[:1].repeat(6)]), 0.05) == pytest.approx(
        [0.5, 1.0]
    )


@pytest.mark.slow
@pytest.mark.parametrize("label", LABELS)
def test_thorough(label):
    claim = registry.get(label)
    assert_passes(label, **claim.thorough)
