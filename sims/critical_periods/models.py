"""Critical learning periods in two-pathway deep linear networks: the tasks and simulations.

The network (Kleinman, Achille & Soatto 2024, arXiv:2308.12221): two bias-free pathways a and b
of D weight matrices each, outputs added, loss ``1/2 sum_items ||y - (W^a + W^b) x||^2``,
full-batch GD so that ``t = learning_rate * step``. The deficit: pathway b's weights get no
gradient while the step lies in ``[deficit_start, deficit_end)``, but b's output still counts
(the paper detaches b's output). A step that straddles a window edge passes on the fraction of
b's gradient lying outside the window; on windows that fall on the step grid this is exactly
the rule "frozen while deficit_start <= learning_rate * step < deficit_end", and off the grid it
keeps the discretisation error a smooth O(lr), so that halving lr halves it.

Tasks: the paper's 8 one-hot items with a hierarchical 15-feature target (singular values
sqrt 15, sqrt 7, sqrt 3 (x2), 1 (x4)), or one scalar feature whose singular value is the
member's ``target_scale``. The start is aligned with the target's singular vectors and
balanced, every layer carrying each feature with strength ``k0^{1/D}`` (hidden bases random).

Matrix completion (sec. 5 of the paper): a depth-D factorisation ``W = W_D...W_1`` trained on
a subset of the observed entries of a low-rank matrix (the deficit) for ``pretrain_epochs``,
then on all observed entries; the test error is measured on the never-observed entries.
The authors' code differs in both (its deficit is 1000 of 1250 or 1500 observed entries, its
test loss is over all entries): half the entries makes the deficit a stronger one, and the
never-observed entries are the ones depth 1 provably never moves (CP6's exact zero).

The ``simulate_*`` functions at the end are the claims' simulations (CP1-CP6): each returns
the runs at the claim's parameters, with no closed form under test inside.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

import theory.critical_periods as theory
from sims import engine
from sims.cache import cached
from sims.datasets import hierarchy_features
from sims.linear_networks import balanced_init, completion_task, product, train_completion
from theory._validate import finite_matrix, integer_at_least

# The deficit windows of claims CP3 and CP5 on one scalar feature (sigma = 1): length and
# onset varied around the feature's learning time, and one after it is learned.
CP3_WINDOWS = dict(
    early_short=[0.0, 0.5], early=[0.0, 1.0], onset_half=[0.5, 1.0], onset_one=[1.0, 1.5], late=[20.0, 21.0]
)


class PathwayRun(NamedTuple):
    """Two-pathway GD, one member per deficit window: the pathways' singular values."""

    t: np.ndarray  # (R,) recorded times learning_rate * step
    K_a: np.ndarray  # (members, R, modes) pathway a's strength on each target mode
    K_b: np.ndarray  # (members, R, modes) pathway b's (the deprived one)
    sigma: np.ndarray  # (members, modes) the target's singular values
    windows: np.ndarray  # (members, 2) each member's deficit [start, end)
    depth: int
    learning_rate: float


class CompletionRun(NamedTuple):
    """Deep matrix completion after deficit pre-training, one row per initialisation."""

    depth: int
    pretrain_epochs: tuple[int, ...]
    test: np.ndarray  # (inits, durations) mean squared error on never-observed entries
    train: np.ndarray  # (inits, durations) mean squared error on the observed entries
    target: np.ndarray  # (n, n)
    full: np.ndarray  # (n, n) 1.0 on the observed entries
    init: tuple[np.ndarray, ...]  # per initialisation, the end-to-end product at the start


# ----------------------------------------------------------------------------- the network


def hierarchy_task():
    """The paper's 8 items (one-hot inputs, as rows) and their 15 hierarchical features."""
    return engine.Batch(np.eye(8), hierarchy_features(3).T)


def learning_gate(hyper):
    """Fraction of this step's gradient that pathway b receives (0 inside the deficit)."""
    lr = hyper["learning_rate"]
    t = lr * hyper["epoch"]
    overlap = jnp.clip(
        jnp.minimum(t + lr, hyper["deficit_end"]) - jnp.maximum(t, hyper["deficit_start"]), 0.0, lr
    )
    return 1.0 - overlap / lr


