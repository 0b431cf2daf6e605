"""Typed outcomes: comparisons of a stated kind, conditions, headline, merge; tolerance arithmetic."""

import math

import pytest
from scipy import stats

from sims import outcomes as oc


def test_comparison_passes_only_with_a_finite_error_within_tolerance():
    assert oc.absolute("x", 1.0, 1.05, 0.1).passed
    assert not oc.absolute("x", 1.0, 1.2, 0.1).passed
    assert not oc.absolute("x", 1.0, float("nan"), 0.1).passed
    with pytest.raises(ValueError, match="kind must be one of"):
        oc.Comparison("x", "percent", 1, 1, 0, 1)


def test_relative_and_absolute_report_the_worst_entry():
    c = oc.relative("r", [1.0, 2.0, 4.0], [1.0, 2.2, 4.1], 0.2)
    assert (c.predicted, c.observed) == (2.0, 2.2) and c.error == pytest.approx(0.1)
    a = oc.absolute("a", [[0.0, 1.0]], [[0.5, 1.0]], 1.0)
    assert a.error == 0.5 and a.kind == "absolute"


def test_headline_is_the_comparison_closest_to_failing_and_merge_prefixes_names():
    near = oc.absolute("near", 0.0, 0.9, 1.0)
    far = oc.relative("far", 1.0, 1.01, 1.0)
    outcome = oc.Outcome((far, near), (oc.condition("ordered", True, "yes"),))
    assert outcome.headline.name == "near" and outcome.passed
    merged = oc.Outcome.merge({"depth 2": outcome, "depth 4": oc.Outcome((oc.absolute("x", 0, 2, 1),))})
    assert not merged.passed
    assert [c.name for c in merged.comparisons] == ["depth 2: far", "depth 2: near", "depth 4: x"]
    assert merged.headline.name == "depth 4: x"
    assert "depth 4: x" in merged.summary()


def test_an_outcome_must_say_something():
    with pytest.raises(ValueError, match="at least one"):
        oc.Outcome()


def test_sampling_quantile_is_two_sided_with_bonferroni_and_student_t():
    assert oc.sampling_quantile(0.05) == pytest.approx(1.959964, abs=1e-6)
    assert oc.sampling_quantile(0.05, tests=10) == pytest.approx(stats.norm.ppf(1 - 0.0025))
    assert oc.sampling_quantile(0.05, dof=5) == pytest.approx(stats.t.ppf(0.975, 5))
    z = oc.z_score("m", 0.0, 0.3, 0.1, level=0.05)
    assert z.error == pytest.approx(3.0) and not z.passed and z.kind == "z-score"


def test_first_order_rate_is_two_for_an_euler_error_and_fails_for_a_constant_one():
    assert oc.first_order("rate", [1e-3, 2e-3], [1e-3, 2e-3], tolerance=0.15).passed
    wrong = oc.first_order("rate", [0.5, 0.5005], [1e-3, 2e-3], tolerance=0.15)
    assert not wrong.passed and wrong.observed == pytest.approx(1.001)


def test_allowance_is_a_fraction_of_the_bound():
    c = oc.allowance("bias", 8.0, 8.5, 1.0)
    assert c.error == 0.5 and c.tolerance == 1.0 and c.passed
    assert math.isinf(oc.allowance("bias", 8.0, 8.5, 0.0).error)
