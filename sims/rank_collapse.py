"""Rank collapse with depth, simulated and checked against theory.rank_collapse.

Six claims (RC1-RC6): pure self-attention collapses to rank 1 doubly exponentially (Dong et
al. 2021); skip connections with a 1/sqrt(L) branch scale stop it (Noci et al. 2022);
products of random matrices lose rank with depth unless orthogonal (Lyapunov spectrum,
eigenvalue law, Saxe et al. 2014); the critical Jacobian spectrum widens linearly with
depth (Pennington et al. 2017); the ReLU correlation map (Cho & Saul 2009); and depth's
low-rank bias in learning (Arora et al. 2018, 2019).

Forward Monte-Carlo at initialisation (RC1-RC5) is plain float64 NumPy with one BLAS
thread (the matrices are small: no compilation, and no thread contention on a shared 2-core
machine); training (RC6) goes through the shared engine. Every random draw comes from the
seed: same seed, same bytes.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp
from scipy.stats import norm
from threadpoolctl import threadpool_limits

import theory.rank_collapse as theory
from sims import engine
from sims.cache import cached
from sims.linear_networks import observe_product, product, squared_loss
from sims.registry import Outcome, claim, first_order_outcome, part
from theory._validate import finite_matrix, integer_at_least, non_negative, one_of

# A measured residual below this multiple of the matrix norm is rounding noise.
ROUNDING_FLOOR = 1e-12
EPS = float(np.finfo(np.float64).eps)
# Family-wise false-alarm rate for checks that compare many Monte-Carlo estimates at once.
FAMILY_ALPHA = 1e-4


def single_blas_thread(function):
    """Run ``function`` with one BLAS thread: small NumPy matrices gain nothing from threads,
    and on a loaded 2-core machine OpenBLAS's spinning threads slow them down ~50x."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


def z_threshold(count: int) -> float:
    """Two-sided Bonferroni z threshold for ``count`` estimates at FAMILY_ALPHA (>= 4)."""
    count = integer_at_least("count", count, 1)
    return max(4.0, float(norm.isf(FAMILY_ALPHA / (2 * count))))


def composite_norm(matrix) -> float:
    """Dong et al.'s ||M||_{1,inf} = sqrt(||M||_1 ||M||_inf) (max column sum, max row sum).

    Computed as sqrt(||M||_1) sqrt(||M||_inf), which cannot overflow for finite entries.
    """
    absolute = np.abs(finite_matrix("matrix", matrix, ndim=max(np.ndim(matrix), 2)))
    with np.errstate(over="ignore"):
        norm = np.sqrt(absolute.sum(axis=-2).max()) * np.sqrt(absolute.sum(axis=-1).max())
    if not np.isfinite(norm):
        raise ValueError("matrix entries must stay below ~1e300 (the norm overflows)")
    return float(norm)


def effective_rank(singular_values) -> np.ndarray:
    """Roy & Vetterli (2007) effective rank exp(H(p)), p = sigma / sum(sigma), last axis.

    Singular values are >= 0 with a positive sum per row. H is clipped to [0, ln n]: the
    unclipped value is within ~n eps of it, so the rank lies in [1, n] exactly.
    """
    s = non_negative("singular_values", singular_values)
    if s.ndim < 1 or s.shape[-1] < 1 or np.any(s.max(axis=-1) <= 0):
        raise ValueError("singular_values must have a non-empty last axis with a positive value")
    p = (s / s.max(axis=-1, keepdims=True)) / (s / s.max(axis=-1, keepdims=True)).sum(
        axis=-1, keepdims=True)  # scaled by the max first: the sum cannot overflow
    entropy = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)
    return np.exp(np.clip(entropy, 0.0, np.log(s.shape[-1])))


def _softmax(scores):
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- RC1 attention


def attention_gamma(x, w_qk) -> tuple[float, float]:
    """(gamma, eps) of :func:`theory.rank_collapse.attention_residual_bound` for input x.

    Write x = 1 m^T + R (m the token mean). The scores split into a part constant along each
    row (dropped by the softmax), a part s_j = m^T W_QK R_j / sqrt(d) common to all rows, and
    E = R W_QK R^T / sqrt(d) with |E_ij| <= eps = ||W_QK||_1 ||R||_{1,inf}^2 / sqrt(d). So
    P = 1 p^T + (P - 1 p^T) with p = softmax(s), |P_ij - p_j| <= p_j (e^{2 eps} - 1), and
    SA(x) - 1 (m^T W_V + p^T R W_V) = (P - 1 p^T) R W_V has composite norm at most
    sqrt(T max_j p_j) (e^{2 eps} - 1) ||W_V||_{1,inf} ||R||_{1,inf}, which is the bound with
        gamma = sqrt(T max_j p_j) (e^{2 eps} - 1) / (4 eps).
    """
    x, w_qk = finite_matrix("x", x), finite_matrix("w_qk", w_qk)
    if w_qk.shape != (x.shape[1], x.shape[1]):
        raise ValueError(f"w_qk must be (d, d) for x of shape (T, d), got {w_qk.shape} and "
                         f"{x.shape}")
    tokens, d_qk = x.shape[0], w_qk.shape[0]
    mean = x.mean(axis=0)
    centred = x - mean[None, :]
    p = _softmax(mean @ w_qk @ centred.T / np.sqrt(d_qk))
    eps = np.abs(w_qk).sum(axis=0).max() * composite_norm(centred) ** 2 / np.sqrt(d_qk)
    with np.errstate(over="ignore"):
        growth = np.expm1(2 * eps) / (2 * eps) if eps > 0 else 1.0
    if not np.isfinite(growth * p.max()):
        raise ValueError(f"x and w_qk give eps = {eps:.3g}; gamma overflows (eps must be "
                         f"below ~350)")
    return float(np.sqrt(tokens * p.max()) * growth / 2), float(eps)