def two_pathway_loss(params, batch: engine.Batch, hyper):
    gate = learning_gate(hyper)
    # b's value is kept, its gradient scaled by the gate (stopped inside the deficit)
    pathway_b = [
        jnp.where(gate == 0.0, jax.lax.stop_gradient(w), gate * w + (1.0 - gate) * jax.lax.stop_gradient(w))
        for w in params["b"]
    ]
    outputs = batch.inputs @ (product(params["a"]) + product(pathway_b)).T
    residual = outputs - hyper["target_scale"] * batch.targets
    return 0.5 * jnp.sum(residual**2)


def observe_pathways(params, data, hyper):
    return {"W_a": product(params["a"]), "W_b": product(params["b"])}


def aligned_pathway(u, v, k0, depth, width, rng):
    """Layers (W_1..W_D) with product U diag(k0) V^T, every layer carrying k0^{1/D} per mode."""
    depth = integer_at_least("depth", depth, 1, theory.MAX_DEPTH)
    u, v = finite_matrix("u", u), finite_matrix("v", v)
    widths = (v.shape[0],) + (width,) * (depth - 1) + (u.shape[0],)
    return list(balanced_init(np.full(v.shape[1], k0), widths, u=u, v=v, rng=rng))


def _task(task):
    if task == "hierarchy":
        x, y = hierarchy_task()
        u, _, vt = np.linalg.svd(y.T, full_matrices=False)
        return x, y, u, vt.T
    if task == "scalar":
        return np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1))
    raise ValueError(f"task must be 'hierarchy' or 'scalar', got {task!r}")


@cached
def simulate_pathways(*, task, depth, learning_rate, t_max, runs, points=50, seed=0):
    """Two-pathway GD from the aligned start; the pathway singular values over time.

    ``runs``: one dict per ensemble member with ``k0``, ``deficit_start``, ``deficit_end`` and
    ``target_scale`` (the singular values are ``target_scale`` times the task's). Records at
    ``points`` evenly spaced steps n and at n + 1 (for one-step rates), and at the end.
    Returns a :class:`PathwayRun`.
    """
    x, y, u, v = _task(task)
    sigma = np.linalg.svd(y.T, compute_uv=False)
    width = v.shape[1] + 2
    inits = []
    for run in runs:
        rng = np.random.default_rng(seed)
        inits.append({p: aligned_pathway(u, v, run["k0"], depth, width, rng) for p in "ab"})
    params = engine.stack_members(inits)
    members = pd.DataFrame(
        [
            {
                "seed": seed,
                "learning_rate": learning_rate,
                **{k: run[k] for k in ("target_scale", "deficit_start", "deficit_end")},
            }
            for run in runs
        ]
    )
    epochs = int(round(t_max / learning_rate))
    grid = np.rint(np.linspace(0, epochs - 1, points)).astype(int)
    record = np.unique(np.concatenate([grid, grid + 1, [epochs]]))
    result = engine.train(
        two_pathway_loss,
        params,
        engine.Batch(x, y),
        members=members,
        epochs=epochs,
        record_epochs=record,
        observe=observe_pathways,
    )
    modes = lambda w: np.einsum("oa,mroi,ia->mra", u, w, v)  # noqa: E731
    return PathwayRun(
        t=result.steps * learning_rate,
        K_a=modes(result.records["W_a"]),
        K_b=modes(result.records["W_b"]),
        sigma=np.array([run["target_scale"] * sigma for run in runs]),
        windows=np.array([[run["deficit_start"], run["deficit_end"]] for run in runs]),
        depth=depth,
        learning_rate=learning_rate,
    )


def _windowed(k0, windows, target_scale=1.0):
    return [
        {"k0": k0, "deficit_start": s, "deficit_end": e, "target_scale": target_scale} for s, e in windows
    ]


def scalar_feature(*, depth, k0, learning_rate, t_max, windows=None):
    """One scalar feature (sigma = 1) under each deficit window (default: CP3_WINDOWS)."""
    windows = list(CP3_WINDOWS.values()) if windows is None else windows
    return simulate_pathways(
        task="scalar",
        depth=depth,
        learning_rate=learning_rate,
        t_max=t_max,
        runs=_windowed(k0, windows),
        points=100,
    )


# ----------------------------------------------------------------------------- matrix completion


