"""What a claim's comparison returns, and the arithmetic of its tolerances.

An :class:`Outcome` is a tuple of named :class:`Comparison` s -- each a predicted and an
observed number, an error of a stated *kind* and the tolerance for that kind -- plus named
:class:`Condition` s (qualitative facts such as "modes are learned in order of s"). It passes
when every comparison and every condition does. Its *headline* is the comparison closest to
failing (largest error / tolerance), which is what one line of a log shows; the report lists
every comparison on its own row.

The kinds say how to read "error e, tolerance t":

============  =================================================================================
relative      e = |observed - predicted| / |predicted|
absolute      e = |observed - predicted|, in the quantity's own units
z-score       e = |observed - predicted| / standard error; t a normal (or Student-t) quantile
              at a family-wise level over the comparisons made
rate          e = |observed rate - predicted rate|: e.g. err(2 lr) / err(lr) = 2 for O(lr)
allowance     e = |observed - predicted| / allowance, where the allowance is the error model's
              own bound (a finite-width correction, a convergence budget); t = 1
============  =================================================================================

The constructors below (``relative``, ``absolute``, ``z_score``, ``first_order``,
``allowance``) are the one place where these are computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scipy import stats

KINDS = ("relative", "absolute", "z-score", "rate", "allowance")


@dataclass(frozen=True)
class Comparison:
    """One predicted-vs-observed number with its error, of a stated kind, and its tolerance."""

    name: str
    kind: str
    predicted: float
    observed: float
    error: float
    tolerance: float
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("predicted", "observed", "error", "tolerance"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def passed(self) -> bool:
        return math.isfinite(self.error) and self.error <= self.tolerance

    @property
    def margin(self) -> float:
        """error / tolerance: below 1 passes (inf for a non-finite error; 0 when both are 0)."""
        if not math.isfinite(self.error):
            return math.inf
        if self.tolerance == 0:
            return 0.0 if self.error == 0 else math.inf
        return self.error / self.tolerance

    def describe(self) -> str:
        text = (
            f"{self.name}: predicted {self.predicted:.6g}, observed {self.observed:.6g}, "
            f"{self.kind} error {self.error:.3g} (tolerance {self.tolerance:.3g})"
        )
        return text + (f"; {self.note}" if self.note else "")


@dataclass(frozen=True)
class Condition:
    """A named qualitative condition of a claim, with the measured numbers in ``why``."""

    name: str
    passed: bool
    why: str

    def __post_init__(self):
        object.__setattr__(self, "passed", bool(self.passed))


@dataclass(frozen=True)
class Outcome:
    """Named comparisons and conditions; passes when all of them do."""

    comparisons: tuple[Comparison, ...] = ()
    conditions: tuple[Condition, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "comparisons", tuple(self.comparisons))
        object.__setattr__(self, "conditions", tuple(self.conditions))
        if not self.comparisons and not self.conditions:
            raise ValueError("an Outcome needs at least one comparison or condition")

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons) and all(c.passed for c in self.conditions)

    @property
    def headline(self) -> Comparison | None:
        """The comparison closest to failing (largest error / tolerance)."""
        return max(self.comparisons, key=lambda c: c.margin, default=None)

    @property
    def failures(self) -> list[str]:
        return [c.describe() for c in self.comparisons if not c.passed] + [
            f"{c.name}: {c.why}" for c in self.conditions if not c.passed
        ]

    def summary(self) -> str:
        """One line for logs and assertion messages."""
        head = self.headline
        text = f"passed={self.passed}"
        if head is not None:
            text = (
                f"{head.name}: predicted={head.predicted:.6g} observed={head.observed:.6g} "
                f"{head.kind} error={head.error:.3g} tolerance={head.tolerance:.3g} " + text
            )
        return text + ("; failed: " + "; ".join(self.failures) if self.failures else "")

    # Transitional read access for checks written before typed comparisons: the headline's
    # numbers and the conditions as (name, passed, why).
    predicted = property(lambda self: self.headline.predicted if self.headline else math.nan)
    observed = property(lambda self: self.headline.observed if self.headline else math.nan)
    error = property(lambda self: self.headline.error if self.headline else math.nan)
    tolerance = property(lambda self: self.headline.tolerance if self.headline else math.nan)
    parts = property(lambda self: tuple((c.name, c.passed, c.why) for c in self.conditions))

    def prefixed(self, prefix: str) -> Outcome:
        """The same outcome with ``prefix`` before every comparison and condition name."""
        return Outcome(
            tuple(replace(c, name=f"{prefix}{c.name}") for c in self.comparisons),
            tuple(replace(c, name=f"{prefix}{c.name}") for c in self.conditions),
            self.details,
        )

    @staticmethod
    def merge(
        outcomes: Mapping[str, Outcome] | Iterable[Outcome],
        *,
        conditions: Iterable[Condition] = (),
        **details,
    ) -> Outcome:
        """One outcome from several (e.g. one per depth): a mapping's keys prefix the names."""
        if isinstance(outcomes, Mapping):
            parts = [o.prefixed(f"{key}: ") for key, o in outcomes.items()]
            merged_details = {key: dict(o.details) for key, o in outcomes.items()}
        else:
            parts = list(outcomes)
            merged_details = {}
        return Outcome(
            tuple(c for o in parts for c in o.comparisons),
            tuple(c for o in parts for c in o.conditions) + tuple(conditions),
            {**merged_details, **details},
        )


