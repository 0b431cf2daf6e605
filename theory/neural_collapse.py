"""Neural collapse: the simplex ETF and the global minimisers of unconstrained-features models.

Conventions shared by every function here. K classes; class k has n_k samples, N = sum n_k.
An unconstrained-features model (UFM) treats the last-layer features H (d x N) as free
parameters next to the classifier W (K x d) and minimises

    1/N sum_i loss(W h_i [+ b], y_i) + lambda_w/2 ||W||_F^2 + lambda_h/2 ||H||_F^2

(mean over samples, ridge penalties summed). "Class mean" h_k is the mean feature of class k;
all minimisers below have zero within-class variability, so h_i = h_k for every sample of
class k. Norms are Euclidean; cosines are between vectors centred at the global mean where
stated.

Derivation (used for every closed form): after within-class collapse the objective depends on
Z = W M D^{1/2} (M = [h_1..h_K], D = diag(n_k)), and the smallest ridge penalty of any
factorisation of Z into L + 1 factors is (L + 1)/2 (lambda_w^L lambda_h)^{1/(L+1)}
sum_j sigma_j(Z)^{2/(L+1)}, attained by balanced factors. What remains is a problem in the
singular values of Z that separates over classes.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, optimize

from theory._validate import as_finite, finite_result, integer_at_least, non_negative, positive

# Upper bounds on the integers that set the work of a call: a K x K frame or one-hot
# matrix (K <= 4096: 134 MB), and the depth L (s^L under/overflows long before L = 1000).
MAX_FRAME = 4096
MAX_DEPTH = 1000


def _no_bool(name, value, check):
    """``check(name, value)`` (a theory._validate helper) after refusing bool input."""
    if isinstance(value, bool | np.bool_) or np.asarray(value).dtype == np.bool_:
        raise ValueError(f"{name} must be numeric, not bool, got {value!r}")
    return check(name, value)


def _power_product(what, factors, forms, arguments):
    """prod b**e over ``factors`` ((b, e) pairs, b > 0; ints may be huge) without spurious
    overflow: the first of ``forms`` (callables; the closed form as written first, then
    rearrangements) whose value is a normal float64, else the product through logarithms
    (relative error <= ~1e-13 there); ValueError naming ``arguments`` where the true value is
    beyond float64 (> 1.8e308). Values below the float64 range underflow to 0 as usual."""
    for form in forms:
        try:
            with np.errstate(all="ignore"):
                value = form()
            if np.isfinite(value) and abs(value) >= np.finfo(float).tiny:
                return value
        except OverflowError:  # Python int -> float conversion or float ** int
            pass
    log = sum(exponent * math.log(base) for base, exponent in factors)
    if log > math.log(np.finfo(float).max):
        raise ValueError(f"{what} = exp({log:.6g}) overflows float64 (> 1.8e308) for {arguments}")
    return np.float64(math.exp(log))


def _sqrt_ratio(numerator, denominator):
    """sqrt(numerator / denominator) for positive finite floats, without the spurious
    overflow or underflow of the quotient (the direct form wherever that is normal)."""
    with np.errstate(all="ignore"):
        quotient = numerator / denominator
        if np.isfinite(quotient) and quotient >= np.finfo(float).tiny:
            return np.sqrt(quotient)
        return np.sqrt(numerator) / np.sqrt(denominator)


def _balanced_norms(product, n, lw, lh, arguments):
    """(||w_k||, ||h_k||) = sqrt(product) (n lh / lw)^{+-1/4}: the balanced factors of a UFM
    minimiser with ||w_k|| ||h_k|| = ``product`` and ||w_k|| / ||h_k|| = sqrt(n lh / lw).

    The closed forms as written, sqrt(product sqrt(n lh / lw)) and sqrt(product sqrt(lw / (n
    lh))), where their intermediates are normal floats; else through logarithms (n lh / lw
    overflowed for a subnormal weight decay, lambda_w = 2e-313, while ||w_k|| ~ 1e79 is
    finite). ValueError where a norm itself exceeds float64.
    """
    if product == 0:
        return 0.0, 0.0

    def direct(ratio):  # NaN (refused by _power_product) where an intermediate is not normal
        with np.errstate(all="ignore"):
            quotient = ratio()
        if not np.finfo(float).tiny <= quotient < np.inf:
            return np.nan
        return np.sqrt(product * np.sqrt(quotient))

    classifier = _power_product(
        "||w_k||",
        ((product, 0.5), (n, 0.25), (lh, 0.25), (lw, -0.25)),
        (lambda: direct(lambda: n * lh / lw),),
        arguments,
    )
    feature = _power_product(
        "||h_k||",
        ((product, 0.5), (n, -0.25), (lh, -0.25), (lw, 0.25)),
        (lambda: direct(lambda: lw / (n * lh)),),
        arguments,
    )
    return float(classifier), float(feature)


def simplex_etf(num_classes, dim=None):
    """The standard simplex equiangular tight frame: a dim x K matrix.

    Columns e_k are unit vectors that sum to zero with pairwise cosines -1/(K-1)
    (Papyan, Han & Donoho 2020, arXiv:2008.08186, Definition 1):
        E^T E = K/(K-1) (I_K - 1 1^T / K).
    Built from the Helmert basis of the sum-zero subspace, so the result is deterministic;
    rows beyond the first K - 1 are zero.

    Args:
        num_classes: K >= 2.
        dim: rows d >= K - 1 (default K).
    Returns:
        (dim, K) float64 array.

    Example:
        >>> e = simplex_etf(3, 2)
        >>> np.round(e.T @ e, 12)
        array([[ 1. , -0.5, -0.5],
               [-0.5,  1. , -0.5],
               [-0.5, -0.5,  1. ]])
    """
    k = _bounded_int("num_classes", num_classes, 2, MAX_FRAME)
    d = k if dim is None else _bounded_int("dim", dim, k - 1, MAX_FRAME)
    basis = linalg.helmert(k)  # (K-1, K): orthonormal rows, each orthogonal to 1
    etf = np.zeros((d, k))
    etf[: k - 1] = np.sqrt(k / (k - 1)) * basis
    return etf


def nc1_isotropic_noise(noise_std, radius, num_classes):
    """Papyan's NC1 = Tr(Sigma_W Sigma_B^+)/K for isotropic noise around a simplex ETF.

    Class means r e_k (e_k a simplex ETF), features h = r e_k + s z with z ~ N(0, I_d):
    Sigma_W = s^2 I and Sigma_B = r^2/(K-1) P (P the projector on the ETF span), so
        NC1 = s^2 (K-1)^2 / (K r^2).
    The population value; a sample estimate carries O(1/sqrt(N)) sampling error. Computed
    without intermediate overflow (any finite noise_std >= 0, radius > 0, integer K >= 2);
    ValueError where the value itself exceeds float64 (e.g. noise_std / radius > 1e154).

    Example:
        >>> float(nc1_isotropic_noise(0.5, 1.0, 4))
        0.5625
    """
    s = non_negative("noise_std", noise_std)
    r = positive("radius", radius)
    k = integer_at_least("num_classes", num_classes, 2)
    if s == 0:
        return s * 0.0
    return _power_product(
        "NC1",
        ((float(s), 2), (k - 1, 2), (k, -1), (float(r), -2)),
        (lambda: s**2 * (k - 1) ** 2 / (k * r**2), lambda: (s / r) ** 2 * ((k - 1) ** 2 / k)),
        f"noise_std={noise_std!r}, radius={radius!r}, num_classes={num_classes!r}",
    )


def _ufm_regularisation(num_classes, n_per_class, lambda_w, lambda_h):
    k = integer_at_least("num_classes", num_classes, 2)
    n = integer_at_least("n_per_class", n_per_class, 1)
    lw = _number("lambda_w", lambda_w, positive)
    lh = _number("lambda_h", lambda_h, positive)
    return k, n, lw, lh


def ce_unconstrained_features_norms(num_classes, n_per_class, lambda_w, lambda_h):
    """Global minimiser of the cross-entropy UFM with weight decay (balanced, no bias).

    Objective: 1/N sum_i CE(W h_i, y_i) + lambda_w/2 ||W||^2 + lambda_h/2 ||H||^2, N = K n,
    d >= K - 1. Zhu et al. 2021 (arXiv:2105.02375, Thm 3.1) show every global minimiser has
    h_i = h_k, class means forming a simplex ETF and w_k = sqrt(n lambda_h / lambda_w) h_k.
    With rho = ||w_k|| ||h_k||, the logits are rho (own class) and -rho/(K-1), and the
    objective reduces to log(1 + (K-1) e^{-K rho/(K-1)}) + K c rho, c = sqrt(n lambda_w
    lambda_h); its minimiser (derived here) is
        rho = (K-1)/K log((1 - (K-1) c) / c)    if K c < 1, else 0 (collapse to the origin),
        ||w_k||^2 = rho sqrt(n lambda_h / lambda_w),  ||h_k||^2 = rho sqrt(lambda_w / (n lambda_h)).
    Computed without spurious overflow or underflow (rho from ln c where n lambda_w lambda_h
    is not a normal float, e.g. a subnormal weight decay; the norms through logarithms where
    n lambda_h / lambda_w overflows); ValueError where a norm itself exceeds float64.

    Returns:
        dict with classifier_norm (||w_k||), feature_norm (||h_k||), product (rho) and
        cosine (-1/(K-1)), all floats.

    Example:
        >>> out = ce_unconstrained_features_norms(4, 5, 5e-3, 5e-3)
        >>> round(out["product"], 6), out["cosine"]
        (3.344611, -0.3333333333333333)
    """
    k, n, lw, lh = _ufm_regularisation(num_classes, n_per_class, lambda_w, lambda_h)
    arguments = (
        f"num_classes={num_classes!r}, n_per_class={n_per_class!r}, lambda_w={lambda_w!r}, "
        f"lambda_h={lambda_h!r}"
    )
    with np.errstate(all="ignore"):
        c_squared = n * lw * lh
    if np.finfo(float).tiny <= c_squared < np.inf:
        c = np.sqrt(c_squared)
        rho = (k - 1) / k * np.log((1 - (k - 1) * c) / c) if k * c < 1 else 0.0
    else:  # c^2 under- or overflows: ln c from the logs of the factors
        log_c = 0.5 * (math.log(n) + math.log(lw) + math.log(lh))
        c = math.exp(min(log_c, 0.0))  # only used where c < 1/K
        rho = (k - 1) / k * (math.log1p(-(k - 1) * c) - log_c) if log_c < -math.log(k) else 0.0
    classifier_norm, feature_norm = _balanced_norms(rho, n, lw, lh, arguments)
    return dict(
        classifier_norm=classifier_norm,
        feature_norm=feature_norm,
        product=float(rho),
        cosine=-1.0 / (k - 1),
    )


def mse_unconstrained_features_norms(num_classes, n_per_class, lambda_w, lambda_h, *, bias=True):
    """Global minimiser of the MSE UFM with weight decay, with or without an unregularised bias.

    Objective: 1/(2N) ||W H + b 1^T - Y||^2 + lambda_w/2 ||W||^2 + lambda_h/2 ||H||^2, one-hot
    Y, N = K n, d >= K. The bias absorbs the target mean (b = 1/K, features centred), leaving
    the centred targets I - 11^T/K, whose K-1 singular values are 1; without bias the targets
    I have K singular values 1. Soft-thresholding them (derivation in the module docstring;
    cf. Zhou et al. 2022, arXiv:2203.01238, and Tirer & Bruna 2022, arXiv:2202.08087):
        sigma = 1 - K sqrt(n lambda_w lambda_h)    (0 if negative),
        ||w_k||^2 = q sigma sqrt(n lambda_h / lambda_w),  ||h_k||^2 = q sigma sqrt(lambda_w /
        (n lambda_h)),  q = (K-1)/K with bias, 1 without;
    class means form a simplex ETF (cosine -1/(K-1)) with the bias and an orthogonal frame
    (cosine 0) without. The norms are computed without spurious overflow (through logarithms
    where n lambda_h / lambda_w overflows); ValueError where a norm itself exceeds float64.

    Returns:
        dict with classifier_norm, feature_norm, cosine, and bias (1/K, or 0.0 if bias=False).

    Example:
        >>> out = mse_unconstrained_features_norms(4, 5, 1e-2, 1e-2)
        >>> round(out["feature_norm"] ** 2, 6), out["bias"]
        (0.30541, 0.25)
    """
    k, n, lw, lh = _ufm_regularisation(num_classes, n_per_class, lambda_w, lambda_h)
    if not isinstance(bias, bool | np.bool_):
        raise ValueError(f"bias must be True or False, got {bias!r}")
    with np.errstate(over="ignore", under="ignore"):  # (n lw lh -> inf: sigma = 0, -> 0: 1)
        sigma = max(1.0 - k * np.sqrt(n * lw * lh), 0.0)
    q = (k - 1) / k if bias else 1.0
    arguments = (
        f"num_classes={num_classes!r}, n_per_class={n_per_class!r}, lambda_w={lambda_w!r}, "
        f"lambda_h={lambda_h!r}"
    )
    classifier_norm, feature_norm = _balanced_norms(q * sigma, n, lw, lh, arguments)
    return dict(
        classifier_norm=classifier_norm,
        feature_norm=feature_norm,
        cosine=-1.0 / (k - 1) if bias else 0.0,
        bias=1.0 / k if bias else 0.0,
    )


def minority_collapse_threshold(num_samples, depth, lambda_w, lambda_h):
    """Class size at and below which a class of the deep linear MSE UFM collapses to zero.

    For the objective of :func:`imbalanced_deep_linear_minimizer` with N samples in total and
    depth L, class k has a non-zero global minimiser iff n_k > n*, where (derived here)
        n* = N^2 lambda_w lambda_h                                          (L = 1),
        n* = (L N)^{(L+1)/L} (L/(L-1))^{(L-1)/L} lambda_w lambda_h^{1/L}     (L >= 2).
    For L >= 2 a non-zero local minimum already exists for somewhat smaller n_k, but it loses
    to the origin there (see :func:`imbalanced_deep_linear_minimizer`). Computed without
    intermediate overflow; ValueError where n* itself exceeds float64 (> 1.8e308, e.g.
    num_samples = 1e300 at L = 1 with lambda_w lambda_h = 1e-6).

    Example:
        >>> float(minority_collapse_threshold(100, 1, 1e-3, 1e-3))
        0.01
    """
    n = _number("num_samples", num_samples, positive)
    depth = _bounded_int("depth", depth, 1, MAX_DEPTH)
    lw = _no_bool("lambda_w", lambda_w, positive)
    lh = _no_bool("lambda_h", lambda_h, positive)
    arguments = f"num_samples={num_samples!r}, depth={depth}, lambda_w={lambda_w!r}, lambda_h={lambda_h!r}"
    if depth == 1:
        return _power_product(
            "n*",
            ((n, 2), (float(lw), 1), (float(lh), 1)),
            (lambda: np.float64(n) ** 2 * lw * lh, lambda: (n * lw) * (n * lh)),
            arguments,
        )
    return _power_product(
        "n*",
        (
            (depth * n, (depth + 1) / depth),
            (depth / (depth - 1), (depth - 1) / depth),
            (float(lw), 1),
            (float(lh), 1 / depth),
        ),
        (
            lambda: (
                (depth * np.float64(n)) ** ((depth + 1) / depth)
                * (depth / (depth - 1)) ** ((depth - 1) / depth)
                * lw
                * lh ** (1 / depth)
            ),
        ),
        arguments,
    )


def imbalanced_deep_linear_minimizer(n_per_class, depth, lambda_w, lambda_h):
    """Global minimiser of the bias-free deep linear MSE UFM with imbalanced classes.

    Objective (Dang et al. 2023, arXiv:2301.00437, bias-free imbalanced setting):
        1/(2N) ||W_L ... W_1 H - Y||_F^2 + sum_l lambda_w/2 ||W_l||^2 + lambda_h/2 ||H||^2,
    one-hot Y, every width >= K. At the global minimiser the class means are orthogonal and
    the rows of the end-to-end classifier W = W_L...W_1 are orthogonal and aligned with them
    (a "general orthogonal frame"). Derivation: each layer carries class k with the same
    singular value s_k, the features with sqrt(lambda_w/lambda_h) s_k, and s_k minimises
        f(s) = 1/(2N) (r s^{L+1} - sqrt(n_k))^2 + (L+1) lambda_w/2 s^2,
    with r = sqrt(lambda_w/lambda_h),
    whose non-zero stationary points solve r s^{L-1} (sqrt(n_k) - r s^{L+1}) = N lambda_w.
    Then ||row_k(W)|| = s_k^L and ||h_k||^2 = (lambda_w/lambda_h) s_k^2 / n_k.

    Local versus global: for L = 1 f is convex in s^2 and the root is the minimiser whenever
    it exists. For L >= 2 the origin is always a local minimum (f - f(0) ~ s^2 near 0) and
    the largest root is another local minimum; writing q = r s^{L+1}, f(s) - f(0) =
    q ((L-1) sqrt(n_k) - L q) / (2N) there, so the non-zero point is the global minimiser iff
    q > (L-1)/L sqrt(n_k), i.e. iff n_k > :func:`minority_collapse_threshold`. Classes at or
    below it get norm 0 (at equality both points are global minimisers; 0 is returned).

    Args:
        n_per_class: (K,) positive class sizes (integers not required).
        depth: L >= 1 linear layers in the classifier.
        lambda_w, lambda_h: positive weight decays.
    Returns:
        dict of (K,) arrays: classifier_row_norms, feature_mean_norms_sq,
        layer_singular_values (s_k), and local_row_norms (the largest-root local minimum,
        0 where none exists; equal to classifier_row_norms where that root is global).

    Example:
        >>> out = imbalanced_deep_linear_minimizer([10, 1], 1, 1e-1, 1e-1)
        >>> np.round(out["classifier_row_norms"], 6)
        array([1.436063, 0.      ])
    """
    n_k = _no_bool("n_per_class", n_per_class, positive)
    if n_k.ndim != 1 or not 2 <= n_k.size <= MAX_FRAME:
        raise ValueError(
            f"n_per_class must be a 1-D sequence of 2 to {MAX_FRAME} class sizes, got {n_per_class!r}"
        )
    depth = _bounded_int("depth", depth, 1, MAX_DEPTH)
    lw = _number("lambda_w", lambda_w, positive)
    lh = _number("lambda_h", lambda_h, positive)
    # In u = r s^{L+1} / sqrt(n_k) (the class's output on its own label, in (0, 1)) the
    # stationarity condition reads g(u) = u^a (1 - u) = c_k, a = (L-1)/(L+1), with
    # c_k = N lambda_w r^{-2/(L+1)} n_k^{-L/(L+1)} = N lambda_w^{L/(L+1)} lambda_h^{1/(L+1)}
    # n_k^{-L/(L+1)}: every weight decay and class size enters through logarithms, so that no
    # ratio lambda_w / lambda_h over- or underflows (lambda_h = 1e-320 gave NaN) and the root
    # is found on a unit scale (in s itself an absolute xtol lost s ~ 1e-80).
    top = n_k.max()
    log_total = np.log(np.sum(n_k / top)) + np.log(top)  # ln N without overflow of N
    log_lw, log_lh, log_n = np.log(lw), np.log(lh), np.log(n_k)
    a, power = (depth - 1) / (depth + 1), depth / (depth + 1)
    log_c = log_total + power * log_lw + (1 - power) * log_lh - power * log_n
    u_peak = (depth - 1) / (2 * depth)  # g rises on [0, u_peak] and falls on [u_peak, 1]
    with np.errstate(over="ignore", under="ignore"):
        c = np.exp(log_c)
    local_u = np.zeros_like(n_k)
    for k in range(n_k.size):
        if depth == 1:
            local_u[k] = max(1.0 - c[k], 0.0)
        elif u_peak**a * (1 - u_peak) > c[k]:
            local_u[k] = optimize.brentq(
                lambda u, ck=c[k]: u**a * (1 - u) - ck, u_peak, 1.0, xtol=1e-16, rtol=4 * np.finfo(float).eps
            )
    wins = local_u > (depth - 1) / depth
    # s = (u sqrt(n_k) / r)^{1/(L+1)}, r = sqrt(lambda_w / lambda_h): as written where every
    # step is a normal float, else through logarithms
    tiny = np.finfo(float).tiny
    with np.errstate(all="ignore"):
        ratio = lw / lh
        direct_s = (local_u * np.sqrt(n_k) / np.sqrt(ratio)) ** (1 / (depth + 1))
        log_local_s = (np.log(local_u) + 0.5 * log_n - 0.5 * (log_lw - log_lh)) / (depth + 1)
        if tiny <= ratio < np.inf:
            row_norms, features = direct_s**depth, ratio * direct_s**2 / n_k
        else:
            row_norms, features = np.full(n_k.shape, np.nan), np.full(n_k.shape, np.nan)
        exact = np.isfinite(row_norms) & (row_norms >= tiny) & np.isfinite(features) & (features >= tiny)
        local_rows = np.where(exact, row_norms, np.exp(depth * log_local_s))
        chosen = wins & (local_u > 0)
        out = dict(
            classifier_row_norms=np.where(chosen, local_rows, 0.0),
            # (lambda_w / lambda_h) s^2 / n_k
            feature_mean_norms_sq=np.where(
                chosen, np.where(exact, features, np.exp((log_lw - log_lh) + 2 * log_local_s - log_n)), 0.0
            ),
            layer_singular_values=np.where(chosen, np.where(exact, direct_s, np.exp(log_local_s)), 0.0),
            local_row_norms=local_rows,
        )
    arguments = f"n_per_class={n_per_class!r}, depth={depth}, lambda_w={lambda_w!r}, lambda_h={lambda_h!r}"
    for name, value in out.items():
        finite_result(name, value, arguments)
    return out


# Largest class counts and restarts accepted by the certified solvers below: each solve
# optimises 2 K^2 numbers by L-BFGS, so K = 200 already means 8e4 unknowns per restart.
MAX_CLASSES = 200
MAX_RESTARTS = 100
MAX_SEED = 2**63 - 1

# Domain of :func:`imbalanced_ce_minority_cosine` (measured, restarts=1, seeds 0-2, K_A + K_B in
# {1+2, 2+2, 5+5, 10+10}, R = n_majority / n_minority in [1e-12, 1e12]). The problem depends on
# the counts and the weight decays only through R and mu sqrt(n) (mu = sqrt(lambda_w lambda_h);
# scaling every count by c is the same as mu -> mu sqrt(c)), and the certificate fails when
# that effective weight decay is small: 0/304 failures at mu = 1e-4 with counts >= 1, but
# 2/304 at mu = 3e-5, 9/36 at mu = 3e-6, and 12/36 at mu = 1e-4 with n_minority = 1e-3.
# Hence counts >= 1 (a class has a sample) and mu >= 1e-4. Upper ends: the solve keeps its
# answer (0.0462369 at R = 10, mu sqrt(n_minority) = 1e-3) for counts up to 1e16 and fails
# to certify from 1e20 (the factors start at unit scale and must grow to ~sqrt(n)), so
# counts <= 1e12 leaves four decades of margin (and exceeds any data set's class size);
# mu >= 1 is refused because there every classifier is zero (||grad F(0)||_2 <=
# max_k sqrt(n_k)/N <= 1/sqrt(3) < mu when counts >= 1 and K >= 3), no cosine of any pair.
UFM_COUNT_RANGE = (1.0, 1e12)
UFM_MU_RANGE = (1e-4, 1.0)  # sqrt(lambda_w lambda_h) in [1e-4, 1)

# Certificate of :func:`imbalanced_ce_minority_cosine`: the convex optimality condition
# ||grad F(Z)||_2 <= mu holds to this relative slack at every certified point (measured at
# NC5's defaults: 1e-9 - 1e-8 after L-BFGS with gtol 1e-13).
UFM_CERTIFICATE_SLACK = 1e-6


def _bounded_int(name, value, low, high):
    """``value`` as an int in [low, high]; bools and non-integers refused (ValueError)."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got the bool {value!r}")
    try:
        ok = float(value).is_integer() and low <= int(value) <= high
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def _number(name, value, check):
    """A real scalar through ``check`` (a theory._validate helper); bools refused."""
    if isinstance(value, bool | np.bool_) or np.ndim(value) != 0:
        raise ValueError(f"{name} must be a real number, got {value!r}")
    return float(check(name, value))


