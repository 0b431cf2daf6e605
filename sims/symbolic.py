"""Symbolic claims: closed forms trusted because they were derived, not only because a
simulation agreed with them.

A symbolic claim (DL7, RC7, CP7, NC9, IB7) is a claim like any other (:mod:`sims.registry`):

- its *simulation* is the derivation (``sims/<area>/derivations.py``, cached like any
  simulation): a list of :class:`Identity`, each an equation between SymPy expressions whose
  residual SymPy reduces to 0 ("proved by SymPy"), or, where SymPy cannot close a step, a
  residual evaluated by mpmath at :data:`DIGITS` significant digits ("checked by mpmath at 50
  digits", with the step and the reason); plus the proved expressions evaluated at seeded
  random points of their domain, at :data:`DIGITS` digits and rounded to float64;
- its *comparison* (:func:`outcome`) has one row per identity: the NumPy closed form of
  ``theory/<area>.py`` at those points against the proved expression, with a float64 round-off
  tolerance (or, for an identity without a NumPy counterpart, the residual against 0), the
  identity's status in the note, and one condition per identity: derived or not.

A perturbed closed form (a wrong constant or exponent) differs from the proved expression by
far more than round-off, so its comparison fails.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from sims import outcomes

# Significant digits of every mpmath evaluation (the checks and the proved reference values).
DIGITS = 50
# An mpmath check passes when its worst relative residual is below 1e-40: 50-digit arithmetic
# leaves ~1e-48 in these residuals (measured <= 1e-45, numerical derivatives included), so ten
# digits of margin, and a wrong identity leaves O(1).
MPMATH_TOLERANCE = 1e-40

PROVED = "proved by SymPy"
CHECKED = f"checked by mpmath at {DIGITS} digits"
PROVED_AND_CHECKED = f"proved by SymPy, one step checked by mpmath at {DIGITS} digits"


@dataclass(frozen=True)
class Identity:
    """One derived identity and how it was established.

    ``residual``: 0.0 when SymPy reduced every residual to 0 and mpmath (if used) found
    nothing above round-off; inf when SymPy left a residual non-zero (``unreduced`` holds it);
    else the worst relative residual of the mpmath check.
    """

    name: str
    statement: str
    method: str  # "sympy", "mpmath" or "sympy+mpmath"
    residual: float
    seconds: float
    scope: str = ""  # the cases proved (sizes, depths) where not general
    reason: str = ""  # for mpmath: the step SymPy cannot close, and why
    unreduced: str = ""

    @property
    def tolerance(self) -> float:
        return 0.0 if self.method == "sympy" else MPMATH_TOLERANCE

    @property
    def passed(self) -> bool:
        return math.isfinite(self.residual) and self.residual <= self.tolerance

    @property
    def headline(self) -> str:
        """Status, time and scope: what a report row's note says."""
        return f"{self.status} in {self.seconds:.2f} s" + (f" [{self.scope}]" if self.scope else "")

    @property
    def status(self) -> str:
        if not self.passed:
            return "NOT derived"
        return {"sympy": PROVED, "mpmath": CHECKED, "sympy+mpmath": PROVED_AND_CHECKED}[self.method]

    def describe(self) -> str:
        text = f"{self.headline}: {self.statement}"
        if self.method != "sympy":
            text += f"; worst relative residual {self.residual:.2g}"
        if self.reason:
            text += f"; {self.reason}"
        if self.unreduced:
            text += f"; SymPy left {self.unreduced}"
        return text


class SymbolicRun(NamedTuple):
    """A derivation: its identities, and for those with a NumPy counterpart the seeded points
    (named argument arrays) and the proved expression's values there (50 digits -> float64)."""

    identities: tuple[Identity, ...]
    points: dict[str, dict[str, np.ndarray]]
    proved: dict[str, np.ndarray]


def _reduces_to_zero(expression) -> tuple[bool, Any]:
    import sympy

    if isinstance(expression, sympy.MatrixBase):
        for entry in expression:
            ok, left = _reduces_to_zero(entry)
            if not ok:
                return ok, left
        return True, 0
    if expression == 0:
        return True, 0
    reduced = sympy.simplify(expression)
    return reduced == 0, reduced


