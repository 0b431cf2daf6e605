"""Claim NC9's derivation: the closed forms of :mod:`theory.neural_collapse` derived in SymPy
(see :mod:`sims.symbolic`), and the proved expressions at seeded points.

What is proved, and where only at fixed sizes:
- the CE and MSE unconstrained-features norms (NC2, NC3) are stationary points of their
  objectives: on the simplex-ETF / orthogonal-frame family for any K (the objective on the
  family itself derived from the full objective at K = 3, 4), and of the full objective, every
  entry of W, H (and b), at K = 3;
- NC4: the stationarity equation and the value gap to the origin of Dang et al.'s per-class
  objective f(s), and the collapse threshold n* (any depth L >= 2; L = 1 separately);
- NC1's isotropic-noise law from the population covariances of an exact ETF, K = 2..6;
- NC6's decomposition as two polynomial identities at N = 5 samples, K = 2, d = 2.
"""

from __future__ import annotations

import numpy as np

from sims.cache import cached
from sims.symbolic import Derivation, SymbolicRun, lambdify

CE_NORMS = "NC2: CE UFM norms are stationary (simplex ETF)"
MSE_NORMS = "NC3: MSE UFM norms with bias are stationary (simplex ETF)"
MSE_NORMS_NO_BIAS = "NC3: MSE UFM norms without bias are stationary (orthogonal frame)"
STATIONARITY = "NC4: stationary points of f(s) and their gap to the origin"
THRESHOLD = "NC4: collapse threshold n*"
NC1_NOISE = "NC1 = s^2 (K-1)^2 / (K r^2) for isotropic noise"
DECOMPOSITION = "NC6: L = L_NC1 + L_NC2/3 + L_reg + L_perp"

# Class counts at which the family objectives are derived from the full ones, at which the
# full gradients vanish, and at which the NC1 law is proved.
FAMILY_CLASSES = (3, 4)
FULL_CLASSES = 3
NC1_CLASSES = (2, 3, 4, 5, 6)
# NC6's instance: labels of N = 5 samples in K = 2 classes, features of dimension 2.
DECOMPOSITION_LABELS = (0, 0, 1, 1, 1)
DECOMPOSITION_DIM = 2
# Classes per NC4 instance for the minimiser comparison.
NC4_CLASSES = 3


def simplex_etf(k: int):
    """The exact K x K simplex ETF (columns; Helmert rows, the last row zero) in SymPy."""
    import sympy as sp

    frame = sp.zeros(k, k)
    for j in range(1, k):
        for i in range(j + 1):
            frame[j - 1, i] = (1 if i < j else -j) / sp.sqrt(j * (j + 1))
    return sp.sqrt(sp.Rational(k, k - 1)) * frame