@cached
def simulate_completion(
    *,
    depth,
    n,
    rank,
    observed,
    deficit_observed,
    pretrain_epochs,
    epochs,
    learning_rate,
    init_scale,
    inits,
    seed=0,
):
    """Test error (never-observed entries) and train error after pre-training on the deficit
    mask for each of ``pretrain_epochs``, then on the full mask, ``epochs`` steps in all, for
    ``inits`` independent initialisations (the paper's Gaussian init of end-to-end scale
    ``init_scale``: entries N(0, init_scale^{2/D}/n)). A :class:`CompletionRun`."""
    task = completion_task(n=n, rank=rank, observed=observed, deficit_observed=deficit_observed, seed=seed)
    rng = np.random.default_rng(seed + 1)
    init = init_scale ** (1.0 / depth) / np.sqrt(n) * rng.standard_normal((inits, depth, n, n))
    members = engine.ensemble(range(inits), learning_rate=learning_rate, pretrain_epochs=pretrain_epochs)
    params = [np.repeat(init[:, k], len(pretrain_epochs), axis=0) for k in range(depth)]
    final = train_completion(params, task, members=members, epochs=epochs)
    shape = (inits, len(pretrain_epochs))
    return CompletionRun(
        depth=depth,
        pretrain_epochs=tuple(pretrain_epochs),
        test=final["test"].reshape(shape),
        train=final["train"].reshape(shape),
        target=task.target,
        full=task.observed,
        init=tuple(product(list(w)) for w in init),
    )


# ----------------------------------------------------------------------------- the claims' runs


@cached
def simulate_pathway_dynamics(*, depth, k0, window, learning_rate, t_max) -> engine.RatePair:
    """Claim CP1: the hierarchical task (8 modes) under one deficit window, at lr and 2 lr."""
    return engine.rate_pair(
        lambda lr: simulate_pathways(
            task="hierarchy", depth=depth, learning_rate=lr, t_max=t_max, runs=_windowed(k0, [window])
        ),
        learning_rate,
    )


@cached
def simulate_depth2_final_share(*, k0, duration, learning_rate, t_after) -> engine.RatePair:
    """Claim CP2: the hierarchical task at D = 2, deficit [0, duration), run to
    duration + t_after, at lr and 2 lr."""
    return engine.rate_pair(
        lambda lr: simulate_pathways(
            task="hierarchy",
            depth=2,
            learning_rate=lr,
            t_max=duration + t_after,
            runs=_windowed(k0, [[0.0, duration]]),
        ),
        learning_rate,
    )


@cached
def simulate_deficit_windows(*, depths, k0, learning_rate, t_max) -> tuple[engine.RatePair, ...]:
    """Claims CP3 and CP5 (one run serves both): one scalar feature under every window of
    CP3_WINDOWS, at each depth (in the order of ``depths``) and at lr and 2 lr."""
    return tuple(
        engine.rate_pair(
            lambda lr, d=depth: scalar_feature(depth=d, k0=k0, learning_rate=lr, t_max=t_max), learning_rate
        )
        for depth in depths
    )


@cached
def simulate_closing_time(*, sigmas, epsilon, duration, onsets, learning_rate) -> engine.RatePair:
    """Claim CP4: one scalar feature per (sigma, onset), D = 2, k0 = epsilon sigma, deficit
    [onset, onset + duration) / sigma (the feature's own time unit), at lr and 2 lr; members
    in the order sigma-major. Runs 12 / min(sigma) past the last deficit (converged)."""
    runs = [
        {"k0": epsilon * s, "deficit_start": o / s, "deficit_end": (o + duration) / s, "target_scale": s}
        for s in sigmas
        for o in onsets
    ]
    t_max = (max(onsets) + duration + 12.0) / min(sigmas)
    return engine.rate_pair(
        lambda lr: simulate_pathways(task="scalar", depth=2, learning_rate=lr, t_max=t_max, runs=runs),
        learning_rate,
    )


def simulate_matrix_completion(*, depths, **params) -> tuple[CompletionRun, ...]:
    """Claim CP6: :func:`simulate_completion` (each depth cached) at each depth, in the order
    of ``depths``; ``params`` are the other arguments of :func:`simulate_completion`."""
    return tuple(simulate_completion(depth=depth, **params) for depth in depths)
