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

import numpy as np
from scipy import linalg, optimize

from theory._validate import integer_at_least, non_negative, positive


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
    k = integer_at_least("num_classes", num_classes, 2)
    d = k if dim is None else integer_at_least("dim", dim, k - 1)
    basis = linalg.helmert(k)  # (K-1, K): orthonormal rows, each orthogonal to 1
    etf = np.zeros((d, k))
    etf[: k - 1] = np.sqrt(k / (k - 1)) * basis
    return etf


def nc1_isotropic_noise(noise_std, radius, num_classes):
    """Papyan's NC1 = Tr(Sigma_W Sigma_B^+)/K for isotropic noise around a simplex ETF.

    Class means r e_k (e_k a simplex ETF), features h = r e_k + s z with z ~ N(0, I_d):
    Sigma_W = s^2 I and Sigma_B = r^2/(K-1) P (P the projector on the ETF span), so
        NC1 = s^2 (K-1)^2 / (K r^2).
    The population value; a sample estimate carries O(1/sqrt(N)) sampling error.

    Example:
        >>> float(nc1_isotropic_noise(0.5, 1.0, 4))
        0.5625
    """
    s = non_negative("noise_std", noise_std)
    r = positive("radius", radius)
    k = integer_at_least("num_classes", num_classes, 2)
    return s**2 * (k - 1) ** 2 / (k * r**2)