def _class_count(name, value):
    """A class size of :func:`imbalanced_ce_minority_cosine`: a real number in
    UFM_COUNT_RANGE (need not be an integer); see UFM_COUNT_RANGE for the measured bounds."""
    count = _number(name, value, positive)
    low, high = UFM_COUNT_RANGE
    if not low <= count <= high:
        raise ValueError(
            f"{name} must be in [{low:g}, {high:g}] (a class size: at least one sample, and at "
            f"most 1e12, where the certified solve is measured accurate), got {value!r}"
        )
    return count


def _check_weight_decay(lw, lh, lambda_w, lambda_h):
    """Refuse mu = sqrt(lambda_w lambda_h) outside UFM_MU_RANGE (the solver sees only mu)."""
    low, high = UFM_MU_RANGE
    with np.errstate(all="ignore"):
        mu = np.sqrt(lw) * np.sqrt(lh)  # no overflow or underflow of the product
    if not low <= mu < high:
        raise ValueError(
            f"sqrt(lambda_w * lambda_h) must be in [{low:g}, {high:g}) (below 1e-4 the "
            f"optimality certificate fails; from 1 every classifier is zero), got "
            f"{mu:.3g} from lambda_w={lambda_w!r}, lambda_h={lambda_h!r}"
        )


def _unit_cosine(value):
    """A computed cosine clamped to [-1, 1]: the Gram entries it is made of carry relative
    round-off ~ K eps (K <= MAX_CLASSES), so it can leave [-1, 1] by at most ~1e-13; the clamp
    removes only that."""
    return float(np.clip(value, -1.0, 1.0))


