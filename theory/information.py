"""Closed forms of the information bottleneck and of the estimators used on neural networks.

Information is in bits unless ``base=`` says otherwise (``base=np.e`` gives nats).

Round-off: every entropy and mutual information returned here is clamped, in nats before the
change of base, to its exact range (0 <= I <= min(H(X), H(Y)), 0 <= H <= log n, ...) by
:func:`_clamp`. The values moved are round-off, a few ulps of the terms summed (bounds in each
docstring), so nothing downstream depends on the sign of a round-off (an exactly-zero MI
used to come out as -8e-17 or +8e-17 depending on the CPU's vector instructions).

Sources:
- Tishby, Pereira & Bialek 1999, arXiv:physics/0004057 (the IB Lagrangian and its
  self-consistent equations; the iterative algorithm).
- Chechik, Globerson, Tishby & Weiss 2005, JMLR 6:165 (Gaussian IB: eigenvalues of
  Sigma_{x|y} Sigma_x^{-1}, critical betas, the information curve).
- Witsenhausen & Wyner 1975 / Mrs Gerber's lemma (the IB curve of the doubly symmetric
  binary source).
- Kolchinsky & Tracey 2017, arXiv:1706.02419 (pairwise-distance bounds on mixture entropy).
- Saxe et al. 2018, ICLR, "On the information bottleneck theory of deep learning" (binned
  entropy of a single saturating unit).
- Goldfeld et al. 2019, arXiv:1810.05728 (noisy neurons: I(X;T) is the entropy of a
  Gaussian mixture, "compression = clustering").
- Xu & Raginsky 2017, arXiv:1705.07809 (the mutual-information generalisation bound).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import linalg, optimize, special, stats

from theory._validate import (
    as_finite,
    finite_result,
    in_closed_interval,
    integer_at_least,
    positive,
)

# ---------------------------------------------------------------------------------------
# Domain checks shared by this module


def _base_log(base) -> float:
    """ln(base) for a logarithm base > 1 (bits: 2, nats: e); a base <= 1 would make every
    information quantity negative or undefined, so it is refused."""
    value = float(positive("base", base))
    if not value > 1.0:
        raise ValueError(f"base must be > 1 (2 for bits, e for nats), got {base!r}")
    return float(np.log(value))


def _spd(name: str, matrix) -> np.ndarray:
    matrix = np.atleast_2d(as_finite(name, matrix))
    if matrix.shape[0] != matrix.shape[1] or not np.allclose(matrix, matrix.T, atol=1e-12):
        raise ValueError(f"{name} must be a symmetric positive definite matrix, got {matrix!r}")
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be a symmetric positive definite matrix") from None
    return matrix


def _joint_gaussian(cov_x, cov_xy, cov_y):
    """Validated (cov_x, cov_xy, cov_y) with a positive definite joint covariance."""
    cov_x, cov_y = _spd("cov_x", cov_x), _spd("cov_y", cov_y)
    cov_xy = np.atleast_2d(as_finite("cov_xy", cov_xy))
    if cov_xy.shape != (cov_x.shape[0], cov_y.shape[0]):
        raise ValueError(f"cov_xy must have shape {(cov_x.shape[0], cov_y.shape[0])}, got {cov_xy.shape}")
    _spd(
        "the joint covariance [[cov_x, cov_xy], [cov_xy.T, cov_y]]",
        np.block([[cov_x, cov_xy], [cov_xy.T, cov_y]]),
    )
    return cov_x, cov_xy, cov_y


def _clamp(value, low, high):
    """``value`` moved into [low, high]: removes round-off past an exact bound (see module doc)."""
    return np.minimum(np.maximum(value, low), high)


def _integer_in(name: str, value, low: int, high: int) -> int:
    """``value`` as a Python int in [low, high] (bounds the work a parameter can ask for)."""
    value = integer_at_least(name, value, low)
    if value > high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def _distribution(name: str, p, ndim: int) -> np.ndarray:
    p = np.asarray(as_finite(name, p))
    if p.ndim != ndim or np.any(p < 0) or not np.isclose(p.sum(), 1.0, atol=1e-9):
        raise ValueError(f"{name} must be a {ndim}-d array of non-negative numbers summing to 1")
    return p


# ---------------------------------------------------------------------------------------
# Entropy and mutual information


def _entropy_nats(p) -> float:
    """H(p) in nats, clamped to [0, log(#p > 0)]: the sum's round-off is at most
    ~#p * eps * H (a point mass gives exactly 0 only up to the 1e-9 slack of sum(p) = 1)."""
    p = p.ravel()
    return float(_clamp(-np.sum(special.xlogy(p, p)), 0.0, np.log(max(np.count_nonzero(p), 1))))


def entropy(p, *, base=2) -> float:
    """Shannon entropy H(p) = -sum_i p_i log p_i of a distribution (any shape), in [0, log n]."""
    p = _distribution("p", p, np.ndim(p))
    return _entropy_nats(p) / _base_log(base)


def _mutual_information_nats(p_xy) -> float:
    """I(X;Y) = H(X) + H(Y) - H(X,Y) in nats, clamped to [0, min(H(X), H(Y))]. The three sums
    cancel to round-off ~|X||Y| eps H(X,Y) (8e-17 bits at an exactly-zero MI of 2 x 2)."""
    h_x, h_y = _entropy_nats(p_xy.sum(1)), _entropy_nats(p_xy.sum(0))
    return float(_clamp(h_x + h_y - _entropy_nats(p_xy), 0.0, min(h_x, h_y)))


def mutual_information(p_xy, *, base=2) -> float:
    """I(X;Y) = H(X) + H(Y) - H(X,Y) of a joint distribution p_xy, shape (|X|, |Y|).

    Clamped to its exact range [0, min(H(X), H(Y))] (round-off ~|X||Y| eps H(X,Y)).
    """
    p_xy = _distribution("p_xy", p_xy, 2)
    return _mutual_information_nats(p_xy) / _base_log(base)


def gaussian_mutual_information(cov, split: int, *, base=2) -> float:
    """I(A;B) of jointly Gaussian (A, B) with covariance ``cov`` and A = the first ``split`` axes.

        I(A;B) = 1/2 log( |Sigma_A| |Sigma_B| / |Sigma| ),   clamped at 0.

    Example:
        >>> round(gaussian_mutual_information([[1.0, 0.6], [0.6, 1.0]], 1), 6)  # -1/2 log2(1-0.36)
        0.321928
    """
    cov = _spd("cov", cov)
    split = integer_at_least("split", split, 1)
    if split >= cov.shape[0]:
        raise ValueError(f"split must be in [1, {cov.shape[0] - 1}], got {split}")

    def logdet(m):
        return np.linalg.slogdet(m)[1]

    nats = 0.5 * (logdet(cov[:split, :split]) + logdet(cov[split:, split:]) - logdet(cov))
    # Fischer's inequality makes it >= 0; the log-determinants' round-off (~d eps cond(cov))
    # can push an independent pair below 0.
    return float(max(nats, 0.0) / _base_log(base))


# ---------------------------------------------------------------------------------------
# Gaussian information bottleneck (Chechik et al. 2005)


def _gaussian_ib_modes(cov_x, cov_xy, cov_y):
    """(lambda, 1 - lambda, beta^c) of the Gaussian IB, ordered by ascending lambda.

    The one place that decides which directions exist and when they switch on: every
    function below uses its ``critical`` (= 1 / (1 - lambda), inf where 1 - lambda == 0) and
    calls a direction active at beta iff beta > critical, so that the critical betas, the
    optimal encoder and the curve can never disagree.

    lambda_i are the eigenvalues of Sigma_{x|y} Sigma_x^{-1}, solved as the symmetric-definite
    problem Sigma_{x|y} v = lambda Sigma_x v (left eigenvectors). 1 - lambda_i is solved
    separately as (Sigma_xy Sigma_y^{-1} Sigma_yx) v = (1 - lambda) Sigma_x v, which keeps its
    relative accuracy when it is tiny: 1 - (lambda near 1) would lose it to cancellation
    (cov_xy = 1e-7 gives 1 - lambda = 1e-14 with 1% error, beta^c came out inf for 1e14).
    Each is taken from the problem where it is the smaller: both stay relatively accurate.
    """
    cov_x, cov_xy, cov_y = _joint_gaussian(cov_x, cov_xy, cov_y)
    explained = cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    explained = (explained + explained.T) / 2
    cov_x_given_y = cov_x - explained
    lam = linalg.eigh((cov_x_given_y + cov_x_given_y.T) / 2, cov_x, eigvals_only=True)
    gap = linalg.eigh(explained, cov_x, eigvals_only=True)[::-1]  # descending = ascending lambda
    lam, gap = np.clip(lam, 0.0, 1.0), np.clip(gap, 0.0, 1.0)
    from_lam = lam <= 0.5
    lam, gap = np.where(from_lam, lam, 1.0 - gap), np.where(from_lam, 1.0 - lam, gap)
    # A positive definite joint covariance has lambda > 0; tiny keeps log(lambda) finite.
    lam = np.maximum(lam, np.finfo(float).tiny)
    # 1 / gap overflows to inf for a subnormal gap (< 5.6e-309): that direction enters at no
    # float64 beta, which inf says (active iff beta > critical)
    with np.errstate(divide="ignore", over="ignore"):
        critical = np.where(gap > 0, 1.0 / np.where(gap > 0, gap, 1.0), np.inf)
    return lam, gap, critical


def gaussian_ib_critical_betas(cov_x, cov_xy, cov_y) -> np.ndarray:
    """Critical trade-offs beta_i^c = 1 / (1 - lambda_i) of the Gaussian IB, ascending.

    lambda_i are the eigenvalues of Sigma_{x|y} Sigma_x^{-1} (Chechik et al. 2005, sec. 4).
    For beta > beta_i^c the i-th eigenvector enters the optimal projection.
    Directions of X that carry no information about Y (lambda_i = 1 exactly) never enter:
    their beta_i^c is inf. 1 - lambda_i is computed directly (not as 1 minus lambda_i), so
    beta_i^c keeps its relative accuracy up to 1e300 (e.g. 1e14 for cov_xy = 1e-7); where
    1 / (1 - lambda_i) exceeds float64 (1 - lambda_i < 5.6e-309) the direction enters at no
    float64 beta, and beta_i^c is inf as well.

    Args:
        cov_x: (d_x, d_x) SPD; cov_xy: (d_x, d_y); cov_y: (d_y, d_y) SPD; the joint
            covariance must be positive definite.
    Returns:
        (d_x,) ascending critical betas, each in [1, inf].

    Example:
        >>> gaussian_ib_critical_betas([[1.0]], [[0.6]], [[1.0]])  # lambda = 1 - 0.36
        array([2.77777778])
    """
    return np.sort(_gaussian_ib_modes(cov_x, cov_xy, cov_y)[2])


def _log_lambda(lam, gap):
    """log lambda, as log1p(-(1 - lambda)) near lambda = 1 (keeps I(X;Y) = 1e-14 accurate)."""
    return np.where(gap < 0.5, np.log1p(-gap), np.log(lam))


def _gaussian_ib_nats(beta, lam, gap, critical):
    """(I(T;X), I(T;Y)) in nats at trade-offs ``beta`` (any shape), from the modes."""
    b = np.asarray(beta, dtype=float)[..., None]
    active = b > critical
    log_lam = _log_lambda(lam, gap)
    # Inactive directions contribute log 1 = 0 (and never evaluate log 0 at lambda = 1). An
    # active direction has beta (1 - lambda) > 1, so both logs below are > 0 exactly; the
    # clamps remove the round-off (a few ulps) just past beta^c.
    # (1/b overflows for a subnormal b < 1: such a beta activates no direction, critical >= 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        compression = np.log(b - 1) + np.log(gap) - log_lam  # log((b-1)(1-lam)/lam)
        relevance = np.log1p(-1 / b) - log_lam  # log((b-1)/(b lam))
    compression = np.where(active, np.maximum(compression, 0.0), 0.0)
    relevance = np.where(active, _clamp(relevance, 0.0, np.minimum(compression, -log_lam)), 0.0)
    return 0.5 * np.sum(compression, axis=-1), 0.5 * np.sum(relevance, axis=-1)


def gaussian_ib(beta, cov_x, cov_xy, cov_y, *, base=2):
    """(I(T;X), I(T;Y)) of the optimal Gaussian IB encoder at trade-off ``beta``.

    Chechik et al. 2005, eq. (15)-(16): with n(beta) = #{i : beta > beta_i^c},
        I(T;X) = 1/2 sum_{i <= n(beta)} log[ (beta - 1)(1 - lambda_i) / lambda_i ]
        I(T;Y) = I(T;X) - 1/2 sum_{i <= n(beta)} log[ beta (1 - lambda_i) ]
    ``beta`` may be an array; the outputs have its shape. Each active direction's terms are
    clamped to their exact range (I(T;Y) in [0, I(T;X)] and below I(X;Y) = -1/2 sum log
    lambda_i); the active set is exactly {i : beta > beta_i^c} of
    :func:`gaussian_ib_critical_betas`.

    Example:
        >>> [round(float(v), 6) for v in gaussian_ib(10.0, [[1.0]], [[0.6]], [[1.0]])]
        [1.169925, 0.245927]
    """
    beta = positive("beta", beta)
    i_tx, i_ty = _gaussian_ib_nats(beta, *_gaussian_ib_modes(cov_x, cov_xy, cov_y))
    scale = _base_log(base)
    return i_tx / scale, i_ty / scale


def gaussian_ib_curve(i_tx, cov_x, cov_xy, cov_y, *, base=2):
    """The Gaussian information curve I(T;Y) as a function of I(T;X) (Chechik et al. eq. 17).

    On the segment where n modes are active,
        I(T;Y) = I(T;X)
                 - n/2 log( prod_i (1 - lambda_i)^{1/n} + e^{2 I(T;X)/n} prod_i lambda_i^{1/n} )
    (I in nats inside the formula). The curve is concave with slope dI(T;Y)/dI(T;X) = 1/beta.
    Without any informative direction (Sigma_xy = 0) it is identically 0. The result is
    clamped to [0, min(I(T;X), I(X;Y))] (round-off ~n eps I(T;X)).
    """
    i_tx = np.asarray(in_closed_interval("i_tx", i_tx, 0.0, np.inf))
    lam, gap, critical = _gaussian_ib_modes(cov_x, cov_xy, cov_y)
    informative = np.isfinite(critical)
    if not np.any(informative):
        return np.zeros_like(i_tx, dtype=float)
    lam, gap, critical = lam[informative], gap[informative], critical[informative]
    log_lam_all = _log_lambda(lam, gap)
    i_xy = -0.5 * np.sum(log_lam_all)
    scale = _base_log(base)
    with np.errstate(over="ignore"):  # x = inf (i_tx ~ 1e308 bits, a large base): see below
        x = i_tx * scale
    # I(T;X) (nats) at each critical beta: where the next mode switches on. The same modes
    # (one helper) as gaussian_ib, so the breaks sit exactly where it activates directions.
    breaks = _gaussian_ib_nats(critical, lam, gap, critical)[0]
    n = np.maximum(np.sum(x[..., None] > breaks, axis=-1), 1)
    k = np.arange(1, lam.size + 1)
    log_gap = np.cumsum(np.log(gap)) / k
    log_lam = np.cumsum(log_lam_all) / k
    lg, ll = log_gap[n - 1], log_lam[n - 1]
    # Past 2 x / n = 1 with 2 x / n taken out of the logaddexp, i.e. -n/2 log(e^{lg - 2x/n} +
    # e^{ll}) (-> I(X;Y) of the active modes): as written, x minus a term ~ x lost ~x eps
    # (1e-6 relative at x = 1e10 nats; 0 for x = 1e300), and 2 x / n overflowed at 9e307.
    with np.errstate(over="ignore", invalid="ignore"):
        written = x - n / 2 * np.logaddexp(lg, 2 * x / n + ll)
        i_ty = np.where(x / n > 0.5, -n / 2 * np.logaddexp(lg - (x / n) * 2, ll), written)
    return _clamp(i_ty, 0.0, np.minimum(x, i_xy)) / scale


# ---------------------------------------------------------------------------------------
# The iterative IB algorithm for discrete variables (Tishby, Pereira & Bialek 1999)


@dataclass(frozen=True)
class IBResult:
    """What :func:`information_bottleneck` returns.

    Attributes:
        encoder: (|X|, |T|) p(t|x), rows sum to 1.
        i_tx, i_ty: I(T;X) and I(T;Y) of the encoder.
        lagrangian: (iterations + 1,) I(T;X) - beta I(T;Y) after each iteration (from the
            initial encoder on) of the best restart.
        residual: max_{x,t} |p(t|x) - p(t) e^{-beta KL[p(y|x) || p(y|t)]} / Z(x)|, how well
            the returned encoder satisfies the self-consistent IB equations.
        converged: whether the encoder stopped changing (to ``tol``) within ``max_iter``.
    """

    encoder: np.ndarray
    i_tx: float
    i_ty: float
    lagrangian: np.ndarray
    residual: float
    converged: bool


class _Source(NamedTuple):
    """What the IB iteration needs of p(x, y), computed once per call (not per iteration)."""

    p_xy: np.ndarray
    p_x: np.ndarray
    p_y: np.ndarray
    p_y_x: np.ndarray
    self_information: np.ndarray  # sum_y p(y|x) log p(y|x), per x
    h_x: float  # H(X), nats: the range of I(T;X)
    i_xy: float  # I(X;Y), nats: the range of I(T;Y)


def _source(p_xy) -> _Source:
    p_x, p_y = p_xy.sum(1), p_xy.sum(0)
    p_y_x = p_xy / p_x[:, None]
    self_information = np.sum(special.xlogy(p_y_x, p_y_x), axis=1)
    return _Source(
        p_xy, p_x, p_y, p_y_x, self_information, _entropy_nats(p_x), _mutual_information_nats(p_xy)
    )


def _ib_statistics(source: _Source, encoder):
    """(p(t), p(y|t), I(T;X), I(T;Y)) in nats for an encoder p(t|x).

    Clamped to the exact ranges 0 <= I(T;Y) <= min(I(T;X), I(X;Y)) (data processing on
    T - X - Y) and I(T;X) <= H(X): the sums cancel to ~|X||T| eps nats at the trivial encoder,
    where the exact value is 0 (it came out as +-8e-17 bits depending on the CPU).
    """
    p_x = source.p_x
    p_t = p_x @ encoder
    joint_ty = encoder.T @ source.p_xy
    p_y_t = joint_ty / np.where(p_t > 0, p_t, 1.0)[:, None]
    joint_xt = p_x[:, None] * encoder
    outer = p_x[:, None] * p_t[None, :]
    i_tx = np.sum(special.xlogy(joint_xt, joint_xt) - special.xlogy(joint_xt, outer))
    outer_ty = p_t[:, None] * source.p_y[None, :]
    i_ty = np.sum(special.xlogy(joint_ty, joint_ty) - special.xlogy(joint_ty, outer_ty))
    i_tx = _clamp(i_tx, 0.0, source.h_x)
    i_ty = _clamp(i_ty, 0.0, min(i_tx, source.i_xy))
    return p_t, p_y_t, float(i_tx), float(i_ty)


def _ib_update(source: _Source, p_t, p_y_t, beta):
    """One IB iteration in log space: p(t|x) proportional to p(t) exp(-beta KL[p(y|x)||p(y|t)]),
    from the current encoder's p(t) and p(y|t) (:func:`_ib_statistics`)."""
    p_y_x = source.p_y_x
    with np.errstate(divide="ignore"):
        log_p_y_t = np.log(p_y_t)
        log_p_t = np.log(p_t)
    # KL[p(y|x) || p(y|t)] = sum_y p(y|x) log p(y|x) - sum_y p(y|x) log p(y|t); dead clusters
    # (p(t) = 0) stay dead through log p(t) = -inf.
    # 0 * log 0 (p(y|x) = 0 = p(y|t)) is a NaN the where() discards: no warning for it.
    with np.errstate(invalid="ignore"):
        cross = np.where(p_y_x[:, None, :] > 0, p_y_x[:, None, :] * log_p_y_t[None, :, :], 0.0)
    kl = source.self_information[:, None] - cross.sum(-1)
    logits = log_p_t[None, :] - beta * np.where(np.isfinite(kl), kl, 0.0)
    logits = np.where(np.isfinite(kl), logits, -np.inf)
    # Normalised in place of scipy's logsumexp (a third of the iteration's time at 2 x 2): the
    # row maximum subtracted (a row's largest logit is finite: p(t) > 0 for some t), then exp.
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


# Bounds on the work one call may ask for: iterations per restart, restarts, and the size
# |X| |T| |Y| of one iteration's arrays (1e7 float64 = 80 MB). At the defaults a 2 x 2 source
# converges in < 1e4 iterations (35 us each); max_iter = 1e5 caps a non-converging run
# (a broken update) at ~4 s per restart.
MAX_IB_ITERATIONS = 1_000_000
MAX_IB_RESTARTS = 1_000
MAX_IB_CELLS = 10_000_000


def information_bottleneck(
    p_xy, beta, *, n_clusters=None, restarts=5, seed=0, base=2, tol=1e-13, max_iter=100_000
) -> IBResult:
    """The iterative IB algorithm for a discrete joint distribution p(x, y).

    Alternates the self-consistent equations of Tishby, Pereira & Bialek (1999, eqs. 28, 19, 18;
    the iteration of their Theorem 5, eq. 31):
        p(t|x) = p(t) exp(-beta KL[p(y|x) || p(y|t)]) / Z(x, beta)
        p(t)   = sum_x p(x) p(t|x),   p(y|t) = sum_x p(y|x) p(x|t)
    in log space (stable at large beta). Each iteration cannot increase the Lagrangian
    I(T;X) - beta I(T;Y). The best of ``restarts`` random initial encoders is returned.

    I(T;X) and I(T;Y) are clamped to their exact ranges (see :func:`_ib_statistics`).

    Args:
        p_xy: (|X|, |Y|) joint distribution with p(x) > 0 for every x.
        beta: trade-off, > 0.
        n_clusters: |T|, an integer in [1, |X| + 1] (default |X|) with |X| |T| |Y| <= 1e7.
            An optimal encoder never needs more than |X| + 1 clusters (Witsenhausen & Wyner's
            1975 cardinality bound, which Benger, Asoodeh & Chen 2023, arXiv:2305.07000, show
            is attained: some sources need |X| + 1), so more are refused, not computed.
        restarts: random initial encoders, in [1, 1000].
        seed: integer >= 0 of the initial encoders.
        tol: convergence threshold on max |change of p(t|x)|, in [0, 1) (0: run max_iter).
        max_iter: iterations per restart, in [1, 1e6]; the work is bounded by
            restarts * max_iter * |X| |T| |Y|.
    """
    p_xy = _distribution("p_xy", p_xy, 2)
    if np.any(p_xy.sum(1) <= 0):
        raise ValueError("p_xy must give every x positive probability (drop empty rows)")
    beta = float(positive("beta", beta))
    n_clusters = p_xy.shape[0] if n_clusters is None else n_clusters
    n_clusters = _integer_in("n_clusters", n_clusters, 1, MAX_IB_CELLS // p_xy.size)
    if n_clusters > p_xy.shape[0] + 1:
        raise ValueError(
            f"n_clusters must be at most |X| + 1 = {p_xy.shape[0] + 1} (the IB's cardinality bound: "
            f"more clusters cannot lower the Lagrangian), got {n_clusters!r}"
        )
    restarts = _integer_in("restarts", restarts, 1, MAX_IB_RESTARTS)
    max_iter = _integer_in("max_iter", max_iter, 1, MAX_IB_ITERATIONS)
    seed = integer_at_least("seed", seed, 0)
    tol = float(in_closed_interval("tol", tol, 0.0, 1.0))
    if tol >= 1.0:
        raise ValueError(f"tol must be in [0, 1), got {tol!r}")
    scale = _base_log(base)
    rng = np.random.default_rng(seed)
    best = None
    source = _source(p_xy)
    for _ in range(restarts):
        encoder = rng.dirichlet(np.ones(n_clusters), size=p_xy.shape[0])
        history = []
        converged = False
        for _ in range(max_iter):
            p_t, p_y_t, i_tx, i_ty = _ib_statistics(source, encoder)
            history.append(i_tx - beta * i_ty)
            new = _ib_update(source, p_t, p_y_t, beta)
            change = np.max(np.abs(new - encoder))
            encoder = new
            if change < tol:
                converged = True
                break
        _, _, i_tx, i_ty = _ib_statistics(source, encoder)
        history.append(i_tx - beta * i_ty)
        if best is None or history[-1] < best[1][-1]:
            best = (encoder, history, i_tx, i_ty, converged)
    encoder, history, i_tx, i_ty, converged = best
    p_t, p_y_t, _, _ = _ib_statistics(source, encoder)
    residual = float(np.max(np.abs(_ib_update(source, p_t, p_y_t, beta) - encoder)))
    return IBResult(
        encoder=encoder,
        i_tx=float(i_tx / scale),
        i_ty=float(i_ty / scale),
        lagrangian=np.asarray(history) / scale,
        residual=residual,
        converged=converged,
    )


# ---------------------------------------------------------------------------------------
# The doubly symmetric binary source: X ~ Bern(1/2), Y = X xor Bern(p)


def binary_entropy(q, *, base=2):
    """h(q) = -q log q - (1-q) log(1-q), clamped to [0, log 2] (round-off ~2 eps)."""
    q = in_closed_interval("q", q, 0.0, 1.0)
    nats = -(special.xlogy(q, q) + special.xlogy(1 - q, 1 - q))
    return _clamp(nats, 0.0, np.log(2.0)) / _base_log(base)


def _inverse_binary_entropy(value):
    """q in [0, 1/2] with h(q) = value (bits)."""
    if value <= 0:
        return 0.0
    if value >= 1:
        return 0.5
    return optimize.brentq(lambda q: binary_entropy(q) - value, 0.0, 0.5, xtol=1e-15, rtol=1e-15)


def doubly_symmetric_binary_source(p) -> np.ndarray:
    """p(x, y) of X ~ Bern(1/2), Y = X xor Bern(p): [[1-p, p], [p, 1-p]] / 2."""
    p = float(in_closed_interval("p", p, 0.0, 0.5))
    return np.array([[1 - p, p], [p, 1 - p]]) / 2


def binary_ib_critical_beta(p):
    """beta_0 = 1 / (1 - 2p)^2: below it the optimal IB encoder of the DSBS is trivial.

    The slope of the binary IB curve at the origin is (1 - 2p)^2 (expand h(p * q) at
    q = 1/2), and the IB curve has slope 1/beta.
    """
    p = in_closed_interval("p", p, 0.0, 0.5)
    if np.any(p >= 0.5):
        raise ValueError(f"p must be in [0, 0.5), got {p!r}")
    return 1.0 / (1.0 - 2.0 * p) ** 2


def binary_ib_curve(i_tx, p, *, base=2):
    """The IB curve of the DSBS (Mrs Gerber's lemma, Wyner & Ziv 1973; Witsenhausen & Wyner 1975).

        I(T;Y) = 1 - h( p * h^{-1}(1 - I(T;X)) ),   a * b = a(1-b) + (1-a) b,
    in bits, for 0 <= I(T;X) <= 1, achieved by T = X xor Bern(q) with h(q) = 1 - I(T;X);
    clamped to [0, min(I(T;X), 1 - h(p))] (round-off ~4 eps bits).

    Example:
        >>> round(float(binary_ib_curve(1.0, 0.1)), 6)  # T = X: I(T;Y) = 1 - h(p)
        0.531004
    """
    p = float(in_closed_interval("p", p, 0.0, 0.5))
    scale = _base_log(base) / np.log(2.0)
    bits = np.asarray(in_closed_interval("i_tx", i_tx, 0.0, 1.0 / scale)) * scale
    q = np.vectorize(_inverse_binary_entropy, otypes=[float])(1.0 - bits)
    s = _clamp(p * (1 - q) + (1 - p) * q, 0.0, 1.0)
    i_ty = _clamp(1.0 - binary_entropy(s), 0.0, np.minimum(bits, 1.0 - binary_entropy(p)))
    return i_ty / scale


def binary_ib_point(beta, p, *, base=2):
    """(I(T;X), I(T;Y)) of the optimal encoder of the DSBS at trade-off ``beta``.

    T = X xor Bern(q) with q solving dI(T;Y)/dI(T;X) = 1/beta, i.e.
        (1 - 2p) log((1 - s)/s) / log((1 - q)/q) = 1/beta,   s = p * q;
    the trivial encoder (0, 0) for beta <= beta_0 = 1/(1 - 2p)^2.
    """
    beta = float(positive("beta", beta))
    p = float(in_closed_interval("p", p, 0.0, 0.5))
    if beta <= binary_ib_critical_beta(p):
        return 0.0, 0.0

    def slope_gap(q):
        s = p * (1 - q) + (1 - p) * q
        return (1 - 2 * p) * np.log((1 - s) / s) / np.log((1 - q) / q) - 1 / beta

    # The slope falls from (1-2p)^2 at q -> 1/2 to 0 at q -> 0: one root in between,
    # searched in log q so that large beta (q far below machine epsilon) stays accurate.
    if slope_gap(np.exp(-700.0)) >= 0:  # q < e^-700: T = X to double precision
        q = 0.0
    else:
        log_q = optimize.brentq(
            lambda u: slope_gap(np.exp(u)), -700.0, np.log(0.5 - 1e-9), xtol=1e-14, rtol=1e-15
        )
        q = np.exp(log_q)
    scale = _base_log(base) / np.log(2.0)
    i_tx = 1.0 - binary_entropy(q)
    return float(i_tx / scale), float(binary_ib_curve(i_tx, p) / scale)


# ---------------------------------------------------------------------------------------
# Estimators: mixture entropy bounds, binned entropy of a unit, a noisy neuron


# Bounds on the work of the mixture estimators: pairwise distances cost n^2 d; the
# quadrature costs (grid points) x (components per cluster).
MAX_PAIRWISE_WORK = 2**32
MAX_QUADRATURE_WORK = 2 * 10**8
# A variance must be a normal float64 and its square root too (sd in [1e-150, 1e150]).
MIN_VARIANCE, MAX_VARIANCE = 1e-300, 1e300


def _variance(variance) -> float:
    variance = float(positive("variance", variance))
    if not MIN_VARIANCE <= variance <= MAX_VARIANCE:
        raise ValueError(f"variance must be in [{MIN_VARIANCE:g}, {MAX_VARIANCE:g}], got {variance!r}")
    return variance


def _mixture(means, variance, weights):
    means = np.atleast_1d(as_finite("means", means))
    means = means[:, None] if means.ndim == 1 else means
    if means.ndim != 2 or means.shape[0] == 0 or means.shape[1] == 0:
        raise ValueError(f"means must have shape (n,) or (n, d) with n, d >= 1, got {means.shape}")
    variance = _variance(variance)
    n = means.shape[0]
    weights = np.full(n, 1.0 / n) if weights is None else _distribution("weights", weights, 1)
    if weights.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {weights.shape}")
    return means, variance, weights


def _squared_distances(means) -> np.ndarray:
    """|mu_i - mu_j|^2, (n, n), from the differences themselves (translation invariant).

    The Gram form |mu_i|^2 + |mu_j|^2 - 2 mu_i.mu_j loses the distances to cancellation when
    the means sit far from the origin (offset 1e8: error ~eps 1e16 = 2, an upper bound 1.928
    bits below the true entropy 2.146; NaN at 1e300). Accumulated one coordinate at a time in
    place (the sum in coordinate order, as a sum over the last axis adds them).
    """
    n, d = means.shape
    if n * n * d > MAX_PAIRWISE_WORK:
        raise ValueError(f"means must have n^2 d <= 2^32 (n components of dimension d), got n = {n}, d = {d}")
    out = np.empty((n, n))
    scratch = np.empty((n, n)) if d > 1 else out
    with np.errstate(over="ignore"):  # |mu_i - mu_j| beyond 1e154: inf, exp(-inf) = 0 below
        for k in range(d):
            target = out if k == 0 else scratch
            np.subtract(means[:, None, k], means[None, :, k], out=target)
            np.multiply(target, target, out=target)
            if k:
                out += scratch
    return out


def _mixing(sq, log_w, weights, scale) -> float:
    """-sum_i c_i log sum_j c_j exp(-sq_ij / scale) (nats): the log-sum-exp in place, by blocks
    of rows (each row's maximum subtracted before exp; one pass of exp over the n^2 terms)."""
    n = sq.shape[0]
    inner = np.empty(n)
    block = max(1, 2**21 // n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, n, block):
            terms = sq[start : start + block] * (-1.0 / scale)
            terms += log_w[None, :]
            peak = terms.max(axis=1)
            terms -= peak[:, None]
            np.exp(terms, out=terms)
            inner[start : start + block] = np.log(terms.sum(axis=1)) + peak
    positive_w = weights > 0  # 0 * (-inf) would be NaN: absent components add nothing
    return -float(np.sum(weights[positive_w] * inner[positive_w]))


def pairwise_entropy_bounds(means, variance, *, weights=None, base=2):
    """(lower, upper) bounds on the entropy of the mixture sum_i c_i N(mu_i, variance I).

    Kolchinsky & Tracey 2017 (arXiv:1706.02419, eq. 6, 10, 13): for a divergence D,
        H_D = H(X|C) - sum_i c_i log sum_j c_j exp(-D(p_i || p_j)),
        H(X|C) = d/2 log(2 pi e variance);
    D = Bhattacharyya |mu_i - mu_j|^2 / (8 variance) gives a lower bound, D = KL
    |mu_i - mu_j|^2 / (2 variance) an upper bound. Distances are taken as differences
    (invariant to a common offset of the means) and the inner sums by log-sum-exp; both
    bounds are clamped to [H(X|C), H(X|C) + H(C)], their exact range (round-off ~n eps).

    Args:
        means: (n,) or (n, d) component centres, n^2 d <= 2^32; variance: per-coordinate
            noise variance in [1e-300, 1e300]; weights: (n,) distribution (default uniform).
    """
    means, variance, weights = _mixture(means, variance, weights)
    # Bhattacharyya (8 variance) gives the lower bound, KL (2 variance) the upper.
    return tuple(_pairwise_nats(means, [variance], weights, (8, 2))[0] / _base_log(base))


def pairwise_entropy_upper_bounds(means, variances, *, weights=None, base=2) -> np.ndarray:
    """The upper bound of :func:`pairwise_entropy_bounds` (KL pairwise distances) for each
    noise variance in ``variances``: an array like ``variances``. The n^2 pairwise distances
    are computed once for all of them (the KDE bound of a layer at several noise levels)."""
    variances = np.atleast_1d(np.asarray(variances, dtype=float))
    if variances.ndim != 1 or variances.size == 0:
        raise ValueError(f"variances must be a non-empty 1-d sequence, got shape {variances.shape}")
    means, _, weights = _mixture(means, variances[0], weights)
    variances = [_variance(v) for v in variances]
    return _pairwise_nats(means, variances, weights, (2,))[:, 0] / _base_log(base)


def _pairwise_nats(means, variances, weights, factors) -> np.ndarray:
    """(len(variances), len(factors)) nats: H(X|C) - sum_i c_i log sum_j c_j exp(-|mu_i -
    mu_j|^2 / (factor variance)), clamped to [H(X|C), H(X|C) + H(C)]; the pairwise distances
    computed once for every variance and factor."""
    d = means.shape[1]
    sq = _squared_distances(means)
    h_c = _entropy_nats(weights)
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    return np.array(
        [
            [
                d / 2 * np.log(2 * np.pi * np.e * v) + _clamp(_mixing(sq, log_w, weights, f * v), 0.0, h_c)
                for f in factors
            ]
            for v in variances
        ]
    )


def _standard_mixture_entropy(means, sd, weights) -> tuple[float, float]:
    """(h(mixture) - log sd, H(C)) in nats for the 1-d mixture sum_i c_i N(mu_i, sd^2).

    The mixture is split into clusters of components less than 28 sd apart; each cluster is
    integrated by the trapezoid rule in standardised units u = (t - mu_first) / sd, step 1/20,
    from 14 sd below its first to 14 sd above its last centre. The density beyond is below
    e^-98 of its peak, so the truncation costs < 1e-40 nats, and the rule converges
    exponentially for this smooth integrand (~1e-12 nats). The grid has at most 561 points
    per component (however small sd), where a grid over [min, max] of step sd/20 had
    (max - min) / sd * 20 (1.6e9 points at sd = 1e-8: MemoryError).
    """
    order = np.argsort(means, kind="stable")
    mu, w = means[order], weights[order]
    keep = w > 0
    mu, w = mu[keep], w[keep]
    unique, index = np.unique(mu, return_inverse=True)  # identical centres: one component
    w = np.bincount(index, weights=w)
    h_c = _entropy_nats(w / w.sum())
    cuts = np.flatnonzero(np.diff(unique) > 28 * sd) + 1
    clusters = np.split(np.arange(unique.size), cuts)
    work = sum((float(unique[c[-1]] - unique[c[0]]) / sd * 20 + 561) * c.size for c in clusters)
    if work > MAX_QUADRATURE_WORK:
        raise ValueError(
            f"means must be fewer or less spread relative to the noise: the "
            f"quadrature would need {work:.3g} > {MAX_QUADRATURE_WORK:.0e} "
            f"density evaluations"
        )
    total, log_root = 0.0, 0.5 * np.log(2 * np.pi)
    for members in clusters:
        offsets = (unique[members] - unique[members[0]]) / sd
        grid = np.arange(-14.0, offsets[-1] + 14.0 + 1e-9, 1.0 / 20)
        log_w = np.log(w[members])
        log_density = np.empty(grid.size)
        step = max(1, 2**22 // members.size)
        for start in range(0, grid.size, step):
            u = grid[start : start + step, None]
            log_density[start : start + step] = (
                special.logsumexp(log_w[None, :] - 0.5 * (u - offsets[None, :]) ** 2, axis=1) - log_root
            )
        total += -np.trapezoid(np.exp(log_density) * log_density, grid)
    return float(total), h_c


def gaussian_mixture_entropy_1d(means, variance, *, weights=None, base=2) -> float:
    """Differential entropy of a 1-d Gaussian mixture by quadrature (exact to ~1e-12 nats).

    Trapezoid rule of step sqrt(variance)/20 around each cluster of centres (see
    :func:`_standard_mixture_entropy`): at most 561 grid points per component, so a tiny
    variance costs nothing extra; refused (ValueError) beyond 2e8 density evaluations. The
    result is clamped to its exact range [h(N(0, variance)), h(N(0, variance)) + H(C)].
    """
    means, variance, weights = _mixture(means, variance, weights)
    if means.shape[1] != 1:
        raise ValueError(f"means must be one-dimensional, got shape {means.shape}")
    sd = np.sqrt(variance)
    standard, h_c = _standard_mixture_entropy(means[:, 0], sd, weights)
    gaussian = 0.5 * np.log(2 * np.pi * np.e)
    nats = _clamp(standard, gaussian, gaussian + h_c) + np.log(sd)
    return float(nats / _base_log(base))


ACTIVATIONS = ("tanh", "relu")
MAX_BINS, MAX_BIN_CELLS = 10**6, 10**7


def _activation_cdf_below(activation, value, w):
    """P(f(w X) < value) for X ~ N(0, 1), f monotone (tanh or ReLU), w > 0."""
    value = np.asarray(value, dtype=float)
    # value / w beyond float64 (a subnormal w) is +-inf, where Phi is exactly 0 or 1
    if activation == "tanh":
        with np.errstate(divide="ignore", over="ignore"):
            pre = np.arctanh(np.clip(value, -1.0, 1.0))
            return stats.norm.cdf(pre / w)
    with np.errstate(over="ignore"):
        return np.where(value > 0, stats.norm.cdf(value / w), 0.0)


def binned_entropy_single_unit(
    w, *, activation="tanh", n_bins=30, low=-1.0, high=1.0, bin_width=None, base=2
):
    """Entropy of the binned output of one unit f(w x), x ~ N(0, 1) (Saxe et al. 2018, Fig. 2).

    Two binnings, both with bins closed on the left:
    - range binning (``bin_width=None``): ``n_bins`` equal bins on [low, high]; values
      outside fall into the edge bins (so a saturating range compresses values beyond it);
    - width binning: unbounded bins [k w_b, (k+1) w_b), k integer, w_b = ``bin_width``.
    Bin probabilities are exact: P(a <= f(wx) < b) = P(f < b) - P(f < a) with
    P(tanh(wx) < v) = Phi(artanh(v)/w) and P(relu(wx) < v) = Phi(v/w) for v > 0.
    For the deterministic unit, I(X;T_binned) = H(T_binned), clamped to [0, log #bins] (the
    bin probabilities to [0, 1]: round-off of a CDF difference, ~eps).
    ``w`` may be an array; the output has its shape. The work is bounded: at most 1e6 bins
    (n_bins, or the width bins covering the output) and 1e7 (w, bin) pairs.

    Example:
        >>> round(float(binned_entropy_single_unit(1e6)), 3)  # saturated: two bins
        1.0
    """
    w = positive("w", w)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if bin_width is None:
        n_bins = _integer_in("n_bins", n_bins, 1, MAX_BINS)
        low, high = float(as_finite("low", low)), float(as_finite("high", high))
        if not low < high:
            raise ValueError(f"high must be > low, got low={low}, high={high}")
        with np.errstate(over="ignore"):
            span = high - low
        if span < np.finfo(float).max / 4:
            edges = np.linspace(low, high, n_bins + 1)
        else:  # high - low (or the last step of linspace) beyond float64: at quarter scale
            edges = 4.0 * np.linspace(low / 4.0, high / 4.0, n_bins + 1)
        edges[0], edges[-1] = -np.inf, np.inf
    else:
        bin_width = float(positive("bin_width", bin_width))
        # Width binning of an output with support in [-1, inf): enough bins to hold all but
        # Phi(-40) of the mass of relu(w x) (tanh needs 2 / bin_width bins).
        top = 40 * float(np.max(w)) if activation == "relu" else 1.0
        if (top + 1.0) / bin_width > MAX_BINS:
            raise ValueError(
                f"bin_width must be >= {(top + 1.0) / MAX_BINS:.3g} here (at most "
                f"{MAX_BINS:.0e} bins over [-1, {top:g}]), got {bin_width!r}"
            )
        with np.errstate(over="ignore"):  # edges beyond float64 (bin_width ~ 1e308) are +-inf
            edges = np.arange(np.floor(-1.0 / bin_width) - 1, np.ceil(top / bin_width) + 2) * bin_width
        edges = np.concatenate([[-np.inf], edges, [np.inf]])
    if w.size * edges.size > MAX_BIN_CELLS:
        raise ValueError(
            f"w must have at most {MAX_BIN_CELLS // edges.size} entries with "
            f"{edges.size - 1} bins, got {w.size}"
        )
    cdf = _activation_cdf_below(activation, edges[None, :], w.ravel()[:, None])
    cdf[:, 0], cdf[:, -1] = 0.0, 1.0
    probabilities = _clamp(np.diff(cdf, axis=1), 0.0, 1.0)
    nats = -np.sum(special.xlogy(probabilities, probabilities), axis=1)
    h = _clamp(nats, 0.0, np.log(probabilities.shape[1])) / _base_log(base)
    return h.reshape(w.shape)


def noisy_neuron_information(w, x_values, noise_std, *, bias=0.0, base=2) -> float:
    """I(X;T) for T = tanh(w X + bias) + Z, Z ~ N(0, noise_std^2), X uniform on ``x_values``.

    Goldfeld et al. 2019 (arXiv:1810.05728, sec. 3): T is a Gaussian mixture with one
    component per input, so I(X;T) = h(T) - h(Z) = h(mixture) - 1/2 log(2 pi e noise_std^2),
    computed here by quadrature in units of noise_std (no log noise_std to cancel), clamped
    to its exact range [0, H(C)] (C = the distinct centres, H(C) <= log |x_values|). As |w|
    grows the centres cluster at +-1 and I(X;T) falls towards log2 of the number of
    clusters ("compression = clustering").

    Args:
        w, bias: finite; x_values: (n,) finite; noise_std in [1e-150, 1e150]. The quadrature
            costs <= 561 n^2 density evaluations (e.g. 1e-8 takes as long as 0.1).
    """
    w = float(as_finite("w", w))
    noise_std = float(positive("noise_std", noise_std))
    if not np.sqrt(MIN_VARIANCE) <= noise_std <= np.sqrt(MAX_VARIANCE):
        raise ValueError(f"noise_std must be in [1e-150, 1e150], got {noise_std!r}")
    x_values = np.atleast_1d(as_finite("x_values", x_values))
    if x_values.ndim != 1 or x_values.size == 0:
        raise ValueError(f"x_values must be a non-empty 1-d array, got shape {x_values.shape}")
    bias = float(as_finite("bias", bias))
    with np.errstate(over="ignore"):
        # where w x overflows, at half scale: |w x + bias| then exceeds float64 only where the
        # tanh is +-1 anyway (|w x| > 3.6e308 > 2 |bias|), and the sign is kept
        z = w * x_values + bias
        z = np.where(np.isfinite(z), z, 2 * ((w / 2) * x_values + bias / 2))
    centres = np.tanh(z)
    weights = np.full(centres.size, 1.0 / centres.size)
    standard, h_c = _standard_mixture_entropy(centres, noise_std, weights)
    nats = _clamp(standard - 0.5 * np.log(2 * np.pi * np.e), 0.0, h_c)
    return float(nats / _base_log(base))


# ---------------------------------------------------------------------------------------
# The Xu-Raginsky bound and an exactly computable learning algorithm


def xu_raginsky_bound(mutual_information, n, subgaussian, *, base=2):
    """|E[gen]| <= sqrt(2 sigma^2 I(S;W) / n) (Xu & Raginsky 2017, arXiv:1705.07809, Thm. 1).

    ``mutual_information`` is I(S;W) in units of ``base``; the loss is ``subgaussian``
    (sigma)-subgaussian under the data distribution for every hypothesis (a loss in [a, b]
    is (b - a)/2-subgaussian); n is the number of training samples.

    Example:
        >>> round(float(xu_raginsky_bound(1.0, 10, 0.5, base=np.e)), 6)
        0.223607
    """
    nats = np.asarray(in_closed_interval("mutual_information", mutual_information, 0, np.inf))
    # I >= 0 is validated, not clamped: this module never returns a negative MI, so a
    # negative argument is a caller's bug to report.
    nats = nats * _base_log(base)
    n = integer_at_least("n", n, 1)
    sigma = positive("subgaussian", subgaussian)
    # sigma outside the square root: sigma**2 overflows from 1.3e154 although the bound is
    # finite for any sigma below ~1e308 / sqrt(2 I / n).
    with np.errstate(over="ignore"):
        bound = np.sqrt(2 * nats / n) * sigma
    return finite_result(
        "the bound", bound, f"mutual_information={mutual_information!r}, subgaussian={subgaussian!r}"
    )


def _majority_vote_inputs(n, theta, flip):
    """Validated (n, theta, flip), k = 0..n and P(K = k) for K ~ Bin(n, theta)."""
    n = _integer_in("n", n, 1, 10**7)
    if n % 2 == 0:
        raise ValueError(f"n must be an odd integer (no ties), got {n}")
    theta = float(in_closed_interval("theta", theta, 0.0, 1.0))
    flip = float(in_closed_interval("flip", flip, 0.0, 0.5))
    k = np.arange(n + 1)
    try:
        p_k = stats.binom.pmf(k, n, theta)
    except OverflowError:  # Boost's ibeta_derivative, for theta in ~[2.2e-308, 1e-307]: in logs
        log_choose = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
        with np.errstate(under="ignore"):
            p_k = np.exp(log_choose + special.xlogy(k, theta) + special.xlog1py(n - k, -theta))
    return n, theta, flip, k, p_k


def majority_vote_joint(n, theta, flip):
    """The joint distribution of the noisy majority vote's majority bit M = 1{K > n/2}
    (K ~ Bin(n, theta), n odd) and its output W = M flipped with probability ``flip``:
    a 2 x 2 array, rows m = 0, 1 and columns w = 0, 1 (P(M = 1) clamped to [0, 1]).
    I(M;W) of this table is :func:`majority_vote_generalisation`'s I(S;W).

    Example:
        >>> majority_vote_joint(1, 0.5, 0.1)
        array([[0.45, 0.05],
               [0.05, 0.45]])
    """
    n, theta, flip, k, p_k = _majority_vote_inputs(n, theta, flip)
    m1 = _clamp(float(np.sum(p_k[k > n / 2])), 0.0, 1.0)
    return np.array([[(1 - m1) * (1 - flip), (1 - m1) * flip], [m1 * flip, m1 * (1 - flip)]])


def majority_vote_generalisation(n, theta, flip, *, base=2):
    """Exact (expected generalisation error, I(S;W)) of a noisy majority vote.

    Data S = (Z_1..Z_n), Z_i ~ Bern(theta), n odd; the algorithm outputs the majority bit
    W_0 = 1{sum Z > n/2} flipped with probability ``flip``; loss l(w, z) = 1{w != z} (in
    [0, 1], so 1/2-subgaussian). With K = sum Z ~ Bin(n, theta):
        gen = E[L_mu(W) - L_S(W)],  L_mu(w) = P(Z != w),  L_S(w) = #{i: Z_i != w} / n,
        I(S;W) = I(K;W) = h(P(W = 1)) - h(flip).
    Returns (gen, I(S;W) in units of ``base``); I(S;W) is clamped to [0, h(P(W = 1))] and
    P(W = 1) to [0, 1] (a sum of n + 1 binomial terms: round-off ~n eps). n <= 1e7 bounds
    the work.
    """
    n, theta, flip, k, p_k = _majority_vote_inputs(n, theta, flip)
    p_w1 = np.where(k > n / 2, 1 - flip, flip)
    risk_gap_w1 = (1 - theta) - (1 - k / n)  # L_mu(1) - L_S(1)
    risk_gap_w0 = theta - k / n  # L_mu(0) - L_S(0)
    gen = np.sum(p_k * (p_w1 * risk_gap_w1 + (1 - p_w1) * risk_gap_w0))
    h_w = float(binary_entropy(_clamp(np.sum(p_k * p_w1), 0.0, 1.0), base=np.e))
    information = _clamp(h_w - float(binary_entropy(flip, base=np.e)), 0.0, h_w)
    return float(gen), float(information / _base_log(base))
