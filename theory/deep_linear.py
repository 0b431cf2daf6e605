"""Exact learning dynamics of deep linear networks.

Setting (Saxe, McClelland & Ganguli 2014, arXiv:1312.6120): a network
``y = W_D ... W_1 x`` with D weight matrices, trained by gradient flow on the squared loss
``1/2 E||y - W_D...W_1 x||^2`` with whitened inputs (``E[x x^T] = I``). The target enters only
through the input-output correlation ``Sigma_yx = E[y x^T] = U S V^T``.

Time convention: ``tau dW/dt = -dL/dW``; a gradient-descent simulation with learning rate
``lr`` reaches time ``t = lr * step`` (so ``tau = 1`` in those units).

From a *decoupled* start (every layer's singular vectors aligned with its neighbours and the
target's) each mode alpha evolves independently as a scalar ``u_alpha = u_alpha^T W_D...W_1
v_alpha``, the product of D per-layer strengths. With equal (balanced) strengths
``tau du/dt = D u^{2-2/D} (s - u)``.
"""

from __future__ import annotations

import sys

import numpy as np

from theory._validate import (
    finite_matrix,
    finite_result,
    integer_at_least,
    non_negative,
    positive,
    scalar,
)

__all__ = [
    "mode_strength",
    "learning_time",
    "deep_mode_strength",
    "deep_learning_time",
    "stable_learning_rate",
    "hierarchy_singular_values",
    "lambda_balanced_product",
]

# Largest depth D accepted: the depth-D closed forms cost O(D) per evaluation (D complex
# roots) and bisection runs 120 of them; D = 1000 takes ~10 ms per point.
MAX_DEPTH = 1000
# e^{|f| h} of one Riccati step of lambda_balanced_product stays below e^{256} ~ 1e111, far
# from overflow; the QR form is exact at this step (measured: 1e-15 against steps of
# 0.25 / |f|max up to t |f|max = 1e3).
_STEP_EXPONENT = 256.0
# lambda_balanced_product marches at most t max|f| / tau / 256 steps: up to 1e7 time
# constants of the fastest mode (~4e4 steps, ~1 s); later times are refused.
MAX_TIME_CONSTANTS = 1e7
# A lambda-balanced start whose overlap with F's growing eigenspace (smallest singular value,
# relative to ||Q0||) is below this sits within round-off of a saddle's stable manifold: the
# exact flow stays near the saddle, a float64 one leaves it when round-off seeded in the
# missing direction has grown (e^{2 f t}); lambda_balanced_product refuses the times at which
# that seed could exceed this fraction of ||Q0||^2, where the result would be round-off.
SADDLE_OVERLAP = 1e-8


def mode_strength(t, s, u0, *, tau=1.0):
    """Strength u(t) of one input-output mode of a two-layer linear network.

    Gradient flow from a balanced, decoupled start (Saxe et al. 2014, arXiv:1312.6120, eq. 12):

        u(t) = s e^{2st/tau} / (e^{2st/tau} - 1 + s/u0)

    evaluated as ``s / (e^L + 1 - e^{-x})`` with ``x = 2st/tau`` and ``L = ln(s/u0) - x``,
    a sum of two non-negative terms (no cancellation, for u0 < s: sigmoidal rise, and u0 > s:
    decay onto s); where ``e^L`` leaves the normal float64 range (|L| > 700, e.g. u0 = 1e-310
    or t = 0 with u0/s = 1e-320) it is evaluated in logs, ``ln u = ln s - logaddexp(L,
    ln(1 - e^{-x}))``, so that a subnormal u0 neither overflows s/u0 (which gave NaN) nor
    underflows to 0.

    Args:
        t: time (>= 0), in units where ``t = learning_rate * step``.
        s: singular value of the mode in Sigma_yx (> 0).
        u0: initial strength (> 0).
        tau: time constant (> 0).

    Returns:
        u(t), broadcast over all arguments (float64).

    Example:
        >>> float(mode_strength(0.0, 2.0, 1e-3))
        0.001
        >>> round(float(mode_strength(50.0, 2.0, 1e-3)), 12)
        2.0
    """
    t = non_negative("t", t)
    s = positive("s", s)
    u0 = positive("u0", u0)
    tau = positive("tau", tau)
    with np.errstate(over="ignore", divide="ignore"):
        x = 2.0 * s * (t / tau)  # may be inf: then u = s exactly
        log_ratio = np.log(s) - np.log(u0) - x
        direct = s / (np.exp(np.minimum(log_ratio, 700.0)) - np.expm1(-x))
        logs = np.log(s) - np.logaddexp(log_ratio, np.log(-np.expm1(-x)))
    return np.where(np.abs(log_ratio) <= 700.0, direct, np.exp(logs))


