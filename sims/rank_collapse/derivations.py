"""Claim RC7's derivation: the rank-collapse closed forms of :mod:`theory.rank_collapse`
derived in SymPy (see :mod:`sims.symbolic`), and the proved expressions at seeded points.

Every identity here closes in SymPy. The finite-width bias of RC4 (2L(L+1)/n, L(L+3)/(2n)) is
not derived: its per-layer conditional moments (Wick and Weingarten expansions over the
Bin(n, 1/2) count of active units) are not a closed computation that SymPy carries here.
"""

from __future__ import annotations

from sims.cache import cached
from sims.symbolic import Derivation, SymbolicRun, lambdify

ARC_COSINE_MAP = "arc-cosine map from the Gaussian integral"
EXPANSION = "expansion of the map near c = 1"
ASYMPTOTE = "1 - c_l ~ 9 pi^2 / (2 l^2)"
LYAPUNOV = "Lyapunov exponents E[ln chi^2_k] / 2"
MEAN_GROWTH = "uniform attention: token mean grows as (1 + alpha^2)^L"
CENTRED = "uniform attention leaves the centred tokens unchanged"

# Widths d of the weights and token counts T for which the attention identities are proved.
WIDTHS = (1, 2, 3, 4)
TOKENS = (2, 3, 4, 5)


