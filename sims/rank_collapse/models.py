"""Rank-collapse simulations: attention stacks (RC1, RC2), random matrix products (RC3),
critical ReLU Jacobians (RC4) and correlations (RC5), and deep linear training (RC6). No
closed form under test inside: each returns a small named run (a NamedTuple of arrays) that
:mod:`.claims` compares and the figures draw.

Forward Monte-Carlo at initialisation (RC1-RC5) is plain float64 NumPy with one BLAS
thread (the matrices are small: no compilation, and no thread contention on a shared 2-core
machine); training (RC6) goes through the shared engine. Every random draw comes from the
seed: same seed, same bytes.

A claim's own ``simulate_<id>`` takes exactly the claim's parameters; where it combines
several simulations (RC2, RC3, RC4, RC6), each of them is cached on its own, so a figure that
asks for one more depth computes only that depth.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from sims import engine
from sims.cache import cached
from sims.linear_networks import (
    balanced_init,
    completion_task,
    observe_product,
    product,
    squared_loss,
    train_completion,
)
from sims.rank_collapse.measures import (
    attention_gamma,
    composite_norm,
    effective_rank,
    softmax,
)
from theory._validate import integer_at_least, one_of


def single_blas_thread(function):
    """Run ``function`` with one BLAS thread: small NumPy matrices gain nothing from threads,
    and on a loaded 2-core machine OpenBLAS's spinning threads slow them down ~50x."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------- RC1 attention


class PureAttentionRun(NamedTuple):
    """Per seed and layer of a pure attention stack (see :func:`simulate_pure_attention`)."""

    residual: np.ndarray  # (seeds, depth + 1): ||x_l - 1 mean^T||_{1,inf}
    candidate: np.ndarray  # (seeds, depth): ||x_{l+1} - 1 y_l^T||_{1,inf}
    gamma: np.ndarray  # (seeds, depth)
    beta: np.ndarray  # (seeds, depth): ||W_QK||_1 ||W_V||_{1,inf}
    eps: np.ndarray  # (seeds, depth)
    scale: np.ndarray  # (seeds, depth): ||x_l||_{1,inf}


@cached
@single_blas_thread
def simulate_pure_attention(*, tokens, width, depth, seeds, start_residual) -> PureAttentionRun:
    """A stack of single-head softmax attention layers, no skip, no MLP, fresh weights per layer.

    Tokens x (tokens x width) start near rank 1: x_0 = 1 m^T + delta Z with m, Z standard
    normal and delta log-uniform in ``start_residual`` (a [low, high] pair) per seed, so that
    most layers lie in the cubic regime. Weights W_QK, W_V have iid N(0, 1/width) entries and
    d_qk = width. Records per seed and layer: ``residual`` ||x_l - 1 mean^T||_{1,inf}
    (depth + 1 values), ``candidate`` ||x_{l+1} - 1 y_l^T||_{1,inf} for the rank-1 matrix of
    :func:`~sims.rank_collapse.measures.attention_gamma`, ``gamma``, ``beta``, ``eps`` and
    ``scale`` ||x_l||_{1,inf}.
    """
    out = {name: np.zeros((seeds, depth + (name == "residual"))) for name in PureAttentionRun._fields}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        delta = np.exp(rng.uniform(*np.log(start_residual)))
        x = rng.standard_normal((1, width)) + delta * rng.standard_normal((tokens, width))
        for layer in range(depth):
            w_qk, w_v = rng.standard_normal((2, width, width)) / np.sqrt(width)
            mean = x.mean(axis=0)
            centred = x - mean[None, :]
            gamma, eps = attention_gamma(x, w_qk)
            p = softmax(mean @ w_qk @ centred.T / np.sqrt(width))
            attention = softmax(x @ w_qk @ x.T / np.sqrt(width))
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
    return PureAttentionRun(**out)


# ----------------------------------------------------------------------------- RC2 skip


