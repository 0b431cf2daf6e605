"""Rank collapse with depth: closed forms for attention, random products and deep linear nets.

Conventions used throughout this module:

- A layer maps row vectors of tokens / column vectors of activations; "depth" counts the
  number of weight matrices (or attention layers) applied.
- Random weight matrices are n x n with iid N(0, variance) entries; ``variance = 1/n`` (the
  default) makes the product neither grow nor shrink on average in squared norm.
- Logarithms are natural; Lyapunov exponents are per layer, in nats.

Sources (arXiv ids): Dong, Cordonnier & Loukas 2021 (2103.03404); Noci et al. 2022
(2206.03126); Newman 1986 / Cohen & Newman 1984 (Lyapunov spectrum of Gaussian products);
Saxe, McClelland & Ganguli 2014 (1312.6120); Burda, Janik & Waclaw 2010 (Phys. Rev. E 81,
041132; 0912.3422); Pennington, Schoenholz & Ganguli 2017 (1711.04735) and 2018
(1802.09979); Cho & Saul 2009 (arc-cosine kernel); Arora, Cohen & Hazan 2018 (1802.06509);
Arora, Cohen, Hu & Luo 2019 (1905.13655).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.special import digamma

from theory._validate import (
    finite_matrix,
    finite_result,
    in_closed_interval,
    integer_at_least,
    one_of,
    positive,
    real_array,
    scalar,
)

__all__ = [
    "attention_residual_bound",
    "end_to_end_update",
    "gaussian_product_lyapunov",
    "jacobian_spectrum_variance",
    "product_eigenvalue_fraction",
    "product_eigenvalue_square_fraction",
    "relu_correlation",
    "relu_correlation_map",
    "relu_decorrelation_asymptote",
    "skip_attention_mean_growth",
]

# Moments of the squared derivative phi'(h)^2 of the nonlinearity at criticality
# (mu_k = E[phi'(h)^{2k}] / E[phi'(h)^2]^k is what enters; see jacobian_spectrum_variance).
_DERIVATIVE_MOMENT_RATIO = {"linear": 1.0, "relu": 2.0}
# First coefficient s_1 of the S-transform of W W^T (Pennington et al. 2017, sec. 2.4).
_S_TRANSFORM_S1 = {"gaussian": -1.0, "orthogonal": 0.0}
# Work bounds: gaussian_product_lyapunov allocates n exponents; relu_correlation iterates the
# map depth times (~10 us a layer, so 1e5 layers ~ 1 s; 1 - c_l ~ 9 pi^2 / (2 l^2) is then
# 4e-9, see relu_decorrelation_asymptote); end_to_end_update sums depth terms.
MAX_SIZE = 10**6
MAX_RELU_DEPTH = 10**5
MAX_FACTORS = 10**4
# product_eigenvalue_square_fraction runs one quadrature (~10 us) per value: 1e5 values ~ 1 s.
MAX_QUADRATURES = 10**5


def attention_residual_bound(residual, *, gamma, beta, d_qk):
    """Dong et al.'s one-layer bound on the distance of self-attention output from rank 1.

    Dong, Cordonnier & Loukas 2021 (arXiv:2103.03404, Theorem 2.2 at depth L = 1), single head,
    no skip connection, no MLP:
        ||res(SA(X))||_{1,inf} <= (4 gamma beta / sqrt(d_qk)) ||res(X)||_{1,inf}^3
    with ||M||_{1,inf} = sqrt(||M||_1 ||M||_inf) (max column sum times max row sum),
    res(X) = X - 1 x^T, beta = ||W_QK||_1 ||W_V||_{1,inf} and gamma a factor of the
    attention entries. The suite pins gamma by a derivation of the same bound (see
    :func:`sims.rank_collapse.attention_gamma`):
        gamma = sqrt(T max_j p_j) (e^{2 eps} - 1) / (4 eps),  eps = ||W_QK||_1 r^2 / sqrt(d_qk),
    where p is the attention row of the token mean and T the number of tokens, so that
    gamma -> 1/2 for uniform attention and small residual r. Iterating gives the doubly
    exponential collapse r_L <= C^{(3^L - 1)/2} r_0^{3^L}.

    Args:
        residual: ||res(X)||_{1,inf} of the layer's input, >= 0 (any shape).
        gamma, beta: positive factors defined above (broadcast with ``residual``).
        d_qk: the query/key dimension, > 0.

    Returns:
        The bound on ||res(SA(X))||_{1,inf}, same shape as the broadcast inputs.

    Example:
        >>> round(float(attention_residual_bound(0.1, gamma=0.5, beta=2.0, d_qk=4.0)), 12)
        0.002
    """
    residual = in_closed_interval("residual", residual, 0.0, np.inf)
    gamma = positive("gamma", gamma)
    beta = positive("beta", beta)
    d_qk = positive("d_qk", d_qk)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = 4.0 * gamma * beta / np.sqrt(d_qk) * residual**3
    return finite_result(
        "the bound", bound, f"residual={residual!r}, gamma={gamma!r}, beta={beta!r}, d_qk={d_qk!r}"
    )


def skip_attention_mean_growth(alpha, depth):
    """E||x_mean_L||^2 / ||x_mean_0||^2 for attention with skip connections and uniform weights.

    Layer: X_{l+1} = X_l + alpha P X_l W_l with uniform attention P = 1 1^T / T and W_l
    iid N(0, 1/d) entries (d x d). Then the token mean obeys x_{l+1} = (I + alpha W_l^T) x_l,
    so E||x_{l+1}||^2 = (1 + alpha^2) ||x_l||^2 and
        E||x_mean_L||^2 = (1 + alpha^2)^L ||x_mean_0||^2,
    while the centred part X - 1 x_mean^T is left exactly unchanged by every layer. With
    alpha = 1/sqrt(L) the growth stays (1 + 1/L)^L <= e (Noci et al. 2022, arXiv:2206.03126,
    residual scaling); with alpha = 1 it is 2^L and the tokens collapse onto their mean.

    Args:
        alpha: residual branch scale, >= 0.
        depth: number of layers L, >= 0 (broadcasts with ``alpha``).

    Example:
        >>> float(skip_attention_mean_growth(1.0, 3))
        8.0
    """
    alpha = in_closed_interval("alpha", alpha, 0.0, np.inf)
    depth = in_closed_interval("depth", depth, 0.0, np.inf)
    with np.errstate(over="ignore"):
        growth = (1.0 + alpha**2) ** depth
    return finite_result("the growth (1 + alpha^2)^depth", growth, f"alpha={alpha!r}, depth={depth!r}")


def gaussian_product_lyapunov(n, *, variance=None):
    """The n Lyapunov exponents of a product of iid Gaussian n x n matrices, descending.

    For matrices with iid N(0, variance) entries the QR decomposition of W Q (Q orthogonal)
    has R_ii^2 ~ variance * chi^2_{n-i+1}, independent across i and layers, and
    E ln chi^2_k = ln 2 + digamma(k/2) (Newman 1986; Cohen & Newman 1984). Hence
        lambda_i = 1/2 [ln(2 variance) + digamma((n - i + 1) / 2)],  i = 1..n,
    in nats per layer: ||W_L ... W_1 v|| ~ exp(L lambda_1) for a generic v.

    Args:
        n: matrix size, an integer in [1, 10^6].
        variance: entry variance, > 0 (default 1/n); ln(2 variance) is taken as
            ln 2 + ln variance where 2 variance would overflow.

    Returns:
        (n,) float64 array, lambda_1 >= ... >= lambda_n.

    Example:
        >>> np.round(gaussian_product_lyapunov(2), 4)
        array([-0.2886, -0.9818])
    """
    n = integer_at_least("n", n, 1, MAX_SIZE)
    variance = 1.0 / n if variance is None else scalar("variance", positive("variance", variance))
    i = np.arange(1, n + 1)
    # ln(2 variance) as ln 2 + ln variance where 2 variance overflows (variance > 9e307)
    log_scale = (
        np.log(2.0 * variance) if variance <= np.finfo(float).max / 2 else np.log(2.0) + np.log(variance)
    )
    return 0.5 * (log_scale + digamma((n - i + 1) / 2.0))


def product_eigenvalue_fraction(r, depth):
    """Fraction of eigenvalues with |lambda| < r of a product of ``depth`` Ginibre matrices.

    Large-n limit, each factor with iid N(0, 1/n) entries so that the spectrum fills the unit
    disk. The eigenvalue density of the product is rotation invariant,
        rho(z) = |z|^{2/depth - 2} / (pi depth)  on |z| <= 1
    (Burda, Janik & Waclaw 2010, Phys. Rev. E 81, 041132, arXiv:0912.3422; Gotze & Tikhomirov
    2010), so
        P(|lambda| < r) = r^{2/depth}.
    The disk of radius 0.05 holds 0.05^{2/5} = 30.2 % of the eigenvalues at depth 5; Saxe et
    al.'s histogram bin at the origin is a square, see
    :func:`product_eigenvalue_square_fraction`.

    Args:
        r: radius in [0, 1].
        depth: number of factors, > 0 (broadcasts with ``r``).

    Example:
        >>> round(float(product_eigenvalue_fraction(0.05, 100)), 4)
        0.9418
    """
    r = in_closed_interval("r", r, 0.0, 1.0)
    depth = positive("depth", depth)
    with np.errstate(over="ignore", divide="ignore"):
        return r ** (2.0 / depth)  # 2/depth = inf (depth < 1e-308) gives 0 for r < 1, 1 at 1


def _square_fraction(half_side: float, depth: float) -> float:
    """(4/pi) int_0^{pi/4} min(a sec theta, 1)^{2/M} d theta for one (a, M)."""
    if half_side == 0.0:
        return 0.0
    exponent = 2.0 / depth
    if half_side < np.finfo(float).tiny:
        # Subnormal a: a / cos(theta) lost its digits and quad its convergence (an
        # IntegrationWarning). For a < 1/sqrt(2), P = (4/pi) (a sqrt 2)^{2/M} times the
        # integral of (sqrt(2) cos(theta))^{-2/M} <= 1, so nothing overflows whatever M.
        with np.errstate(over="ignore", under="ignore"):
            scale = np.exp(exponent * (np.log(half_side) + 0.5 * np.log(2.0)))  # (a sqrt 2)^{2/M}
            if scale == 0.0:
                return 0.0
            inside, _ = quad(
                lambda theta: (np.sqrt(2.0) * np.cos(theta)) ** -exponent,
                0.0,
                np.pi / 4,
                epsabs=1e-13,
                epsrel=1e-12,
            )
        return float(np.clip(4.0 / np.pi * scale * inside, 0.0, 1.0))
    # the square's corners leave the unit disk (where the density ends) beyond theta_edge
    edge = np.arccos(min(half_side, 1.0)) if half_side > np.sqrt(0.5) else np.pi / 4
    with np.errstate(over="ignore", under="ignore"):
        inside, _ = quad(
            lambda theta: (half_side / np.cos(theta)) ** exponent, 0.0, edge, epsabs=1e-13, epsrel=1e-12
        )
    return float(np.clip(4.0 / np.pi * (inside + (np.pi / 4 - edge)), 0.0, 1.0))


def product_eigenvalue_square_fraction(half_side, depth):
    """Fraction of eigenvalues of a product of ``depth`` Ginibre matrices in the centred square
    |Re lambda| < a, |Im lambda| < a (a = ``half_side``), large-n limit.

    Integrating the product's eigenvalue density rho(z) = |z|^{2/M - 2} / (pi M) on the unit
    disk (M = depth; :func:`product_eigenvalue_fraction`) over the square in polar
    coordinates, eight triangles 0 <= theta <= pi/4, 0 <= r <= a sec(theta):
        P = (4/pi) int_0^{pi/4} min(a sec theta, 1)^{2/M} d theta
          = (4/pi) a^{2/M} int_0^{pi/4} sec(theta)^{2/M} d theta   for a <= 1/sqrt(2),
    computed by quadrature. M = 1 gives the circular law's (2a)^2 / pi.
    Saxe et al. 2014 (arXiv:1312.6120, fig. 6, caption) histogram the eigenvalues of such
    products with bins of width 0.1: the bin containing the origin is this square with
    a = 0.05, which holds 31.6 % of the eigenvalues at depth 5 and 94.4 % at depth 100 (the
    paper reports 32 % and 94 % at n = 1000).

    Args:
        half_side: a >= 0 (the square of side 2a; a >= 1 holds the whole disk).
        depth: number of factors M, > 0 (broadcasts with ``half_side``).

    Returns:
        float64 array of the broadcast shape, in [0, 1].

    Example:
        >>> round(float(product_eigenvalue_square_fraction(0.05, 5)), 4)
        0.3155
        >>> round(float(product_eigenvalue_square_fraction(0.05, 100)), 4)
        0.9439
    """
    half_side = in_closed_interval("half_side", half_side, 0.0, np.inf)
    depth = positive("depth", depth)
    half_side, depth = np.broadcast_arrays(half_side, depth)
    if half_side.size > MAX_QUADRATURES:
        raise ValueError(
            f"half_side and depth must broadcast to at most {MAX_QUADRATURES} "
            f"values, got shape {half_side.shape}"
        )
    values = [
        _square_fraction(float(a), float(m)) for a, m in zip(half_side.ravel(), depth.ravel(), strict=True)
    ]
    return np.array(values, dtype=np.float64).reshape(half_side.shape)


def relu_correlation_map(c):
    """One critical ReLU layer's map of the input correlation (Cho & Saul 2009, degree 1).

    For (u, v) jointly Gaussian with equal variance q and correlation c = cos(theta),
    E[relu(u) relu(v)] = q (sin theta + (pi - theta) cos theta) / (2 pi) and
    E[relu(u)^2] = q / 2, so the post-activation correlation is
        f(c) = (sqrt(1 - c^2) + (pi - arccos c) c) / pi.
    Weights with variance 2/fan_in keep q fixed, so f is the whole layer map. f maps [-1, 1]
    onto [0, 1] (f(-1) = 0, f(1) = 1); the result is clipped to [0, 1], the unclipped value
    being within 4e-16 of that range near c = +-1.

    Example:
        >>> round(float(relu_correlation_map(0.0)), 6)  # 1/pi
        0.31831
    """
    c = in_closed_interval("c", c, -1.0, 1.0)
    return np.clip((np.sqrt(1.0 - c**2) + (np.pi - np.arccos(c)) * c) / np.pi, 0.0, 1.0)


def relu_correlation(c0, depth):
    """Correlation of two inputs after ``depth`` critical ReLU layers, infinite width.

    c_l = f(c_{l-1}) with f = :func:`relu_correlation_map` and c_0 = c0, the input cosine
    similarity; the result is the cosine similarity of the two post-activation vectors of
    layer ``depth`` (He-initialised weights N(0, 2/fan_in), no biases). Broadcasts over
    ``c0`` and ``depth``.

    Args:
        c0: input correlation in [-1, 1].
        depth: integer(s) in [1, 10^5] (the work is depth layers).

    Returns:
        float64 array of the broadcast shape.

    Example:
        >>> np.round(relu_correlation(0.0, [1, 2, 3]), 4)
        array([0.3183, 0.4937, 0.6048])
    """
    c0 = in_closed_interval("c0", c0, -1.0, 1.0)
    depth = real_array("depth", depth)
    if np.any(~np.isfinite(depth) | (depth < 1) | (depth > MAX_RELU_DEPTH) | (depth != np.round(depth))):
        raise ValueError(f"depth must be integers in [1, {MAX_RELU_DEPTH}], got {depth!r}")
    c0, depth = np.broadcast_arrays(c0, depth.astype(np.int64))
    result = np.array(c0, dtype=np.float64)
    for step in range(int(depth.max(initial=1))):
        active = depth > step
        result[active] = relu_correlation_map(result[active])
    return result


def relu_decorrelation_asymptote(depth):
    """Leading large-depth behaviour 1 - c_l ~ 9 pi^2 / (2 l^2) of :func:`relu_correlation`.

    Near c = 1 write c = cos(theta): f(c) = cos(theta) + theta^3 / (3 pi) + O(theta^5), so
    eps = 1 - c obeys eps_{l+1} = eps_l - (2 sqrt(2) / (3 pi)) eps_l^{3/2}; hence
    eps_l^{-1/2} grows like sqrt(2) l / (3 pi) and eps_l ~ 9 pi^2 / (2 l^2), independent of
    c0 (relative corrections O(log l / l)).

    Example:
        >>> round(float(relu_decorrelation_asymptote(10.0)), 4)
        0.4441
    """
    depth = positive("depth", depth)
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        value = 9.0 * np.pi**2 / (2.0 * depth**2)
    return finite_result("9 pi^2 / (2 depth^2)", value, f"depth={depth!r}")


def jacobian_spectrum_variance(depth, *, weights="gaussian", nonlinearity="relu"):
    """Variance of the eigenvalue distribution of J J^T at criticality, infinite width.

    Pennington, Schoenholz & Ganguli 2017 (arXiv:1711.04735, eq. 15): for the
    input-output Jacobian J = D_L W_L ... D_1 W_1 tuned to criticality (mean eigenvalue
    m_1 = (1/n) tr J J^T = 1), the spectral variance is
        sigma^2_{JJ^T} = m_2 - m_1^2 = L (mu_2 / mu_1^2 - 1 - s_1),
    with mu_k = E[phi'(h)^{2k}] and s_1 the first S-transform coefficient of W W^T
    (-1 Gaussian, 0 orthogonal). ReLU: phi'^2 in {0, 1} with probability 1/2, so
    mu_2 / mu_1^2 = 2 and sigma^2 = 2L (Gaussian, weight variance 2/n) or L (orthogonal,
    scaled by sqrt 2); linear: L (Gaussian) or 0 (orthogonal: dynamical isometry).
    At finite width the suite normalises by the measured m_1 (m_2 / m_1^2 - 1), which equals
    sigma^2 in the limit and removes the O(L/n) drift of the overall scale.

    Args:
        depth: number of layers L, >= 0 (ValueError where sigma^2 exceeds float64, i.e. for
            depth > 9e307 with Gaussian ReLU weights).
        weights: "gaussian" or "orthogonal".
        nonlinearity: "relu" or "linear".

    Example:
        >>> float(jacobian_spectrum_variance(10, weights="gaussian", nonlinearity="relu"))
        20.0
    """
    one_of("weights", weights, _S_TRANSFORM_S1)
    one_of("nonlinearity", nonlinearity, _DERIVATIVE_MOMENT_RATIO)
    depth = in_closed_interval("depth", depth, 0.0, np.inf)
    with np.errstate(over="ignore"):
        variance = depth * (_DERIVATIVE_MOMENT_RATIO[nonlinearity] - 1.0 - _S_TRANSFORM_S1[weights])
    return finite_result(
        "the variance", variance, f"depth={depth!r}, weights={weights!r}, nonlinearity={nonlinearity!r}"
    )


def _psd_eigh(matrix):
    """Eigen-decomposition of W W^T or W^T W, for its powers ``(vectors * values**e) @ vectors.T``.

    The eigenvalues of a Gram matrix are >= 0; computed ones can be negative by round-off
    (|value| <= ~n eps ||W||^2), so they are clipped at 0 (0^0 = 1: the identity power).
    """
    values, vectors = np.linalg.eigh(matrix)
    return np.clip(values, 0.0, None), vectors


def end_to_end_update(end_to_end, gradient, *, depth):
    """Preconditioned gradient of the end-to-end matrix of a balanced deep linear network.

    Arora, Cohen & Hazan 2018 (arXiv:1802.06509, Theorem 1): gradient flow on the factors
    W_1..W_N (N = depth) from a balanced start (W_{j+1}^T W_{j+1} = W_j W_j^T) moves
    W = W_N ... W_1 as dW/dt = -update with
        update = sum_{j=1}^{N} (W W^T)^{(j-1)/N} grad L(W) (W^T W)^{(N-j)/N}.
    Time is t = learning_rate * step. N = 1 gives plain gradient descent.

    Args:
        end_to_end: (d_out, d_in) matrix W.
        gradient: (d_out, d_in) gradient of the loss with respect to W.
        depth: N, an integer in [1, 10^4] (the work is N matrix products).

    Returns:
        (d_out, d_in) float64 array.

    Example:
        >>> end_to_end_update(np.eye(2), np.ones((2, 2)), depth=3)
        array([[3., 3.],
               [3., 3.]])
    """
    depth = integer_at_least("depth", depth, 1, MAX_FACTORS)
    end_to_end = finite_matrix("end_to_end", end_to_end)
    gradient = finite_matrix("gradient", gradient)
    if gradient.shape != end_to_end.shape:
        raise ValueError(
            f"end_to_end and gradient must be matrices of one shape, got "
            f"{end_to_end.shape} and {gradient.shape}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        left = end_to_end @ end_to_end.T
        right = end_to_end.T @ end_to_end
    finite_result("W W^T", left, "end_to_end (entries must stay below ~1e154)")
    (left_values, left_vectors), (right_values, right_vectors) = _psd_eigh(left), _psd_eigh(right)
    # In the eigenbases the sum is an elementwise product with the sum of powers.
    inner = left_vectors.T @ gradient @ right_vectors
    weights = sum(
        np.multiply.outer(left_values ** ((j - 1) / depth), right_values ** ((depth - j) / depth))
        for j in range(1, depth + 1)
    )
    with np.errstate(over="ignore", invalid="ignore"):
        update = left_vectors @ (weights * inner) @ right_vectors.T
    return finite_result("the update", update, "these end_to_end and gradient")