@cached
@single_blas_thread
def simulate_pure_attention(*, tokens, width, depth, seeds, start_residual):
    """A stack of single-head softmax attention layers, no skip, no MLP, fresh weights per layer.

    Tokens x (tokens x width) start near rank 1: x_0 = 1 m^T + delta Z with m, Z standard
    normal and delta log-uniform in ``start_residual`` (a [low, high] pair) per seed, so that
    most layers lie in the cubic regime. Weights W_QK, W_V have iid N(0, 1/width) entries and
    d_qk = width. Records per seed and layer: ``residual`` ||x_l - 1 mean^T||_{1,inf}
    (depth + 1 values), ``candidate`` ||x_{l+1} - 1 y_l^T||_{1,inf} for the rank-1 matrix of
    :func:`attention_gamma`, ``gamma``, ``beta``, ``eps`` and ``scale`` ||x_l||_{1,inf}.
    """
    names = ("residual", "candidate", "gamma", "beta", "eps", "scale")
    out = {name: np.zeros((seeds, depth + (name == "residual"))) for name in names}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        delta = np.exp(rng.uniform(*np.log(start_residual)))
        x = rng.standard_normal((1, width)) + delta * rng.standard_normal((tokens, width))
        for layer in range(depth):
            w_qk, w_v = rng.standard_normal((2, width, width)) / np.sqrt(width)
            mean = x.mean(axis=0)
            centred = x - mean[None, :]
            gamma, eps = attention_gamma(x, w_qk)
            p = _softmax(mean @ w_qk @ centred.T / np.sqrt(width))
            attention = _softmax(x @ w_qk @ x.T / np.sqrt(width))
            y = attention @ x @ w_v
            rank_one = mean @ w_v + p @ centred @ w_v
            out["residual"][seed, layer] = composite_norm(centred)
            out["candidate"][seed, layer] = composite_norm(y - rank_one[None, :])
            out["gamma"][seed, layer] = gamma
            out["eps"][seed, layer] = eps
            out["beta"][seed, layer] = np.abs(w_qk).sum(axis=0).max() * composite_norm(w_v)
            out["scale"][seed, layer] = composite_norm(x)
            x = y
        out["residual"][seed, depth] = composite_norm(x - x.mean(axis=0)[None, :])
    return out


def _wrong_attention_exponent(exponent):
    def bound(residual, *, gamma, beta, d_qk):
        scale = theory.attention_residual_bound(1.0, gamma=gamma, beta=beta, d_qk=d_qk)
        return scale * np.asarray(residual, dtype=np.float64) ** exponent

    bound.__doc__ = f"Perturbation: residual^3 -> residual^{exponent}."
    return bound


def fit_slope(x, y) -> tuple[float, float]:
    """Least-squares slope of y on x (with intercept) and its standard error.

    Needs at least 3 points and two distinct x values.
    """
    x, y = finite_matrix("x", x, ndim=1), finite_matrix("y", y, ndim=1)
    if x.size != y.size or x.size < 3 or np.ptp(x) == 0:
        raise ValueError(f"x and y must be 1-d of one length >= 3 with distinct x values, got "
                         f"{x.shape}, {y.shape}")
    design = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    sigma2 = resid @ resid / (x.size - 2)
    with np.errstate(over="ignore", invalid="ignore"):
        slope, error = float(coef[1]), float(np.sqrt(sigma2 / np.sum((x - x.mean()) ** 2)))
    if not (np.isfinite(slope) and np.isfinite(error)):
        raise ValueError("x and y must have entries below ~1e150 (the fit overflows)")
    return slope, error


@claim(
    "RC1", "rank_collapse.pure_attention",
    source="Dong, Cordonnier & Loukas 2021, arXiv:2103.03404, Theorem 2.2",
    statement="Pure softmax self-attention (no skip, no MLP) contracts the residual from the "
              "nearest rank-1 matrix cubically per layer, log r_{l+1} ~ 3 log r_l (doubly "
              "exponential in depth) down to machine precision, and Dong et al.'s bound "
              "(4 gamma beta / sqrt(d_qk)) r^3 holds at every resolvable layer.",
    closed_form=theory.attention_residual_bound,
    measured="slope of log r_{l+1} against log r_l over layers with eps <= 0.05 (near-uniform "
             "attention) and r_{l+1} above rounding; parts: measured one-layer residual <= "
             "bound wherever the bound exceeds 1e-12 ||x||",
    error_model="Monte-Carlo: log r_{l+1} = 3 log r_l + log C_l with C_l iid over layers and "
                "seeds; tolerance 4 standard errors of the regression slope",
    defaults=dict(tokens=8, width=16, depth=6, seeds=120, start_residual=[1e-3, 1e-1]),
    perturbations={"r^3 -> r^2": _wrong_attention_exponent(2.0),
                   "r^3 -> r^4": _wrong_attention_exponent(4.0)},
    figures=("fig_rank_collapse_attention",),
    thorough=dict(seeds=600, depth=8),
)
def check_pure_attention(closed_form, *, tokens, width, depth, seeds, start_residual):
    run = simulate_pure_attention(tokens=tokens, width=width, depth=depth, seeds=seeds,
                                  start_residual=start_residual)
    r_in, r_out = run["residual"][:, :-1], run["residual"][:, 1:]
    bound = closed_form(r_in, gamma=run["gamma"], beta=run["beta"], d_qk=width)
    floor = ROUNDING_FLOOR * run["scale"]
    resolvable = bound > floor
    violations = resolvable & (run["candidate"] > bound)
    tightness = run["candidate"][resolvable] / bound[resolvable]
    # d log(bound) / d log(r) of the closed form: the predicted contraction exponent
    probe = closed_form(np.array([1e-4, 1e-2]), gamma=1.0, beta=1.0, d_qk=width)
    exponent = float(np.log(probe[1] / probe[0]) / np.log(100.0))
    cubic = (run["eps"] <= 0.05) & (r_out > 1e3 * floor)
    slope, stderr = fit_slope(np.log(r_in[cubic]), np.log(r_out[cubic]))
    parts = (
        part("bound holds", not violations.any(),
             f"{int(violations.sum())} of {int(resolvable.sum())} resolvable layers exceed the "
             f"bound; worst measured/bound {np.max(tightness):.3g}"),
        part("reaches rounding", bool(np.all(run["residual"][:, -1] < 1e3 * ROUNDING_FLOOR
                                                * run["scale"][:, -1])),
             f"largest final residual / ||x|| = "
             f"{np.max(run['residual'][:, -1] / run['scale'][:, -1]):.3g}"),
        part("enough pairs", cubic.sum() >= 20, f"{int(cubic.sum())} layer pairs in the fit"),
    )
    return Outcome(predicted=exponent, observed=slope, error=abs(slope - exponent),
                   tolerance=4 * stderr, parts=parts,
                   details={"pairs": int(cubic.sum()), "stderr": stderr})


