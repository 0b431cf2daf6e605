"""The claim registry: the single list of every checked result.

A *claim* is one published closed-form result and the simulation that checks it. Its
consumers share this registry so that they can never disagree:

- ``tests/test_claims.py`` runs every claim at its ``quick`` parameters: the true closed form
  passes and every perturbation fails against the same run; the per-area tests draw
  parameters inside each claim's domain with hypothesis and assert ``passed``;
- the agreement report (:mod:`sims.report`) runs every claim at ``Claim.defaults``;
- the figures show the same simulations, theory as a line and simulation as markers.

An area module registers a claim as a cached simulation and a cheap comparison::

    @cached
    def simulate_mode_trajectory(*, learning_rate, ...): ...   # -> run, no closed form inside

    @claim(
        "DL1", "deep_linear.mode_trajectory", simulate=simulate_mode_trajectory,
        source="Saxe et al. 2014, arXiv:1312.6120, eq. 12",
        statement="...", closed_form=theory.deep_linear.mode_strength,
        measured="max_t |u_sim - u_theory| / s_max", error_model="O(lr) ...",
        defaults=dict(learning_rate=1e-3), quick=dict(...),
        perturbations={"exponent 2st -> st": wrong},
    )
    def compare_mode_trajectory(closed_form, run, *, learning_rate, ...) -> Outcome: ...

Passing a perturbed closed form (a wrong constant or exponent) must make the comparison
fail; ``Claim.perturbations`` lists such perturbations, and the tests assert that each fails.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sims import outcomes

# The areas, in the order of the report and the README. Their modules (theory/<area>.py,
# sims/<area>) do not import one another.
AREAS = ("deep_linear", "rank_collapse", "critical_periods", "neural_collapse", "information")


# What a closed form raises when it is evaluated outside its domain (or broken by an edit).
CLOSED_FORM_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError)


@dataclass(frozen=True)
class Claim:
    """One checked result: where it comes from, what is measured, and how to check it.

    Written as two functions: ``simulate(**params) -> run`` (expensive, cached, no closed form
    inside) and ``compare(closed_form, run, **params) -> Outcome`` (cheap), so that figures
    draw exactly the run that was checked and negative tests compare every perturbation
    against one run. A claim registered with ``simulate=None`` has one ``check(closed_form,
    **params)`` that does both (where the simulation grid depends on the closed form, or not yet
    split).

    Parameter sets: ``defaults`` (the report), ``quick`` (the fast tier: the true form passes
    and every perturbation fails there too) and ``thorough`` (``make check``), the latter two
    as overrides of the defaults.
    """

    label: str
    id: str
    source: str
    statement: str
    closed_form: Any
    measured: str
    error_model: str
    defaults: Mapping[str, Any]
    check: Callable[..., outcomes.Outcome]
    simulate_function: Callable[..., Any] | None = None
    perturbations: Mapping[str, Any] = field(default_factory=dict)
    figures: tuple[str, ...] = ()
    quick: Mapping[str, Any] = field(default_factory=dict)
    thorough: Mapping[str, Any] = field(default_factory=dict)
    # A documented disagreement: where the suite found that the closed form (or a map's
    # predicted boundary) does not hold at these settings. The claim keeps its honest
    # comparison and fails; tests assert that it still fails (so a fix is noticed), and the
    # report shows it as a finding without counting it in its exit status.
    finding: str = ""

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def simulation(self) -> str:
        function = self.simulate_function or self.check
        return f"{function.__module__}.{function.__qualname__}"

    @property
    def closed_form_name(self) -> str:
        form = self.closed_form
        if isinstance(form, tuple):
            return ", ".join(f"{f.__module__}.{f.__qualname__}" for f in form)
        return f"{form.__module__}.{form.__qualname__}"

    def params(self, tier: str = "defaults", **overrides) -> dict[str, Any]:
        """The parameters of a tier ("defaults", "quick", "thorough") updated by overrides."""
        tiers = {"defaults": {}, "quick": self.quick, "thorough": self.thorough}
        if tier not in tiers:
            raise ValueError(f"tier must be one of {sorted(tiers)}, got {tier!r}")
        return {**self.defaults, **tiers[tier], **overrides}

    def simulate(self, **overrides) -> Any:
        """The claim's own simulation at its defaults updated by ``overrides`` (cached)."""
        if self.simulate_function is None:
            raise TypeError(f"claim {self.label} simulates inside its check; it has no simulate()")
        return self.simulate_function(**self.params(**overrides))

    def compare(self, closed_form: Any, run: Any, **params) -> outcomes.Outcome:
        """Compare ``closed_form`` (the claim's own when None) with a run of ``simulate``.

        A substituted closed form that raises on what the simulation measured (a perturbation
        may leave its own domain, e.g. a share above 1) is a failed outcome that says so.
        """
        if closed_form is None:
            return self.check(self.closed_form, run, **params)
        try:
            return self.check(closed_form, run, **params)
        except CLOSED_FORM_ERRORS as error:
            return raised("the closed form raised", error)

    def run(self, closed_form: Any = None, **overrides) -> outcomes.Outcome:
        """Check the claim at its defaults updated by ``overrides``.

        Every way a claim can fail is a failed :class:`Outcome` that says why, not an
        exception: a simulation that diverges (the report must say so, and go on), and a
        substituted ``closed_form`` that raises. With the claim's own closed form, a
        ``ValueError`` still propagates: it names a bad parameter.
        """
        from sims.engine import DivergenceError  # the engine imports jax; the registry need not

        params = self.params(**overrides)
        try:
            if self.simulate_function is not None:
                return self.compare(closed_form, self.simulate_function(**params), **params)
            if closed_form is None:
                return self.check(self.closed_form, **params)
            try:
                return self.check(closed_form, **params)
            except CLOSED_FORM_ERRORS as error:
                if isinstance(error, DivergenceError):
                    raise
                return raised("the closed form raised", error)
        except DivergenceError as error:
            return raised("the simulation diverged", error)


