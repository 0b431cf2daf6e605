"""Every claim written as simulate + compare, from the registry: one run at its ``quick``
parameters, against which the true closed form passes and every perturbation fails.

Claims that still simulate inside their check are tested by their area's agreement tests.
"""

import pytest

from sims import registry

CLAIMS = registry.all_claims()
SPLIT = [label for label, c in CLAIMS.items() if c.simulate_function is not None]


@pytest.mark.parametrize("label", SPLIT)
def test_true_form_passes_and_every_perturbation_fails_on_one_run(label):
    claim = CLAIMS[label]
    assert claim.perturbations, f"{label} has no perturbation that must fail"
    params = claim.params("quick")
    run = claim.simulate_function(**params)
    outcome = claim.compare(None, run, **params)
    if claim.finding:  # a documented disagreement: it must still fail, so a change is noticed
        assert not outcome.passed, f"{label}'s finding no longer holds at {params}: {claim.finding}"
    else:
        assert outcome.passed, f"{label} at {params}: {outcome.summary()}"
    survivors = {
        name: claim.compare(wrong, run, **params).summary()
        for name, wrong in claim.perturbations.items()
        if claim.compare(wrong, run, **params).passed
    }
    assert not survivors, f"{label}: perturbations that pass: {survivors}"


def test_every_claim_states_its_tiers():
    for label, claim in CLAIMS.items():
        unknown = (set(claim.quick) | set(claim.thorough)) - set(claim.defaults)
        assert not unknown, f"{label}: quick/thorough override parameters not in defaults: {unknown}"