def _ce_fit(weights, scale):
    """F(Z) = sum_k weights_k CE(Z e_k scale_k, k) and its gradient in Z (columns = classes)."""
    k = weights.size

    def fit(z):
        logits = z * scale[None, :]
        logits = logits - logits.max(axis=0, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=0, keepdims=True))
        value = -np.sum(weights * np.diag(log_p))
        return value, (np.exp(log_p) - np.eye(k)) * (weights * scale)[None, :]

    return fit


def _penalised_factor_solve(fit, rows, mu, rng, restarts):
    """min over Z = E A B^T of fit(Z) + mu/2 (||A||^2 + ||B||^2), E = ``rows`` (K x q, 0/1),
    by L-BFGS from ``restarts`` random starts; returns the best Z (K x K)."""
    k, q = rows.shape

    def objective(x):
        a, b = x[: q * k].reshape(q, k), x[q * k :].reshape(k, k)
        value, g = fit(rows @ a @ b.T)
        g = rows.T @ g
        value += mu / 2 * (np.sum(a**2) + np.sum(b**2))
        return value, np.concatenate([(g @ b + mu * a).ravel(), (g.T @ a + mu * b).ravel()])

    best = None
    for _ in range(restarts):
        res = optimize.minimize(
            objective,
            rng.standard_normal(q * k + k * k),
            jac=True,
            method="L-BFGS-B",
            options=dict(maxiter=20000, gtol=1e-13, ftol=1e-16),
        )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        return np.full((k, k), np.nan)
    return rows @ best.x[: q * k].reshape(q, k) @ best.x[q * k :].reshape(k, k).T


