"""Claim DL7's derivation: the deep-linear closed forms of :mod:`theory.deep_linear` derived
in SymPy (see :mod:`sims.symbolic`), and the proved expressions at seeded points.

The two-layer and depth-1 solutions and the learning time are the SymPy expressions of
:mod:`theory.deep_linear` (``symbolic_*``). Where SymPy cannot close a step:
- the implicit depth-D solution at D = 7: ``simplify`` does not reduce the products of
  heptagon angles (cos(pi/7), sin(pi/14), ...) within minutes, so dF/du is checked by mpmath;
- the D -> infinity limit of D t_D: SymPy takes the limit of the integrand and integrates it;
  exchanging limit and integral (uniform convergence of u^{2/D} -> 1 on [u0, u_f]) is checked
  by mpmath against the rigorous bound of the O(1/D^2) remainder;
- the lambda-balanced Riccati solution for a general symmetric F and rank 2: SymPy proves it
  for diagonal F (two modes, rank 1); the rank-2 check takes 10 s for two modes and a minute
  for three, so the general case is checked by mpmath.
"""

from __future__ import annotations

import functools

import numpy as np

import theory.deep_linear as theory
from sims.cache import cached
from sims.symbolic import Derivation, Identity, SymbolicRun, lambdify

TWO_LAYER = "eq. 12: mode_strength solves tau du/dt = 2u(s - u), u(0) = u0"
DEPTH_ONE = "depth 1: s - (s - u0) e^{-t/tau} solves tau du/dt = s - u"
LEARNING_TIME = "eq. 11: learning_time inverts mode_strength"
DEPTH_TIME = "depth D >= 3: t(u) differentiates back to 1/(D u^{2-2/D}(s - u))"
INFINITE_DEPTH = "D t_D -> its D -> infinity limit (eq. 17)"
CONSERVED = "W2^T W2 - W1 W1^T is conserved by the flow"
RICCATI = "lambda-balanced: W2 W1 from the Riccati solution"

# Depths at which SymPy proves the implicit solution, and where mpmath checks it instead.
SYMPY_DEPTHS = (3, 4, 5, 6, 8)
MPMATH_DEPTHS = (7,)
# Depths of the NumPy comparison, and the depths of the infinite-depth check.
COMPARED_DEPTHS = (3, 4, 5, 6, 7, 8)
LARGE_DEPTHS = (10**3, 10**4, 10**5)
# Layer widths (N1, N2, N3) of the symbolic conserved-quantity and Riccati identities.
WIDTHS = (3, 2, 2)


# The mpmath checks draw their instances from this seed: the proofs do not depend on the
# claim's seed, so one process proves them once (DL7's hypothesis test draws many seeds).
CHECK_SEED = 0