# ----------------------------------------------------------------------------- RC2 skip


@cached
@single_blas_thread
def simulate_skip_attention(*, tokens, width, depth, alphas, seeds):
    """x_{l+1} = x_l + alpha P x_l W_l with uniform attention P = 1 1^T / T, W_l iid N(0, 1/d).

    P x_l = 1 mean_l^T, so the layer adds the row alpha mean_l^T W_l to every token; W_l
    enters only through mean_l^T W_l, which is exactly N(0, ||mean_l||^2 / d) per entry and
    is drawn as such (the same law as drawing W_l, at 1/d of the cost). Tokens start iid
    N(0, 1) (tokens x width). Returns, per alpha (leading axis) and seed: ``growth``
    ||mean_L||^2 / ||mean_0||^2, ``centred_change`` the largest change of the centred part
    x - 1 mean^T over the layers relative to ||x_l||_F, and ``ratio`` ||x_l - 1 mean^T||_F /
    ||x_l||_F for l = 0..depth.
    """
    growth = np.zeros((len(alphas), seeds))
    change = np.zeros((len(alphas), seeds))
    ratio = np.zeros((len(alphas), seeds, depth + 1))
    for a, alpha in enumerate(alphas):
        rng = np.random.default_rng(seeds * a + 12345)
        x = rng.standard_normal((seeds, tokens, width))
        centred0 = x - x.mean(axis=1, keepdims=True)
        mean0 = np.sum(x.mean(axis=1) ** 2, axis=-1)
        for layer in range(depth + 1):
            mean = x.mean(axis=1)
            centred = x - mean[:, None, :]
            size = np.linalg.norm(x, axis=(1, 2))
            ratio[a, :, layer] = np.linalg.norm(centred, axis=(1, 2)) / size
            drift = np.linalg.norm(centred - centred0, axis=(1, 2)) / size
            change[a] = np.maximum(change[a], drift)
            if layer < depth:
                scale = np.linalg.norm(mean, axis=1, keepdims=True) / np.sqrt(width)
                row = scale * rng.standard_normal((seeds, width))
                x = x + alpha * row[:, None, :]
        growth[a] = np.sum(x.mean(axis=1) ** 2, axis=-1) / mean0
    return {"growth": growth, "centred_change": change, "ratio": ratio}