def imbalanced_ce_minority_cosine(
    n_majority, n_minority, num_majority, num_minority, lambda_w, lambda_h, *, restarts=2, seed=0
):
    """Cosine between two minority-class classifiers at the global minimum of the CE UFM.

    Minority collapse was found by Fang et al. 2021 (arXiv:2101.12699) in their norm-
    *constrained* layer-peeled model (see :func:`layer_peeled_minority_cosine`). This is the
    weight-decay version: num_majority classes of n_majority samples, num_minority classes of
    n_minority samples, R = n_majority / n_minority, and the UFM
    1/N sum CE(W h_i) + lambda_w/2 ||W||^2 + lambda_h/2 ||H||^2 (no bias), solved in its
    collapsed form: with Z = W M D^{1/2} it is the convex problem
        min_Z  F(Z) + mu ||Z||_*,  F(Z) = sum_k (n_k/N) CE(Z e_k / sqrt(n_k), k),
        mu = sqrt(lambda_w lambda_h),
    and at the optimum W W^T = sqrt(lambda_h/lambda_w) (Z Z^T)^{1/2}. It is minimised over a
    balanced factorisation Z = A B^T (L-BFGS, ``restarts`` random starts drawn from ``seed``)
    and certified globally optimal by the convex optimality condition
    ||grad F(Z)||_2 <= mu (1 + 1e-6); a failed or non-finite certificate raises RuntimeError.
    At R = 1 the cosine is -1/(K-1) (Zhu et al. 2021).

    Undefined cosine: for strong weight decay or large R the minority classifiers are exactly
    zero at the global minimum (the nuclear norm soft-thresholds them), and a numerical
    solution then holds only solver noise there (seen: 5 + 5 classes, n_minority = 10,
    R = 30, lambda = 5e-3 gave minority rows ~1e-4 of the majority rows and cosines -0.18,
    0.51, -0.63 for seeds 0-2). The function decides this case by a second certified solve:
    Z restricted to zero minority rows; if that point passes the same global certificate in
    the full problem, the minority classifiers vanish at the minimum (to the certificate's
    accuracy) and the cosine is undefined: it returns ``nan`` (never a noisy number).

    Args:
        n_majority, n_minority: class sizes in [1, 1e12] (need not be integers).
        num_majority: integer in [1, 200 - num_minority]; num_minority: integer in [2, 199].
        lambda_w, lambda_h: positive weight decays with sqrt(lambda_w lambda_h) in [1e-4, 1):
            the solve depends on them only through that product, its certificate fails
            below 1e-4 (measured), and from 1 every classifier is zero. ValueError outside
            these ranges (UFM_COUNT_RANGE and UFM_MU_RANGE document the measurements).
        restarts: integer in [1, 100]; seed: integer in [0, 2^63 - 1].
    Returns:
        float: cos(w_a, w_b) for two minority classes a != b, clamped to [-1, 1] (round-off
        <= ~1e-13, see _unit_cosine), or nan when the minority classifiers vanish.

    Example:
        >>> round(imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3), 6)
        -0.333333
    """
    na = _class_count("n_majority", n_majority)
    nb = _class_count("n_minority", n_minority)
    kb = _bounded_int("num_minority", num_minority, 2, MAX_CLASSES - 1)
    ka = _bounded_int("num_majority", num_majority, 1, MAX_CLASSES - kb)
    lw = _number("lambda_w", lambda_w, positive)
    lh = _number("lambda_h", lambda_h, positive)
    _check_weight_decay(lw, lh, lambda_w, lambda_h)
    restarts = _bounded_int("restarts", restarts, 1, MAX_RESTARTS)
    seed = _bounded_int("seed", seed, 0, MAX_SEED)
    k = ka + kb
    sizes = np.array([na] * ka + [nb] * kb)
    mu = np.sqrt(lw * lh)
    fit = _ce_fit(sizes / sizes.sum(), 1 / np.sqrt(sizes))
    rng = np.random.default_rng(seed)

    def certified(z):
        gradient_norm = np.linalg.norm(fit(z)[1], 2) if np.all(np.isfinite(z)) else np.nan
        return bool(np.isfinite(gradient_norm) and gradient_norm <= mu * (1 + UFM_CERTIFICATE_SLACK))

    z = _penalised_factor_solve(fit, np.eye(k), mu, rng, restarts)
    if not certified(z):
        gradient = np.linalg.norm(fit(z)[1], 2) if np.all(np.isfinite(z)) else np.nan
        raise RuntimeError(
            f"no certified global minimum: ||grad||_2 = {gradient:.3g} > {mu:.3g} "
            "(or the solve was not finite)"
        )
    majority_only = _penalised_factor_solve(fit, np.eye(k)[:, :ka], mu, rng, restarts)
    if certified(majority_only):
        return float("nan")  # minority classifiers are zero at the minimum: no cosine
    vals, vecs = np.linalg.eigh(z @ z.T)
    gram = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    return _unit_cosine(gram[ka, ka + 1] / np.sqrt(gram[ka, ka] * gram[ka + 1, ka + 1]))