class SkipAttentionRun(NamedTuple):
    """Per alpha (leading axis) and seed of a skip-connected uniform-attention stack."""

    alphas: np.ndarray  # (alphas,)
    growth: np.ndarray  # (alphas, seeds): ||mean_L||^2 / ||mean_0||^2
    centred_change: np.ndarray  # (alphas, seeds): max_l ||centred_l - centred_0|| / ||x_l||
    ratio: np.ndarray  # (alphas, seeds, depth + 1): ||x_l - 1 mean^T||_F / ||x_l||_F


@cached
@single_blas_thread
def simulate_skip_attention(*, tokens, width, depth, alphas, seeds) -> SkipAttentionRun:
    """x_{l+1} = x_l + alpha P x_l W_l with uniform attention P = 1 1^T / T, W_l iid N(0, 1/d).

    P x_l = 1 mean_l^T, so the layer adds the row alpha mean_l^T W_l to every token; W_l
    enters only through mean_l^T W_l, which is exactly N(0, ||mean_l||^2 / d) per entry and
    is drawn as such (the same law as drawing W_l, at 1/d of the cost). Tokens start iid
    N(0, 1) (tokens x width). Returns, per alpha and seed: ``growth`` ||mean_L||^2 /
    ||mean_0||^2, ``centred_change`` the largest change of the centred part x - 1 mean^T over
    the layers relative to ||x_l||_F, and ``ratio`` ||x_l - 1 mean^T||_F / ||x_l||_F for
    l = 0..depth.
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
    return SkipAttentionRun(np.asarray(alphas, dtype=np.float64), growth, change, ratio)


def simulate_skip_connections(*, tokens, width, depth, seeds) -> SkipAttentionRun:
    """RC2's run: :func:`simulate_skip_attention` at alpha = 1/sqrt(depth) (Noci et al.'s
    scaling) and alpha = 1."""
    return simulate_skip_attention(
        tokens=tokens, width=width, depth=depth, alphas=[1.0 / np.sqrt(depth), 1.0], seeds=seeds
    )


# ----------------------------------------------------------------------------- RC3 products


def _haar_orthogonal(rng, n):
    """A Haar-distributed orthogonal n x n matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))[None, :]


def _products(rng, *, n, depth, kind):
    """Yield W_l ... W_1 for l = 1..depth; factors N(0, 1/n) entries or orthogonal.

    Both keep E||W v||^2 = ||v||^2, so the spectrum is compared at one normalisation.
    """
    matrix = np.eye(n)
    for _ in range(depth):
        if kind == "gaussian":
            factor = rng.standard_normal((n, n)) / np.sqrt(n)
        else:
            factor = _haar_orthogonal(rng, n)
        matrix = factor @ matrix
        yield matrix


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
def simulate_product_eigenvalues(*, n, depth, seeds):
    """Eigenvalues of a product of ``depth`` N(0, 1/n) matrices, one product per seed,
    (seeds, n) complex."""
    eigenvalues = np.zeros((seeds, n), dtype=np.complex128)
    for seed in range(seeds):
        rng = np.random.default_rng(seed + 2000)
        *_, matrix = _products(rng, n=n, depth=depth, kind="gaussian")
        eigenvalues[seed] = np.linalg.eigvals(matrix)
    return eigenvalues


class RandomProductsRun(NamedTuple):
    """RC3's three simulations of products of random matrices."""

    lyapunov: np.ndarray  # (seeds * depth, n): log |R_ii| samples, Gaussian N(0, 1/n) factors
    fraction_depths: np.ndarray  # (depths,)
    eigenvalues: np.ndarray  # (depths, fraction_seeds, fraction_n) complex
    gaussian_rank: np.ndarray  # (rank_seeds, rank_depth): effective rank of W_l ... W_1
    orthogonal_rank: np.ndarray  # (rank_seeds, rank_depth)