def predicted_token_ratio(growth, centred_sq, mean_sq, tokens):
    """||x - 1 mean^T||_F / ||x||_F once the mean's squared norm has grown by ``growth``.

    A ratio in [0, 1]; ``centred_sq + tokens mean_sq growth`` must be positive.
    """
    growth, centred_sq, mean_sq = (non_negative(name, value) for name, value in
                                   (("growth", growth), ("centred_sq", centred_sq),
                                    ("mean_sq", mean_sq)))
    tokens = integer_at_least("tokens", tokens, 1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = np.sqrt(centred_sq / (centred_sq + tokens * mean_sq * growth))
    if not np.all(np.isfinite(ratio)):
        raise ValueError("centred_sq + tokens mean_sq growth must be in (0, 1.8e308)")
    return ratio


def _wrong_skip_power(alpha, depth):
    """Perturbation: (1 + alpha^2)^L -> (1 + alpha)^L."""
    return theory.skip_attention_mean_growth(np.sqrt(alpha), depth)


def _wrong_skip_depth(alpha, depth):
    """Perturbation: (1 + alpha^2)^L -> (1 + alpha^2)^(L/2)."""
    return theory.skip_attention_mean_growth(alpha, np.asarray(depth) / 2)


@claim(
    "RC2", "rank_collapse.skip_connections",
    source="Dong et al. 2021, arXiv:2103.03404, sec. 3 (skip connections); Noci et al. 2022, "
           "arXiv:2206.03126 (residual scaling 1/sqrt(L))",
    statement="With uniform attention and residual branch scale alpha, the expected squared "
              "norm of the token mean grows by (1 + alpha^2)^L while the centred tokens are "
              "unchanged; at depth "
              "48, alpha = 1/sqrt(L) keeps the tokens apart and alpha = 1 collapses them.",
    closed_form=theory.skip_attention_mean_growth,
    measured="z-score of the seed-mean of ||mean_L||^2 / ||mean_0||^2 against the closed form "
             "(worst alpha); parts: centred part unchanged to rounding, token ratio "
             "||x - 1 mean^T|| / ||x|| within a factor 2 of the closed-form value",
    error_model="Monte-Carlo over seeds, O(1/sqrt(seeds)): |mean - theory| <= 4 standard "
                "errors; the growth is a product of L iid factors of mean 1 + alpha^2 and "
                "relative variance ~ (4 alpha^2 + 2 alpha^4) / (d (1 + alpha^2)^2), so "
                "width 128 keeps the relative spread at depth 48 below 1",
    defaults=dict(tokens=8, width=128, depth=48, seeds=256),
    perturbations={"(1+a^2)^L -> (1+a)^L": _wrong_skip_power,
                   "(1+a^2)^L -> (1+a^2)^(L/2)": _wrong_skip_depth},
    figures=("fig_rank_collapse_attention",),
    thorough=dict(seeds=2048),
)
def check_skip_connections(closed_form, *, tokens, width, depth, seeds):
    alphas = [1.0 / np.sqrt(depth), 1.0]
    run = simulate_skip_attention(tokens=tokens, width=width, depth=depth, alphas=alphas,
                                  seeds=seeds)
    predicted = closed_form(np.asarray(alphas), depth)
    mean = run["growth"].mean(axis=1)
    stderr = run["growth"].std(axis=1, ddof=1) / np.sqrt(seeds)
    z = np.abs(mean - predicted) / stderr
    worst = int(np.argmax(z))
    # the expected token ratio at depth from the closed-form growth, with E||centred||^2 =
    # (T - 1) d and E T ||mean_0||^2 = d for iid N(0, 1) tokens
    expected_ratio = predicted_token_ratio(predicted, (tokens - 1) * width, width / tokens,
                                           tokens)
    observed_ratio = np.median(run["ratio"][:, :, -1], axis=1)
    within = np.abs(np.log(observed_ratio / expected_ratio)) <= np.log(2.0)
    parts = (
        part("centred part unchanged", run["centred_change"].max() < 100 * depth * EPS,
             f"max change / ||x|| {run['centred_change'].max():.2g} (rounding allows "
             f"{100 * depth * EPS:.2g})"),
        part("token ratio", bool(within.all()),
             "; ".join(f"alpha={a:.3g}: median {o:.3g} vs {e:.3g}"
                       for a, o, e in zip(alphas, observed_ratio, expected_ratio, strict=True))),
        part("apart vs collapsed", observed_ratio[0] > 0.1 and observed_ratio[1] < 1e-3,
             f"alpha=1/sqrt(L): {observed_ratio[0]:.3g}, alpha=1: {observed_ratio[1]:.3g}"),
    )
    return Outcome(predicted=float(predicted[worst]), observed=float(mean[worst]),
                   error=float(z[worst]), tolerance=4.0, parts=parts,
                   details={"alphas": alphas, "stderr": stderr.tolist()})


# ----------------------------------------------------------------------------- RC3 products


def _haar_orthogonal(rng, n):
    """A Haar-distributed orthogonal n x n matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))[None, :]


def _products(rng, *, n, depth, kind):
    """Yield W_l ... W_1 for l = 1..depth; factors N(0, 1/n) entries or orthogonal.

    Both keep E||W v||^2 = ||v||^2, so the spectrum is compared at one normalisation.
    """
    product = np.eye(n)
    for _ in range(depth):
        if kind == "gaussian":
            factor = rng.standard_normal((n, n)) / np.sqrt(n)
        else:
            factor = _haar_orthogonal(rng, n)
        product = factor @ product
        yield product


@cached
@single_blas_thread
def simulate_lyapunov(*, n, depth, seeds, variance=None):
    """Samples of log |R_ii| from QR accumulation W_l Q_{l-1} = Q_l R_l, (seeds * depth, n).

    The exponents are averages of these samples; a direct SVD of the product would lose the
    small singular values below rounding (they shrink like e^{l lambda_n}).
    """
    variance = 1.0 / n if variance is None else variance
    logs = np.zeros((seeds, depth, n))
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        q = np.eye(n)
        for layer in range(depth):
            q, r = np.linalg.qr(np.sqrt(variance) * rng.standard_normal((n, n)) @ q)
            logs[seed, layer] = np.log(np.abs(np.diag(r)))
    return logs.reshape(seeds * depth, n)


@cached
@single_blas_thread
def simulate_effective_rank(*, n, depth, seeds, kind):
    """Effective rank of W_l ... W_1 for l = 1..depth, (seeds, depth)."""
    ranks = np.zeros((seeds, depth))
    for seed in range(seeds):
        rng = np.random.default_rng(seed + 1000)
        for layer, matrix in enumerate(_products(rng, n=n, depth=depth, kind=kind)):
            ranks[seed, layer] = effective_rank(np.linalg.svd(matrix, compute_uv=False))
    return ranks


@cached
@single_blas_thread
def simulate_eigenvalue_fraction(*, n, depth, seeds, radius):
    """Per-seed fraction of eigenvalues of a product of N(0, 1/n) matrices with |z| < radius."""
    fractions = np.zeros(seeds)
    for seed in range(seeds):
        rng = np.random.default_rng(seed + 2000)
        *_, product = _products(rng, n=n, depth=depth, kind="gaussian")
        fractions[seed] = np.mean(np.abs(np.linalg.eigvals(product)) < radius)
    return fractions


def _wrong_lyapunov(n, *, variance=None):
    """Perturbation: ln(2 variance) -> ln(variance)."""
    variance = 1.0 / n if variance is None else variance
    return theory.gaussian_product_lyapunov(n, variance=variance / 2)


def _wrong_fraction_exponent(r, depth):
    """Perturbation: r^{2/depth} -> r^{1/depth}."""
    return theory.product_eigenvalue_fraction(r, 2 * np.asarray(depth))


@claim(
    "RC3", "rank_collapse.random_products",
    source="Newman 1986 / Cohen & Newman 1984 (Gaussian Lyapunov spectrum); Saxe et al. 2014, "
           "arXiv:1312.6120, fig. 6C; Burda, Janik & Waclaw 2010 (product eigenvalue law)",
    statement="Lyapunov exponents of products of N(0, 1/n) matrices, measured by QR "
              "accumulation, match 1/2 [ln(2/n) + digamma((n-i+1)/2)]; the fraction of "
              "eigenvalues of modulus below 0.05 is 0.05^{2/depth} (30 % at depth 5, 94 % at depth "
              "100); the effective rank falls with depth for Gaussian factors and stays n for "
              "orthogonal ones.",
    closed_form=(theory.gaussian_product_lyapunov, theory.product_eigenvalue_fraction),
    measured="largest |lambda_hat_i - lambda_i| / stderr_i over i; parts: eigenvalue fraction "
             "at depths 5 and 100, effective rank vs depth",
    error_model="Monte-Carlo: log|R_ii| are exact iid samples of 1/2 ln(variance chi^2_{n-i+1}), "
                "tolerance the Bonferroni z for n exponents at family rate 1e-4; eigenvalue "
                "fraction: 4 standard errors over seeds plus the O(1/n) finite-size bias "
                "(eigenvalue moduli ~ ((k - 1/2)/n)^{depth/2}), bounded by 1/n",
    defaults=dict(n=16, depth=64, seeds=8, fraction_n=100, fraction_depths=[5, 100],
                  fraction_seeds=16, rank_n=32, rank_depth=64, rank_seeds=4),
    perturbations={
        "ln(2 var) -> ln(var)": (_wrong_lyapunov, theory.product_eigenvalue_fraction),
        "r^(2/M) -> r^(1/M)": (theory.gaussian_product_lyapunov, _wrong_fraction_exponent),
    },
    figures=("fig_rank_collapse_lyapunov", "fig_rank_collapse_effective_rank"),
    thorough=dict(depth=256, seeds=32, fraction_seeds=64, rank_seeds=16),
)
def check_random_products(closed_form, *, n, depth, seeds, fraction_n, fraction_depths,
                          fraction_seeds, rank_n, rank_depth, rank_seeds):
    lyapunov, fraction = closed_form
    samples = simulate_lyapunov(n=n, depth=depth, seeds=seeds)
    predicted = lyapunov(n)
    observed = samples.mean(axis=0)
    stderr = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    z = np.abs(observed - predicted) / stderr
    worst = int(np.argmax(z))

    radius = 0.05
    fraction_parts = []
    for m in fraction_depths:
        per_seed = simulate_eigenvalue_fraction(n=fraction_n, depth=m, seeds=fraction_seeds,
                                                radius=radius)
        expected = float(fraction(radius, m))
        allowed = 4 * per_seed.std(ddof=1) / np.sqrt(fraction_seeds) + 1.0 / fraction_n
        fraction_parts.append(part(
            f"eigenvalue fraction depth {m}", abs(per_seed.mean() - expected) <= allowed,
            f"|z| < {radius}: measured {per_seed.mean():.4f}, theory {expected:.4f}, "
            f"allowed {allowed:.3g}"))

    gaussian = np.median(simulate_effective_rank(n=rank_n, depth=rank_depth, seeds=rank_seeds,
                                                 kind="gaussian"), axis=0)
    orthogonal = simulate_effective_rank(n=rank_n, depth=rank_depth, seeds=rank_seeds,
                                         kind="orthogonal")
    marks = np.unique(np.geomspace(1, rank_depth, 7).astype(int)) - 1
    rank_parts = (
        part("gaussian effective rank falls", bool(np.all(np.diff(gaussian[marks]) < 0))
             and gaussian[-1] < rank_n / 4,
             "depths " + ", ".join(f"{m + 1}: {gaussian[m]:.2f}" for m in marks)),
        part("orthogonal effective rank stays n", np.max(np.abs(orthogonal - rank_n)) < 1e-8,
             f"max |erank - {rank_n}| = {np.max(np.abs(orthogonal - rank_n)):.2g}"),
    )
    return Outcome(predicted=float(predicted[worst]), observed=float(observed[worst]),
                   error=float(z[worst]), tolerance=z_threshold(n),
                   parts=tuple(fraction_parts) + rank_parts,
                   details={"worst_exponent": worst + 1})


# ----------------------------------------------------------------------------- RC4 Jacobian


@cached
@single_blas_thread
def simulate_jacobian_variance(*, n, depth, seeds, kind):
    """Normalised spectral variance m2 / m1^2 - 1 of J J^T at depths 1..depth, (seeds, depth).

    m_k = (1/n) tr (J J^T)^k with J = D_l W_l ... D_1 W_1 the input-output Jacobian of a
    critical ReLU net at a random input; weights have variance 2/n (Gaussian) or are sqrt(2)
    times Haar orthogonal.
    """
    variance = np.zeros((seeds, depth))
    for seed in range(seeds):
        rng = np.random.default_rng(seed + (0 if kind == "gaussian" else 5000))
        x, jac = rng.standard_normal(n), np.eye(n)
        for layer in range(depth):
            if kind == "gaussian":
                w = np.sqrt(2.0 / n) * rng.standard_normal((n, n))
            else:
                w = np.sqrt(2.0) * _haar_orthogonal(rng, n)
            h = w @ x
            jac = (h > 0)[:, None] * (w @ jac)
            x = np.maximum(h, 0.0)
            gram = jac @ jac.T
            m1, m2 = np.trace(gram) / n, np.sum(gram**2) / n
            variance[seed, layer] = m2 / m1**2 - 1.0
    return variance


def _wrong_moment_ratio(depth, *, weights="gaussian", nonlinearity="relu"):
    """Perturbation: ReLU's mu2 / mu1^2 = 2 -> 1 (treated as linear)."""
    return theory.jacobian_spectrum_variance(depth, weights=weights, nonlinearity="linear")


def _wrong_s1(depth, *, weights="gaussian", nonlinearity="relu"):
    """Perturbation: Gaussian and orthogonal S-transforms swapped."""
    swapped = {"gaussian": "orthogonal", "orthogonal": "gaussian"}[weights]
    return theory.jacobian_spectrum_variance(depth, weights=swapped, nonlinearity=nonlinearity)


def jacobian_variance_width_bias(depth, n, kind):
    """First-order finite-width bias of the seed-mean of m2/m1^2 - 1 of a critical ReLU
    Jacobian: 2L(L+1)/n for Gaussian and L(L+3)/(2n) for orthogonal weights.

    Conditioning each layer on its Bin(n, 1/2) count of active units and taking the exact
    Wick (Gaussian) and degree-4 Weingarten (Haar) moments to first order in 1/n gives
    E[r' | r] = r(1 + 2/n) + 2 + 2/n (Gaussian), r(1 + 1/n) + 1 + 1/n (orthogonal), for
    r = m2/m1^2 - 1; summed over L layers. The next order has the other sign and relative
    size ~8L/n (fitted: -15.5 L^3/n^2 and -1.5 L^3/n^2), so it is a valid correction for
    8L/n <= 1/4 only.
    """
    depth = integer_at_least("depth", depth, 0, 10**6)
    n = integer_at_least("n", n, 1)
    one_of("kind", kind, ("gaussian", "orthogonal"))
    if kind == "gaussian":
        return 2 * depth * (depth + 1) / n
    return depth * (depth + 3) / (2 * n)


# The second-order width correction is at most this fraction of the first (8 L / n <= 1/4).
WIDTH_EXPANSION = 0.25


@claim(
    "RC4", "rank_collapse.jacobian_spectrum",
    source="Pennington, Schoenholz & Ganguli 2017, arXiv:1711.04735, eq. 15; 2018, "
           "arXiv:1802.09979",
    statement="At criticality the variance of the eigenvalues of J J^T (mean eigenvalue "
              "normalised to 1) grows as L (mu2/mu1^2 - 1 - s1): 2L for ReLU with Gaussian "
              "weights and L for ReLU with orthogonal weights.",
    closed_form=theory.jacobian_spectrum_variance,
    measured="per weight kind and depth, seed-mean of m2/m1^2 - 1 (m_k = tr (J J^T)^k / n) "
             "against the closed form; the worst normalised deviation",
    error_model="Monte-Carlo (4 standard errors over seeds) plus the finite-width bias: the "
                "first-order bias delta_1 = 2L(L+1)/n (Gaussian), L(L+3)/(2n) (orthogonal) "
                "is added to the prediction (jacobian_variance_width_bias), the next order "
                "(relative 8L/n <= 1/4, required) allowed as 0.25 delta_1; error reported as "
                "|deviation| / allowance",
    defaults=dict(n=512, depths=[4, 8, 16], seeds=24),
    perturbations={"mu2/mu1^2 = 2 -> 1": _wrong_moment_ratio, "s1 swapped": _wrong_s1},
    figures=("fig_rank_collapse_jacobian",),
    thorough=dict(seeds=48, depths=[2, 4, 8, 16]),
)
def check_jacobian_spectrum(closed_form, *, n, depths, seeds):
    if 8 * max(depths) / n > WIDTH_EXPANSION:
        raise ValueError(f"n must be >= 32 x max(depths) = {32 * max(depths)} for the width "
                         f"expansion (8L/n <= 1/4), got n={n}")
    parts, ratios, worst = [], [], None
    for kind in ("gaussian", "orthogonal"):
        variance = simulate_jacobian_variance(n=n, depth=max(depths), seeds=seeds, kind=kind)
        for depth in depths:
            samples = variance[:, depth - 1]
            bias = jacobian_variance_width_bias(depth, n, kind)
            predicted = float(closed_form(depth, weights=kind, nonlinearity="relu")) + bias
            allowed = 4 * samples.std(ddof=1) / np.sqrt(seeds) + WIDTH_EXPANSION * bias
            ratio = abs(samples.mean() - predicted) / allowed
            parts.append(part(f"{kind} L={depth}", ratio <= 1.0,
                              f"measured {samples.mean():.3f}, theory {predicted:.3f}, "
                              f"allowed +-{allowed:.3f}"))
            if worst is None or ratio > max(ratios):
                worst = (predicted, float(samples.mean()))
            ratios.append(ratio)
    return Outcome(predicted=worst[0], observed=worst[1], error=float(max(ratios)),
                   tolerance=1.0, parts=tuple(parts))


# ----------------------------------------------------------------------------- RC5 ReLU


@cached
def simulate_relu_correlation(*, n, depth, seeds, c0):
    """Cosine similarity of two inputs' post-activations after layers 1..depth, (seeds, depth).

    Critical ReLU net of width n: h = W x with W iid N(0, 2/n), x' = relu(h). For the two
    inputs the pair (W x_a, W x_b) has iid rows N(0, (2/n) G) with G the 2 x 2 Gram matrix of
    (x_a, x_b), exactly; the rows are drawn from that law (the same network law as drawing W,
    at O(n) instead of O(n^2) per layer). Post-activations are >= 0, so each cosine is in
    [0, 1] and is clipped there (the unclipped value is within ~2 eps of it when the two
    inputs' activations nearly coincide).
    """
    cosines = np.zeros((seeds, depth))
    for seed in range(seeds):
        rng = np.random.default_rng(seed + 7000)
        gram = n * np.array([[1.0, c0], [c0, 1.0]])
        for layer in range(depth):
            h = rng.standard_normal((n, 2)) @ np.linalg.cholesky(2.0 / n * gram).T
            x = np.maximum(h, 0.0)
            gram = x.T @ x
            cosines[seed, layer] = np.clip(gram[0, 1] / np.sqrt(gram[0, 0] * gram[1, 1]),
                                           0.0, 1.0)
    return cosines


def _wrong_relu_depth(c0, depth):
    """Perturbation: one layer too many."""
    return theory.relu_correlation(c0, np.asarray(depth) + 1)


def _wrong_relu_map(c0, depth):
    """Perturbation: the map's sqrt(1 - c^2) term halved."""
    c0, depth = np.broadcast_arrays(np.asarray(c0, dtype=np.float64), np.asarray(depth))
    c = c0.copy()
    for step in range(int(depth.max())):
        mapped = (0.5 * np.sqrt(1 - c**2) + (np.pi - np.arccos(c)) * c) / np.pi
        c = np.where(depth > step, mapped, c)
    return c


@claim(
    "RC5", "rank_collapse.relu_correlation",
    source="Cho & Saul 2009 (arc-cosine kernel, degree 1); Poole et al. 2016, arXiv:1606.05340 "
           "(correlation map)",
    statement="In a critical ReLU network (weights N(0, 2/n), no bias) the cosine similarity "
              "of two inputs after l layers follows the iterated arc-cosine map, at width "
              "1000 within O(1/sqrt(width)), and tends to 1 as 1 - c_l ~ 9 pi^2 / (2 l^2).",
    closed_form=theory.relu_correlation,
    measured="worst z-score over layers of the seed-mean cosine similarity against the "
             "closed form",
    error_model="O(1/sqrt(width)) fluctuations per network: 4 standard errors over seeds "
                "(Bonferroni over layers) plus an O(depth/width) bias allowance of l/n",
    defaults=dict(n=1000, depth=20, seeds=64, c0=0.2),
    perturbations={"depth -> depth + 1": _wrong_relu_depth, "wrong map": _wrong_relu_map},
    figures=("fig_rank_collapse_relu_correlation",),
    thorough=dict(seeds=1024, depth=40),
)
def check_relu_correlation(closed_form, *, n, depth, seeds, c0):
    samples = simulate_relu_correlation(n=n, depth=depth, seeds=seeds, c0=c0)
    layers = np.arange(1, depth + 1)
    predicted = closed_form(c0, layers)
    observed = samples.mean(axis=0)
    stderr = samples.std(axis=0, ddof=1) / np.sqrt(seeds)
    allowed = z_threshold(depth) * stderr + layers / n
    ratio = np.abs(observed - predicted) / allowed
    worst = int(np.argmax(ratio))
    return Outcome(predicted=float(predicted[worst]), observed=float(observed[worst]),
                   error=float(ratio[worst]), tolerance=1.0,
                   details={"layer": worst + 1, "allowed": float(allowed[worst])})


# ----------------------------------------------------------------------------- RC6 learning


def balanced_init(singular_values, size, depth, rng):
    """Factors W_j = V_{j+1} diag(s^{1/N}) V_j^T with random orthogonal V: balanced, product
    V_{N+1} diag(s) V_1^T."""
    size = integer_at_least("size", size, 1, 4096)
    depth = integer_at_least("depth", depth, 1, 1000)
    singular_values = non_negative("singular_values", singular_values)
    if singular_values.shape not in ((), (size,)):
        raise ValueError(f"singular_values must be a scalar or have shape ({size},), got "
                         f"{singular_values.shape}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    bases = [np.linalg.qr(rng.standard_normal((size, size)))[0] for _ in range(depth + 1)]
    scale = np.asarray(singular_values, dtype=np.float64) ** (1.0 / depth)
    return tuple((bases[j + 1] * scale) @ bases[j].T for j in range(depth))


@cached
def simulate_factorised_gd(*, size, depth, samples, learning_rates, t_max, seed=0):
    """Factorised GD on a balanced deep linear net; the end-to-end matrix at shared times.

    Returns times (R,), products (len(learning_rates), R, size, size), the initial product,
    and the data moments Sigma_xx = X^T X / m, Sigma_yx = Y^T X / m.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, size))
    y = x @ rng.standard_normal((size, size)).T / np.sqrt(size)
    init = balanced_init(rng.uniform(0.5, 1.5, size), size, depth, rng)
    runs = []
    for lr in learning_rates:
        epochs = int(round(t_max / lr))
        stride = int(round(learning_rates[-1] / lr)) * 10
        result = engine.train(
            squared_loss, tuple(w[None] for w in init), (x, y),
            members=engine.ensemble([seed], learning_rate=lr), epochs=epochs,
            record_every=stride, observe=observe_product,
        )
        runs.append((result.steps * lr, result.records["product"][0]))
    times = runs[0][0]
    return {"t": times, "products": np.stack([p for _, p in runs]),
            "init": product(init), "sigma_xx": x.T @ x / samples,
            "sigma_yx": y.T @ x / samples}


@single_blas_thread
def end_to_end_flow(closed_form, init, sigma_xx, sigma_yx, depth, times):
    """Integrate dW/dt = -closed_form(W, W Sigma_xx - Sigma_yx) to times (tight tolerances)."""
    shape = init.shape

    def velocity(_, flat):
        w = flat.reshape(shape)
        return -np.asarray(closed_form(w, w @ sigma_xx - sigma_yx, depth=depth)).ravel()

    solution = solve_ivp(velocity, (0.0, times[-1]), init.ravel(), method="DOP853",
                         t_eval=times, rtol=1e-11, atol=1e-13)
    return solution.y.T.reshape((len(times),) + shape)


def _wrong_depth(end_to_end, gradient, *, depth):
    """Perturbation: the preconditioner of depth N + 1."""
    return theory.end_to_end_update(end_to_end, gradient, depth=depth + 1)


def _no_preconditioner(end_to_end, gradient, *, depth):
    """Perturbation: no preconditioning, N times the plain gradient."""
    return depth * np.asarray(gradient)


# --- matrix completion


def completion_loss(weights, batch, hyper):
    rows, cols, values = batch
    prediction = product(weights)[rows, cols]
    return 0.5 * jnp.sum((prediction - values) ** 2) / hyper["size"]


def observe_singular_values(weights, data, hyper):
    return {"singular_values": jnp.linalg.svd(product(weights), compute_uv=False)}


@cached
def simulate_matrix_completion(*, size, rank, observed, depths, init_scale, learning_rate,
                               epochs, seeds):
    """Deep matrix factorisation on a rank-``rank`` size x size matrix from ``observed`` entries.

    Ground truth U V^T / sqrt(rank) with U, V standard normal (size x rank); each of the
    ``seeds`` tasks observes a random subset of entries. Factors start at init_scale times
    iid N(0, 1/size) (Arora et al. 2019, arXiv:1905.13655, near-zero init). Returns the
    final effective rank (len(depths), seeds) and the final training loss.
    """
    ranks = np.zeros((len(depths), seeds))
    losses = np.zeros((len(depths), seeds))
    for s in range(seeds):
        rng = np.random.default_rng(seed=s + 300)
        truth = rng.standard_normal((size, rank)) @ rng.standard_normal((rank, size))
        truth /= np.sqrt(rank)
        chosen = rng.choice(size * size, size=observed, replace=False)
        rows, cols = np.divmod(chosen, size)
        data = (rows, cols, truth[rows, cols])
        for k, depth in enumerate(depths):
            init = tuple(init_scale * rng.standard_normal((1, size, size)) / np.sqrt(size)
                         for _ in range(depth))
            result = engine.train(
                completion_loss, init, data,
                members=engine.ensemble([s], learning_rate=learning_rate, size=size),
                epochs=epochs, observe=observe_singular_values,
            )
            ranks[k, s] = effective_rank(result.records["singular_values"][0, -1])
            losses[k, s] = result.records["loss"][0, -1]
    return {"effective_rank": ranks, "loss": losses}


@claim(
    "RC6", "rank_collapse.end_to_end_dynamics",
    source="Arora, Cohen & Hazan 2018, arXiv:1802.06509, Theorem 1; Arora, Cohen, Hu & Luo "
           "2019, arXiv:1905.13655 (deep matrix factorisation)",
    statement="Factorised GD on a balanced deep linear network moves the end-to-end matrix by "
              "the preconditioned update sum_j (WW^T)^{(j-1)/N} grad (W^TW)^{(N-j)/N} up to "
              "O(lr); in matrix completion the effective rank of the learned matrix falls "
              "with depth 1..4.",
    closed_form=theory.end_to_end_update,
    measured="ratio of max_t ||W_GD(t) - W_flow(t)||_F / ||W(0)||_F at 2 lr and lr, the flow "
             "integrated from the closed form; parts: the error at lr, median effective rank "
             "of the completed matrix for depth 1..4",
    error_model="O(lr) Euler discretisation of the end-to-end flow (balance drifts by O(lr^2) "
                "per step): error(2 lr) / error(lr) = 2 + O(lr), tolerance 0.3; a wrong "
                "preconditioner leaves an lr-independent error (ratio ~ 1)",
    defaults=dict(size=4, depth=3, samples=32, learning_rate=2e-3, t_max=2.0,
                  completion=dict(size=16, rank=1, observed=96, depths=[1, 2, 3, 4],
                                  init_scale=0.1, learning_rate=0.2, epochs=3000, seeds=3)),
    perturbations={"depth N -> N + 1": _wrong_depth,
                   "no preconditioning": _no_preconditioner},
    figures=("fig_rank_collapse_completion",),
    thorough=dict(learning_rate=1e-3),
)
def check_end_to_end_dynamics(closed_form, *, size, depth, samples, learning_rate, t_max,
                              completion):
    rates = [learning_rate, 2 * learning_rate]
    run = simulate_factorised_gd(size=size, depth=depth, samples=samples,
                                 learning_rates=rates, t_max=t_max)
    flow = end_to_end_flow(closed_form, run["init"], run["sigma_xx"], run["sigma_yx"], depth,
                           run["t"])
    scale = np.linalg.norm(run["init"])
    errors = [float(np.max(np.linalg.norm(p - flow, axis=(1, 2)))) / scale
              for p in run["products"]]
    ranks = simulate_matrix_completion(**completion)
    median_rank = np.median(ranks["effective_rank"], axis=1)
    parts = (
        part("small error", errors[0] <= 20 * learning_rate,
             f"relative error {errors[0]:.3g} at lr={learning_rate:g} (<= 20 lr), "
             f"{errors[1]:.3g} at 2 lr"),
        part("effective rank falls with depth", bool(np.all(np.diff(median_rank) < 0)),
             "depths " + ", ".join(f"{d}: {r:.3f}" for d, r in
                                   zip(completion["depths"], median_rank, strict=True))
             + f"; worst final loss {ranks['loss'].max():.2g}"),
    )
    return first_order_outcome(errors, rates, tolerance=0.3, parts=parts)