class Derivation:
    """Builder of a :class:`SymbolicRun` inside a ``derive_*`` simulation."""

    def __init__(self, *, points: int, seed: int, identities: Iterable[Identity] = ()):
        self.rng = np.random.default_rng(seed)
        self.size = points
        self.identities: list[Identity] = list(identities)  # (proved earlier, e.g. memoised)
        self.points: dict[str, dict[str, np.ndarray]] = {}
        self.proved: dict[str, np.ndarray] = {}

    def identity(
        self,
        name: str,
        statement: str,
        *,
        sympy: Callable[[], Iterable[Any]] | None = None,
        mpmath: Callable[[], Iterable[Any]] | None = None,
        scope: str = "",
        reason: str = "",
    ) -> None:
        """Establish one identity: ``sympy()`` yields residuals (expressions or matrices) that
        must reduce to 0 (each is ``simplify``-ed unless already 0); ``mpmath()``, run at
        :data:`DIGITS` digits, yields relative residuals that must be below
        :data:`MPMATH_TOLERANCE`. ``reason`` says which step mpmath checks, and why."""
        import mpmath as mp

        if any(i.name == name for i in self.identities):
            raise ValueError(f"identity {name!r} derived twice")
        if (mpmath is None) != (not reason):
            raise ValueError(f"{name}: an mpmath check needs the reason SymPy cannot close the step")
        start = time.perf_counter()
        residual, unreduced = 0.0, ""
        if sympy is not None:
            for expression in sympy():
                ok, left = _reduces_to_zero(expression)
                if not ok:
                    residual, unreduced = math.inf, str(left)[:300]
                    break
        if mpmath is not None and residual == 0.0:
            with mp.workdps(DIGITS):
                residual = max((float(abs(r)) for r in mpmath()), default=0.0)
        method = "+".join(m for m, f in (("sympy", sympy), ("mpmath", mpmath)) if f is not None)
        self.identities.append(
            Identity(name, statement, method, residual, time.perf_counter() - start, scope, reason, unreduced)
        )

    def evaluate(self, name: str, arguments: Mapping[str, np.ndarray], value: Callable[..., Any]) -> None:
        """The proved expression ``value(**arguments at one point)`` at every point (the first
        axis of each argument), evaluated at :data:`DIGITS` digits on the exact float64
        arguments (mpmath numbers; arrays as mpmath matrices) and rounded to float64. ``value``
        returns a number or a sequence of numbers; complex results must be real to within
        1e-40 of their size."""
        import mpmath as mp

        if not any(i.name == name for i in self.identities):
            raise ValueError(f"evaluate {name!r} after deriving it")
        arguments = {k: np.asarray(v) for k, v in arguments.items()}
        count = len(next(iter(arguments.values())))
        values = []
        with mp.workdps(DIGITS):
            for i in range(count):
                point = {k: _mp(v[i]) for k, v in arguments.items()}
                result = value(**point)
                many = isinstance(result, (list, tuple))
                row = [_real(name, mp.mpmathify(x), point) for x in (result if many else [result])]
                values.append(row if many else row[0])
        self.points[name] = arguments
        self.proved[name] = np.array(values, dtype=np.float64)

    def run(self) -> SymbolicRun:
        return SymbolicRun(tuple(self.identities), self.points, self.proved)


def _mp(value):
    """An exact mpmath copy of a float64 (or int, kept exact) argument; arrays as matrices."""
    import mpmath as mp

    if np.ndim(value) > 0:
        return mp.matrix(np.asarray(value, dtype=np.float64).tolist())
    return int(value) if isinstance(value, (int, np.integer)) else mp.mpf(float(value))


def _real(name, value, point) -> float:
    import mpmath as mp

    if isinstance(value, mp.mpc):
        if abs(value.imag) > MPMATH_TOLERANCE * max(abs(value.real), 1):
            raise ValueError(f"{name}: complex value {value} at {point}")
        value = value.real
    return float(value)


def lambdify(arguments, expression) -> Callable[..., Any]:
    """A SymPy expression as a function of the named ``arguments`` (symbols) for mpmath."""
    import sympy

    function = sympy.lambdify(list(arguments), expression, modules="mpmath")
    names = [str(a) for a in arguments]
    return lambda **point: function(*(point[n] for n in names))


class Agreement(NamedTuple):
    """A NumPy closed form at the points of one identity, against its proved values."""

    observed: np.ndarray
    tolerance: float
    why: str  # the float64 error model of the tolerance
    kind: str = "relative"  # or "absolute" (in the quantity's units, or of ``scale``)
    scale: Any = None  # absolute error in units of this (e.g. the size of cancelling terms)


def outcome(run: SymbolicRun, agreements: Mapping[str, Agreement]) -> outcomes.Outcome:
    """One comparison per identity (the NumPy closed form against the proved expression, or
    the residual against 0), its status in the note; one condition per identity: derived."""
    names = [i.name for i in run.identities]
    unknown = set(agreements) - set(names)
    if unknown or set(agreements) != set(run.proved):
        raise ValueError(
            f"agreements {sorted(agreements)} must match the evaluated identities {sorted(run.proved)}"
        )
    comparisons = []
    for identity in run.identities:
        if identity.name in agreements:
            agreement = agreements[identity.name]
            build = outcomes.relative if agreement.kind == "relative" else outcomes.absolute
            proved, observed = run.proved[identity.name], np.asarray(agreement.observed, dtype=np.float64)
            if agreement.scale is not None:
                proved, observed = proved / agreement.scale, observed / agreement.scale
            note = (
                f"{identity.headline}; NumPy vs the proved expression at "
                f"{len(run.proved[identity.name])} seeded points ({agreement.why})"
            )
            comparisons.append(build(identity.name, proved, observed, agreement.tolerance, note=note))
        else:
            comparisons.append(
                outcomes.absolute(
                    identity.name,
                    0.0,
                    identity.residual,
                    identity.tolerance,
                    note=f"{identity.headline}; residual",
                )
            )
    conditions = [outcomes.condition(i.name, i.passed, i.describe()) for i in run.identities]
    return outcomes.Outcome(
        tuple(comparisons),
        tuple(conditions),
        {"seconds": {i.name: round(i.seconds, 3) for i in run.identities}},
    )
