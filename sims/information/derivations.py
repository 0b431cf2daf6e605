"""Claim IB7's derivation: the information-bottleneck closed forms of :mod:`theory.information`
derived in SymPy (see :mod:`sims.symbolic`), and the proved expressions at seeded points.

Gaussian IB: one mode, X ~ N(0, sigma_x^2) jointly Gaussian with Y, encoder T = a X + xi,
xi ~ N(0, 1), u = a^2 sigma_x^2. Mutual informations from the Gaussian entropies (the
conditional variance of T given Y is a Schur complement), the Lagrangian L = I(T;X) - beta
I(T;Y) expanded at the zero encoder, its stationary point and the curve. Several modes add
independently: for the diagonal covariances of the comparison that is the independence of the
pairs (X_i, Y_i); for general covariances it is Chechik et al.'s reduction to the generalised
eigenvectors, which is not derived here.

Binary IB on the doubly symmetric binary source: I(T;X) and I(T;Y) expanded to second order
around a trivial binary encoder p(t = 1 | x) = a + eps v_x, and Mrs Gerber's curve at its
origin.
"""

from __future__ import annotations

import numpy as np

from sims.cache import cached
from sims.symbolic import Derivation, SymbolicRun, lambdify

GAUSSIAN_CRITICAL = "Gaussian IB: beta_c = 1/(1 - lambda) from the second variation"
GAUSSIAN_INFORMATION = "Gaussian IB: the optimal encoder's I(T;X), I(T;Y)"
GAUSSIAN_CURVE = "Gaussian IB: the curve I(T;Y)(I(T;X)) with slope 1/beta"
BINARY_CRITICAL = "binary IB: beta_0 = 1/(1 - 2p)^2 from the second variation"
BINARY_CURVE = "binary IB: Mrs Gerber's curve, slope (1 - 2p)^2 at the origin"

# Modes of the diagonal Gaussian covariances at which the NumPy forms are compared.
MODES = 2