def learning_time(s, u0, u_final, *, tau=1.0):
    """Time for a two-layer mode to grow (or decay) from u0 to u_final.

    The inverse of :func:`mode_strength` (Saxe et al. 2014, arXiv:1312.6120, eq. 11):

        t = tau / (2 s) ln[ u_final (s - u0) / (u0 (s - u_final)) ]

    Args:
        s: singular value (> 0).
        u0: initial strength (> 0, != s).
        u_final: target strength, strictly between u0 and s.
        tau: time constant (> 0).

    Returns:
        The time, broadcast over the arguments.

    Example:
        >>> t = learning_time(2.0, 1e-3, 1.0)
        >>> round(float(mode_strength(t, 2.0, 1e-3)), 12)
        1.0
    """
    s = positive("s", s)
    u0 = positive("u0", u0)
    u_final = positive("u_final", u_final)
    tau = positive("tau", tau)
    if not np.all(_strictly_between(u0, u_final, s)):
        raise ValueError(f"u_final must lie strictly between u0 and s, got u_final={u_final}, u0={u0}, s={s}")
    # A sum of logs: the ratio itself overflows for a subnormal u0 (u0 = 1e-310).
    log_ratio = np.log(u_final) + np.log(np.abs(s - u0)) - np.log(u0) - np.log(np.abs(s - u_final))
    with np.errstate(over="ignore"):
        time = tau / (2.0 * s) * log_ratio
    return finite_result("the learning time", time, f"s={s!r}, u0={u0!r}, tau={tau!r}")


def _strictly_between(low, value, high):
    """value strictly between low and high (either order); comparisons, not a product of
    differences, which overflows for values near 1e300."""
    return ((low < value) & (value < high)) | ((high < value) & (value < low))


def _depth_antiderivative(u, s, depth):
    """F(u) with dF/du = 1 / (D u^{2-2/D} (s - u)), for integer depth D >= 3.

    With x = u^{1/D} the integrand becomes 1 / (x^{D-1} (s - x^D)) = (1/s)[x^{1-D} +
    x / (s - x^D)], and partial fractions over the D-th roots r_k of s give
        F = (1/s) [ x^{2-D} / (2-D) - (1/D) sum_k r_k^{2-D} log(x - r_k) ].
    Complex logs: the imaginary parts are constant along a path that does not cross s, so
    differences F(u1) - F(u0) taken on the same side of s are real.
    """
    x = u ** (1.0 / depth)
    roots = s[..., None] ** (1.0 / depth) * np.exp(2j * np.pi * np.arange(depth) / depth)
    logs = np.log((x[..., None] - roots).astype(np.complex128))
    series = np.sum(roots ** (2 - depth) * logs, axis=-1).real
    # u^{(2-D)/D} in one power: (u^{1/D})^{2-D} would multiply x's rounding error by D - 2.
    return (u ** ((2.0 - depth) / depth) / (2 - depth) - series / depth) / s


