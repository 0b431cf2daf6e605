"""Simulation vs theory for the critical-period claims CP1-CP6, and their negative tests."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sims import registry


def run(label, **overrides):
    outcome = registry.get(label).run(**overrides)
    print(label, outcome.summary())
    assert outcome.passed, outcome.summary()
    return outcome


def assert_perturbations_fail(label, **overrides):
    claim = registry.get(label)
    assert claim.perturbations
    for name, wrong in claim.perturbations.items():
        outcome = claim.run(closed_form=wrong, **overrides)
        print(label, name, outcome.summary())
        assert not outcome.passed, f"{label} passed with the perturbation {name!r}"


@settings(max_examples=3)
@given(depth=st.sampled_from([1, 2]), start=st.floats(0.0, 1.0), length=st.floats(0.05, 1.0))
def test_CP1_gd_is_euler_and_follows_the_ode(depth, start, length):
    run("CP1", depth=depth, window=[start, start + length])


def test_CP1_fails_when_closed_form_perturbed():
    assert_perturbations_fail("CP1")


@settings(max_examples=3)
@given(k0=st.floats(0.01, 0.2), duration=st.floats(0.1, 2.0))
def test_CP2_depth2_final_share(k0, duration):
    run("CP2", k0=k0, duration=duration)


def test_CP2_fails_when_closed_form_perturbed():
    assert_perturbations_fail("CP2")


def test_CP3_critical_period_and_its_negatives():
    run("CP3", depths=[1, 2, 4])
    assert_perturbations_fail("CP3", depths=[1, 2, 4])


def test_CP4_closing_time_and_its_negative():
    run("CP4")
    assert_perturbations_fail("CP4")


def test_CP5_winner_take_all_and_its_negative():
    run("CP5")
    assert_perturbations_fail("CP5")


FAST_COMPLETION = dict(depths=[1, 2], epochs=20000, inits=2, pretrain_epochs=[0, 100, 1000])


def test_CP6_matrix_completion_fast():
    run("CP6", **FAST_COMPLETION)
    assert_perturbations_fail("CP6", **{**FAST_COMPLETION, "depths": [1]})


@pytest.mark.slow
def test_CP6_matrix_completion_defaults():
    run("CP6")


@pytest.mark.slow
@pytest.mark.parametrize("label", ["CP1", "CP2", "CP3", "CP4", "CP5", "CP6"])
def test_thorough(label):
    claim = registry.get(label)
    run(label, **claim.thorough)


@pytest.mark.slow
@settings(max_examples=4)
@given(depth=st.sampled_from([3, 4]), start=st.floats(0.0, 1.0), length=st.floats(0.05, 1.0))
def test_CP1_deeper(depth, start, length):
    run("CP1", depth=depth, window=[start, start + length], learning_rate=0.005)
