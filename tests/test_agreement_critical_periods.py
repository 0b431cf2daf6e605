"""Simulation vs theory for the critical-period claims CP1-CP6 across their domains.

Each test draws parameters inside the claim's domain, runs the claim (its simulate, then its
compare: the same code as the agreement report) and asserts it passes; the measured numbers
are printed either way. That the true form passes and every perturbation fails at the quick
parameters is tests/test_claims.py's job; the unit tests below guard the measurements.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import theory.critical_periods as theory
from sims import critical_periods as sim
from sims import registry


def assert_passes(label, **params):
    outcome = registry.get(label).run(**params)
    print(label, params, outcome.summary())
    assert outcome.passed, outcome.summary()


@settings(max_examples=3)
@given(depth=st.sampled_from([1, 2]), start=st.floats(0.0, 1.0), length=st.floats(0.05, 1.0))
def test_CP1_gd_is_euler_and_follows_the_ode(depth, start, length):
    assert_passes("CP1", depth=depth, window=[start, start + length])


@settings(max_examples=3)
@given(k0=st.floats(0.01, 0.2), duration=st.floats(0.1, 2.0))
def test_CP2_depth2_final_share(k0, duration):
    assert_passes("CP2", k0=k0, duration=duration)


def test_CP4_closing_times_of_the_exact_curve_are_exact():
    # The bias removal makes the measurement exact on the closed form's own final shares.
    sigmas, onsets = [4.0, 1.0], np.linspace(0.0, 4.0, 9)
    shares = [theory.final_share(s, 2, 0.01 * s, onsets / s, (onsets + 1.0) / s) for s in sigmas]
    measured = sim.closing_times(shares, sigmas=sigmas, epsilon=0.01, duration=1.0, onsets=onsets)
    exact = [theory.closing_time(s, 2, 0.01 * s, 1.0 / s) for s in sigmas]
    np.testing.assert_allclose(measured, exact, rtol=1e-12)


def test_learning_gate_freezes_b_exactly_on_the_step_grid():
    hyper = dict(learning_rate=0.1, deficit_start=0.3, deficit_end=0.5)
    gates = [float(sim.learning_gate({**hyper, "epoch": n})) for n in range(7)]
    np.testing.assert_allclose(gates, [1, 1, 1, 0, 0, 1, 1], atol=1e-12)


@pytest.mark.slow
def test_CP6_matrix_completion_defaults():
    assert_passes("CP6")


@pytest.mark.slow
@pytest.mark.parametrize("label", ["CP1", "CP2", "CP3", "CP4", "CP5", "CP6"])
def test_thorough(label):
    assert_passes(label, **registry.get(label).thorough)


@pytest.mark.slow
@settings(max_examples=4)
@given(depth=st.sampled_from([3, 4]), start=st.floats(0.0, 1.0), length=st.floats(0.05, 1.0))
def test_CP1_deeper(depth, start, length):
    assert_passes("CP1", depth=depth, window=[start, start + length], learning_rate=0.005)