def deep_learning_time(s, u0, u_final, depth, *, tau=1.0):
    """Time for a depth-D mode to go from u0 to u_final under tau du/dt = D u^{2-2/D}(s-u).

    The balanced, decoupled depth-D dynamics (Saxe et al. 2014, arXiv:1312.6120, sec. 2,
    eq. 15, whose N_l layers are D = N_l - 1 weight matrices; one scalar per layer, all
    equal). Closed forms: D = 1 gives tau ln[(s-u0)/(s-u_final)], D = 2 gives
    :func:`learning_time`, D >= 3 the partial-fraction antiderivative above.

    Args:
        s, u0: as in :func:`mode_strength` (u0 != s).
        u_final: strictly between u0 and s.
        depth: number of weight matrices D (integer in [1, MAX_DEPTH = 1000]; a scalar).
        tau: time constant (> 0).
    """
    depth = integer_at_least("depth", depth, 1, MAX_DEPTH)
    if depth == 2:
        return learning_time(s, u0, u_final, tau=tau)
    s, u0, u_final = np.broadcast_arrays(positive("s", s), positive("u0", u0), positive("u_final", u_final))
    tau = positive("tau", tau)
    if not np.all(_strictly_between(u0, u_final, s)):
        raise ValueError(f"u_final must lie strictly between u0 and s, got u_final={u_final}, u0={u0}, s={s}")
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if depth == 1:
            time = tau * (np.log(np.abs(s - u0)) - np.log(np.abs(s - u_final)))
        else:
            time = tau * (_depth_antiderivative(u_final, s, depth) - _depth_antiderivative(u0, s, depth))
    return finite_result(
        "the learning time", time, f"s={s!r}, u0={u0!r}, u_final={u_final!r}, depth={depth}, tau={tau!r}"
    )


def deep_mode_strength(t, s, u0, depth, *, tau=1.0):
    """Strength u(t) of one mode of a depth-D linear network from a balanced, decoupled start.

    Solves tau du/dt = D u^{2-2/D} (s - u), u(0) = u0 (Saxe et al. 2014, arXiv:1312.6120,
    sec. 2, eq. 15; the paper's N_l layers: D = N_l - 1). D = 1: u = s - (s - u0) e^{-t/tau};
    D = 2: :func:`mode_strength`; D >= 3: the closed form t(u) of :func:`deep_learning_time`
    inverted by bisection in log u; u tends to s and never overshoots. t(u) is exact to a few
    eps; the inversion's relative error in u is about kappa eps, kappa = t u'(t) / u, which
    the plateau makes large for a tiny start: <= 1e-12 for u0/s >= 1e-3 and D <= 8, ~1e-9 at
    u0/s = 1e-8 and D = 32.

    Args:
        t: time (>= 0); s (> 0); u0 (> 0): broadcast together.
        depth: number of weight matrices D (integer in [1, MAX_DEPTH = 1000]; a scalar).
        tau: time constant (> 0).

    Example:
        >>> u = deep_mode_strength(1.0, 2.0, 0.1, 4)
        >>> t = deep_learning_time(2.0, 0.1, u, 4)
        >>> round(float(t), 10)
        1.0
    """
    depth = integer_at_least("depth", depth, 1, MAX_DEPTH)
    t, s, u0 = np.broadcast_arrays(non_negative("t", t), positive("s", s), positive("u0", u0))
    tau = positive("tau", tau)
    if depth == 1:
        with np.errstate(over="ignore"):
            decay = np.exp(-(t / tau))  # t / tau = inf (tau subnormal) decays fully
        return s - (s - u0) * decay
    if depth == 2:
        return mode_strength(t, s, u0, tau=tau)
    # Bisection on v = ln u between ln u0 and ln s: t(u) is monotone there, and log-space
    # keeps the relative accuracy of tiny initial strengths.
    low, high = np.log(np.minimum(u0, s)), np.log(np.maximum(u0, s))
    rising = u0 < s
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # At u == s exactly the time is infinite (NaN here): "too late", as intended; and a
        # mode that starts at u0 == s stays there (handled at the end).
        start = _depth_antiderivative(u0, s, depth)
    for _ in range(120):
        mid = 0.5 * (low + high)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            elapsed = tau * np.abs(_depth_antiderivative(np.exp(mid), s, depth) - start)
        # too early on the path: move the bracket's start end forward
        before = elapsed < t
        move_low = before == rising
        low = np.where(move_low, mid, low)
        high = np.where(move_low, high, mid)
    u = np.exp(0.5 * (low + high))
    return np.where(u0 == s, s, u)


