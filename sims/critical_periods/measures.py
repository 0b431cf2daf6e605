"""What the critical-period claims measure on a run: pure NumPy, no JAX, no registry.

Final shares, the onset at which a feature's critical period closes, the one-step rate of
ln(K_a/K_b), and the Euler iteration of the layer-strength ODE that GD must reproduce.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import theory.critical_periods as theory
from theory._validate import finite_matrix, integer_at_least, non_negative, positive, scalar


def euler_pathways(sigma, depth, k0, deficit_start, deficit_end, *, learning_rate, steps):
    """The Euler-discretised layer-strength ODE with the simulation's gate; K_a, K_b per step.

    ``p <- p + lr p^{D-1} Omega`` (pathway b times the gate of
    :func:`sims.critical_periods.models.learning_gate`), which is what GD does to every layer
    of the aligned, balanced network. Shapes (steps + 1, modes).
    ``steps`` is at most 10^5 (the work; ~1 s; the claims use <= 1600).
    """
    sigma = positive("sigma", sigma)
    depth = integer_at_least("depth", depth, 1, theory.MAX_DEPTH)
    k0 = scalar("k0", positive("k0", k0))
    deficit_start = scalar("deficit_start", non_negative("deficit_start", deficit_start))
    deficit_end = scalar("deficit_end", finite_matrix("deficit_end", deficit_end, ndim=0))
    learning_rate = scalar("learning_rate", positive("learning_rate", learning_rate))
    steps = integer_at_least("steps", steps, 0, 10**5)
    p = np.full((2, np.size(sigma)), k0 ** (1.0 / depth))
    path = [p**depth]
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(steps):
            t = learning_rate * n
            overlap = np.clip(min(t + learning_rate, deficit_end) - max(t, deficit_start), 0.0, learning_rate)
            omega = sigma - (p**depth).sum(axis=0)
            p = p + learning_rate * p ** (depth - 1) * omega * np.array(
                [[1.0], [1.0 - overlap / learning_rate]]
            )
            path.append(p**depth)
            if not np.all(np.isfinite(path[-1])):
                raise ValueError(
                    f"the Euler iteration diverged at step {n + 1} "
                    f"(learning_rate={learning_rate!r} is above its stability "
                    f"bound for sigma={sigma!r})"
                )
    path = np.array(path)
    return path[:, 0], path[:, 1]


def final_shares(run):
    """K_b(t_end) / sigma of a :class:`~sims.critical_periods.models.PathwayRun`:
    (members, modes)."""
    return run.K_b[:, -1] / run.sigma


def _crossing(onsets, shares, level):
    """The onset where the damage 1/2 - share falls to ``level`` of its onset-0 value (linear
    interpolation on the grid)."""
    damage = 0.5 - np.asarray(shares)
    excess = damage - level * damage[0]
    k = int(np.argmax(excess < 0))
    return onsets[k - 1] + (onsets[k] - onsets[k - 1]) * excess[k - 1] / (excess[k - 1] - excess[k])


def closing_times(shares, *, sigmas, epsilon, duration, onsets, level=0.5):
    """Per feature (D = 2, k0 = epsilon sigma, deficit length duration/sigma): the onset where
    the simulated damage 1/2 - share falls to ``level`` of its onset-0 value, by linear
    interpolation on the grid ``onsets / sigma``, with the grid's interpolation bias (the same
    interpolation applied to the exact final share of :mod:`theory.critical_periods`) removed.

    ``shares``: (features, onsets) final shares, one row per sigma.
    """
    times = []
    for s, row in zip(sigmas, shares, strict=True):
        exact = theory.final_share(s, 2, epsilon * s, np.array(onsets) / s, (np.array(onsets) + duration) / s)
        bias = (
            _crossing(onsets, exact, level)
            - theory.closing_time(s, 2, epsilon * s, duration / s, level=level) * s
        )
        times.append((_crossing(onsets, row, level) - bias) / s)
    return np.array(times)


class LogRatioRate(NamedTuple):
    """The one-step rate of ln(K_a/K_b) of one member, at the recorded steps after a time."""

    rate: np.ndarray  # (steps,) (ln r(n + 1) - ln r(n)) / lr
    k_a: np.ndarray  # (steps,) K_a at step n
    k_b: np.ndarray  # (steps,) K_b at step n
    drift: float  # ln r(t_end) - ln r at the first such step


def log_ratio_rate(run, member, *, after):
    """Forward-difference rate of ln(K_a/K_b) (first mode) of ``member`` of a
    :class:`~sims.critical_periods.models.PathwayRun`, at the recorded steps n with n + 1 also
    recorded and learning_rate * n >= ``after``."""
    t, k_a, k_b = run.t, run.K_a[member, :, 0], run.K_b[member, :, 0]
    step = np.flatnonzero(np.isclose(np.diff(t), run.learning_rate) & (t[:-1] >= after))
    log_ratio = np.log(k_a / k_b)
    rate = (log_ratio[step + 1] - log_ratio[step]) / run.learning_rate
    return LogRatioRate(rate, k_a[step], k_b[step], float(log_ratio[-1] - log_ratio[step[0]]))


def mean_and_standard_error(values):
    """Mean and standard error over axis 0 (initialisations)."""
    values = np.asarray(values)
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