# Certificate of the layer-peeled solves: the Frank-Wolfe duality gap bounds F(C) - F* and
# must be <= this (F ~ 0.1-1 at the settings used). L-BFGS stops where F stops changing in
# float64 (suboptimality ~1e-16), which leaves a gap ~ sqrt(1e-16) ~ 1e-8: measured 3e-10 -
# 3e-8 for K_A = K_B = 5, E_W = 1, E_H = 5, R in [1, 1000].
LPM_GAP = 1e-7

# Domain of the layer-peeled functions: sqrt(E_W E_H) in [0.1, 10] (they depend on E_W, E_H only
# through the radius K sqrt(E_W E_H)). The gap bound 1e-7 is absolute, so it constrains the
# solution only where F varies by much more than 1e-7: measured max over seeds 0-2 of
# |cos - (-1/(K-1))| at R = 1 (the ETF) for K_A + K_B = 1+2, 2+2, 5+5, 10+10, 50+50 is
# <= 4e-6 for sqrt(E_W E_H) in [0.1, 10] (<= 1e-7 near 1), but 3e-2 - 2e-1 at 1e-4 (logits
# ~ radius/K, so F ~ log K whatever the cosine) and 5e-4 - O(1) from 20 up (F ~ e^{-radius/K}
# below the gap). Below and above, ValueError naming energy_w and energy_h.
LPM_ENERGY_RANGE = (0.1, 10.0)
# R_0 is bracketed by doubling R up to this; beyond it (e.g. K_A = 1, K_B = 2, sqrt(E_W E_H) >= 9)
# layer_peeled_collapse_threshold raises ValueError (R_0 is finite, Fang et al.'s collapse as
# R -> inf, but not resolved here). Measured: R_0 = 5.134e10 at 1 + 2 classes,
# sqrt(E_W E_H) = 7 agrees over seeds 0-2 to 1e-4 relative.
LPM_MAX_RATIO = 1e12