def stable_learning_rate(s, depth):
    """Largest stable GD learning rate at the decoupled minimum: 2 / (D s^{2-2/D}).

    At u = s every layer has strength s^{1/D}; the Hessian of 1/2 (s - prod a_l)^2 there is
    rank one with eigenvalue D s^{2-2/D}, and GD with lr > 2/lambda_max diverges.
    A ValueError says when the rate leaves the float64 range (s below ~1e-154 for D = 2).
    """
    depth = integer_at_least("depth", depth, 1)
    s = positive("s", s)
    with np.errstate(over="ignore", divide="ignore"):
        rate = 2.0 / (depth * s ** (2.0 - 2.0 / depth))
    rate = finite_result("the stable learning rate", rate, f"s={s!r}, depth={depth}")
    if np.any(rate == 0):
        raise ValueError(f"the stable learning rate underflows to 0 for s={s!r}, depth={depth}")
    return rate


def hierarchy_singular_values(levels):
    """Singular values of the feature-by-item matrix of a binary tree with ``levels`` splits.

    The dataset (in the spirit of Saxe, McClelland & Ganguli 2019, PNAS, arXiv:1810.10531):
    P = 2^L items are the leaves of a complete binary tree of depth L; every node of the tree
    (2^{L+1} - 1 of them, leaves included) is one feature, equal to 1 for the items below
    it and 0 otherwise. The item-item Gram matrix Y^T Y counts common ancestors and is
    diagonalised by the Haar wavelets of the tree:
      - the uniform vector: eigenvalue sum_{l=0}^{L} 2^{L-l} = 2^{L+1} - 1;
      - the wavelet that splits a node at level k (+ on one child, - on the other):
        eigenvalue sum_{l=k+1}^{L} 2^{L-l} = 2^{L-k} - 1, with multiplicity 2^k.

    Args:
        levels: L, an integer in [1, 62] (2^L items; the multiplicities are int64).

    Returns:
        (values, multiplicities): singular values sqrt(eigenvalue) from coarse to fine,
        and how often each occurs (they sum to P).

    Example:
        >>> values, counts = hierarchy_singular_values(2)
        >>> [round(v * v) for v in values], counts.tolist()
        ([7, 3, 1], [1, 1, 2])
    """
    levels = integer_at_least("levels", levels, 1, 62)
    eigen = [2.0 ** (levels + 1) - 1] + [2.0 ** (levels - k) - 1 for k in range(levels)]
    counts = [1] + [2**k for k in range(levels)]
    return np.sqrt(np.array(eigen)), np.array(counts, dtype=np.int64)