def _ufm_regularisation(num_classes, n_per_class, lambda_w, lambda_h):
    k = integer_at_least("num_classes", num_classes, 2)
    n = integer_at_least("n_per_class", n_per_class, 1)
    lw = float(positive("lambda_w", lambda_w))
    lh = float(positive("lambda_h", lambda_h))
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

    Returns:
        dict with classifier_norm (||w_k||), feature_norm (||h_k||), product (rho) and
        cosine (-1/(K-1)), all floats.

    Example:
        >>> out = ce_unconstrained_features_norms(4, 5, 5e-3, 5e-3)
        >>> round(out["product"], 6), out["cosine"]
        (3.344611, -0.3333333333333333)
    """
    k, n, lw, lh = _ufm_regularisation(num_classes, n_per_class, lambda_w, lambda_h)
    c = np.sqrt(n * lw * lh)
    rho = (k - 1) / k * np.log((1 - (k - 1) * c) / c) if k * c < 1 else 0.0
    return dict(
        classifier_norm=float(np.sqrt(rho * np.sqrt(n * lh / lw))),
        feature_norm=float(np.sqrt(rho * np.sqrt(lw / (n * lh)))),
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
    (cosine 0) without.

    Returns:
        dict with classifier_norm, feature_norm, cosine, and bias (1/K, or 0.0 if bias=False).

    Example:
        >>> out = mse_unconstrained_features_norms(4, 5, 1e-2, 1e-2)
        >>> round(out["feature_norm"] ** 2, 6), out["bias"]
        (0.30541, 0.25)
    """
    k, n, lw, lh = _ufm_regularisation(num_classes, n_per_class, lambda_w, lambda_h)
    sigma = max(1.0 - k * np.sqrt(n * lw * lh), 0.0)
    q = (k - 1) / k if bias else 1.0
    return dict(
        classifier_norm=float(np.sqrt(q * sigma * np.sqrt(n * lh / lw))),
        feature_norm=float(np.sqrt(q * sigma * np.sqrt(lw / (n * lh)))),
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
    to the origin there (see :func:`imbalanced_deep_linear_minimizer`).

    Example:
        >>> float(minority_collapse_threshold(100, 1, 1e-3, 1e-3))
        0.01
    """
    n = float(positive("num_samples", num_samples))
    depth = integer_at_least("depth", depth, 1)
    lw = positive("lambda_w", lambda_w)
    lh = positive("lambda_h", lambda_h)
    if depth == 1:
        return n**2 * lw * lh
    return (
        (depth * n) ** ((depth + 1) / depth)
        * (depth / (depth - 1)) ** ((depth - 1) / depth)
        * lw
        * lh ** (1 / depth)
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
    n_k = positive("n_per_class", n_per_class)
    if n_k.ndim != 1 or n_k.size < 2:
        raise ValueError(
            f"n_per_class must be a 1-D sequence of >= 2 class sizes, got {n_per_class!r}"
        )
    depth = integer_at_least("depth", depth, 1)
    lw = float(positive("lambda_w", lambda_w))
    lh = float(positive("lambda_h", lambda_h))
    total, r = n_k.sum(), np.sqrt(lw / lh)

    def balance(s, n):  # stationarity residual, decreasing on [s_peak, s_top]
        return r * s ** (depth - 1) * (np.sqrt(n) - r * s ** (depth + 1)) - total * lw

    local = np.zeros_like(n_k)
    for k, n in enumerate(n_k):
        s_top = (np.sqrt(n) / r) ** (1 / (depth + 1))  # where the residual term vanishes
        s_peak = ((depth - 1) * np.sqrt(n) / (2 * depth * r)) ** (1 / (depth + 1))
        if balance(s_peak, n) > 0:
            local[k] = optimize.brentq(
                balance, s_peak, s_top, args=(n,), xtol=1e-15, rtol=4 * np.finfo(float).eps
            )
    wins = r * local ** (depth + 1) > (depth - 1) / depth * np.sqrt(n_k)
    s = np.where(wins & (local > 0), local, 0.0)
    return dict(
        classifier_row_norms=s**depth,
        feature_mean_norms_sq=(lw / lh) * s**2 / n_k,
        layer_singular_values=s,
        local_row_norms=local**depth,
    )


def imbalanced_ce_minority_cosine(
    n_majority, n_minority, num_majority, num_minority, lambda_w, lambda_h, *, restarts=2, seed=0
):
    """Cosine between two minority-class classifiers at the global minimum of the CE UFM.

    Minority collapse (Fang et al. 2021, arXiv:2101.12699): with num_majority classes of
    n_majority samples and num_minority classes of n_minority samples, the minority
    classifiers w_k become parallel as R = n_majority / n_minority grows. Here the weight-decay
    UFM 1/N sum CE(W h_i) + lambda_w/2 ||W||^2 + lambda_h/2 ||H||^2 (no bias) is solved in
    its collapsed form: with Z = W M D^{1/2} it is the convex problem
        min_Z  sum_k (n_k/N) CE(Z e_k / sqrt(n_k), k) + sqrt(lambda_w lambda_h) ||Z||_*,
    and at the optimum W W^T = sqrt(lambda_h/lambda_w) (Z Z^T)^{1/2}. It is minimised over a
    balanced factorisation Z = A B^T (A, B of size K x K, smooth, L-BFGS with several
    restarts) and the result is certified globally optimal by the convex optimality
    condition ||grad F(Z)||_2 <= sqrt(lambda_w lambda_h) (1 + 1e-6); a failed certificate
    raises RuntimeError. At R = 1 the cosine is -1/(K-1) (Zhu et al. 2021).

    Returns:
        float: cos(w_a, w_b) for two minority classes a != b (requires num_minority >= 2).
    """
    na = float(positive("n_majority", n_majority))
    nb = float(positive("n_minority", n_minority))
    ka = integer_at_least("num_majority", num_majority, 1)
    kb = integer_at_least("num_minority", num_minority, 2)
    lw = float(positive("lambda_w", lambda_w))
    lh = float(positive("lambda_h", lambda_h))
    k = ka + kb
    sizes = np.array([na] * ka + [nb] * kb)
    weights, scale, mu = sizes / sizes.sum(), 1 / np.sqrt(sizes), np.sqrt(lw * lh)

    def fit(z):  # data term and its gradient in Z
        logits = z * scale[None, :]
        logits = logits - logits.max(axis=0, keepdims=True)
        p = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
        value = -np.sum(weights * np.log(np.diag(p)))
        return value, (p - np.eye(k)) * (weights * scale)[None, :]

    def objective(x):
        a, b = x[: k * k].reshape(k, k), x[k * k :].reshape(k, k)
        value, g = fit(a @ b.T)
        value += mu / 2 * (np.sum(a**2) + np.sum(b**2))
        return value, np.concatenate([(g @ b + mu * a).ravel(), (g.T @ a + mu * b).ravel()])

    rng = np.random.default_rng(seed)
    best = min(
        (
            optimize.minimize(
                objective,
                rng.standard_normal(2 * k * k),
                jac=True,
                method="L-BFGS-B",
                options=dict(maxiter=20000, gtol=1e-13, ftol=1e-16),
            )
            for _ in range(restarts)
        ),
        key=lambda res: res.fun,
    )
    a, b = best.x[: k * k].reshape(k, k), best.x[k * k :].reshape(k, k)
    z = a @ b.T
    gradient_norm = np.linalg.norm(fit(z)[1], 2)
    if gradient_norm > mu * (1 + 1e-6):
        raise RuntimeError(
            f"no certified global minimum: ||grad||_2 = {gradient_norm:.3g} > {mu:.3g}"
        )
    vals, vecs = np.linalg.eigh(z @ z.T)
    gram = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    return float(gram[ka, ka + 1] / np.sqrt(gram[ka, ka] * gram[ka + 1, ka + 1]))


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

    Args:
        features: (N, d); labels: (N,) ints in 0..K-1, K = classifier rows;
        classifier: (K, d); bias: (K,).
    Returns:
        dict of floats: loss, nc1, nc23, reg, perp.
    """
    h = np.asarray(features, dtype=np.float64)
    w = np.asarray(classifier, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    lam = float(non_negative("weight_decay", weight_decay))
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
    residual = h @ w.T + b[None, :] - y
    return dict(
        loss=float(np.sum(residual**2) / (2 * n) + lam / 2 * np.sum(w**2)),
        nc1=float(np.sum(((h - y @ means) @ w_ls.T) ** 2) / (2 * n)),
        nc23=float(np.sum((y @ (means @ w_ls.T + b_ls[None, :]) - y) ** 2) / (2 * n)),
        reg=float(lam / 2 * np.sum(w_ls**2)),
        perp=float(np.trace(delta @ (second + ridge) @ delta.T) / 2),
    )


def one_hot(labels, num_classes):
    """(N, K) one-hot matrix; raises if a label is outside 0..K-1 or a class is empty."""
    k = integer_at_least("num_classes", num_classes, 2)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be a 1-D integer array, got dtype {labels.dtype} shape {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(
            f"labels must be in [0, {k - 1}], got values in [{labels.min()}, {labels.max()}]"
        )
    y = (labels[:, None] == np.arange(k)[None, :]).astype(np.float64)
    empty = np.flatnonzero(y.sum(axis=0) == 0)
    if empty.size:
        raise ValueError(
            f"labels must contain every class 0..{k - 1}; classes {empty.tolist()} have no samples"
        )
    return y