def _layer_peeled_setup(ratio, num_majority, num_minority, energy_w, energy_h):
    r = _number("ratio", ratio, positive)
    if r < 1:
        raise ValueError(f"ratio must be in [1, inf), got {ratio!r}")
    kb = _bounded_int("num_minority", num_minority, 2, MAX_CLASSES - 1)
    ka = _bounded_int("num_majority", num_majority, 1, MAX_CLASSES - kb)
    ew = _number("energy_w", energy_w, positive)
    eh = _number("energy_h", energy_h, positive)
    k = ka + kb
    low, high = LPM_ENERGY_RANGE
    with np.errstate(all="ignore"):
        energy = np.sqrt(ew) * np.sqrt(eh)  # no overflow or underflow of the product
    if not low <= energy <= high:
        raise ValueError(
            f"sqrt(energy_w * energy_h) must be in [{low:g}, {high:g}] (where the layer-peeled "
            f"solve is certified to ~1e-6 in the cosine), got {energy:.3g} from "
            f"energy_w={energy_w!r}, energy_h={energy_h!r}"
        )
    radius = k * energy
    sizes = np.array([r] * ka + [1.0] * kb)
    return ka, kb, radius, sizes / sizes.sum()


def _layer_peeled_solve(weights, radius, frame, seed):
    """Certified min of F(C) = sum_k weights_k CE(C[k], k) over C = C'' frame^T, ||C''||_* <= radius.

    ``frame`` (K x q) has orthonormal columns: the identity for the full problem, or the frame
    in which the minority classifiers coincide. C'' = radius A B^T / (||A||_F ||B||_F) covers
    the boundary of the nuclear-norm ball (where the minimum lies: CE decreases along any
    separating direction), minimised by L-BFGS; the Frank-Wolfe gap
        gap = <G'', C''> + radius ||G''||_2 >= F(C) - F*_frame,   G'' = grad F(C) frame,
    certifies it. Returns C (K x K), the gradient G (K x K) and the gap.
    """
    k, q = frame.shape
    labels = np.arange(k)

    def fit(c):
        z = c - c.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.sum(weights * log_p[labels, labels]), weights[:, None] * (np.exp(log_p) - np.eye(k))

    def objective(x):
        a, b = x[: k * q].reshape(k, q), x[k * q :].reshape(q, q)
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        s = radius / (na * nb)
        inner = a @ b.T * s
        value, g = fit(inner @ frame.T)
        g = g @ frame
        dot = np.sum(g * inner)
        return value, np.concatenate(
            [(s * g @ b - dot * a / na**2).ravel(), (s * g.T @ a - dot * b / nb**2).ravel()]
        )

    rng = np.random.default_rng(seed)
    for _ in range(MAX_RESTARTS):
        res = optimize.minimize(
            objective,
            rng.standard_normal(k * q + q * q),
            jac=True,
            method="L-BFGS-B",
            options=dict(maxiter=50000, gtol=1e-15, ftol=1e-300, maxcor=30),
        )
        a, b = res.x[: k * q].reshape(k, q), res.x[k * q :].reshape(q, q)
        inner = radius * a @ b.T / (np.linalg.norm(a) * np.linalg.norm(b))
        c = inner @ frame.T
        if not np.all(np.isfinite(c)):
            continue
        g = fit(c)[1]
        gap = np.sum((g @ frame) * inner) + radius * np.linalg.norm(g @ frame, 2)
        if np.isfinite(gap) and gap <= LPM_GAP:
            return c, g, float(gap)
    raise RuntimeError(f"layer-peeled solve not certified: Frank-Wolfe gap > {LPM_GAP:g}")