@functools.cache
def _proofs() -> tuple[tuple[Identity, ...], dict]:
    """DL7's identities, and the proved expressions (SymPy) that the points evaluate."""
    import mpmath
    import sympy as sp

    out = Derivation(points=0, seed=CHECK_SEED)
    rng = out.rng
    t, s, u0, uf, tau, u = sp.symbols("t s u0 u_f tau u", positive=True)
    strength = theory.symbolic_mode_strength(t, s, u0, tau)
    linear = theory.symbolic_linear_strength(t, s, u0, tau)
    time_to = theory.symbolic_learning_time(s, u0, uf, tau)

    out.identity(
        TWO_LAYER,
        "u(t) = s e^{2st/tau} / (e^{2st/tau} - 1 + s/u0) (Saxe et al. 2014, eq. 12)",
        sympy=lambda: [tau * sp.diff(strength, t) - 2 * strength * (s - strength), strength.subs(t, 0) - u0],
    )
    out.identity(
        DEPTH_ONE,
        "the depth-1 mode relaxes exponentially",
        sympy=lambda: [tau * sp.diff(linear, t) - (s - linear), linear.subs(t, 0) - u0],
    )
    out.identity(
        LEARNING_TIME,
        "u(t(u_f)) = u_f for t = tau/(2s) ln[u_f (s - u0) / (u0 (s - u_f))] (eq. 11)",
        sympy=lambda: [strength.subs(t, time_to) - uf],
    )

    antiderivatives = {d: _antiderivative(sp, u, s, d) for d in COMPARED_DEPTHS}

    def integrand(d):
        return 1 / (d * u ** (2 - sp.Rational(2, d)) * (s - u))

    def depth_time_sympy():
        x, root = sp.Symbol("x", positive=True), sp.Symbol("r", nonzero=True)
        depth = sp.Symbol("D", integer=True, positive=True)
        # x = u^{1/D}: 1/(x^{D-1}(s - x^D)) = (x^{1-D} + x/(s - x^D))/s, and the residue of
        # x/(s - x^D) at a root r of x^D = s is -r^{2-D}/D: the partial fractions of F
        yield 1 / (x ** (depth - 1) * (s - x**depth)) - (x ** (1 - depth) + x / (s - x**depth)) / s
        yield sp.limit((x - root) * x / (root**depth - x**depth), x, root) + root ** (2 - depth) / depth
        for d in SYMPY_DEPTHS:
            yield sp.expand_complex(sp.diff(antiderivatives[d], u) - integrand(d))

    def depth_time_mpmath():
        for d in MPMATH_DEPTHS:
            function = lambdify([u, s], antiderivatives[d])
            wanted = lambdify([u, s], integrand(d))
            for _ in range(8):
                scale = mpmath.mpf(rng.uniform(0.2, 4.0))
                point = scale * mpmath.mpf(rng.uniform(0.01, 2.0))
                derivative = mpmath.diff(lambda v, f=function, scale=scale: f(u=v, s=scale), point)
                yield abs(derivative - wanted(u=point, s=scale)) / abs(wanted(u=point, s=scale))

    out.identity(
        DEPTH_TIME,
        "F(u) = (1/s)[x^{2-D}/(2-D) - (1/D) sum_k r_k^{2-D} ln(x - r_k)], x = u^{1/D}, r_k the D-th "
        "roots of s, has dF/du = 1/(D u^{2-2/D}(s - u)): t(u_f) = tau (F(u_f) - F(u0)), and "
        "deep_mode_strength is its inverse",
        sympy=depth_time_sympy,
        mpmath=depth_time_mpmath,
        scope=f"partial fractions and residues for any D; SymPy at D = {', '.join(map(str, SYMPY_DEPTHS))}; "
        f"mpmath at D = {', '.join(map(str, MPMATH_DEPTHS))}",
        reason="at D = 7 SymPy's simplify does not reduce the heptagon-angle products within minutes",
    )

    def infinite_depth_sympy():
        depth = sp.Symbol("D", positive=True)
        scaled = depth * 1 / (depth * u ** (2 - 2 / depth) * (s - u))
        yield sp.limit(scaled, depth, sp.oo) - 1 / (u**2 * (s - u))
        limit = -1 / (s * u) + (sp.log(u) - sp.log(s - u)) / s**2
        yield sp.diff(limit, u) - 1 / (u**2 * (s - u))

    out.identity(
        INFINITE_DEPTH,
        "D t_D = int u^{2/D} du / (u^2 (s - u)) -> tau [1/(s u0) - 1/(s u_f) + ln(u_f (s - u0) / "
        "(u0 (s - u_f))) / s^2], the limit of the integrand integrated, with D t_D - limit = "
        "(2/D) int ln u du / (u^2 (s - u)) + O(1/D^2)",
        sympy=infinite_depth_sympy,
        mpmath=lambda: _infinite_depth_remainders(mpmath, rng),
        scope=f"the bound checked at D = {', '.join(f'1e{len(str(d)) - 1}' for d in LARGE_DEPTHS)}",
        reason="SymPy finds the limit of the integrand and its integral; exchanging the limit and "
        "the integral (uniform convergence) is not a SymPy step, so the remainder is checked "
        "against its bound",
    )
    out.identity(
        CONSERVED,
        "tau dW1/dt = W2^T (Sigma - W2 W1), tau dW2/dt = (Sigma - W2 W1) W1^T keep W2^T W2 - W1 W1^T",
        sympy=lambda: [_conserved(sp)],
        scope=f"(N1, N2, N3) = {WIDTHS}, symbolic entries",
    )
    out.identity(
        RICCATI,
        "Q = [W1^T; W2]: tau dQ/dt = F Q - Q Q^T Q/2 + [-W1^T; W2](W2^T W2 - W1 W1^T - lambda I)/2, so "
        "when lambda-balanced P = Q Q^T solves tau dP/dt = F P + P F - P^2, and P(t) = E q (I + q^T G "
        "q)^{-1} q^T E, E = e^{Ft}, G = int_0^t e^{2Fr} dr, solves it from q q^T",
        sympy=lambda: _riccati(sp),
        mpmath=lambda: _riccati_general(mpmath, rng),
        scope=f"flow identities at (N1, N2, N3) = {WIDTHS}; closed form: SymPy for diagonal F with two "
        "modes and rank 1, mpmath for a general symmetric 4 x 4 F and rank 2",
        reason="SymPy's check of the rank-2 closed form (a 2 x 2 bracket inverse) takes 10 s for two "
        "modes and a minute for three",
    )
    expressions = {
        TWO_LAYER: ((t, s, u0, tau), strength),
        DEPTH_ONE: ((t, s, u0, tau), linear),
        LEARNING_TIME: ((s, u0, uf, tau), time_to),
        "antiderivatives": ((u, s), antiderivatives),
        "integrands": ((u, s), {d: integrand(d) for d in COMPARED_DEPTHS}),
    }
    return tuple(out.identities), expressions


