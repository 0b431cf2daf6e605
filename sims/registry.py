"""The claim registry: the single list of every checked result.

A *claim* is one published closed-form result and the simulation that checks it. Three
consumers share this registry so that they can never disagree:

- the tests draw parameters inside ``Claim.domain`` with hypothesis and assert ``passed``;
- the agreement report (:mod:`sims.report`) runs every claim at ``Claim.defaults``;
- the figures show the same simulations, theory as a line and simulation as markers.

An area module registers a claim by decorating its check function::

    @claim(
        "DL1", "deep_linear.mode_trajectory",
        source="Saxe et al. 2014, arXiv:1312.6120, eq. 12",
        statement="...", closed_form=theory.deep_linear.mode_strength,
        measured="max_t |u_sim - u_theory| / s_max", error_model="O(lr) ...",
        defaults=dict(learning_rate=1e-3), perturbations={"exponent 2st -> st": wrong},
    )
    def check_mode_trajectory(closed_form, *, learning_rate): ...

``check(closed_form, **params)`` runs the simulation, evaluates ``closed_form`` and returns
an :class:`Outcome`. Passing a perturbed closed form (a wrong constant or exponent) must
make the check fail; ``Claim.perturbations`` lists such perturbations, and the negative
tests assert that each one fails.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sims.cache import AREAS  # one list of areas for the registry and the cache


@dataclass(frozen=True)
class Outcome:
    """What a check measured: the predicted and observed quantity and whether they agree.

    ``error`` is compared with ``tolerance`` (``passed = error <= tolerance``) unless
    ``passed`` is given, for checks made of several conditions (then ``parts`` lists them).
    """

    predicted: float
    observed: float
    error: float
    tolerance: float
    passed: bool | None = None
    parts: tuple[tuple[str, bool, str], ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.passed is None:
            ok = bool(math.isfinite(self.error) and self.error <= self.tolerance)
            object.__setattr__(self, "passed", ok)
        object.__setattr__(self, "passed", bool(self.passed) and all(p[1] for p in self.parts))

    def summary(self) -> str:
        """One line for logs and assertion messages."""
        failed = [f"{name}: {why}" for name, ok, why in self.parts if not ok]
        text = (
            f"predicted={self.predicted:.6g} observed={self.observed:.6g} "
            f"error={self.error:.3g} tolerance={self.tolerance:.3g} passed={self.passed}"
        )
        return text + ("; failed parts: " + "; ".join(failed) if failed else "")


def part(name: str, ok: bool, why: str) -> tuple[str, bool, str]:
    """One named condition of a multi-part claim, with the measured numbers in ``why``."""
    return (name, bool(ok), why)


@dataclass(frozen=True)
class Claim:
    """One checked result: where it comes from, what is measured, and how to check it."""

    label: str
    id: str
    source: str
    statement: str
    closed_form: Any
    measured: str
    error_model: str
    defaults: Mapping[str, Any]
    check: Callable[..., Outcome]
    perturbations: Mapping[str, Any] = field(default_factory=dict)
    figures: tuple[str, ...] = ()
    thorough: Mapping[str, Any] = field(default_factory=dict)

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def simulation(self) -> str:
        return f"{self.check.__module__}.{self.check.__qualname__}"

    @property
    def closed_form_name(self) -> str:
        form = self.closed_form
        if isinstance(form, tuple):
            return ", ".join(f"{f.__module__}.{f.__qualname__}" for f in form)
        return f"{form.__module__}.{form.__qualname__}"

    def run(self, closed_form: Any = None, **overrides) -> Outcome:
        """Check the claim at its defaults updated by ``overrides``.

        Every way a claim can fail is a failed :class:`Outcome` that says why, not an
        exception: a simulation that diverges (the report must say so, and go on), and a
        substituted ``closed_form`` (a perturbation) that raises on what the simulation measured
        (a wrong form may leave its own domain, e.g. a share above 1). With the claim's own
        closed form, a ``ValueError`` still propagates: it names a bad parameter.
        """
        from sims.engine import DivergenceError  # the engine imports jax; the registry need not

        params = {**self.defaults, **overrides}
        caught = (DivergenceError,) if closed_form is None else (
            DivergenceError, ValueError, ArithmeticError, np.linalg.LinAlgError)
        try:
            return self.check(self.closed_form if closed_form is None else closed_form, **params)
        except caught as error:
            what = ("the simulation diverged" if isinstance(error, DivergenceError)
                    else "the closed form raised")
            return Outcome(predicted=math.nan, observed=math.nan, error=math.inf, tolerance=0.0,
                           passed=False,
                           parts=(part("completed", False, f"{what}: {type(error).__name__}: {error}"),))


_REGISTRY: dict[str, Claim] = {}


def claim(label: str, id: str, **fields) -> Callable[[Callable[..., Outcome]], Callable]:
    """Register the decorated check function as claim ``label`` (e.g. ``"DL1"``)."""

    def register(check: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if label in _REGISTRY and _REGISTRY[label].check is not check:
            existing = _REGISTRY[label]
            if existing.simulation != f"{check.__module__}.{check.__qualname__}":
                raise ValueError(f"claim label {label!r} registered twice ({existing.id}, {id})")
        _REGISTRY[label] = Claim(label=label, id=id, check=check, **fields)
        return check

    return register


def all_claims() -> dict[str, Claim]:
    """Every registered claim, in area order then label order, importing the area modules."""
    for area in AREAS:
        if importlib.util.find_spec(f"sims.{area}") is not None:
            importlib.import_module(f"sims.{area}")
    order = {area: i for i, area in enumerate(AREAS)}

    def key(c: Claim):
        digits = "".join(ch for ch in c.label if ch.isdigit())
        return (order.get(c.area, len(order)), c.label.rstrip("0123456789"), int(digits or 0))

    return {c.label: c for c in sorted(_REGISTRY.values(), key=key)}


def get(label: str) -> Claim:
    """The claim with this label (``"DL1"``) or id (``"deep_linear.mode_trajectory"``)."""
    claims = all_claims()
    if label in claims:
        return claims[label]
    for c in claims.values():
        if c.id == label:
            return c
    raise ValueError(f"label must be one of {sorted(claims)} or their ids, got {label!r}")


def first_order_outcome(errors, learning_rates, *, tolerance: float, parts=(), **details) -> Outcome:
    """The outcome of an O(lr) claim from its errors at learning rates lr and 2 lr.

    Euler's global error at a fixed time is e(t) lr + O(lr^2), so err(2 lr) / err(lr) is
    2 + O(lr): predicted 2, observed the measured ratio, and ``tolerance`` bounds the O(lr)
    correction (the caller states why for its problem). A wrong closed form leaves an
    error that does not shrink with lr, so the ratio falls towards 1 and the claim fails.
    """
    ratio = errors[1] / errors[0]
    return Outcome(predicted=2.0, observed=ratio, error=abs(ratio - 2.0), tolerance=tolerance,
                   parts=tuple(parts),
                   details={"errors": list(errors), "learning_rates": list(learning_rates),
                            **details})