@cached
def derive_neural_collapse(*, points: int, seed: int) -> SymbolicRun:
    """NC9's derivation at ``points`` seeded points per identity."""
    import mpmath
    import sympy as sp

    out = Derivation(points=points, seed=seed)
    rng = out.rng
    k, n, lw, lh, a, b = sp.symbols("K n lambda_w lambda_h alpha beta", positive=True)
    c = sp.sqrt(n * lw * lh)
    penalty = k * (lw * a**2 + n * lh * b**2) / 2  # lambda_w/2 ||W||^2 + lambda_h/2 ||H||^2, N = K n
    found = {}

    def ufm(kk, loss, with_bias):
        """The full UFM objective at K = kk over class-mean features (n identical samples per
        class): (W, H, b) symbols, and the objective."""
        w = sp.Matrix(kk, kk, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
        h = sp.Matrix(kk, kk, lambda i, j: sp.Symbol(f"h{i}{j}", real=True))
        bias = sp.Matrix(kk, 1, lambda i, _: sp.Symbol(f"b{i}", real=True)) if with_bias else sp.zeros(kk, 1)
        fit = sum(loss(w * h[:, j] + bias, j) for j in range(kk)) / kk
        objective = fit + lw / 2 * sum(x**2 for x in w) + lh / 2 * n * sum(x**2 for x in h)
        return w, h, bias, objective

    def cross_entropy(logits, label):
        return sp.log(sum(sp.exp(z) for z in logits)) - logits[label]

    def squared(outputs, label):
        return sum((outputs[i] - (1 if i == label else 0)) ** 2 for i in range(len(outputs))) / 2

    def stationary(reduced, norms, loss, with_bias, frame):
        """Residuals: the family objective from the full one (K in FAMILY_CLASSES), its
        gradient at ``norms`` (any K), and the full gradient at K = FULL_CLASSES."""
        for kk in FAMILY_CLASSES:
            w, h, bias, objective = ufm(kk, loss, with_bias)
            point = _frame_point(w, h, bias, frame(kk), kk, a, b, with_bias)
            yield objective.xreplace(point) - reduced.subs(k, kk)
            if kk == FULL_CLASSES:
                at = {key: value.subs(norms).subs(k, kk) for key, value in point.items()}
                for variable in [*w, *h, *(bias if with_bias else [])]:
                    yield sp.diff(objective, variable).xreplace(at)
        for variable in (a, b):
            yield sp.diff(reduced, variable).subs(norms)

    # NC2: logits rho (own class) and -rho/(K-1); rho = alpha beta
    rho = (k - 1) / k * sp.log((1 - (k - 1) * c) / c)
    ce_norms = {a: sp.sqrt(rho * sp.sqrt(n * lh / lw)), b: sp.sqrt(rho * sp.sqrt(lw / (n * lh)))}
    ce_reduced = sp.log(1 + (k - 1) * sp.exp(-a * b * k / (k - 1))) + penalty
    out.identity(
        CE_NORMS,
        "with w_k = alpha e_k, h_k = beta e_k (simplex ETF e_k) the CE UFM objective is "
        "log(1 + (K-1) e^{-K alpha beta/(K-1)}) + K (lambda_w alpha^2 + n lambda_h beta^2)/2, "
        "stationary at alpha^2 = rho sqrt(n lambda_h/lambda_w), beta^2 = rho sqrt(lambda_w/(n "
        "lambda_h)), rho = (K-1)/K log((1 - (K-1) c)/c), c = sqrt(n lambda_w lambda_h)",
        sympy=lambda: stationary(ce_reduced, ce_norms, cross_entropy, False, simplex_etf),
        scope=f"family objective at K = {', '.join(map(str, FAMILY_CLASSES))}; full gradient at "
        f"K = {FULL_CLASSES}; stationarity on the family for any K",
    )
    ufm_points = _ufm_points(rng, out.size)
    arguments = [k, n, lw, lh]
    values = [lambdify(arguments, e) for e in (ce_norms[a], ce_norms[b], rho)]
    out.evaluate(CE_NORMS, ufm_points, lambda **p: [f(**p) for f in values])

    # NC3: with the bias b = 1/K the residual of class k is (alpha beta K/(K-1) - 1)(e_k - 1/K)
    shrink = 1 - k * c
    for name, share, reduced, frame, with_bias in (
        (
            MSE_NORMS,
            (k - 1) / k,
            (k - 1) / (2 * k) * (a * b * k / (k - 1) - 1) ** 2 + penalty,
            simplex_etf,
            True,
        ),
        (MSE_NORMS_NO_BIAS, 1, (a * b - 1) ** 2 / 2 + penalty, sp.eye, False),
    ):
        norms = {
            a: sp.sqrt(share * shrink * sp.sqrt(n * lh / lw)),
            b: sp.sqrt(share * shrink * sp.sqrt(lw / (n * lh))),
        }
        out.identity(
            name,
            f"on the {'simplex-ETF family with b = 1/K' if with_bias else 'orthogonal frame'} the MSE UFM "
            f"objective is {reduced} (alpha, beta the norms), stationary at alpha^2 = q (1 - K c) sqrt(n "
            f"lambda_h/lambda_w), beta^2 = q (1 - K c) sqrt(lambda_w/(n lambda_h)), q = {share}",
            sympy=lambda reduced=reduced, norms=norms, frame=frame, with_bias=with_bias: stationary(
                reduced, norms, squared, with_bias, frame
            ),
            scope=f"family objective at K = {', '.join(map(str, FAMILY_CLASSES))}; full gradient "
            f"(W, H{', b' if with_bias else ''}) at K = {FULL_CLASSES}; stationarity on the family for any K",
        )
        values = [lambdify(arguments, norms[a]), lambdify(arguments, norms[b])]
        out.evaluate(name, _ufm_points(rng, out.size), lambda values=values, **p: [f(**p) for f in values])

    # NC4: Dang et al.'s per-class objective, r = sqrt(lambda_w/lambda_h)
    s, r, n_k, total, m = sp.symbols("s r n_k N m", positive=True)
    depth = m + 1  # L >= 2 as m > 0 (L = 1 separately)
    per_class = (r * s ** (depth + 1) - sp.sqrt(n_k)) ** 2 / (2 * total) + (depth + 1) * lw / 2 * s**2
    balance = r * s ** (depth - 1) * (sp.sqrt(n_k) - r * s ** (depth + 1)) - total * lw
    lifted = r * s ** (depth + 1)

    def stationarity():
        yield sp.diff(per_class, s) + (depth + 1) * s * balance / total
        at_root = {lw: sp.solve(balance, lw)[0]}
        yield (per_class - per_class.subs(s, 0)).subs(at_root) - lifted * (
            (depth - 1) * sp.sqrt(n_k) - depth * lifted
        ) / (2 * total)

    out.identity(
        STATIONARITY,
        "f(s) = (r s^{L+1} - sqrt(n_k))^2/(2N) + (L+1) lambda_w s^2/2 has f'(s) = -(L+1) s/N "
        "[r s^{L-1}(sqrt(n_k) - r s^{L+1}) - N lambda_w], and at a root f(s) - f(0) = q ((L-1) "
        "sqrt(n_k) - L q)/(2N), q = r s^{L+1}: the non-zero point wins iff q > (L-1)/L sqrt(n_k)",
        sympy=stationarity,
        scope="any L >= 2 (L = 1: the same with m = 0)",
    )
    # The minimiser: the largest root of the balance where it beats the origin, else 0,
    # solved at 50 digits.
    roots = lambdify([s, r, n_k, total, m, lw], balance)
    out.evaluate(
        STATIONARITY, _minimiser_points(rng, out.size), lambda **p: _layer_strengths(mpmath, roots, p)
    )

    def threshold():
        # the tie q = (L-1)/L sqrt(n_k) on the root: an equation linear in ln n_k
        tie = ((depth - 1) / depth * sp.sqrt(n_k) / r) ** (1 / (depth + 1))
        log_n = sp.Symbol("ell", real=True)
        ratio = sp.factor(balance.subs(s, tie) + total * lw) / (total * lw)
        equation = sp.expand_log(sp.log(ratio.subs(n_k, sp.exp(log_n))), force=True)
        (solution,) = sp.solve(equation.subs(r, sp.sqrt(lw / lh)), log_n)
        found["threshold"] = sp.exp(solution)
        stated = (
            (depth * total) ** ((depth + 1) / depth)
            * (depth / (depth - 1)) ** ((depth - 1) / depth)
            * lw
            * lh ** (1 / depth)
        )
        yield sp.expand_log(sp.log(found["threshold"]) - sp.log(stated), force=True)
        # the tie lies on the falling branch of the balance, beyond its peak
        peak = (depth - 1) * sp.sqrt(n_k) / (2 * depth * r)
        yield tie ** (depth + 1) / peak - 2
        # L = 1: f is convex in s^2; s^2 = (sqrt(n_k)/r - N lambda_w/r^2) > 0 iff n_k > n*
        s2 = sp.Symbol("s2", real=True)
        (square,) = sp.solve(balance.subs(m, 0).subs(s**2, s2), s2)
        (found["threshold_1"],) = sp.solve(square.subs(r, sp.sqrt(lw / lh)), n_k)
        yield found["threshold_1"] - total**2 * lw * lh

    out.identity(
        THRESHOLD,
        "the root with q = (L-1)/L sqrt(n_k) (a tie with the origin, beyond the balance's peak) "
        "exists iff n_k = n* = (L N)^{(L+1)/L} (L/(L-1))^{(L-1)/L} lambda_w lambda_h^{1/L}; "
        "n* = N^2 lambda_w lambda_h at L = 1",
        sympy=threshold,
        scope="L >= 2 symbolic; L = 1 separately",
    )
    deep, shallow = (
        lambdify([total, m, lw, lh], found["threshold"]),
        lambdify([total, lw, lh], found["threshold_1"]),
    )
    layers = rng.integers(1, 6, out.size, endpoint=True)
    out.evaluate(
        THRESHOLD,
        {
            "N": 10.0 ** rng.uniform(1, 3, out.size),
            "L": layers,
            "lambda_w": 10.0 ** rng.uniform(-4, -1, out.size),
            "lambda_h": 10.0 ** rng.uniform(-4, -1, out.size),
        },
        lambda N, L, lambda_w, lambda_h: (
            shallow(N=N, lambda_w=lambda_w, lambda_h=lambda_h)
            if L == 1
            else deep(N=N, m=L - 1, lambda_w=lambda_w, lambda_h=lambda_h)
        ),
    )

    def nc1_noise():
        from sympy import stats

        z = [stats.Normal(f"z{i}", 0, 1) for i in range(2)]
        # E[(s z)(s z)^T] = s^2 I: unit variances, uncorrelated
        yield stats.E(z[0] ** 2) - 1
        yield stats.E(z[0] * z[1])
        noise, radius = sp.symbols("s r", positive=True)
        for kk in NC1_CLASSES:
            means = radius * simplex_etf(kk)
            centre = means * sp.ones(kk, 1) / kk
            between = (
                sum(((means[:, j] - centre) * (means[:, j] - centre).T for j in range(kk)), sp.zeros(kk, kk))
                / kk
            )
            found[kk] = (noise**2 * sp.eye(kk) * between.pinv()).trace() / kk
            yield found[kk] - noise**2 * (kk - 1) ** 2 / (kk * radius**2)

    out.identity(
        NC1_NOISE,
        "class means r e_k (exact simplex ETF), features r e_k + s z, z ~ N(0, I): "
        "Tr(Sigma_W Sigma_B^+)/K = s^2 (K-1)^2/(K r^2)",
        sympy=nc1_noise,
        scope=f"K = {', '.join(map(str, NC1_CLASSES))}",
    )
    laws = {kk: lambdify(sp.symbols("s r", positive=True), found[kk]) for kk in NC1_CLASSES}
    out.evaluate(
        NC1_NOISE,
        {
            "s": rng.uniform(0.0, 3.0, out.size),
            "r": 10.0 ** rng.uniform(-1, 1, out.size),
            "K": rng.choice(NC1_CLASSES, out.size),
        },
        lambda s, r, K: laws[K](s=s, r=r),
    )

    decomposition = _Decomposition(sp)
    out.identity(
        DECOMPOSITION,
        "L(Theta_LS + Delta) = L(Theta_LS) + Tr(Delta (S + R) Delta^T)/2 + Tr(Delta G^T) with G "
        "= Theta_LS (S + R) - Y^T X/N = 0 (normal equations); and the data term at any (W, b) "
        "is the within-class term plus the class-mean term",
        sympy=decomposition.identities,
        scope=f"N = {len(DECOMPOSITION_LABELS)}, K = 2, d = {DECOMPOSITION_DIM}, any lambda",
    )
    count = len(DECOMPOSITION_LABELS)
    arrays = {
        "features": rng.normal(size=(out.size, count, DECOMPOSITION_DIM)),
        "classifier": rng.normal(size=(out.size, 2, DECOMPOSITION_DIM)),
        "bias": rng.normal(size=(out.size, 2)),
        "weight_decay": rng.uniform(0.0, 0.5, out.size),
    }
    out.evaluate(DECOMPOSITION, arrays, lambda **p: decomposition.evaluate(mpmath, **p))
    return out.run()


def _frame_point(w, h, bias, frame, kk, a, b, with_bias):
    """Substitution: rows of W = alpha frame columns, class means = beta frame columns, and
    the bias 1/K."""
    import sympy as sp

    point = {w[i, j]: a * frame[j, i] for i in range(kk) for j in range(kk)}
    point.update({h[i, j]: b * frame[i, j] for i in range(kk) for j in range(kk)})
    if with_bias:
        point.update({bias[i]: sp.Rational(1, kk) for i in range(kk)})
    return point


def _ufm_points(rng, size):
    """K in 2..10, n in 1..50, lambda_w log-uniform, lambda_h so that K c in (0.01, 0.95)."""
    k = rng.integers(2, 10, size, endpoint=True)
    n = rng.integers(1, 50, size, endpoint=True)
    lambda_w = 10.0 ** rng.uniform(-4, -1, size)
    c = rng.uniform(0.01, 0.95, size) / k
    return {"K": k, "n": n, "lambda_w": lambda_w, "lambda_h": c**2 / (n * lambda_w)}


def _minimiser_points(rng, size):
    """NC4 instances: NC4_CLASSES class sizes in [1, 1000], L in 1..6, lambda_h log-uniform, and
    lambda_w putting the threshold n* within a factor 10 of the median class (so that classes
    fall on both sides of it, and some between the local root's appearance and n*)."""
    n = 10.0 ** rng.uniform(0, 3, (size, NC4_CLASSES))
    depth = rng.integers(1, 6, size, endpoint=True)
    lambda_h = 10.0 ** rng.uniform(-4, -1, size)
    total, target = n.sum(axis=1), np.median(n, axis=1) * 10.0 ** rng.uniform(-1, 1, size)
    # n* = (L N)^{(L+1)/L} (L/(L-1))^{(L-1)/L} lambda_w lambda_h^{1/L} (N^2 lambda_w lambda_h at L = 1)
    with np.errstate(divide="ignore"):
        unit = np.where(
            depth == 1,
            total**2 * lambda_h,
            (depth * total) ** ((depth + 1) / depth)
            * (depth / np.maximum(depth - 1, 1)) ** ((depth - 1) / depth)
            * lambda_h ** (1 / depth),
        )
    return {"n_per_class": n, "L": depth, "lambda_w": target / unit, "lambda_h": lambda_h}


def _layer_strengths(mp, balance, point):
    """Per class: s_k, the largest root of the balance if it beats the origin (else 0), then
    the row norms s_k^L, at the working precision."""
    n = [point["n_per_class"][j] for j in range(NC4_CLASSES)]
    depth, lw, lh = point["L"], point["lambda_w"], point["lambda_h"]
    total, r = sum(n), mp.sqrt(lw / lh)
    strengths = []
    for n_k in n:
        if depth == 1:  # r (sqrt(n_k) - r s^2) = N lambda_w, convex in s^2
            square = (mp.sqrt(n_k) - total * lw / r) / r
            strengths.append(mp.sqrt(square) if square > 0 else mp.mpf(0))
            continue
        peak = ((depth - 1) * mp.sqrt(n_k) / (2 * depth * r)) ** (mp.mpf(1) / (depth + 1))
        top = (mp.sqrt(n_k) / r) ** (mp.mpf(1) / (depth + 1))
        s = mp.mpf(0)
        if balance(s=peak, r=r, n_k=n_k, N=total, m=depth - 1, lambda_w=lw) > 0:
            root = mp.findroot(
                lambda x, n_k=n_k: balance(s=x, r=r, n_k=n_k, N=total, m=depth - 1, lambda_w=lw),
                (peak, top),
                solver="anderson",
            )
            if r * root ** (depth + 1) > mp.mpf(depth - 1) / depth * mp.sqrt(n_k):
                s = root
        strengths.append(s)
    return strengths + [x**depth for x in strengths]


class _Decomposition:
    """NC6 at N = 5, K = 2, d = 2 in SymPy: the loss, its four terms at a classifier T (which
    is Theta_LS when T solves the normal equations), and the two identities."""

    def __init__(self, sp):
        labels, d = DECOMPOSITION_LABELS, DECOMPOSITION_DIM
        count, classes = len(labels), 2
        self.sp = sp
        self.lam = sp.Symbol("lambda", nonnegative=True)
        self.h = sp.Matrix(count, d, lambda i, j: sp.Symbol(f"h{i}{j}", real=True))
        self.w = sp.Matrix(classes, d, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
        self.b = sp.Matrix(classes, 1, lambda i, _: sp.Symbol(f"b{i}", real=True))
        self.t = sp.Matrix(classes, d + 1, lambda i, j: sp.Symbol(f"t{i}{j}", real=True))
        y = sp.Matrix(count, classes, lambda i, j: 1 if labels[i] == j else 0)
        sizes = [labels.count(j) for j in range(classes)]
        means = sp.Matrix(
            classes, d, lambda j, c: sum(self.h[i, c] for i in range(count) if labels[i] == j) / sizes[j]
        )
        lifted = self.h.row_join(sp.ones(count, 1))
        self.second = lifted.T * lifted / count + sp.diag(*([self.lam] * d + [0]))  # S + R
        self.cross = y.T * lifted / count
        self.y, self.count, self.d = y, count, d
        w_t, b_t = self.t[:, :d], self.t[:, d]
        delta = self.w.row_join(self.b) - self.t
        self.terms = [
            self.loss(self.w.row_join(self.b)),
            sum(x**2 for x in (self.h - y * means) * w_t.T) / (2 * count),
            sum(x**2 for x in y * (means * w_t.T + sp.ones(classes, 1) * b_t.T) - y) / (2 * count),
            self.lam / 2 * sum(x**2 for x in w_t),
            (delta * self.second * delta.T).trace() / 2,
        ]
        self.delta = delta
        self.values = sp.lambdify(
            [*self.h, *self.w, *self.b, *self.t, self.lam], self.terms, modules="mpmath"
        )

    def loss(self, theta):
        sp, d = self.sp, self.d
        residual = self.h * theta[:, :d].T + sp.ones(self.count, 1) * theta[:, d].T - self.y
        return sum(x**2 for x in residual) / (2 * self.count) + self.lam / 2 * sum(x**2 for x in theta[:, :d])

    def identities(self):
        sp = self.sp
        gradient = self.t * self.second - self.cross
        theta = self.w.row_join(self.b)
        yield sp.expand(
            self.loss(theta)
            - self.loss(self.t)
            - (self.delta * self.second * self.delta.T).trace() / 2
            - (self.delta * gradient.T).trace()
        )
        _, nc1, nc23, reg, _ = self.terms
        yield sp.expand(self.loss(self.t) - nc1 - nc23 - reg)

    def evaluate(self, mp, *, features, classifier, bias, weight_decay):
        """[loss, nc1, nc23, reg, perp] with T = Theta_LS solved at the working precision."""
        count, d = self.count, self.d
        lifted = mp.matrix([[features[i, j] for j in range(d)] + [1] for i in range(count)])
        second = lifted.T * lifted / count + mp.diag([weight_decay] * d + [0])
        cross = mp.matrix(self.y.tolist()).T * lifted / count
        theta = [mp.lu_solve(second, cross[i, :].T) for i in range(2)]  # S + R is symmetric
        t = [theta[i][j] for i in range(2) for j in range(d + 1)]
        h = [features[i, j] for i in range(count) for j in range(d)]
        w = [classifier[i, j] for i in range(2) for j in range(d)]
        return self.values(*h, *w, bias[0], bias[1], *t, weight_decay)