def _coincident_frame(num_majority, num_minority):
    """K x (K_A + 1) orthonormal frame: majority coordinates, and the minority mean direction."""
    frame = np.zeros((num_majority + num_minority, num_majority + 1))
    frame[:num_majority, :num_majority] = np.eye(num_majority)
    frame[num_majority:, num_majority] = 1 / np.sqrt(num_minority)
    return frame


def _collapse_margin(weights, radius, num_majority, num_minority, seed):
    """lambda / (n_B/N) - 1 at the coincident-minority optimum: >= 0 iff it is global.

    At the optimum C_R of the problem restricted to coincident minority classifiers, the
    gradient G is block-diagonal between the minority-difference directions (where it acts as
    -(n_B/N) I, since coincident classifiers give p_aa = p_ab) and the rest (whose top singular
    value is the Lagrange multiplier lambda = -<G, C_R>/radius). The full problem's
    optimality condition ||G||_2 = lambda therefore holds iff lambda >= n_B/N.
    """
    frame = _coincident_frame(num_majority, num_minority)
    c, g, _ = _layer_peeled_solve(weights, radius, frame, seed)
    return -np.sum(g * c) / radius / weights[-1] - 1.0, c, g


def layer_peeled_minority_cosine(ratio, num_majority, num_minority, energy_w, energy_h, *, seed=0):
    """Cosine between two minority classifiers in Fang et al.'s constrained layer-peeled model.

    Fang, He, Long & Su 2021 (arXiv:2101.12699, PNAS 118 e2103091118), the Layer-Peeled
    Model with cross-entropy: K_A majority classes of n_A samples, K_B minority classes of
    n_B = n_A / R samples, N = K_A n_A + K_B n_B, and
        min_{W, H} 1/N sum_k sum_i CE(W h_{k,i}, k)
        s.t. 1/K sum_k ||w_k||^2 <= E_W,  1/K sum_k 1/n_k sum_i ||h_{k,i}||^2 <= E_H.
    Within-class averaging lowers both the (convex) loss and the feature energy, so the
    features collapse to class means h_k; with C = H W^T (C[k, j] = h_k . w_j) the feasible
    set is exactly the nuclear-norm ball ||C||_* <= K sqrt(E_W E_H) (when d >= K), giving the
    convex problem (equivalent to the authors' semidefinite relaxation in the Gram matrix of
    [H; W])
        min_C sum_k (n_k/N) CE(C[k], k)  s.t.  ||C||_* <= K sqrt(E_W E_H),
    and W W^T = sqrt(E_W/E_H) (C^T C)^{1/2} at its optimum. Solved by L-BFGS on a normalised
    factorisation and certified by the Frank-Wolfe duality gap <= 1e-7 (an upper bound on
    the suboptimality; RuntimeError if no start reaches it). For R >= R_0
    (:func:`layer_peeled_collapse_threshold`) the minority classifiers coincide exactly:
    that is decided by the sign of the collapse margin (see _collapse_margin) and 1.0 is
    returned; below R_0 the cosine of the certified full solution is returned (its
    agreement with other starts: <= 1e-6 measured, since the distance to the minimiser
    is ~ sqrt(suboptimality)). At R = 1 it is -1/(K-1) (simplex ETF); only R, not n_B,
    matters. This is the cosine of the classifier vectors, G[a, b] / sqrt(G[a, a] G[b, b]) in
    the Gram matrix G of [H; W]; the authors' script for their Fig. 3 plots the cosine of two
    rows of G instead: the two agree at R = 1 (-1/(K-1)) and from R_0 on (1), so the
    threshold is the same, but not in between.

    Args:
        ratio: R = n_A / n_B in [1, inf).
        num_majority: K_A in [1, 200 - K_B]; num_minority: K_B in [2, 199].
        energy_w, energy_h: E_W, E_H > 0 with sqrt(E_W E_H) in [0.1, 10], where the absolute
            gap certificate pins the cosine to <= ~4e-6 (measured; LPM_ENERGY_RANGE);
            ValueError outside.
        seed: integer in [0, 2^63 - 1] (random starts of the solver).
    Returns:
        float in [-1, 1] (clamped; round-off <= ~1e-13, see _unit_cosine).

    Example:
        >>> round(layer_peeled_minority_cosine(1, 5, 5, 1.0, 5.0), 6)
        -0.111111
        >>> layer_peeled_minority_cosine(20, 5, 5, 1.0, 5.0)
        1.0
    """
    ka, kb, radius, weights = _layer_peeled_setup(ratio, num_majority, num_minority, energy_w, energy_h)
    seed = _bounded_int("seed", seed, 0, MAX_SEED)
    if _collapse_margin(weights, radius, ka, kb, seed)[0] >= 0:
        return 1.0
    c, _, _ = _layer_peeled_solve(weights, radius, np.eye(ka + kb), seed)
    vals, vecs = np.linalg.eigh(c.T @ c)
    gram = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    return _unit_cosine(gram[ka, ka + 1] / np.sqrt(gram[ka, ka] * gram[ka + 1, ka + 1]))


