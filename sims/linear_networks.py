"""Deep linear networks, shared by the areas that train them (deep_linear, critical_periods,
rank_collapse): the end-to-end product, the squared loss, what to record, the balanced start,
and deep matrix completion.

Weights are a tuple (W_1, ..., W_D), W_k of shape (N_k, N_{k-1}); inputs are rows.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from sims import engine
from theory._validate import finite_matrix, integer_at_least, non_negative
from theory._validate import seed as valid_seed

# Largest layer width and depth the helpers build (an n x n orthogonal draw costs O(n^3)).
MAX_WIDTH = 4096
MAX_DEPTH = 1000


def product(weights):
    """W_D ... W_1 for weights (W_1, ..., W_D)."""
    if isinstance(weights, (str, bytes)) or not isinstance(weights, (tuple, list)) or not weights:
        raise ValueError(f"weights must be a non-empty tuple of matrices, got {weights!r}")
    return functools.reduce(lambda acc, w: w @ acc, weights[1:], weights[0])


def squared_loss(weights, batch: engine.Batch, hyper):
    """1/2 mean_p ||W_D...W_1 x_p - y_p||^2 (gradient flow time t = lr x step, tau = 1)."""
    residual = batch.inputs @ product(weights).T - batch.targets
    return 0.5 * jnp.mean(jnp.sum(residual**2, axis=1))


def observe_product(weights, data, hyper):
    return {"product": product(weights)}


def layer_widths(widths):
    """``widths`` (N_0, ..., N_D) as a tuple of 2 to MAX_DEPTH + 1 ints in [1, MAX_WIDTH]."""
    if isinstance(widths, (str, bytes)) or not np.iterable(widths) or not 2 <= len(widths) <= MAX_DEPTH + 1:
        raise ValueError(f"widths must be a sequence of 2 to {MAX_DEPTH + 1} layer sizes, got {widths!r}")
    return tuple(integer_at_least("widths", n, 1, MAX_WIDTH) for n in widths)


def random_orthonormal(rng, n, columns):
    """(n, columns) orthonormal columns: the first columns of the QR factor of an n x n Gaussian."""
    return np.linalg.qr(rng.standard_normal((n, n)))[0][:, :columns]


def balanced_init(strengths, widths, *, rng, u=None, v=None):
    """Weights (W_1..W_D) whose product is U diag(strengths) V^T, balanced across layers.

    W_k = Q_k diag(s^{1/D}) Q_{k-1}^T with Q_0 = V, Q_D = U and random orthonormal hidden
    bases Q_1..Q_{D-1}: every layer carries each mode with strength s^{1/D}, and
    W_{k+1}^T W_{k+1} = W_k W_k^T (Saxe et al. 2014's decoupled start; Arora et al. 2018's
    balanced start). ``widths`` = (N_in, hidden..., N_out); ``strengths`` (modes,), or a
    scalar for min(widths) modes; u (N_out, modes) and v (N_in, modes) are drawn from ``rng``
    (v first, u last, the hidden bases between) where not given.
    """
    strengths = non_negative("strengths", strengths)
    widths = layer_widths(widths)
    if strengths.ndim == 0:
        strengths = np.full(min(widths), float(strengths))
    if strengths.ndim != 1 or not 1 <= strengths.size <= min(widths):
        raise ValueError(
            f"strengths must be a scalar or have shape (modes,), 1 <= modes <= min(widths) = "
            f"{min(widths)}, got shape {strengths.shape}"
        )
    modes = strengths.size
    for name, basis, width in (("u", u, widths[-1]), ("v", v, widths[0])):
        if basis is not None and finite_matrix(name, basis).shape != (width, modes):
            raise ValueError(f"{name} must have shape ({width}, {modes}), got {np.shape(basis)}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    bases = [random_orthonormal(rng, widths[0], modes) if v is None else np.asarray(v, dtype=np.float64)]
    bases += [random_orthonormal(rng, width, modes) for width in widths[1:-1]]
    bases.append(random_orthonormal(rng, widths[-1], modes) if u is None else np.asarray(u, dtype=np.float64))
    scale = strengths ** (1.0 / (len(widths) - 1))
    return tuple((bases[k + 1] * scale) @ bases[k].T for k in range(len(widths) - 1))


# ----------------------------------------------------------------------------- matrix completion


class CompletionTask(NamedTuple):
    """Deep matrix completion: a target matrix and which of its entries are observed."""

    target: np.ndarray  # (n, n)
    observed: np.ndarray  # (n, n) 1.0 on the observed entries, else 0.0
    deficit: np.ndarray  # (n, n) 1.0 on the entries observed while pre-training (within observed)


def completion_task(*, n, rank, observed, deficit_observed=0, seed):
    """A rank-``rank`` n x n target with RMS entry 1 and the nested masks (deficit within full).

    The target is G H with G (n, rank), H (rank, n) standard normal, rescaled to RMS entry 1;
    the first ``observed`` entries of a random permutation are observed, the first
    ``deficit_observed`` of them also while pre-training. n in [1, 4096]; rank in [1, n];
    0 <= deficit_observed <= observed <= n^2.
    """
    n = integer_at_least("n", n, 1, MAX_WIDTH)
    rank = integer_at_least("rank", rank, 1, n)
    observed = integer_at_least("observed", observed, 0, n * n)
    deficit_observed = integer_at_least("deficit_observed", deficit_observed, 0, observed)
    rng = np.random.default_rng(valid_seed("seed", seed))
    target = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    target *= n / np.linalg.norm(target)
    order = rng.permutation(n * n)
    deficit, full = (
        np.isin(np.arange(n * n), order[:m]).reshape(n, n).astype(float) for m in (deficit_observed, observed)
    )
    return CompletionTask(target, full, deficit)


def completion_loss(weights, task: CompletionTask, hyper):
    """1/2 sum over the entries observed now of (W_D...W_1 - target)^2, over their number.

    The entries observed now: ``task.deficit`` before the member's ``pretrain_epochs`` (when
    it sets one), ``task.observed`` from then on. A member that sets ``normaliser`` divides
    by that instead of the number of entries.
    """
    mask = task.observed
    if "pretrain_epochs" in hyper:
        mask = jnp.where(hyper["epoch"] < hyper["pretrain_epochs"], task.deficit, task.observed)
    residual = (product(weights) - task.target) * mask
    return 0.5 * jnp.sum(residual**2) / (hyper["normaliser"] if "normaliser" in hyper else jnp.sum(mask))


def observe_completion(weights, task: CompletionTask, hyper):
    """Mean squared error on the never-observed (test) and observed (train) entries, and the
    singular values of the end-to-end matrix."""
    end_to_end = product(weights)
    error = (end_to_end - task.target) ** 2
    unobserved = 1.0 - task.observed
    return {
        "test": jnp.sum(error * unobserved) / jnp.sum(unobserved),
        "train": jnp.sum(error * task.observed) / jnp.sum(task.observed),
        "singular_values": jnp.linalg.svd(end_to_end, compute_uv=False),
    }


def train_completion(weights, task: CompletionTask, *, members, epochs):
    """Full-batch GD on :func:`completion_loss` from ``weights`` (a member axis first), one
    member per row of ``members`` (see :func:`sims.engine.train`); the final ``loss``,
    ``test`` and ``train`` errors and ``singular_values``, each with a member axis first."""
    result = engine.train(
        completion_loss,
        weights,
        task,
        members=members,
        epochs=epochs,
        record_every=epochs,
        observe=observe_completion,
    )
    return {name: value[:, -1] for name, value in result.records.items()}