@cached
def derive_deep_linear(*, points: int, seed: int) -> SymbolicRun:
    """DL7's derivation (:func:`_proofs`) and the proved expressions at ``points`` seeded
    points per identity."""
    import mpmath

    identities, expressions = _proofs()
    out = Derivation(points=points, seed=seed, identities=identities)
    rng = out.rng

    def starts():
        """s, tau, u0 on both sides of s, u_f between u0 and s, t."""
        scale = rng.uniform(0.2, 4.0, out.size)
        start = scale * rng.uniform(0.001, 2.0, out.size)
        return {
            "s": scale,
            "tau": rng.uniform(0.5, 2.0, out.size),
            "u0": start,
            "u_f": start + (scale - start) * rng.uniform(0.05, 0.95, out.size),
            "t": rng.uniform(0.0, 5.0, out.size),
        }

    for name in (TWO_LAYER, DEPTH_ONE, LEARNING_TIME):
        arguments, expression = expressions[name]
        at = starts()
        out.evaluate(name, {str(a): at[str(a)] for a in arguments}, lambdify(arguments, expression))

    variables, antiderivatives = expressions["antiderivatives"]
    times = {d: lambdify(variables, f) for d, f in antiderivatives.items()}
    rates = {d: lambdify(variables, f) for d, f in expressions["integrands"][1].items()}

    def elapsed(s, u0, u_f, tau, D):
        return tau * (times[D](u=u_f, s=s) - times[D](u=u0, s=s)).real

    at = starts()
    at["D"] = rng.choice(COMPARED_DEPTHS, out.size)
    # The NumPy inverse is evaluated at the (rounded) time to u_f; its exact value there is the
    # root of the proved t(u).
    with mpmath.workdps(50):
        at["t"] = np.array(
            [
                float(
                    elapsed(
                        *(mpmath.mpf(float(at[n][i])) for n in ("s", "u0", "u_f", "tau")), int(at["D"][i])
                    )
                )
                for i in range(out.size)
            ]
        )

    def time_and_strength(s, u0, u_f, tau, D, t):
        # u_f is within ~1e-16 of the root of t(u) = t: two Newton steps leave ~1e-64
        proved = elapsed(s, u0, u_f, tau, D)
        inverse = u_f - (proved - t) / (tau * rates[D](u=u_f, s=s))
        inverse -= (elapsed(s, u0, inverse, tau, D) - t) / (tau * rates[D](u=inverse, s=s))
        return [proved, inverse]

    out.evaluate(DEPTH_TIME, at, time_and_strength)
    out.evaluate(RICCATI, _balanced_points(rng, out.size), lambda **p: _balanced_product(mpmath, **p))
    return out.run()