def layer_peeled_collapse_threshold(num_majority, num_minority, energy_w, energy_h, *, xtol=1e-6, seed=0):
    """R_0: the imbalance ratio from which Fang et al.'s minority classifiers coincide.

    For the constrained layer-peeled model of :func:`layer_peeled_minority_cosine`, the
    minority classifiers are equal at the global minimum iff R >= R_0 (Fang et al. 2021,
    arXiv:2101.12699: minority collapse, proved for R -> infinity; the finite threshold is
    visible in their Fig. 3). R_0 is the root of the collapse margin
        m(R) = lambda(R) (K_A R + K_B) - 1,
    lambda(R) the Lagrange multiplier of the nuclear-norm constraint at the certified optimum
    with coincident minority classifiers (m < 0 at R = 1, where the ETF is the unique
    optimum); found by bracketing (doubling R) and Brent's method to ``xtol`` relative.
    m is certified to ~1e-8 (gap-limited) and its slope is ~0.06 per unit R at Fang's
    setting, so R_0 is good to ~1e-6 relative whatever ``xtol`` below that.

    Args:
        num_majority, num_minority, energy_w, energy_h: as in layer_peeled_minority_cosine
            (sqrt(E_W E_H) in [0.1, 10]).
        xtol: relative tolerance on R_0 in [1e-10, 0.1].
        seed: integer in [0, 2^63 - 1].
    Returns:
        float R_0 >= 1.
    Raises:
        ValueError: also where R_0 > 1e12 (LPM_MAX_RATIO; small K with sqrt(E_W E_H) near
            10): R_0 is finite (collapse holds as R -> inf) but beyond the bracket searched.

    Example:
        >>> round(layer_peeled_collapse_threshold(5, 5, 1.0, 5.0), 3)
        12.192
    """
    _layer_peeled_setup(1.0, num_majority, num_minority, energy_w, energy_h)
    tol = _number("xtol", xtol, positive)
    if not 1e-10 <= tol <= 0.1:
        raise ValueError(f"xtol must be in [1e-10, 0.1], got {xtol!r}")
    seed = _bounded_int("seed", seed, 0, MAX_SEED)

    def margin(ratio):
        ka, kb, radius, weights = _layer_peeled_setup(ratio, num_majority, num_minority, energy_w, energy_h)
        return _collapse_margin(weights, radius, ka, kb, seed)[0]

    low, high = 1.0, 2.0
    if margin(low) >= 0:
        raise RuntimeError("collapse margin >= 0 at R = 1: the ETF should be the optimum there")
    while margin(high) < 0:
        low, high = high, 2 * high
        if high > LPM_MAX_RATIO:
            raise ValueError(
                f"R_0 > {LPM_MAX_RATIO:g}, beyond the bracketing range, for num_majority="
                f"{num_majority!r}, num_minority={num_minority!r}, energy_w={energy_w!r}, "
                f"energy_h={energy_h!r}: R_0 grows ~exponentially in sqrt(energy_w * energy_h) "
                "(lower the energies or add classes)"
            )
    return float(optimize.brentq(margin, low, high, xtol=1e-12, rtol=tol))


def mse_central_path_decomposition(features, labels, classifier, bias, *, weight_decay=0.0):
    """The MSE loss split into within-class, class-mean and off-central-path terms.

    Han, Papyan & Donoho 2022 (arXiv:2106.02073, Sec. 3): for one-hot targets and the
    regularised loss L = 1/(2N) sum_i ||W h_i + b - y_i||^2 + weight_decay/2 ||W||_F^2, let
    (W_LS, b_LS) be its minimiser for the given features (the least-squares classifier, the
    "central path"). Then, exactly,
        L = L_NC1 + L_NC2/3 + L_reg + L_perp,
        L_NC1   = 1/(2N) sum_i ||W_LS (h_i - mu_{y_i})||^2       (within-class variability)
        L_NC2/3 = 1/(2N) sum_i ||W_LS mu_{y_i} + b_LS - y_i||^2   (class means vs targets)
        L_reg   = weight_decay/2 ||W_LS||_F^2
        L_perp  = 1/2 Tr[(Theta - Theta_LS) (S + weight_decay diag(I_d, 0)) (Theta - Theta_LS)^T]
    with Theta = [W, b] and S = 1/N sum_i [h_i; 1][h_i; 1]^T; the cross terms vanish by the
    normal equations and because within-class deviations average to zero. Classes may be
    imbalanced; with weight_decay = 0 and singular S the minimum-norm solution is used.
    A variant of the authors' split (their code decays the bias too and keeps the decay of
    W_LS inside L_NC1, three terms): here the bias is not decayed and L_reg is its own term.
    Each identity is exact for its own objective.

    Args:
        features: (N, d); labels: (N,) ints in 0..K-1, K = classifier rows;
        classifier: (K, d); bias: (K,).
    Returns:
        dict of floats: loss, nc1, nc23, reg, perp; ValueError where one exceeds float64
        (e.g. weight_decay = 1.4e308 with ||W||^2 = 2.5).
    """
    h = _no_bool("features", features, as_finite)
    w = _no_bool("classifier", classifier, as_finite)
    b = _no_bool("bias", bias, as_finite)
    lam = _number("weight_decay", weight_decay, non_negative)
    if h.ndim != 2 or w.ndim != 2 or w.shape[1] != h.shape[1] or b.shape != (w.shape[0],):
        raise ValueError(
            f"features (N, d), classifier (K, d) and bias (K,) must agree, got "
            f"{h.shape}, {w.shape}, {b.shape}"
        )
    y = one_hot(labels, w.shape[0])
    if y.shape[0] != h.shape[0]:
        raise ValueError(f"labels must have one entry per row of features ({h.shape[0]})")
    n, d = h.shape
    means = (y.T @ h) / y.sum(axis=0)[:, None]
    lifted = np.hstack([h, np.ones((n, 1))])
    second = lifted.T @ lifted / n
    ridge = np.diag(np.r_[np.full(d, lam), 0.0])
    theta_ls = np.linalg.lstsq(second + ridge, lifted.T @ y / n, rcond=None)[0].T
    w_ls, b_ls = theta_ls[:, :d], theta_ls[:, d]
    delta = np.hstack([w, b[:, None]]) - theta_ls
    with np.errstate(over="ignore", invalid="ignore"):  # refused below where beyond float64
        residual = h @ w.T + b[None, :] - y
        terms = dict(
            loss=float(np.sum(residual**2) / (2 * n) + lam / 2 * np.sum(w**2)),
            nc1=float(np.sum(((h - y @ means) @ w_ls.T) ** 2) / (2 * n)),
            nc23=float(np.sum((y @ (means @ w_ls.T + b_ls[None, :]) - y) ** 2) / (2 * n)),
            reg=float(lam / 2 * np.sum(w_ls**2)),
            perp=float(np.trace(delta @ (second + ridge) @ delta.T) / 2),
        )
    for name, value in terms.items():
        finite_result(
            f"the {name} term",
            value,
            f"these features, classifier and bias with weight_decay={weight_decay!r} (the loss is "
            "~ weight_decay ||W||^2 and ||W H||^2)",
        )
    return terms


def one_hot(labels, num_classes):
    """(N, K) one-hot matrix; raises if a label is outside 0..K-1 or a class is empty."""
    k = _bounded_int("num_classes", num_classes, 2, MAX_FRAME)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got dtype {labels.dtype} shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must be in [0, {k - 1}], got values in [{labels.min()}, {labels.max()}]")
    y = (labels[:, None] == np.arange(k)[None, :]).astype(np.float64)
    empty = np.flatnonzero(y.sum(axis=0) == 0)
    if empty.size:
        raise ValueError(
            f"labels must contain every class 0..{k - 1}; classes {empty.tolist()} have no samples"
        )
    return y