def lambda_balanced_product(t, w1, w2, sigma_yx, *, tau=1.0, atol=1e-8):
    """End-to-end map W2 W1 (t) of a two-layer linear network from a lambda-balanced start.

    Gradient flow on 1/2 E||y - W2 W1 x||^2 with whitened inputs, from any W1 (N2 x N1),
    W2 (N3 x N2) with W2^T W2 - W1 W1^T = lambda I (Braun, Dominé, Fitzgerald & Saxe 2022,
    NeurIPS 35, "Exact learning dynamics of deep linear networks with prior knowledge";
    journal version Dominé et al., J. Stat. Mech. 2023, 114004; lambda = 0; Dominé et al. 2024,
    arXiv:2409.14623, any lambda). With Q = [W1^T; W2] the conserved balance gives
    tau dQ/dt = F Q - 1/2 Q Q^T Q, where
        F = [[-lambda/2 I, Sigma_yx^T], [Sigma_yx, lambda/2 I]],
    so P = Q Q^T solves the Riccati equation tau dP/dt = F P + P F - P^2, whose solution is
        P(t) = e^{Ft} Q0 [I + Q0^T G(t) Q0]^{-1} Q0^T e^{Ft},  G(t) = int_0^t e^{2Fr} dr,
    (write M = P^{-1}: tau dM/dt = I - F M - M F is linear; Woodbury handles rank P < N).
    W2 W1 is the lower-left N3 x N1 block of P.

    The bracket [I + Q0^T G Q0] is positive definite for every t >= 0 (G is), so the formula
    has no singular case for valid inputs. Singular situations are excluded at the input:
    lambda-balance must hold (W2^T W2 - W1 W1^T = lambda I within ``atol``), which for
    lambda > 0 needs N3 >= N2 and for lambda < 0 needs N1 >= N2.

    A start with no overlap with a growing direction of F (the singular values of V_+^T Q0,
    V_+ the eigenvectors of F with eigenvalue > 0, not all positive) stays near that saddle
    forever; the formula reproduces this in exact arithmetic, but float64 seeds the missing
    direction with round-off that grows like e^{2 f t} until the computed flow leaves the
    saddle at a time set by round-off. Such starts are not rare: for N1 = N2 = N3 and
    lambda = 0, det(W2 W1) never changes sign under the flow (W1 and W2 become singular
    together, on an invariant set), so every start with sign det(W2 W1) != sign det(Sigma_yx)
    is one, half of random starts (V_+^T Q0 is then (V^T + U^T O) W1^T / sqrt 2 with
    W2 = O W1^T, and V U^T O, orthogonal with determinant -1, has the eigenvalue -1). Where the
    overlap is below SADDLE_OVERLAP = 1e-8 of ||Q0||, times after the round-off seed may have
    grown to that fraction, t > tau ln(1e-8 / max(overlap, eps)) / (2 max f), are refused
    with a ValueError (the result there would be round-off); earlier times are returned.

    Args:
        t: times (>= 0), any shape T, at most 1e7 tau / max|eig F| (MAX_TIME_CONSTANTS time
            constants of the fastest mode: the work grows with t).
        w1: (N2, N1); w2: (N3, N2): the initial weights, lambda-balanced.
        sigma_yx: (N3, N1) input-output correlation.
        tau: time constant (> 0).
        atol: absolute tolerance of the balance check (>= 0).

    Returns:
        Array of shape T + (N3, N1).
    """
    t = non_negative("t", t)
    tau = scalar("tau", positive("tau", tau))
    atol = scalar("atol", non_negative("atol", atol))
    w1, w2 = finite_matrix("w1", w1), finite_matrix("w2", w2)
    sigma_yx = finite_matrix("sigma_yx", sigma_yx)
    n2, n1 = w1.shape
    n3 = w2.shape[0]
    if w2.shape != (n3, n2) or sigma_yx.shape != (n3, n1):
        raise ValueError(
            f"shapes must be w1 (N2, N1), w2 (N3, N2), sigma_yx (N3, N1); got w1 {w1.shape}, "
            f"w2 {w2.shape}, sigma_yx {sigma_yx.shape}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        balance = w2.T @ w2 - w1 @ w1.T
        lam = float(np.trace(balance)) / n2
        f_matrix = np.block([[-lam / 2 * np.eye(n1), sigma_yx.T], [sigma_yx, lam / 2 * np.eye(n3)]])
    if not (np.all(np.isfinite(balance)) and np.all(np.isfinite(f_matrix))):
        raise ValueError(
            "w1, w2 and sigma_yx must have entries below ~1e150 (their squares overflow float64)"
        )
    if not np.allclose(balance, lam * np.eye(n2), atol=atol):
        raise ValueError(
            "w1, w2 must be lambda-balanced (W2^T W2 - W1 W1^T = lambda I within atol="
            f"{atol}); max deviation {np.max(np.abs(balance - lam * np.eye(n2))):.3g}"
        )
    f, basis = np.linalg.eigh(f_matrix)
    rate = max(float(np.abs(f).max()), np.finfo(float).tiny)
    with np.errstate(over="ignore"):
        horizon = float(t.max(initial=0.0)) / tau * rate
    if not horizon <= MAX_TIME_CONSTANTS:
        raise ValueError(
            f"t must be in [0, {MAX_TIME_CONSTANTS:g} tau / max|eig F|] = "
            f"[0, {MAX_TIME_CONSTANTS * tau / rate:.4g}] (the flow has long converged; "
            f"bounded work), got max t = {float(t.max(initial=0.0))!r}"
        )
    q = basis.T @ np.concatenate([w1.T, w2], axis=0)  # Q in the eigenbasis of F
    _refuse_saddle_times(t, tau, f, q, rate)
    # The flow is autonomous, so P(t + h) is the closed form applied to P(t): march in steps
    # with |f| h <= 256 (see _riccati_step), at most ~4e4 of them.
    chunk = _STEP_EXPONENT / rate
    now = 0.0
    out = np.empty(t.shape + (n3, n1))
    for index in np.argsort(t, axis=None):
        target = float(t.flat[index] / tau)
        while now < target:
            h = min(chunk, target - now)
            q = _riccati_step(q, f, h)
            now += h
        out[np.unravel_index(index, t.shape)] = (basis @ q @ q.T @ basis.T)[n1:, :n1]
    return finite_result("W2 W1", out, "these weights")


def _refuse_saddle_times(t, tau, f, q, rate):
    """Raise for the times at which a start within round-off of a saddle's stable manifold
    (see lambda_balanced_product) gives a round-off result; Q0 = 0 stays 0 exactly."""
    size = float(np.linalg.norm(q, 2))
    growing = f > 1e-12 * rate
    if size == 0.0 or not growing.any():
        return
    overlap = float(np.linalg.svd(q[growing], compute_uv=False).min()) / size
    if overlap >= SADDLE_OVERLAP:
        return
    eps = np.finfo(float).eps
    latest = tau * np.log(SADDLE_OVERLAP / max(overlap, eps)) / (2 * float(f.max()))
    if float(t.max(initial=0.0)) > latest:
        raise ValueError(
            f"t must be in [0, {latest:.4g}] for this start: its overlap with the growing modes of "
            f"F is {overlap:.2g} of ||Q0|| (below {SADDLE_OVERLAP:g}), within round-off of a saddle "
            "that the exact flow never leaves, so later W2 W1 (t) would be set by round-off (for "
            "N1 = N2 = N3 and lambda = 0: a start with sign det(W2 W1) != sign det(sigma_yx)); got "
            f"max t = {float(t.max(initial=0.0))!r}"
        )


def _riccati_step(q, f, h):
    """Q(h) with Q Q^T solving dP/dt = F P + P F - P^2 from Q(0) = q; F = diag(f), h > 0.

    P(h) = E q [I + q^T G q]^{-1} q^T E, E = e^{Fh}, G = diag((e^{2fh} - 1) / (2f)) (G = h
    where f = 0). With M = [I; G^{1/2} q] = Z R (thin QR), I + q^T G q = R^T R, so
    P(h) = Q' Q'^T with Q' = E q R^{-1} = E G^{-1/2} Z_low, Z_low the rows of Z below I, and
    E G^{-1/2} = sqrt(2f / (1 - e^{-2fh})) (1/sqrt(h) at f = 0) bounded for every f h.
    The QR of M never forms q^T G q, whose condition number e^{2 fh} would be squared: this
    form stays exact for steps with |f| h up to 256 (a Cholesky of the bracket lost 30 % at
    |f| h = 50). Rows sorted by size make Householder QR row-wise stable (Cox & Higham 1998).
    """
    k = q.shape[1]
    safe = np.where(f == 0, 1.0, f)
    if h >= np.finfo(float).tiny:
        root_g = np.sqrt(np.where(f == 0, h, np.expm1(2 * f * h) / (2 * safe)))
        scale = np.where(f == 0, 1.0 / np.sqrt(h), np.sqrt(2 * safe / -np.expm1(-2 * safe * h)))
    else:
        # A subnormal step (t ~ 1e-320): G ~ h lost its digits and 2f / (1 - e^{-2fh}) ~ 1/h
        # overflowed. With x = 2 f h: G^{1/2} = sqrt(h) sqrt(expm1(x) / x) and
        # E G^{-1/2} = sqrt(x / -expm1(-x)) / sqrt(h), both square roots -> 1 as x -> 0.
        with np.errstate(under="ignore"):
            x = 2 * f * h
        ratio = np.where(x == 0, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))
        root_g = np.sqrt(h) * np.sqrt(ratio)
        scale = np.sqrt(np.exp(x) / ratio) / np.sqrt(h)  # x / -expm1(-x) = e^x / ratio
    m = np.concatenate([np.eye(k), root_g[:, None] * q])
    order = np.argsort(-np.abs(m).max(axis=1), kind="stable")
    z = np.empty_like(m)
    z[order] = np.linalg.qr(m[order])[0]
    return scale[:, None] * z[k:]