def raised(what: str, error: Exception) -> outcomes.Outcome:
    """A failed outcome that says what raised, and how."""
    return outcomes.Outcome(
        conditions=(outcomes.Condition("completed", False, f"{what}: {type(error).__name__}: {error}"),)
    )


_REGISTRY: dict[str, Claim] = {}


def claim(
    label: str, id: str, *, simulate: Callable[..., Any] | None = None, **fields
) -> Callable[[Callable[..., outcomes.Outcome]], Callable]:
    """Register the decorated function as claim ``label`` (e.g. ``"DL1"``): a
    ``compare(closed_form, run, **params)`` when ``simulate`` is given, else a
    ``check(closed_form, **params)`` that simulates and compares in one."""

    def register(check: Callable[..., outcomes.Outcome]) -> Callable[..., outcomes.Outcome]:
        if label in _REGISTRY and _REGISTRY[label].check is not check:
            existing = _REGISTRY[label]
            if existing.simulation != f"{check.__module__}.{check.__qualname__}":
                raise ValueError(f"claim label {label!r} registered twice ({existing.id}, {id})")
        _REGISTRY[label] = Claim(label=label, id=id, check=check, simulate_function=simulate, **fields)
        return check

    return register


def all_claims() -> dict[str, Claim]:
    """Every claim of the suite's areas, in area order then label order, importing the area
    modules (a claim registered elsewhere, e.g. a test's toy map, is reachable by :func:`get`
    only)."""
    for area in AREAS:
        if importlib.util.find_spec(f"sims.{area}") is not None:
            importlib.import_module(f"sims.{area}")
    order = {area: i for i, area in enumerate(AREAS)}

    def key(c: Claim):
        digits = "".join(ch for ch in c.label if ch.isdigit())
        return (order.get(c.area, len(order)), c.label.rstrip("0123456789"), int(digits or 0))

    return {c.label: c for c in sorted(_REGISTRY.values(), key=key) if c.area in order}


def get(label: str) -> Claim:
    """The claim with this label (``"DL1"``) or id (``"deep_linear.mode_trajectory"``)."""
    claims = {**all_claims(), **_REGISTRY}
    if label in claims:
        return claims[label]
    for c in claims.values():
        if c.id == label:
            return c
    raise ValueError(f"label must be one of {sorted(claims)} or their ids, got {label!r}")
