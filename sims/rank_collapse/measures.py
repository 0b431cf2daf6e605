"""Rank-collapse measurements: plain NumPy functions of matrices, spectra and samples, shared by
the simulations, the claims, the figures and the notebook. No simulation and no registry here.
"""

from __future__ import annotations

import numpy as np

from theory._validate import finite_matrix, integer_at_least, non_negative, positive

# A measured residual below this multiple of the matrix norm is rounding noise.
ROUNDING_FLOOR = 1e-12
EPS = float(np.finfo(np.float64).eps)


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
        axis=-1, keepdims=True
    )  # scaled by the max first: the sum cannot overflow
    entropy = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)
    return np.exp(np.clip(entropy, 0.0, np.log(s.shape[-1])))


def softmax(scores):
    """Row-wise softmax of the last axis."""
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


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
        raise ValueError(f"w_qk must be (d, d) for x of shape (T, d), got {w_qk.shape} and {x.shape}")
    tokens, d_qk = x.shape[0], w_qk.shape[0]
    mean = x.mean(axis=0)
    centred = x - mean[None, :]
    p = softmax(mean @ w_qk @ centred.T / np.sqrt(d_qk))
    eps = np.abs(w_qk).sum(axis=0).max() * composite_norm(centred) ** 2 / np.sqrt(d_qk)
    with np.errstate(over="ignore"):
        growth = np.expm1(2 * eps) / (2 * eps) if eps > 0 else 1.0
    if not np.isfinite(growth * p.max()):
        raise ValueError(f"x and w_qk give eps = {eps:.3g}; gamma overflows (eps must be below ~350)")
    return float(np.sqrt(tokens * p.max()) * growth / 2), float(eps)


def fit_slope(x, y) -> tuple[float, float]:
    """Least-squares slope of y on x (with intercept) and its standard error.

    Needs at least 3 points and two distinct x values.
    """
    x, y = finite_matrix("x", x, ndim=1), finite_matrix("y", y, ndim=1)
    if x.size != y.size or x.size < 3 or np.ptp(x) == 0:
        raise ValueError(
            f"x and y must be 1-d of one length >= 3 with distinct x values, got {x.shape}, {y.shape}"
        )
    design = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    sigma2 = resid @ resid / (x.size - 2)
    with np.errstate(over="ignore", invalid="ignore"):
        slope, error = float(coef[1]), float(np.sqrt(sigma2 / np.sum((x - x.mean()) ** 2)))
    if not (np.isfinite(slope) and np.isfinite(error)):
        raise ValueError("x and y must have entries below ~1e150 (the fit overflows)")
    return slope, error


def predicted_token_ratio(growth, centred_sq, mean_sq, tokens):
    """||x - 1 mean^T||_F / ||x||_F once the mean's squared norm has grown by ``growth``.

    A ratio in [0, 1]; ``centred_sq + tokens mean_sq growth`` must be positive.
    """
    growth, centred_sq, mean_sq = (
        non_negative(name, value)
        for name, value in (("growth", growth), ("centred_sq", centred_sq), ("mean_sq", mean_sq))
    )
    tokens = integer_at_least("tokens", tokens, 1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = np.sqrt(centred_sq / (centred_sq + tokens * mean_sq * growth))
    if not np.all(np.isfinite(ratio)):
        raise ValueError("centred_sq + tokens mean_sq growth must be in (0, 1.8e308)")
    return ratio


def origin_bin_fraction(eigenvalues, half_side) -> np.ndarray:
    """Fraction of complex ``eigenvalues`` (last axis) in the square |Re z| < a, |Im z| < a.

    Saxe et al. 2014 (fig. 6) histogram eigenvalues in square bins of side 0.1; the bin at the
    origin is this square with a = 0.05. Returns one fraction per leading index.
    """
    eigenvalues = np.asarray(eigenvalues)
    if eigenvalues.ndim < 1 or eigenvalues.shape[-1] < 1 or not np.all(np.isfinite(eigenvalues)):
        raise ValueError("eigenvalues must be finite with a non-empty last axis")
    half_side = float(positive("half_side", half_side))
    inside = (np.abs(eigenvalues.real) < half_side) & (np.abs(eigenvalues.imag) < half_side)
    return inside.mean(axis=-1)