@cached
def derive_information(*, points: int, seed: int) -> SymbolicRun:
    """IB7's derivation at ``points`` seeded points per identity."""
    import sympy as sp

    out = Derivation(points=points, seed=seed)
    rng = out.rng
    sx2, sy2, sxy, beta, u = sp.symbols("sigma_x2 sigma_y2 sigma_xy beta u", positive=True)
    a = sp.Symbol("a", real=True)
    lam = 1 - sxy**2 / (sx2 * sy2)  # Sigma_{x|y} Sigma_x^{-1}
    found = {}

    def mode_information(amplitude):
        """(I(T;X), I(T;Y)) in nats of T = amplitude X + xi."""
        var_t = amplitude**2 * sx2 + 1
        var_t_given_y = var_t - (amplitude * sxy) ** 2 / sy2  # Schur complement of (T, Y)
        return sp.log(var_t) / 2, sp.log(var_t / var_t_given_y) / 2

    def critical():
        i_x, i_y = mode_information(a)
        lagrangian = sp.series(i_x - beta * i_y, a, 0, 3).removeO()
        yield lagrangian.coeff(a, 1)  # the zero encoder is always stationary
        (found["critical"],) = sp.solve(lagrangian.coeff(a, 2), beta)
        yield found["critical"] - 1 / (1 - lam)
        # the conditional variance is 1 + lambda u
        yield (a**2 * sx2 + 1 - (a * sxy) ** 2 / sy2 - (1 + lam * a**2 * sx2)).expand()

    out.identity(
        GAUSSIAN_CRITICAL,
        "I(T;X) = ln(1 + u)/2, I(T;Y) = ln((1 + u)/(1 + lambda u))/2 (Schur complement); L = I(T;X) "
        "- beta I(T;Y) = (1 - beta (1 - lambda)) sigma_x^2 a^2/2 + O(a^4): the zero encoder stops "
        "being a minimum at beta_c = 1/(1 - lambda)",
        sympy=critical,
    )
    covariances = _diagonal_covariances(rng, out.size)
    per_mode = lambdify([sx2, sy2, sxy], found["critical"])
    out.evaluate(
        GAUSSIAN_CRITICAL,
        covariances,
        lambda **c: sorted(per_mode(**_mode(c, i)) for i in range(MODES)),
    )

    def information():
        i_x, i_y = (expression.subs(a**2, u / sx2) for expression in mode_information(a))
        lagrangian = i_x - beta * i_y
        best = (beta * (1 - lam) - 1) / lam
        # dL/du has the sign of u - u*: u* minimises L on u >= 0 when positive (beta > beta_c)
        yield sp.diff(lagrangian, u) - lam * (u - best) / (2 * (1 + u) * (1 + lam * u))
        found["i_x"] = sp.log((beta - 1) * (1 - lam) / lam) / 2
        found["i_y"] = found["i_x"] - sp.log(beta * (1 - lam)) / 2
        yield i_x.subs(u, best) - found["i_x"]
        yield i_y.subs(u, best) - found["i_y"]

    out.identity(
        GAUSSIAN_INFORMATION,
        "dL/du = lambda (u - u*)/(2 (1 + u)(1 + lambda u)), u* = (beta (1 - lambda) - 1)/lambda, "
        "so I(T;X) = ln((beta - 1)(1 - lambda)/lambda)/2 and I(T;Y) = I(T;X) - ln(beta (1 - "
        "lambda))/2 above beta_c, 0 below (Chechik et al. 2005, eqs. 15-16)",
        sympy=information,
        scope="one mode; the comparison's diagonal covariances add independent modes",
    )
    mode_pair = lambdify([beta, sx2, sy2, sxy], [found["i_x"], found["i_y"], found["critical"]])

    def optimum(beta, **c):
        """(I(T;X), I(T;Y)) in bits, summed over the active modes."""
        total = [0, 0]
        for i in range(MODES):
            i_x, i_y, threshold = mode_pair(beta=beta, **_mode(c, i))
            if beta > threshold:
                total = [total[0] + i_x, total[1] + i_y]
        return [x / _log(2) for x in total]

    information_points = {**_diagonal_covariances(rng, out.size)}
    information_points["beta"] = _betas(rng, information_points, out.size)
    out.evaluate(GAUSSIAN_INFORMATION, information_points, optimum)

    def curve():
        slope = sp.diff(found["i_y"], beta) / sp.diff(found["i_x"], beta)
        yield slope - 1 / beta

    out.identity(
        GAUSSIAN_CURVE,
        "along the optimal encoders dI(T;Y)/dI(T;X) = (dI(T;Y)/dbeta)/(dI(T;X)/dbeta) = 1/beta, "
        "the curve being (I(T;X), I(T;Y)) above as beta varies",
        sympy=curve,
        scope="per mode; every active mode has the same beta, so the sum too",
    )
    curve_points = {**_diagonal_covariances(rng, out.size)}
    curve_points["beta"] = _betas(rng, curve_points, out.size)
    out.evaluate(GAUSSIAN_CURVE, curve_points, lambda **c: optimum(**c)[1])

    p, eps, offset = sp.symbols("p epsilon a", positive=True)
    v = sp.symbols("v0 v1", real=True)

    def binary_critical():
        source = [[(1 - p) / 2, p / 2], [p / 2, (1 - p) / 2]]  # p(x, y), X uniform, Y = X xor Bern(p)
        encoder = [[1 - offset - eps * v[x], offset + eps * v[x]] for x in range(2)]  # p(t | x)
        joint_x = [[sum(source[x]) * encoder[x][t] for t in range(2)] for x in range(2)]
        joint_y = [[sum(source[x][y] * encoder[x][t] for x in range(2)) for t in range(2)] for y in range(2)]
        i_x = sp.series(_mutual_information(joint_x), eps, 0, 3).removeO()
        i_y = sp.series(_mutual_information(joint_y), eps, 0, 3).removeO()
        yield i_x.coeff(eps, 1)
        yield i_y.coeff(eps, 1)
        yield i_x.coeff(eps, 2) - (v[0] - v[1]) ** 2 / (8 * offset * (1 - offset))
        (found["beta_0"],) = sp.solve(i_x.coeff(eps, 2) - beta * i_y.coeff(eps, 2), beta)
        yield found["beta_0"] - 1 / (1 - 2 * p) ** 2

    out.identity(
        BINARY_CRITICAL,
        "for p(t=1|x) = a + eps v_x: I(T;X) = eps^2 (v_0 - v_1)^2/(8 a (1 - a)) + O(eps^3) and "
        "I(T;Y) = (1 - 2p)^2 I(T;X) + O(eps^3), so the second variation of I(T;X) - beta I(T;Y) "
        "changes sign at beta_0 = 1/(1 - 2p)^2",
        sympy=binary_critical,
        scope="binary T, any trivial encoder a and direction v",
    )
    out.evaluate(BINARY_CRITICAL, {"p": rng.uniform(0.0, 0.49, out.size)}, lambdify([p], found["beta_0"]))

    q, delta = sp.symbols("q delta", positive=True)
    convolved = p * (1 - q) + (1 - p) * q

    def binary_curve():
        # T = X xor Bern(q): I(T;X) = 1 - h(q), I(T;Y) = 1 - h(p * q) (bits)
        ratio = (sp.log(2) - _entropy(convolved)) / (sp.log(2) - _entropy(q))
        yield sp.limit(ratio.subs(q, sp.Rational(1, 2) - delta), delta, 0, "+") - 1 / found["beta_0"]

    out.identity(
        BINARY_CURVE,
        "T = X xor Bern(q) gives (1 - h(q), 1 - h(p * q)), p * q = p(1 - q) + (1 - p) q; as q -> "
        "1/2 the ratio I(T;Y)/I(T;X) -> (1 - 2p)^2 = 1/beta_0",
        sympy=binary_curve,
    )
    out.evaluate(
        BINARY_CURVE,
        {"q": rng.uniform(0.001, 0.49, out.size), "p": rng.uniform(0.0, 0.49, out.size)},
        lambdify([q, p], 1 - _entropy(convolved) / sp.log(2)),
    )
    return out.run()


