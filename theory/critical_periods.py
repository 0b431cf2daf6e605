"""Critical learning periods in two-pathway deep linear networks.

Setting (Kleinman, Achille & Soatto, ICLR 2024, arXiv:2308.12221, sec. 3): two bias-free deep
linear pathways a and b of depth D whose outputs add, ``y = (W^a_D...W^a_1 + W^b_D...W^b_1) x``,
trained by gradient flow on ``1/2 sum ||y - y_target||^2``. From a start aligned with the
singular vectors of the input-output correlation and balanced across layers, every layer of
pathway p carries feature alpha with the same strength ``p_p``; the pathway's singular value is
``K_p = p_p^D``, and with ``Omega = sigma - K_a - K_b``

    dp_a/dt = p_a^{D-1} Omega,        dp_b/dt = g(t) p_b^{D-1} Omega,
    i.e.  dK_p/dt = g_p(t) D K_p^{2-2/D} Omega.

A *deficit* on pathway b blocks its learning (g = 0) for ``deficit_start <= t <
deficit_end`` while its output still counts in Omega (the paper's code detaches pathway b's
output). Time: ``t = learning_rate * step`` for gradient descent.

Two conserved quantities organise the result. Outside the deficit ``dp_a/dp_b = (p_a/p_b)^{D-1}``,
so ``p_a^{2-D} - p_b^{2-D}`` (``ln(p_a/p_b)`` for D = 2) is constant, and

    d/dt ln(K_a/K_b) = D Omega (K_a^{1-2/D} - K_b^{1-2/D}):

for D = 2 the ratio K_a/K_b is frozen, for D >= 3 an imbalance is amplified while Omega > 0
(winner take all), for D = 1 the ratio relaxes but the difference K_a - K_b is frozen.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.special import expit

from theory._validate import (
    as_finite,
    finite_matrix,
    finite_result,
    integer_at_least,
    non_negative,
    positive,
    scalar,
)

__all__ = [
    "pathway_strengths",
    "final_share",
    "depth2_final_share",
    "closing_time",
    "log_ratio_rate",
    "depth1_completion_error",
]

_RTOL = 1e-13
# The flow stops where |Omega| <= _SETTLED sigma: every later change of K_a, K_b has the
# sign of Omega and adds up to at most |Omega| (Omega -> 0 monotonically), so the state is
# final to 1e-14 sigma, below the integrator's 1e-11 accuracy. Without this stop, DOP853's
# stability limit made the work grow with the window (3.4 s for a deficit of 1e5).
_SETTLED = 1e-14
# Depth bound: p^{D-1} makes the flow stiffer with D; D <= 100 keeps every call < 1 s.
MAX_DEPTH = 100
# closing_time: the smallest damage (level times the damage at onset 0) whose onset the flow
# resolves to ~1e-8 relative (see closing_time).
MIN_CLOSING_DAMAGE = 1e-8


def _check_feature(sigma, depth, k0):
    sigma = scalar("sigma", positive("sigma", sigma))
    depth = integer_at_least("depth", depth, 1, MAX_DEPTH)
    k0 = scalar("k0", positive("k0", k0))
    if k0 >= sigma:
        raise ValueError(f"k0 must be in (0, sigma) = (0, {sigma}), got {k0!r}")
    return sigma, depth, k0


def _check_window(deficit_start, deficit_end):
    start = scalar("deficit_start", non_negative("deficit_start", deficit_start))
    end = scalar("deficit_end", finite_matrix("deficit_end", deficit_end, ndim=0))
    if end < start:
        raise ValueError(f"deficit_end must be in [deficit_start, inf) = [{start}, inf), got {end!r}")
    return start, end


def _segments(start, end):
    """(t0, t1, g) pieces of the time axis with the gate g of pathway b on each."""
    return [(0.0, start, 1.0), (start, end, 0.0), (end, np.inf, 1.0)]


def _flow(u, t0, t1, gate, log_rate, depth, times=()):
    """Relative log strengths u = (ln(K_a/sigma), ln(K_b/sigma)) / D at t1 and at ``times``
    (rising, in [t0, t1]); ``log_rate`` = (2 - 2/D) ln sigma.

    Integrated in logs, du/dt = d(ln p)/dt = p^{D-2} Omega: the tolerances then bound the
    relative error of p however small k0 is (in p itself, atol hid the growth of p < 1e-13
    and a final share from k0 = 1e-100 came out 2000x too large). Two rescalings make the
    work and the accuracy independent of sigma (the dynamics are invariant under
    sigma, K -> c sigma, c K, t -> t / c^{2-2/D}):

    - u is ln p relative to sigma^{1/D}, so u -> O(1) at the end whatever sigma is. In ln p
      itself the float64 spacing of ln p ~ ln(sigma)/D limited Omega to ~D ulp(ln p) sigma,
      above the stop threshold for sigma >~ 1e16 at D = 2: the flow jittered at its
      stability limit and never stopped.
    - each segment runs in its own time s = (t - t0) sigma^{2-2/D} from 0, in which
      du/ds = e^{(D-2)u} (1 - e^{D u_a} - e^{D u_b}) has O(1) rates: in t the steps
      ~ 1/sigma^{2-2/D} fell below the float64 spacing of t0 (or of 0 for sigma >~ 1e150 at
      D = 2), and with D = 1 the rate 1/p of a tiny p did so after a deficit.

    Stops once |Omega| <= _SETTLED sigma.
    """
    times = np.asarray(times, dtype=np.float64)

    def omega(w):  # Omega / sigma
        return 1.0 - np.exp(depth * w[0]) - np.exp(depth * w[1])

    def rhs(_, w):
        rate = omega(w) * np.exp((depth - 2) * np.asarray(w))
        return [rate[0], gate * rate[1]]

    def settled(_, w):
        return abs(omega(w)) - _SETTLED

    settled.terminal = True
    largest = np.finfo(float).max
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        rate = np.exp(log_rate)  # sigma^{2-2/D}: the time unit
        if np.isfinite(rate):
            span, local = (t1 - t0) * rate, (times - t0) * rate
        else:
            span, local = np.exp(np.log(t1 - t0) + log_rate), np.exp(np.log(times - t0) + log_rate)
    # Past s ~ 1e308 only a flow that cannot be resolved anyway (the error below) is unsettled.
    capped = span > largest
    span, local = min(span, largest), np.minimum(local, largest)
    if span <= 0 or settled(0.0, u) <= 0:  # (span underflows: u moves by < 1e-308)
        return u, np.repeat(u[:, None], times.size, axis=1)
    if depth == 1:
        return _linear_flow(u, span, local, gate)
    local, where = np.unique(local, return_inverse=True)
    with_end = local.size == 0 or local[-1] < span
    with np.errstate(over="ignore", invalid="ignore"):
        solution = solve_ivp(
            rhs,
            (0.0, span),
            u,
            method="DOP853",
            rtol=_RTOL,
            atol=_RTOL,
            t_eval=np.append(local, span) if with_end else local,
            events=settled,
        )
    if not solution.success or (capped and solution.status != 1):
        # The escape from a tiny start takes ~ 1 / ((D-2) sigma k0^{1-2/D}); beyond ~1e16
        # times the O(1) rise, float64 time cannot resolve the rise (k0 = 1e-300, D = 4).
        raise ValueError(
            f"k0 must be a larger fraction of sigma for depth {depth}: the flow from k0/sigma = "
            f"{np.exp(depth * u[0]):.3g} cannot be resolved in float64 time ({solution.message})"
        )
    # (an event before the first t_eval point leaves solution.y an empty list)
    y = np.asarray(solution.y, dtype=np.float64).reshape(2, -1)
    final = solution.y_events[0][-1] if solution.status == 1 else y[:, -1]
    values = np.repeat(final[:, None], local.size, axis=1)
    reached = min(y.shape[1], local.size)
    values[:, :reached] = y[:, :reached]
    return final, values[:, where.reshape(-1)]


def _linear_flow(u, span, local, gate):
    """:func:`_flow` for D = 1 in closed form: x = K/sigma obeys dx_p/ds = g_p w with
    w = 1 - x_a - x_b, so w = w_0 e^{-r s} (r = 1 + g_b) and each learning pathway gains
    w_0 (1 - e^{-r s}) / r. Exact where the log-strength flow is stiff (its rate 1/x is 1e30
    at x = 1e-30: after a deficit its steps fell below the float64 spacing of t) and at any
    span; the gain is added in logs, so a tiny x keeps its relative accuracy.
    """
    rate = 1.0 + gate
    s = np.append(local, span)
    with np.errstate(under="ignore", divide="ignore"):
        w0 = 1.0 - np.exp(u[0]) - np.exp(u[1])
        gain = w0 * -np.expm1(-rate * s) / rate
        if w0 >= 0:
            grown = np.logaddexp(u[:, None], np.log(gain))
        else:  # k0 > sigma/2: both shrink, and x_p + gain stays >= (1 - x_b) / 2 > 0
            grown = np.log(np.exp(u[:, None]) + gain)
    path = np.vstack([grown[0], grown[1] if gate else np.full(s.size, u[1])])
    return path[:, -1], path[:, :-1]


def _start(sigma, depth, k0):
    """u at t = 0 (both pathways at k0) and the log rate factor, for :func:`_flow`."""
    return np.full(2, (np.log(k0) - np.log(sigma)) / depth), (2.0 - 2.0 / depth) * np.log(sigma)


def pathway_strengths(t, sigma, depth, k0, deficit_start, deficit_end):
    """Singular values (K_a(t), K_b(t)) of one feature in the two pathways.

    Kleinman, Achille & Soatto 2024 (arXiv:2308.12221), eq. for the pathway singular values:
    ``dK_p/dt = g_p(t) D K_p^{2-2/D} (sigma - K_a - K_b)`` from ``K_a(0) = K_b(0) = k0`` with
    pathway b blocked (g_b = 0) for ``deficit_start <= t < deficit_end``. Solved piecewise in
    the log layer strengths ``ln p = ln K / D`` with an 8th-order Runge-Kutta integrator at
    tolerance 1e-13 (about 1e-11 relative accuracy; exact closed forms exist for D = 1, 2 and
    the tests compare with them), stopped once K_a + K_b = sigma to 1e-14 sigma (the state
    is then final), so that the work does not grow with t or the window.

    Args:
        t: times >= 0 (any shape), in units where ``t = learning_rate * step``.
        sigma: the feature's singular value in Sigma_yx (> 0).
        depth: number of weight matrices per pathway D (integer in [1, 100]).
        k0: initial singular value of each pathway, in (0, sigma).
        deficit_start, deficit_end: the deficit window, 0 <= start <= end (finite).

    Returns:
        (K_a, K_b), two float64 arrays of the shape of ``t``.

    Example:
        >>> k_a, k_b = pathway_strengths([0.0, 40.0], 2.0, 2, 1e-3, 0.0, 3.0)
        >>> [round(float(x), 9) for x in k_a + k_b]
        [0.002, 2.0]
    """
    t = non_negative("t", t)
    sigma, depth, k0 = _check_feature(sigma, depth, k0)
    start, end = _check_window(deficit_start, deficit_end)
    flat = t.ravel()
    u_out = np.empty((2, flat.size))
    u, log_rate = _start(sigma, depth, k0)
    for t0, t1, gate in _segments(start, end):
        inside = (flat >= t0) & (flat < t1)
        times, where = np.unique(flat[inside], return_inverse=True)
        if t1 == np.inf:
            t1 = max(t0, flat.max(initial=t0))
        u, values = _flow(u, t0, t1, gate, log_rate, depth, times)
        u_out[:, inside] = values[:, where]
    # K/sigma <= 1 (clamped: round-off made sigma K/sigma overflow at sigma = 1.8e308); below
    # 1e-308 K from logs (k0 = 1e-300, sigma = 1e10). np.where evaluates both branches.
    with np.errstate(under="ignore", over="ignore"):
        relative = np.minimum(np.exp(depth * u_out), 1.0)
        k = np.where(
            relative >= np.finfo(float).tiny, sigma * relative, np.exp(depth * u_out + np.log(sigma))
        )
    return k[0].reshape(t.shape), k[1].reshape(t.shape)


def _share_from_state(u_a, u_b, depth):
    """K_b(inf)/sigma after the deficit, from the conserved quantity of the free flow.

    ``u`` are the relative log strengths ln(K/sigma)/D of :func:`_flow`. The result is
    clipped to [0, 1]: it is a share of K_a + K_b = sigma, and the unclipped value is within
    1e-15 of that range.
    """
    if depth == 1:  # K_a - K_b is frozen and K_a + K_b -> sigma
        share = (1.0 - (np.exp(u_a) - np.exp(u_b))) / 2.0
    elif depth == 2:  # K_a / K_b is frozen
        share = expit(2.0 * (u_b - u_a))  # 1 / (1 + (K_a/K_b)), no overflow for a tiny K_b
    else:
        share = _conserved_share(u_a, u_b, depth)
    return float(np.clip(share, 0.0, 1.0))


def _conserved_share(u_a, u_b, depth):
    """Root x of (1-x)^{e/D} - x^{e/D} = e^{e u_a} - e^{e u_b}, e = 2 - D < 0 (the conserved
    p_a^e - p_b^e divided by sigma^{e/D}).

    Every term is scaled by e^{-m}, m the largest log-term on the right, so that p^e (which
    overflows for a tiny p) is never formed; solved for ln x (x down to 1e-300).
    """
    e = 2.0 - depth
    m = max(e * u_a, e * u_b)
    right = np.exp(e * u_a - m) - np.exp(e * u_b - m)

    def mismatch(log_share):  # increasing in the share
        share = np.exp(log_share)
        return np.exp(e / depth * np.log1p(-share) - m) - np.exp(e / depth * log_share - m) - right

    low, high = np.log(1e-300), np.log1p(-1e-16)
    if mismatch(low) >= 0:  # the share is below 1e-300
        return 0.0
    if mismatch(high) <= 0:
        return 1.0
    return np.exp(brentq(mismatch, low, high, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def final_share(sigma, depth, k0, deficit_start, deficit_end):
    """The deprived pathway's final share K_b(inf)/sigma after a deficit on pathway b.

    The flow of :func:`pathway_strengths` up to ``deficit_end``, then the exact limit: the
    free flow conserves ``p_a^{2-D} - p_b^{2-D}`` (``ln(p_a/p_b)`` for D = 2, ``p_a - p_b``
    for D = 1; derived here from the dynamics of Kleinman et al. 2024, arXiv:2308.12221, and
    proved by CP7) and ends on ``K_a + K_b = sigma``, a
    scalar equation solved to machine precision. Without a deficit the share is 1/2.

    Args:
        sigma, depth, k0: as in :func:`pathway_strengths` (scalars).
        deficit_start, deficit_end: the window; arrays broadcast against each other.

    Returns:
        The share in (0, 1), float64 of the broadcast shape of the window.

    Example:
        >>> round(float(final_share(1.0, 2, 0.01, 0.0, 100.0)), 9)   # -> k0 / sigma
        0.01
        >>> round(float(final_share(1.0, 3, 0.01, 50.0, 60.0)), 9)   # deficit after learning
        0.5
    """
    sigma, depth, k0 = _check_feature(sigma, depth, k0)
    starts, ends = np.broadcast_arrays(
        non_negative("deficit_start", deficit_start),
        finite_matrix("deficit_end", deficit_end, ndim=np.ndim(deficit_end)),
    )
    shares = np.empty(starts.shape)
    for index in np.ndindex(starts.shape):
        start, end = _check_window(starts[index], ends[index])
        u, log_rate = _start(sigma, depth, k0)
        for t0, t1, gate in _segments(start, end)[:2]:
            u, _ = _flow(u, t0, t1, gate, log_rate, depth)
        shares[index] = _share_from_state(u[0], u[1], depth)
    return shares


def depth2_final_share(sigma, k0, deficit_duration):
    """Final share K_b(inf)/sigma of the deprived pathway, D = 2, deficit on [0, T).

    During the deficit K_b = k0 and K_a is logistic with the effective target s = sigma - k0:
    ``K_a(T) = s / (1 + (s/k0 - 1) e^{-2 s T})``. Afterwards d/dt ln(K_a/K_b) = 0 for D = 2,
    so the ratio ``r = K_a(T)/k0`` is kept while K_a + K_b -> sigma, giving

        K_b(inf)/sigma = 1/(1 + r) = (k0 + (s - k0) e^{-2sT}) / (sigma + (s - k0) e^{-2sT}).

    Derived here from the small-initialisation (balanced, c = 0) pathway dynamics of Kleinman,
    Achille & Soatto 2024 (arXiv:2308.12221); T = 0 gives 1/2 and T -> inf gives k0/sigma. The
    paper's Fig. 1 phase portraits are drawn at a large initialisation (their layers' q^2 - p^2
    = 1, per the authors' code), where the D = 2 ratio is not frozen but relaxes after the
    deficit: this closed form is not read off that figure.

    Args:
        sigma: singular value (> 0); k0: initial singular value per pathway, in (0, sigma);
        deficit_duration: T >= 0. All broadcast.

    Returns:
        The share, float64 of the broadcast shape, clipped to [0, 1] (it lies between k0/sigma
        and 1/2; the unclipped value is within 2 ulp of that range).

    Example:
        >>> float(depth2_final_share(2.0, 0.5, 0.0))
        0.5
        >>> round(float(depth2_final_share(2.0, 0.5, 50.0)), 12)
        0.25
    """
    sigma = positive("sigma", sigma)
    k0 = positive("k0", k0)
    if np.any(k0 >= sigma):
        raise ValueError(f"k0 must be in (0, sigma), got k0={k0!r}, sigma={sigma!r}")
    duration = non_negative("deficit_duration", deficit_duration)
    s = sigma - k0
    with np.errstate(over="ignore"):  # 2 T s beyond float64 is the limit e^{-inf} = 0
        decay = (s - k0) * np.exp(-(2.0 * duration) * s)
    return np.clip((k0 + decay) / (sigma + decay), 0.0, 1.0)


def closing_time(sigma, depth, k0, deficit_duration, *, level=0.5):
    """When the critical period of one feature closes.

    The deficit onset ``t_c`` at which a deficit of length ``deficit_duration`` leaves half
    (``level``) of the damage ``1/2 - K_b(inf)/sigma`` that the same deficit leaves at onset 0
    (damage falls with onset, Kleinman et al. 2024, arXiv:2308.12221, Fig. 2). The dynamics
    are invariant under ``sigma, K -> c sigma, c K`` with ``t -> t / c^{2-2/D}``, so at fixed
    ``k0/sigma`` and ``deficit_duration * sigma^{2-2/D}``: ``t_c`` is proportional to
    ``sigma^{-(2-2/D)}``, i.e. exactly to ``1/sigma`` for D = 2 (strong features close first).

    The damage that marks the closing, ``level`` times the damage at onset 0, must be
    >= 1e-8 (MIN_CLOSING_DAMAGE; ValueError otherwise): the damage is a difference of shares
    that the flow resolves to ~1e-14 (it stops at |Omega| <= 1e-14 sigma, accuracy ~1e-11),
    and t_c loses accuracy as the damage approaches that. Measured at D = 2, sigma = 1,
    k0 = 0.01, deficit 1 (damage 0.372 at onset 0) against the exact solution: relative error
    1e-13 at level 1e-2, 8e-11 at 1e-6, 2e-8 at 1e-8, 7e-6 at 1e-12, 1 % at 1e-14, and below
    that the onset at which the flow settles (17.97 for every level < 1e-14).

    Args:
        sigma, depth, k0: as in :func:`pathway_strengths` (scalars).
        deficit_duration: length of the deficit (> 0).
        level: fraction of the onset-0 damage that marks the closing, in (0, 1).

    Returns:
        t_c (float).

    Example:
        >>> t1 = closing_time(1.0, 2, 0.01, 1.0)
        >>> t3 = closing_time(3.0, 2, 0.03, 1.0 / 3.0)
        >>> round(t1 / t3, 9)
        3.0
    """
    sigma, depth, k0 = _check_feature(sigma, depth, k0)
    duration = scalar("deficit_duration", positive("deficit_duration", deficit_duration))
    level = scalar("level", positive("level", level))
    if level >= 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")

    def excess(onset):
        damage = 0.5 - final_share(sigma, depth, k0, onset, onset + duration)
        return float(damage) - level * damage_at_zero

    damage_at_zero = 0.5 - float(final_share(sigma, depth, k0, 0.0, duration))
    if damage_at_zero <= 0 and k0 >= sigma / 2:
        # the deprived pathway already holds its half at onset 0
        raise ValueError(
            f"a deficit from t = 0 must do damage for its period to close: k0 "
            f"must be in (0, sigma/2) here, got k0={k0!r}, sigma={sigma!r}"
        )
    if not level * damage_at_zero >= MIN_CLOSING_DAMAGE:
        raise ValueError(
            f"level times the damage at onset 0 must be >= {MIN_CLOSING_DAMAGE:g} for the "
            f"flow to resolve t_c, got level={level!r} times {damage_at_zero:.3g} (sigma={sigma!r}, "
            f"depth={depth}, k0={k0!r}, deficit_duration={duration!r}): raise level or the "
            "deficit_duration"
        )
    # The time unit sigma^{-(2-2/D)} of the dynamics (see above) sets the first bracket and
    # the absolute tolerance: t_c ~ 1e-15 at sigma = 2e15, D = 2, where a fixed xtol of 1e-13
    # returned 2.0 / sigma for 1.887 / sigma (6 % off). Clipped to the float64 range.
    with np.errstate(over="ignore", under="ignore"):
        unit = float(np.exp(-(2.0 - 2.0 / depth) * np.log(sigma)))
    high = min(max(unit, np.finfo(float).smallest_subnormal), np.finfo(float).max)
    xtol = max(1e-13 * high, np.finfo(float).smallest_subnormal)
    for _ in range(200):  # the damage decays with onset; 2^200 time units is past any period
        if excess(high) <= 0:
            return brentq(excess, 0.0, high, xtol=xtol, rtol=1e-13)
        high *= 2.0
        if not np.isfinite(high):
            raise ValueError(
                f"the closing time overflows float64 (> 1.8e308) for sigma={sigma!r}, "
                f"depth={depth}, k0={k0!r}, deficit_duration={duration!r}, level={level!r}"
            )
    raise ValueError(
        f"the critical period did not close by onset {high:g} "
        f"(sigma={sigma!r}, depth={depth}, k0={k0!r}, level={level!r})"
    )


def log_ratio_rate(k_a, k_b, sigma, depth):
    """d/dt ln(K_a/K_b) outside a deficit: ``D Omega (K_a^{1-2/D} - K_b^{1-2/D})``.

    Follows from ``dK/dt = D K^{2-2/D} Omega`` for both pathways (Kleinman et al. 2024,
    arXiv:2308.12221). Zero for D = 2 (the ratio is frozen); for D >= 3 it has the sign of
    ``Omega (K_a - K_b)`` (the leader pulls ahead); for D = 1 the opposite sign.

    Args:
        k_a, k_b: pathway singular values (> 0), broadcast; sigma: singular value (> 0);
        depth: D (integer >= 1).

    Returns:
        The rate, float64 of the broadcast shape.

    Example:
        >>> float(log_ratio_rate(0.5, 0.1, 1.0, 2))
        0.0
        >>> round(float(log_ratio_rate(0.5, 0.1, 1.0, 4)), 12)
        0.625406424272
    """
    k_a = positive("k_a", k_a)
    k_b = positive("k_b", k_b)
    sigma = positive("sigma", sigma)
    depth = integer_at_least("depth", depth, 1)
    exponent = 1.0 - 2.0 / depth
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rate = depth * (sigma - k_a - k_b) * (k_a**exponent - k_b**exponent)
    return finite_result("the rate", rate, f"k_a={k_a!r}, k_b={k_b!r}, sigma={sigma!r}, depth={depth}")


def depth1_completion_error(target, init, observed):
    """Test error of a depth-1 (``W`` itself trained) matrix completion, on unobserved entries.

    The squared loss on the observed entries has zero gradient on every other entry, so
    gradient descent never moves them, whatever it was trained on before (a pre-training
    "deficit" task included): their mean squared error stays ``mean_{(i,j) unobserved}
    (target_ij - init_ij)^2`` (Kleinman et al. 2024, arXiv:2308.12221, sec. 5: depth 1 shows
    no critical period).

    Args:
        target, init: (n, m) matrices; observed: (n, m) boolean mask of the entries trained on
            at any time (at least one entry must be unobserved).

    Returns:
        The mean squared error over unobserved entries (float).

    Example:
        >>> float(depth1_completion_error([[1.0, 2.0]], [[0.0, 0.0]], [[True, False]]))
        4.0
    """
    target = as_finite("target", target)
    init = as_finite("init", init)
    observed = np.asarray(observed)
    if observed.dtype != bool:
        raise ValueError(f"observed must be a boolean mask, got dtype {observed.dtype}")
    if not (target.shape == init.shape == observed.shape) or target.ndim != 2:
        raise ValueError(
            f"target, init and observed must be matrices of one shape, got "
            f"{target.shape}, {init.shape}, {observed.shape}"
        )
    if observed.all():
        raise ValueError("observed must leave at least one entry unobserved")
    with np.errstate(over="ignore"):
        error = float(np.mean((target - init)[~observed] ** 2))
    return float(finite_result("the mean squared error", error, "these target and init"))