def condition(name: str, passed: bool, why: str) -> Condition:
    return Condition(name, passed, why)


def relative(name: str, predicted, observed, tolerance: float, *, note: str = "") -> Comparison:
    """|observed - predicted| / |predicted| against ``tolerance`` (worst entry of arrays)."""
    import numpy as np

    predicted, observed = np.broadcast_arrays(np.asarray(predicted, float), np.asarray(observed, float))
    errors = np.abs(observed - predicted) / np.abs(predicted)
    errors = np.where(np.isnan(errors), np.inf, errors)
    i = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.ndim else ()
    return Comparison(name, "relative", predicted[i], observed[i], errors[i], tolerance, note)


def absolute(name: str, predicted, observed, tolerance: float, *, note: str = "") -> Comparison:
    """|observed - predicted| against ``tolerance`` in the quantity's units (worst entry)."""
    import numpy as np

    predicted, observed = np.broadcast_arrays(np.asarray(predicted, float), np.asarray(observed, float))
    errors = np.abs(observed - predicted)
    errors = np.where(np.isnan(errors), np.inf, errors)
    i = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.ndim else ()
    return Comparison(name, "absolute", predicted[i], observed[i], errors[i], tolerance, note)


def sampling_quantile(level: float = 1e-3, *, tests: int = 1, dof: float | None = None) -> float:
    """Two-sided quantile of a z-score (Student-t with ``dof`` degrees of freedom when the
    standard error is estimated) at family-wise false-failure rate ``level`` over ``tests``
    comparisons (Bonferroni)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if tests < 1:
        raise ValueError(f"tests must be >= 1, got {tests!r}")
    q = 1 - level / (2 * tests)
    return float(stats.norm.ppf(q) if dof is None else stats.t.ppf(q, dof))


def z_score(
    name: str,
    predicted: float,
    observed: float,
    standard_error: float,
    *,
    level: float = 1e-3,
    tests: int = 1,
    dof: float | None = None,
    tolerance: float | None = None,
    note: str = "",
) -> Comparison:
    """|observed - predicted| / standard error against the quantile for ``level``/``tests``
    (or an explicit ``tolerance`` in standard errors)."""
    if not standard_error > 0:
        error = 0.0 if observed == predicted else math.inf
    else:
        error = abs(observed - predicted) / standard_error
    if tolerance is None:
        tolerance = sampling_quantile(level, tests=tests, dof=dof)
    note = f"s.e. {standard_error:.3g}" + (f"; {note}" if note else "")
    return Comparison(name, "z-score", predicted, observed, error, tolerance, note)


def first_order(
    name: str, errors: Sequence[float], learning_rates: Sequence[float], *, tolerance: float, note: str = ""
) -> Comparison:
    """An O(lr) rate: Euler's global error at fixed time is e(t) lr + O(lr^2), so
    err(2 lr) / err(lr) = 2 + O(lr); ``tolerance`` bounds the O(lr) correction (the caller says
    why). A wrong closed form leaves an error that does not shrink with lr: the ratio falls
    towards 1."""
    if len(errors) != 2 or len(learning_rates) != 2:
        raise ValueError("errors and learning_rates must hold the values at lr and 2 lr")
    ratio = errors[1] / errors[0] if errors[0] > 0 else math.inf
    note = (
        f"errors {errors[0]:.3g} at lr={learning_rates[0]:g}, {errors[1]:.3g} at "
        f"lr={learning_rates[1]:g}" + (f"; {note}" if note else "")
    )
    return Comparison(name, "rate", 2.0, ratio, abs(ratio - 2.0), tolerance, note)


def allowance(name: str, predicted: float, observed: float, bound: float, *, note: str = "") -> Comparison:
    """|observed - predicted| as a fraction of the error model's own ``bound``; tolerance 1."""
    error = abs(observed - predicted) / bound if bound > 0 else math.inf
    return Comparison(
        name,
        "allowance",
        predicted,
        observed,
        error,
        1.0,
        f"allowance {bound:.3g}" + (f"; {note}" if note else ""),
    )