@cached
def derive_rank_collapse(*, points: int, seed: int) -> SymbolicRun:
    """RC7's derivation at ``points`` seeded points per identity (see the module docstring)."""
    import mpmath
    import sympy as sp

    out = Derivation(points=points, seed=seed)
    rng = out.rng
    theta, phi, r = sp.symbols("theta phi r", positive=True)
    depth, n, variance, i, alpha = sp.symbols("l n variance i alpha", positive=True)
    layers = sp.Symbol("L", integer=True, nonnegative=True)
    found = {}

    def arc_cosine():
        # Unit Gaussians u = z1, v = c z1 + sqrt(1 - c^2) z2, c = cos(theta); in polar
        # coordinates u = r cos(phi), v = r cos(phi - theta), both positive for
        # phi in (theta - pi/2, pi/2).
        radial = sp.integrate(r**3 * sp.exp(-(r**2) / 2), (r, 0, sp.oo)) / (2 * sp.pi)
        cross = radial * sp.integrate(sp.cos(phi) * sp.cos(phi - theta), (phi, theta - sp.pi / 2, sp.pi / 2))
        second = radial * sp.integrate(sp.cos(phi) ** 2, (phi, -sp.pi / 2, sp.pi / 2))
        found["map"] = sp.simplify(cross / second)
        yield found["map"] - (sp.sin(theta) + (sp.pi - theta) * sp.cos(theta)) / sp.pi

    out.identity(
        ARC_COSINE_MAP,
        "E[relu(u) relu(v)] / E[relu(u)^2] for unit Gaussians of correlation c = cos(theta) "
        "is f(c) = (sqrt(1 - c^2) + (pi - arccos c) c) / pi (polar coordinates)",
        sympy=arc_cosine,
    )
    f = found["map"]
    cs = rng.uniform(-1.0, 1.0, out.size)
    in_theta = lambdify([theta], f)
    out.evaluate(ARC_COSINE_MAP, {"c": cs}, lambda c: in_theta(theta=mpmath.acos(c)))

    def expansion():
        yield (
            sp.series(f, theta, 0, 5).removeO()
            - sp.series(sp.cos(theta), theta, 0, 5).removeO()
            - theta**3 / (3 * sp.pi)
        )
        # f(cos t) - cos t = (sin t - t cos t)/pi, whose derivative t sin t / pi is > 0 on
        # (0, pi): c_l rises monotonically to the map's only fixed point, c = 1.
        yield f - sp.cos(theta) - (sp.sin(theta) - theta * sp.cos(theta)) / sp.pi
        yield sp.diff(sp.sin(theta) - theta * sp.cos(theta), theta) - theta * sp.sin(theta)

    out.identity(
        EXPANSION,
        "f(cos t) = cos t + t^3 / (3 pi) + O(t^5), and f(c) - c = (sin t - t cos t) / pi > 0 "
        "for c < 1 (so c_l -> 1)",
        sympy=expansion,
    )

    def asymptote():
        # eps = 1 - c: eps_l^{-1/2} grows by a per layer as eps -> 0, hence (Stolz-Cesaro)
        # eps_l^{-1/2} / l -> a and eps_l ~ 1 / (a l)^2.
        step = sp.limit(
            (1 - f) ** sp.Rational(-1, 2) - (1 - sp.cos(theta)) ** sp.Rational(-1, 2), theta, 0, "+"
        )
        found["step"] = step
        yield step - sp.sqrt(2) / (3 * sp.pi)
        yield 1 / (step * depth) ** 2 - 9 * sp.pi**2 / (2 * depth**2)

    out.identity(
        ASYMPTOTE,
        "(1 - c_{l+1})^{-1/2} - (1 - c_l)^{-1/2} -> sqrt(2) / (3 pi) as c_l -> 1, so "
        "1 - c_l ~ (3 pi / (sqrt(2) l))^2 = 9 pi^2 / (2 l^2)",
        sympy=asymptote,
    )
    asymptotic = lambdify([depth], 1 / (found["step"] * depth) ** 2)
    out.evaluate(ASYMPTOTE, {"l": rng.integers(1, 10**5, out.size, endpoint=True)}, asymptotic)

    def lyapunov():
        x, k = sp.symbols("x k", positive=True)
        density = x ** (k / 2 - 1) * sp.exp(-x / 2) / (2 ** (k / 2) * sp.gamma(k / 2))
        yield sp.integrate(density, (x, 0, sp.oo), conds="none") - 1
        # (simplified: the raw integral has gamma(-k/2)^2 / gamma(1 - k/2)^2 terms, removable
        # singularities at even k)
        mean_log = sp.simplify(sp.integrate(sp.log(x) * density, (x, 0, sp.oo), conds="none"))
        found["mean_log"] = lambda kk: mean_log.subs(k, kk)
        yield mean_log - (sp.log(2) + sp.digamma(k / 2))

    out.identity(
        LYAPUNOV,
        "E[ln chi^2_k] = ln 2 + digamma(k/2) (integral against the chi^2_k density, any k > 0), "
        "so lambda_i = (ln(2 variance) + digamma((n - i + 1)/2)) / 2 with R_ii^2 ~ variance "
        "chi^2_{n-i+1} (Bartlett; simulated by RC2)",
        sympy=lyapunov,
    )
    sizes = rng.integers(1, 64, out.size, endpoint=True)
    exponent = sp.log(variance) / 2 + found["mean_log"](n - i + 1) / 2
    out.evaluate(
        LYAPUNOV,
        {
            "n": sizes,
            "variance": 10.0 ** rng.uniform(-3, 1, out.size),
            "i": rng.integers(1, sizes, endpoint=True),
        },
        lambdify([n, variance, i], exponent),
    )

    def mean_growth():
        for d in WIDTHS:
            x = sp.Matrix(sp.symbols(f"x0:{d}", real=True))
            w = sp.Matrix(d, d, lambda a, b: sp.Symbol(f"w{a}{b}", real=True))
            norm = sp.expand(((x + alpha * w.T * x).T * (x + alpha * w.T * x))[0])
            # E over w iid N(0, 1/d): odd moments 0, E w^2 = 1/d, distinct entries independent
            moment = {0: 1, 1: 0, 2: sp.Rational(1, d)}
            expected = sum(
                coefficient * sp.prod([moment[p] for p in powers])
                for powers, coefficient in sp.Poly(norm, *w).terms()
            )
            yield expected - (1 + alpha**2) * (x.T * x)[0]
        mean = sp.Function("m")
        found["growth"] = sp.rsolve(
            mean(layers + 1) - (1 + alpha**2) * mean(layers), mean(layers), {mean(0): 1}
        )
        yield found["growth"] - (1 + alpha**2) ** layers

    out.identity(
        MEAN_GROWTH,
        "x_{l+1} = (I + alpha W^T) x_l with W iid N(0, 1/d): E||x_{l+1}||^2 = (1 + alpha^2) "
        "||x_l||^2, and the recursion solves to (1 + alpha^2)^L",
        sympy=mean_growth,
        scope=f"d = {', '.join(map(str, WIDTHS))}",
    )
    out.evaluate(
        MEAN_GROWTH,
        {"alpha": rng.uniform(0.0, 2.0, out.size), "L": rng.integers(0, 64, out.size, endpoint=True)},
        lambdify([alpha, layers], found["growth"]),
    )

    def centred():
        for tokens in TOKENS:
            x = sp.Matrix(tokens, 2, lambda a, b: sp.Symbol(f"x{a}{b}"))
            w = sp.Matrix(2, 2, lambda a, b: sp.Symbol(f"w{a}{b}"))
            uniform = sp.ones(tokens, tokens) / tokens
            centre = sp.eye(tokens) - uniform
            yield sp.expand(centre * (x + alpha * uniform * x * w) - centre * x)

    out.identity(
        CENTRED,
        "(I - 11^T/T)(X + alpha P X W) = (I - 11^T/T) X for P = 11^T/T",
        sympy=centred,
        scope=f"T = {', '.join(map(str, TOKENS))}, d = 2",
    )
    return out.run()