def _infinite_depth_remainders(mp, rng):
    """D t_D = int u^{2/D} / (u^2 (s - u)) du; u^{2/D} = 1 + (2/D) ln u + R with
    |R| <= (2 ln^2 u / D^2) e^{2 |ln u| / D}: yields how far |D t_D - limit - c1/D| exceeds
    that rigorous bound (0 when within it), relative to the limit, at random (s, u0, u_f)."""
    for _ in range(4):
        scale = mp.mpf(rng.uniform(0.2, 4.0))
        start = scale * mp.mpf(rng.uniform(0.01, 2.0))
        end = start + (scale - start) * mp.mpf(rng.uniform(0.05, 0.95))

        def limit(v, scale=scale):
            return -1 / (scale * v) + (mp.log(v) - mp.log(abs(scale - v))) / scale**2

        def over(f, scale=scale, start=start, end=end):
            return mp.quad(lambda v: f(v) / (v**2 * (scale - v)), [start, end])

        infinite = limit(end) - limit(start)
        first = 2 * over(mp.log)
        widest = max(abs(mp.log(start)), abs(mp.log(end)))
        for d in LARGE_DEPTHS:
            exact = over(lambda v, d=d: v ** (mp.mpf(2) / d))
            bound = 2 * abs(over(lambda v: mp.log(v) ** 2)) * mp.exp(2 * widest / d) / d**2
            yield max(abs(exact - infinite - first / d) - bound, 0) / abs(infinite)


def _antiderivative(sp, u, s, depth):
    """F(u) of theory.deep_linear._depth_antiderivative for one integer depth, in SymPy."""
    x = u ** sp.Rational(1, depth)
    roots = [s ** sp.Rational(1, depth) * sp.exp(2 * sp.pi * sp.I * k / depth) for k in range(depth)]
    return (x ** (2 - depth) / (2 - depth) - sum(r ** (2 - depth) * sp.log(x - r) for r in roots) / depth) / s


def _flow(sp):
    n1, n2, n3 = WIDTHS
    w1 = sp.Matrix(n2, n1, lambda i, j: sp.Symbol(f"a{i}{j}", real=True))
    w2 = sp.Matrix(n3, n2, lambda i, j: sp.Symbol(f"b{i}{j}", real=True))
    target = sp.Matrix(n3, n1, lambda i, j: sp.Symbol(f"c{i}{j}", real=True))
    error = target - w2 * w1
    return w1, w2, target, w2.T * error, error * w1.T  # tau dW/dt


def _conserved(sp):
    w1, w2, _, d1, d2 = _flow(sp)
    return sp.expand(d2.T * w2 + w2.T * d2 - d1 * w1.T - w1 * d1.T)


def _riccati(sp):
    n1, n2, n3 = WIDTHS
    lam = sp.Symbol("lambda", real=True)
    w1, w2, target, d1, d2 = _flow(sp)
    f = sp.Matrix(sp.BlockMatrix([[-lam / 2 * sp.eye(n1), target.T], [target, lam / 2 * sp.eye(n3)]]))
    q = w1.T.col_join(w2)
    balance = w2.T * w2 - w1 * w1.T - lam * sp.eye(n2)
    yield sp.expand(d1.T.col_join(d2) - f * q + q * q.T * q / 2 - (-w1.T).col_join(w2) * balance / 2)
    balanced = f * q - q * q.T * q / 2
    p = q * q.T
    yield sp.expand(balanced * q.T + q * balanced.T - (f * p + p * f - p * p))
    # the closed form for F = diag(f1, f2), rank 1, with y_i = e^{f_i t} (dy_i/dt = f_i y_i)
    rates = sp.symbols("f1 f2", nonzero=True, real=True)
    ys = sp.symbols("y1 y2", positive=True)
    start = sp.Matrix(2, 1, sp.symbols("q0 q1", real=True))
    grow = sp.diag(*ys)
    integral = sp.diag(*[(y**2 - 1) / (2 * r) for r, y in zip(rates, ys, strict=True)])
    solution = grow * start * (sp.eye(1) + start.T * integral * start).inv() * start.T * grow
    diagonal = sp.diag(*rates)
    derivative = solution.applyfunc(
        lambda e: sum(r * y * sp.diff(e, y) for r, y in zip(rates, ys, strict=True))
    )
    residual = derivative - (diagonal * solution + solution * diagonal - solution * solution)
    yield residual.applyfunc(lambda e: sp.cancel(sp.together(e)))
    yield solution.subs({y: 1 for y in ys}) - start * start.T