def simulate_random_products(
    *, n, depth, seeds, fraction_n, fraction_depths, fraction_seeds, rank_n, rank_depth, rank_seeds
) -> RandomProductsRun:
    """RC3's run: Lyapunov samples (n x n factors, ``depth`` layers), the eigenvalues of
    products of each of ``fraction_depths`` factors, and the effective rank of Gaussian and
    orthogonal products."""
    eigenvalues = np.stack(
        [simulate_product_eigenvalues(n=fraction_n, depth=m, seeds=fraction_seeds) for m in fraction_depths]
    )
    ranks = {
        kind: simulate_effective_rank(n=rank_n, depth=rank_depth, seeds=rank_seeds, kind=kind)
        for kind in ("gaussian", "orthogonal")
    }
    return RandomProductsRun(
        simulate_lyapunov(n=n, depth=depth, seeds=seeds),
        np.asarray(fraction_depths),
        eigenvalues,
        ranks["gaussian"],
        ranks["orthogonal"],
    )


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


def jacobian_variance_width_bias(depth, n, kind):
    """First-order finite-width bias of the seed-mean of m2/m1^2 - 1 of a critical ReLU
    Jacobian: 2L(L+1)/n for Gaussian and L(L+3)/(2n) for orthogonal weights.

    Conditioning each layer on its Bin(n, 1/2) count of active units and taking the exact
    Wick (Gaussian) and degree-4 Weingarten (Haar) moments to first order in 1/n gives
    E[r' | r] = r(1 + 2/n) + 2 + 4/n (Gaussian), r(1 + 1/n) + 1 + 2/n (orthogonal), for
    r = m2/m1^2 - 1; summed over L layers from r = 0. (An earlier version of this docstring
    had constants 2/n and 1/n, which sum to 2L^2/n and L(L+1)/(2n), not the formulas
    returned; Monte Carlo at n = 32, L = 1, 3000 seeds gives n (E r - 2L) = 3.89 +- 0.26
    Gaussian and 1.93 +- 0.23 orthogonal, i.e. 4 and 2, as returned.) The next order has the
    other sign and relative size ~8L/n (fitted: -15.5 L^3/n^2 and -1.5 L^3/n^2), so it is a
    valid correction for 8L/n <= 1/4 only.
    """
    depth = integer_at_least("depth", depth, 0, 10**6)
    n = integer_at_least("n", n, 1)
    one_of("kind", kind, ("gaussian", "orthogonal"))
    if kind == "gaussian":
        return 2 * depth * (depth + 1) / n
    return depth * (depth + 3) / (2 * n)


# The second-order width correction is at most this fraction of the first (8 L / n <= 1/4).
WIDTH_EXPANSION = 0.25


class JacobianRun(NamedTuple):
    """RC4's run: m2/m1^2 - 1 of J J^T per seed at depths 1..max(depths), per weight kind."""

    n: int
    depths: np.ndarray  # (depths,) the depths the claim checks
    gaussian: np.ndarray  # (seeds, max(depths))
    orthogonal: np.ndarray  # (seeds, max(depths))


def simulate_jacobian_spectrum(*, n, depths, seeds) -> JacobianRun:
    """RC4's run, refused where its width correction does not hold (8 max(depths) / n > 1/4):
    there the claim could not be checked, and no figure may show it as the claim's data."""
    if 8 * max(depths) / n > WIDTH_EXPANSION:
        raise ValueError(
            f"n must be >= 32 x max(depths) = {32 * max(depths)} for the width "
            f"expansion (8L/n <= 1/4), got n={n}"
        )
    variance = {
        kind: simulate_jacobian_variance(n=n, depth=max(depths), seeds=seeds, kind=kind)
        for kind in ("gaussian", "orthogonal")
    }
    return JacobianRun(n, np.asarray(depths), variance["gaussian"], variance["orthogonal"])


# ----------------------------------------------------------------------------- RC5 ReLU


class ReluCorrelationRun(NamedTuple):
    cosines: np.ndarray  # (seeds, depth): cosine of the two inputs' activations after layer l


@cached
def simulate_relu_correlation(*, n, depth, seeds, c0) -> ReluCorrelationRun:
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
            cosines[seed, layer] = np.clip(gram[0, 1] / np.sqrt(gram[0, 0] * gram[1, 1]), 0.0, 1.0)
    return ReluCorrelationRun(cosines)


# ----------------------------------------------------------------------------- RC6 learning


