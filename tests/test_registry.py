"""The claim registry is complete and consistent: the report, README and figures agree."""

import dataclasses
import json
from pathlib import Path

import pytest

from sims import outcomes, registry, report

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = registry.all_claims()


def test_claims_registered_for_every_area_module():
    areas = {c.area for c in CLAIMS.values()}
    present = {
        a
        for a in registry.AREAS
        if (ROOT / "sims" / f"{a}.py").exists() or (ROOT / "sims" / a / "claims.py").exists()
    }
    assert present <= areas, f"area modules without claims: {present - areas}"


@pytest.mark.parametrize("label", list(CLAIMS))
def test_claim_is_complete(label):
    claim = CLAIMS[label]
    assert claim.id.startswith(claim.area + ".")
    for field in ("source", "statement", "measured", "error_model"):
        assert getattr(claim, field).strip(), f"{label} has an empty {field}"
    assert claim.perturbations, f"{label} has no perturbed closed form (negative test)"
    json.dumps(dict(claim.defaults))  # the report and the cache key need JSON
    for figure in claim.figures:
        assert (ROOT / "figures" / f"{figure}.py").exists(), f"{label}: no script {figure}.py"


def test_readme_table_is_generated_from_the_registry():
    readme = (ROOT / "README.md").read_text()
    assert report.claims_table() in readme, (
        "README's claim table is stale: regenerate it with `python -m sims.report --readme-table`"
    )


def test_outcome_passes_only_when_every_comparison_and_condition_passes():
    good = outcomes.absolute("x", 1.0, 1.0, 0.1)
    assert outcomes.Outcome((good,)).passed
    assert not outcomes.Outcome((good,), (outcomes.condition("c", False, "why"),)).passed
    assert not outcomes.Outcome((outcomes.absolute("x", 1.0, float("nan"), 0.1),)).passed


def test_markdown_report_escapes_pipes():
    import pandas as pd

    row = dict.fromkeys(report.COLUMNS, "")
    row.update(
        claim="X1",
        comparison="|x|",
        kind="absolute",
        id="x.y",
        statement="|a| < b",
        predicted=1.0,
        observed=1.0,
        error=0.0,
        tolerance=1.0,
        passed=True,
        claim_passed=True,
        seconds=0.1,
    )
    text = report.to_markdown(pd.DataFrame([row]), thorough=False)
    assert "\\|a\\| < b" in text and "| X1 | \\|x\\| | absolute |" in text


def test_a_perturbation_that_raises_is_a_failed_outcome_not_a_crash():
    def leaves_its_domain(*args, **kwargs):
        raise ValueError("i_tx must be in [0.0, 1.0], got -8.0e-17")

    outcome = registry.get("DL1").run(closed_form=leaves_its_domain)
    assert not outcome.passed
    assert "closed form raised: ValueError: i_tx must be in" in outcome.summary()


def test_a_bad_parameter_with_the_true_closed_form_is_still_a_value_error():
    with pytest.raises(ValueError, match="learning_rate"):
        registry.get("DL1").run(learning_rate=-1.0)


def test_a_report_row_of_a_claim_whose_own_closed_form_raises_fails_and_says_why(monkeypatch):
    """An edit that breaks a closed form (here: it leaves its root bracket) is a failed row of
    the report, which goes on with the other claims; it crashed the whole report before."""

    def broken_point(beta, p):
        raise ValueError("f(a) and f(b) must have different signs")

    claim = registry.get("IB2")
    monkeypatch.setitem(
        registry._REGISTRY,
        "IB2",
        dataclasses.replace(claim, closed_form=claim.closed_form._replace(point=broken_point)),
    )
    (row,) = report.evaluate(label="IB2", params=claim.params("quick"))
    assert not row["claim_passed"] and not row["passed"]
    assert "the claim raised at its parameters: ValueError: f(a) and f(b)" in row["notes"]


def test_every_claim_is_a_simulation_and_a_comparison():
    """Figures and maps ask a claim for its run: every claim registers simulate + compare."""
    for label, claim in registry.all_claims().items():
        assert claim.simulate_function is not None, f"{label} simulates inside its check"