def _closed_form(mp, f, q, t):
    """P(t) = e^{Ft} q (I + q^T G q)^{-1} q^T e^{Ft}, G = int_0^t e^{2Fr} dr, through the
    eigen-decomposition of the symmetric F (G_ii = (e^{2 f_i t} - 1)/(2 f_i), t where f_i = 0)."""
    values, basis = mp.eigsy(f)
    n = f.rows
    grow = basis * mp.diag([mp.exp(values[i] * t) for i in range(n)]) * basis.T
    integral = basis * mp.diag(
        [mp.expm1(2 * values[i] * t) / (2 * values[i]) if values[i] else t for i in range(n)]
    )
    integral = integral * basis.T
    return grow * q * mp.inverse(mp.eye(q.cols) + q.T * integral * q) * q.T * grow


def _riccati_general(mp, rng):
    """Relative residuals of the Riccati equation and the initial value for random symmetric
    4 x 4 F and rank-2 q at random t."""
    for _ in range(3):
        a = mp.matrix(rng.normal(size=(4, 4)).tolist())
        f = (a + a.T) / 2
        q = mp.matrix(rng.normal(size=(4, 2)).tolist())
        t = mp.mpf(rng.uniform(0.1, 2.0))
        p = _closed_form(mp, f, q, t)
        rhs = f * p + p * f - p * p
        scale = mp.mnorm(f * p, 1) + mp.mnorm(p * p, 1)
        # central difference at twice the digits: step 1e-30, truncation ~1e-60, round-off ~1e-70
        with mp.workdps(2 * mp.mp.dps):
            step = mp.mpf(10) ** -30
            derivative = (_closed_form(mp, f, q, t + step) - _closed_form(mp, f, q, t - step)) / (2 * step)
        yield mp.mnorm(derivative - rhs, 1) / scale
        yield mp.mnorm(_closed_form(mp, f, q, mp.mpf(0)) - q * q.T, 1) / mp.mnorm(q * q.T, 1)


def _balanced_points(rng, size):
    """2 x 2 x 2 lambda-balanced starts: W1 = U diag(a) V^T, W2 = R diag(sqrt(a^2 + lambda)) U^T,
    a random target and t."""

    def orthogonal():
        return np.linalg.qr(rng.normal(size=(size, 2, 2)))[0]

    lam = rng.uniform(-1.0, 1.0, size)
    a = np.sqrt(np.maximum(-lam, 0.0))[:, None] + rng.uniform(0.1, 1.0, (size, 2))
    b = np.sqrt(a**2 + lam[:, None])
    left, right, out = orthogonal(), orthogonal(), orthogonal()
    w1 = left @ (a[:, :, None] * np.swapaxes(right, 1, 2))
    w2 = out @ (b[:, :, None] * np.swapaxes(left, 1, 2))
    return {
        "w1": w1,
        "w2": w2,
        "sigma_yx": rng.uniform(-2.0, 2.0, (size, 2, 2)),
        "t": rng.uniform(0.0, 5.0, size),
    }


def _balanced_product(mp, *, w1, w2, sigma_yx, t):
    """W2 W1 (t) (row-major) from the closed form, lambda = Tr(W2^T W2 - W1 W1^T)/N2 as in the
    NumPy form (the float64 start is balanced to round-off)."""
    n1, n3 = w1.cols, w2.rows
    lam = sum((w2.T * w2 - w1 * w1.T)[i, i] for i in range(w1.rows)) / w1.rows
    f = mp.zeros(n1 + n3, n1 + n3)
    for i in range(n1):
        f[i, i] = -lam / 2
    for i in range(n3):
        f[n1 + i, n1 + i] = lam / 2
    for i in range(n3):
        for j in range(n1):
            f[n1 + i, j] = f[j, n1 + i] = sigma_yx[i, j]
    q = mp.matrix(n1 + n3, w1.rows)
    for i in range(w1.rows):
        for j in range(n1):
            q[j, i] = w1[i, j]
        for j in range(n3):
            q[n1 + j, i] = w2[j, i]
    p = _closed_form(mp, f, q, t)
    return [p[n1 + i, j] for i in range(n3) for j in range(n1)]