class FactorisedGDRun(NamedTuple):
    """End-to-end matrices of factorised GD at shared times, one run per learning rate."""

    learning_rates: np.ndarray  # (rates,)
    t: np.ndarray  # (R,) times t = lr x step
    products: np.ndarray  # (rates, R, size, size)
    init: np.ndarray  # (size, size): the initial end-to-end matrix
    sigma_xx: np.ndarray  # X^T X / m
    sigma_yx: np.ndarray  # Y^T X / m


@cached
def simulate_factorised_gd(*, size, depth, samples, learning_rates, t_max, seed=0) -> FactorisedGDRun:
    """Factorised GD on a balanced deep linear net; the end-to-end matrix at shared times.

    Returns times (R,), products (len(learning_rates), R, size, size), the initial product,
    and the data moments Sigma_xx = X^T X / m, Sigma_yx = Y^T X / m.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, size))
    y = x @ rng.standard_normal((size, size)).T / np.sqrt(size)
    init = balanced_init(rng.uniform(0.5, 1.5, size), (size,) * (depth + 1), rng=rng)
    runs = []
    for lr in learning_rates:
        epochs = int(round(t_max / lr))
        stride = int(round(learning_rates[-1] / lr)) * 10
        result = engine.train(
            squared_loss,
            engine.stack_members([init]),
            engine.Batch(x, y),
            members=engine.ensemble([seed], learning_rate=lr),
            epochs=epochs,
            record_every=stride,
            observe=observe_product,
        )
        runs.append((result.steps * lr, result.records["product"][0]))
    return FactorisedGDRun(
        np.asarray(learning_rates, dtype=np.float64),
        runs[0][0],
        np.stack([p for _, p in runs]),
        product(init),
        x.T @ x / samples,
        y.T @ x / samples,
    )


class CompletionRun(NamedTuple):
    depths: np.ndarray  # (depths,)
    effective_rank: np.ndarray  # (depths, seeds): of the learned matrix
    loss: np.ndarray  # (depths, seeds): final training loss


@cached
def simulate_matrix_completion(
    *, size, rank, observed, depths, init_scale, learning_rate, epochs, seeds
) -> CompletionRun:
    """Deep matrix factorisation on a rank-``rank`` size x size matrix from ``observed`` entries.

    Task s of the ``seeds`` is :func:`~sims.linear_networks.completion_task` at seed 300 + s
    (RMS entry 1, a random subset of entries observed); the loss is 1/2 the sum of squared
    errors on the observed entries over ``size``. Factors start at init_scale times iid
    N(0, 1/size) (Arora et al. 2019, arXiv:1905.13655, near-zero init). Returns the final
    effective rank (len(depths), seeds) and the final training loss.
    """
    ranks = np.zeros((len(depths), seeds))
    losses = np.zeros((len(depths), seeds))
    for s in range(seeds):
        task = completion_task(n=size, rank=rank, observed=observed, seed=300 + s)
        rng = np.random.default_rng(1300 + s)  # not the task's seed: its draws would shape the init
        for k, depth in enumerate(depths):
            init = tuple(
                init_scale * rng.standard_normal((1, size, size)) / np.sqrt(size) for _ in range(depth)
            )
            members = engine.ensemble([s], learning_rate=learning_rate, normaliser=size)
            final = train_completion(init, task, members=members, epochs=epochs)
            ranks[k, s] = effective_rank(final["singular_values"][0])
            losses[k, s] = final["loss"][0]
    return CompletionRun(np.asarray(depths), ranks, losses)


class EndToEndRun(NamedTuple):
    gd: FactorisedGDRun  # at learning rates lr and 2 lr
    completion: CompletionRun


def simulate_end_to_end_dynamics(*, size, depth, samples, learning_rate, t_max, completion) -> EndToEndRun:
    """RC6's run: factorised GD at lr and 2 lr (the O(lr) rate), and matrix completion."""
    return EndToEndRun(
        simulate_factorised_gd(
            size=size,
            depth=depth,
            samples=samples,
            learning_rates=[learning_rate, 2 * learning_rate],
            t_max=t_max,
        ),
        simulate_matrix_completion(**completion),
    )