def _entropy(x):
    import sympy as sp

    return -x * sp.log(x) - (1 - x) * sp.log(1 - x)


def _mutual_information(joint):
    """I in nats of a 2 x 2 joint distribution given as nested lists of SymPy expressions."""
    import sympy as sp

    rows = [sum(r) for r in joint]
    cols = [joint[0][j] + joint[1][j] for j in range(2)]
    return sum(joint[i][j] * sp.log(joint[i][j] / (rows[i] * cols[j])) for i in range(2) for j in range(2))


def _log(x):
    import mpmath

    return mpmath.log(x)


def _diagonal_covariances(rng, size):
    """MODES independent modes: variances in [0.5, 2], correlations rho in [0.05, 0.95]."""
    sx2, sy2 = rng.uniform(0.5, 2.0, (2, size, MODES))
    rho = rng.uniform(0.05, 0.95, (size, MODES))
    return {"sigma_x2": sx2, "sigma_y2": sy2, "sigma_xy": rho * np.sqrt(sx2 * sy2)}


def _betas(rng, covariances, size):
    """beta from below the first critical beta 1/rho^2 to far above the last."""
    rho2 = covariances["sigma_xy"] ** 2 / (covariances["sigma_x2"] * covariances["sigma_y2"])
    return 10.0 ** rng.uniform(-0.3, 1.5, size) / rho2.max(axis=1)


def _mode(covariances, i):
    return {name: value[i] for name, value in covariances.items()}
