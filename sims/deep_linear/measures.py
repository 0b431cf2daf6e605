"""What the deep-linear simulations measure, in pure NumPy (no JAX, no registry).

Mode strengths read off an end-to-end map, the times at which they cross a level, the
effective initial strength of a small random start, and the steps to reach a loss (measured
on a recorded loss curve, and predicted from a decoupled start by a closed form).
"""

from __future__ import annotations

import numpy as np

import theory.deep_linear as theory
from theory._validate import finite_matrix, non_negative, positive, scalar


def svd(target):
    """Sigma_yx = U diag(s) V^T keeping the non-zero modes: (U, s, V)."""
    u, s, vt = np.linalg.svd(finite_matrix("target", target), full_matrices=False)
    keep = s > 1e-12 * s.max()
    return u[:, keep], s[keep], vt[keep].T


def mode_strengths(products, u, v):
    """u_a^T W v_a for every mode a: (..., N_out, N_in) -> (..., modes)."""
    u, v = finite_matrix("u", u), finite_matrix("v", v)
    products = finite_matrix("products", products, ndim=max(np.ndim(products), 2))
    if products.shape[-2:] != (u.shape[0], v.shape[0]) or u.shape[1] != v.shape[1]:
        raise ValueError(
            f"products (..., N_out, N_in), u (N_out, modes), v (N_in, modes) must "
            f"agree, got {products.shape}, {u.shape}, {v.shape}"
        )
    return np.einsum("oa,...oi,ia->...a", u, products, v)


def crossing_times(t, values, levels):
    """First time each column of ``values`` (T, k) reaches ``levels`` (k,), interpolated.

    NaN where a column never reaches its level.
    """
    t = finite_matrix("t", t, ndim=1)
    values = finite_matrix("values", values)
    levels = finite_matrix("levels", levels, ndim=1)
    if values.shape != (t.size, levels.size):
        raise ValueError(
            f"values must have shape (len(t), len(levels)) = {(t.size, levels.size)}, got {values.shape}"
        )
    above = values >= levels[None, :]
    first = np.argmax(above, axis=0)
    reached = above.any(axis=0) & (first > 0)
    before = np.maximum(first - 1, 0)
    cols = np.arange(values.shape[1])
    v0, v1 = values[before, cols], values[first, cols]
    frac = (levels - v0) / np.where(v1 == v0, 1.0, v1 - v0)
    return np.where(reached, t[before] + frac * (t[first] - t[before]), np.nan)


def effective_initial_strengths(w1, w2, u, v, *, project=True):
    """The u0 that a small random start (W1, W2) effectively gives each mode.

    In the early, linear phase (whitened inputs) the hidden vectors a = W1 v_a and
    b = W2^T u_a of mode a obey da/dt = s_a b, db/dt = s_a a: c = (a + b)/2 grows as e^{s t},
    (a - b)/2 decays, so u_a = a.b -> |c|^2 e^{2 s t}, as from a decoupled start with
    u0 = |c|^2. Stronger modes are learned first and, once learned, remove from c of a
    weaker mode its component along theirs (the -W2^T W2 a term of the gradient); so with
    ``project`` the u0 of mode a is |c_a|^2 after Gram-Schmidt against stronger modes' c.
    Modes must be ordered by decreasing s.
    """
    w1, w2, u, v = (finite_matrix(name, m) for name, m in (("w1", w1), ("w2", w2), ("u", u), ("v", v)))
    if (
        w1.shape[1] != v.shape[0]
        or w2.shape[0] != u.shape[0]
        or w1.shape[0] != w2.shape[1]
        or u.shape[1] != v.shape[1]
    ):
        raise ValueError(
            f"w1 (H, N_in), w2 (N_out, H), u (N_out, modes), v (N_in, modes) must "
            f"agree, got {w1.shape}, {w2.shape}, {u.shape}, {v.shape}"
        )
    c = 0.5 * (w1 @ v + w2.T @ u)
    if not project:
        return np.sum(c**2, axis=0)
    q, r = np.linalg.qr(c)
    return np.diag(r) ** 2


def steps_to_loss(losses, steps, criterion):
    """First recorded step at which each member's loss is <= criterion (inf if never)."""
    losses = finite_matrix("losses", losses)
    steps = finite_matrix("steps", steps, ndim=1)
    criterion = scalar("criterion", non_negative("criterion", criterion))
    if losses.shape[1] != steps.size:
        raise ValueError(f"losses (members, R) and steps (R,) must agree, got {losses.shape}, {steps.shape}")
    hit = losses <= criterion
    return np.where(hit.any(axis=1), steps[np.argmax(hit, axis=1)], np.inf)


def theory_steps_to_loss(s, u0, depth, learning_rate, criterion, *, deep_mode_strength=None):
    """GD steps until 1/2 sum_a (s_a - u_a(t))^2 <= criterion from a decoupled start at u0.

    Every mode moves monotonically towards s_a, so the loss falls monotonically and the
    crossing time is found by bisection. ``criterion`` must exceed 1e-12 of the initial loss
    (the bracket doubles at most 1100 times). ``deep_mode_strength`` replaces
    :func:`theory.deep_linear.deep_mode_strength` (a closed form under test).
    """
    strength = deep_mode_strength or theory.deep_mode_strength
    s = positive("s", s)
    learning_rate = scalar("learning_rate", positive("learning_rate", learning_rate))
    criterion = scalar("criterion", positive("criterion", criterion))

    def loss(t):
        with np.errstate(over="ignore"):
            return 0.5 * float(np.sum((s - strength(t, s, u0, depth)) ** 2))

    initial = loss(0.0)
    if not np.isfinite(initial):
        raise ValueError(f"s and u0 must keep the loss below 1.8e308, got s={s!r}, u0={u0!r}")
    if criterion < 1e-12 * initial:
        raise ValueError(
            f"criterion must be in [1e-12 x initial loss, inf) = [{1e-12 * initial:.3g},"
            f" inf), got {criterion!r}"
        )

    low, high = 0.0, 1.0
    for _ in range(1100):  # 2^1024 overflows: the time is then beyond float64
        if loss(high) <= criterion:
            break
        low, high = high, 2 * high
    else:
        raise ValueError(f"the loss does not reach criterion={criterion!r} by t = {high:.3g}")
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if loss(mid) > criterion else (low, mid)
    with np.errstate(over="ignore"):
        steps = float(np.ceil(high / learning_rate))
    if not np.isfinite(steps):
        raise ValueError(f"the step count overflows for learning_rate={learning_rate!r}")
    return steps