def _symbolic(**arguments):
    """SymPy versions of the arguments: symbols, or numbers in their domain (t >= 0, the
    others > 0; not bools or strings).

    Plain numbers are checked before SymPy is imported: the first import takes 1-10 s, and
    a bad number is refused without it (a SymPy object implies that SymPy is loaded).
    """
    loaded = sys.modules.get("sympy")
    for name, value in arguments.items():
        if loaded is None or not isinstance(value, loaded.Basic):
            scalar(name, (non_negative if name == "t" else positive)(name, value))
    import sympy

    out = []
    for name, value in arguments.items():
        check = non_negative if name == "t" else positive
        if not isinstance(value, sympy.Basic):
            value = sympy.Float(scalar(name, check(name, value)))
        elif value.is_number:
            value = (
                sympy.Float(scalar(name, check(name, float(value))))
                if value.is_real
                else check(name, "not real")
            )
        out.append(value)
    return out


def symbolic_mode_strength(t, s, u0, tau):
    """Eq. 12 of Saxe et al. 2014 as a SymPy expression (for the proofs of claim DL7).

    Arguments are SymPy symbols/expressions or finite real numbers.
    """
    t, s, u0, tau = _symbolic(t=t, s=s, u0=u0, tau=tau)
    import sympy

    grow = sympy.exp(2 * s * t / tau)
    return s * grow / (grow - 1 + s / u0)


def symbolic_linear_strength(t, s, u0, tau):
    """The depth-1 solution of tau du/dt = s - u as a SymPy expression."""
    t, s, u0, tau = _symbolic(t=t, s=s, u0=u0, tau=tau)
    import sympy

    return s - (s - u0) * sympy.exp(-t / tau)


def symbolic_learning_time(s, u0, u_final, tau):
    """Eq. 11 of Saxe et al. 2014 (eq. 12 is its inverse) as a SymPy expression."""
    s, u0, u_final, tau = _symbolic(s=s, u0=u0, u_final=u_final, tau=tau)
    import sympy

    if all(x.is_number for x in (s, u0, u_final)) and not (u_final - u0) * (s - u_final) > 0:
        raise ValueError(f"u_final must lie strictly between u0 and s, got u_final={u_final}, u0={u0}, s={s}")
    return tau / (2 * s) * sympy.log(u_final * (s - u0) / (u0 * (s - u_final)))
