"""Deep linear networks, shared by the areas that train them (deep_linear, critical_periods,
rank_collapse): the end-to-end product, the squared loss, what to record, the decoupled start,
and the hierarchical dataset of Saxe et al. 2019.

Weights are a tuple (W_1, ..., W_D), W_k of shape (N_k, N_{k-1}); inputs are rows.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from theory._validate import finite_matrix, integer_at_least, positive


def product(weights):
    """W_D ... W_1 for weights (W_1, ..., W_D)."""
    if isinstance(weights, (str, bytes)) or not isinstance(weights, (tuple, list)) or not weights:
        raise ValueError(f"weights must be a non-empty tuple of matrices, got {weights!r}")
    return functools.reduce(lambda acc, w: w @ acc, weights[1:], weights[0])


def squared_loss(weights, batch, hyper):
    """1/2 mean_p ||W_D...W_1 x_p - y_p||^2 (gradient flow time t = lr x step, tau = 1)."""
    x, y = batch
    residual = x @ product(weights).T - y
    return 0.5 * jnp.mean(jnp.sum(residual**2, axis=1))


def observe_product(weights, data, hyper):
    return {"product": product(weights)}


def decoupled_init(u, v, u0, widths, *, rng):
    """Weights (W_1..W_D) whose product is U diag(u0) V^T, balanced across layers.

    Every layer carries each mode with strength u0^{1/D}; the hidden singular vectors are
    random orthonormal (Saxe et al. 2014's decoupled start). ``widths`` = (N_in, hidden...,
    N_out); u (N_out, modes), v (N_in, modes), u0 (modes,).
    """
    u0 = positive("u0", u0)
    u, v = finite_matrix("u", u), finite_matrix("v", v)
    if isinstance(widths, (str, bytes)) or not np.iterable(widths) or len(widths) < 2:
        raise ValueError(f"widths must be a sequence of >= 2 layer sizes, got {widths!r}")
    widths = [integer_at_least("widths", n, 1, 4096) for n in widths]
    if (
        u0.ndim != 1
        or u.shape != (widths[-1], u0.size)
        or v.shape != (widths[0], u0.size)
        or min(widths) < u0.size
    ):
        raise ValueError(
            f"u (N_out, modes), v (N_in, modes), u0 (modes,) and widths (every "
            f"width >= modes) must agree, got {u.shape}, {v.shape}, {u0.shape}, "
            f"{widths}"
        )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    depth = len(widths) - 1
    bases = [v]
    for width in widths[1:-1]:
        bases.append(np.linalg.qr(rng.standard_normal((width, width)))[0][:, : u0.size])
    bases.append(u)
    scale = u0 ** (1.0 / depth)
    return tuple((bases[k + 1] * scale) @ bases[k].T for k in range(depth))


def hierarchy_features(levels):
    """Feature-by-item matrix of a binary tree: a feature per node, 1 on the items below it.

    P = 2^L items are the leaves; shape (2^{L+1} - 1, 2^L), rows ordered root first, level by
    level (Saxe, McClelland & Ganguli 2019, arXiv:1810.10531; Kleinman et al. 2024 use L = 3).
    ``levels``: an integer in [0, 10] (the matrix has ~2^{2L+1} entries).
    """
    levels = integer_at_least("levels", levels, 0, 10)
    items = 2**levels
    return np.concatenate(
        [np.kron(np.eye(2**k), np.ones((1, items // 2**k))) for k in range(levels + 1)], axis=0
    )
