"""Deep linear networks trained by gradient descent: the data, the starts and the simulations
of claims DL1-DL6 (DL7 is a derivation: :mod:`sims.deep_linear.derivations`).

The data: whitened inputs (``X^T X / P = I``) and targets ``Y = X W*^T``, so that the
input-output correlation is exactly ``Sigma_yx = W* = U diag(s) V^T``. The network: a product
of D weight matrices, loss ``1/2 mean_p ||W_D...W_1 x_p - y_p||^2``, full-batch GD, so that
``t = learning_rate * step`` is gradient-flow time with tau = 1. What is recorded: the
end-to-end map W_D...W_1, from which every mode strength ``u_a = u_a^T W v_a`` is read.

Every ``simulate_*`` is cached and holds no closed form under test: the theory enters only to
size a run (how long until the slowest mode is learned, the stability bound).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import ortho_group

import theory.deep_linear as theory
from sims import engine
from sims.cache import cached
from sims.datasets import hierarchy_features
from sims.deep_linear.measures import (
    crossing_times,
    effective_initial_strengths,
    mode_strengths,
    steps_to_loss,
    svd,
    theory_steps_to_loss,
)
from sims.linear_networks import (
    MAX_WIDTH,
    balanced_init,
    layer_widths,
    observe_product,
    random_orthonormal,
    squared_loss,
)
from theory._validate import (
    finite_matrix,
    in_closed_interval,
    integer_at_least,
    non_negative,
    one_of,
    scalar,
)
from theory._validate import seed as valid_seed

# ----------------------------------------------------------------------------- data and inits


def whitened_task(sigma_yx, *, seed=0):
    """Inputs X (P = N1 samples) with X^T X / P = I and targets Y = X sigma_yx^T, a Batch."""
    sigma_yx = finite_matrix("sigma_yx", sigma_yx)
    seed = valid_seed("seed", seed)
    n_in = sigma_yx.shape[1]
    if n_in > MAX_WIDTH:
        raise ValueError(f"sigma_yx must have at most {MAX_WIDTH} columns, got {n_in}")
    x = np.sqrt(n_in) * ortho_group.rvs(n_in, random_state=seed) if n_in > 1 else np.ones((1, 1))
    return engine.Batch(x, x @ sigma_yx.T)


def target_with_modes(singular_values, n_in, n_out, *, seed=0):
    """A random W* = U diag(s) V^T with the given singular values; returns (W*, U, V)."""
    s = non_negative("singular_values", singular_values)
    n_in = integer_at_least("n_in", n_in, 1, MAX_WIDTH)
    n_out = integer_at_least("n_out", n_out, 1, MAX_WIDTH)
    if s.ndim != 1 or not 1 <= s.size <= min(n_in, n_out):
        raise ValueError(
            f"singular_values must be a 1-d array of 1..min(n_in, n_out) = "
            f"{min(n_in, n_out)} values, got shape {s.shape}"
        )
    rng = np.random.default_rng(valid_seed("seed", seed))
    u = random_orthonormal(rng, n_out, s.size)
    v = random_orthonormal(rng, n_in, s.size)
    return (u * s) @ v.T, u, v


def random_target(singular_values, n_in, n_out, *, seed=0):
    """Sigma_yx with these singular values and random singular vectors, as nested lists."""
    return target_with_modes(singular_values, n_in, n_out, seed=seed)[0].tolist()


def hierarchy_target(levels):
    """Sigma_yx of the tree task with whitened (one-hot, scaled) inputs: features / sqrt(P)."""
    levels = integer_at_least("levels", levels, 1, 10)
    return hierarchy_features(levels) / np.sqrt(2.0**levels)


# The largest init scale: entries scale x N(0, 1) stay finite (|N(0, 1)| < 40 in any draw
# here), where 7.7e307 overflowed to inf with only a warning.
MAX_INIT_SCALE = 1e300


def random_init(widths, kind, scale, *, seed=0):
    """Gaussian (entries N(0, scale^2)) or scaled orthogonal weights of the given widths;
    ``scale`` in [0, MAX_INIT_SCALE]."""
    one_of("kind", kind, ("gaussian", "orthogonal"))
    scale = scalar("scale", in_closed_interval("scale", scale, 0.0, MAX_INIT_SCALE))
    widths = layer_widths(widths)
    rng = np.random.default_rng(valid_seed("seed", seed))
    weights = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        if kind == "gaussian":
            weights.append(scale * rng.standard_normal((n_out, n_in)))
        elif kind == "orthogonal":
            q = np.linalg.qr(rng.standard_normal((max(n_in, n_out),) * 2))[0]
            weights.append(scale * q[:n_out, :n_in])
        else:
            raise ValueError(f"kind must be 'gaussian' or 'orthogonal', got {kind!r}")
    return tuple(weights)


def lambda_balanced_init(n_in, hidden, n_out, lam, scale, *, seed=0):
    """Random (W1, W2) with W2^T W2 - W1 W1^T = lam I exactly.

    lam >= 0: W1 Gaussian, W2 = R (W1 W1^T + lam I)^{1/2} with R orthonormal columns
    (needs n_out >= hidden); lam < 0: W2 Gaussian, W1 = (W2^T W2 - lam I)^{1/2} R^T
    (needs n_in >= hidden).
    """
    n_in, hidden, n_out = (
        integer_at_least(name, n, 1, MAX_WIDTH)
        for name, n in (("n_in", n_in), ("hidden", hidden), ("n_out", n_out))
    )
    lam = scalar("lam", finite_matrix("lam", lam, ndim=0))
    scale = scalar("scale", non_negative("scale", scale))
    if (lam > 0 and n_out < hidden) or (lam < 0 and n_in < hidden):
        raise ValueError(
            f"lam > 0 needs n_out >= hidden, lam < 0 needs n_in >= hidden; got "
            f"lam={lam}, n_in={n_in}, hidden={hidden}, n_out={n_out}"
        )
    rng = np.random.default_rng(valid_seed("seed", seed))

    def sqrt_psd(m):
        """m^{1/2} of a PSD Gram matrix: eigenvalues clipped at 0 (computed ones can be
        negative by round-off, |w| <= ~n eps ||m||); refuses a non-finite m."""
        if not np.all(np.isfinite(m)):
            raise ValueError(f"scale={scale!r} and lam={lam!r} must keep W W^T below 1.8e308")
        w, q = np.linalg.eigh(m)
        return (q * np.sqrt(np.maximum(w, 0))) @ q.T

    with np.errstate(over="ignore", invalid="ignore"):
        if lam >= 0:
            w1 = scale * rng.standard_normal((hidden, n_in))
            r = np.linalg.qr(rng.standard_normal((n_out, hidden)))[0]
            w1, w2 = w1, r @ sqrt_psd(w1 @ w1.T + lam * np.eye(hidden))
        else:
            w2 = scale * rng.standard_normal((n_out, hidden))
            r = np.linalg.qr(rng.standard_normal((n_in, hidden)))[0]
            w1, w2 = sqrt_psd(w2.T @ w2 - lam * np.eye(hidden)) @ r.T, w2
    return w1, w2


# ----------------------------------------------------------------------------- training


def run_products(weights, sigma_yx, *, learning_rate, t_max, points=60, seed=0, on_divergence="raise"):
    """Train from ``weights`` (member axis first) on the whitened task; the products W(t).

    Returns (t, products, result) with products of shape (members, len(t), N_out, N_in).
    A learning rate above the stability bound 2 / (D s_max^{2-2/D}) of the solution is
    reported as divergence even when the loss stays finite (GD then oscillates, or falls
    onto the saddle at the origin, and never converges), naming the bound.
    """
    data = whitened_task(sigma_yx, seed=seed)
    epochs = int(round(t_max / learning_rate))
    n_members, depth = weights[0].shape[0], len(weights)
    members = engine.ensemble(range(n_members), learning_rate=learning_rate)
    bound = float(theory.stable_learning_rate(np.linalg.norm(sigma_yx, 2), depth))
    result = engine.train(
        squared_loss,
        weights,
        data,
        members=members,
        epochs=epochs,
        record_every=max(epochs // points, 1),
        observe=observe_product,
        on_divergence="flag" if learning_rate > bound else on_divergence,
    )
    if learning_rate > bound and on_divergence == "raise":
        # The members whose loss went non-finite; if none did, every member (they share the
        # learning rate that makes convergence impossible).
        culprits = result.members[result.diverged] if result.diverged.any() else result.members
        raise engine.DivergenceError(
            f"learning_rate={learning_rate:g} exceeds the stability bound 2/(D s_max^(2-2/D)) = "
            f"{bound:.4g} (D={depth}, s_max={np.linalg.norm(sigma_yx, 2):.4g}): GD cannot "
            f"converge; {len(culprits)} of {n_members} members failed, final losses "
            f"{np.round(result.records['loss'][culprits.index, -1], 4).tolist()}; their "
            f"hyper-parameters:\n{culprits.to_string()}",
            culprits,
        )
    return result.steps * learning_rate, result.records["product"], result


def engine_progress(items, description):
    """A progress bar over a sweep (shown on a terminal only)."""
    from tqdm import tqdm

    return tqdm(items, desc=description, leave=False, disable=None)


# ----------------------------------------------------------------------------- runs


class DecoupledRun(NamedTuple):
    """Mode strengths of one GD run of a depth-D network from the balanced decoupled start."""

    t: np.ndarray  # (T,) recorded times, t = learning_rate x step
    s: np.ndarray  # (modes,) singular values of Sigma_yx
    u: np.ndarray  # (T, modes) mode strengths u_a(t)
    u0: float  # initial strength of every mode
    depth: int
    learning_rate: float


class RandomInitRun(NamedTuple):
    """Two-layer GD from small Gaussian starts, one member per seed (claim DL2)."""

    s: np.ndarray  # (modes,)
    u0: np.ndarray  # (seeds, modes) effective initial strengths, orthogonalised
    u0_unprojected: np.ndarray  # (seeds, modes) the same without orthogonalisation
    half_time: np.ndarray  # (seeds, modes) time at which u_a first reaches s_a / 2
    t: np.ndarray  # (T,)
    u: np.ndarray  # (seeds, T, modes)


class HierarchyRun(NamedTuple):
    """The binary-tree task (claim DL5): its Sigma_yx, numpy's SVD of it, and GD on it."""

    target: np.ndarray  # (2^{L+1} - 1, 2^L) Sigma_yx
    singular_values: np.ndarray  # (2^L,) numpy's SVD, descending
    trajectories: engine.RatePair  # of DecoupledRun, two-layer, at lr and 2 lr


class LambdaBalancedRun(NamedTuple):
    """GD products W2 W1 (t) from random lambda-balanced starts (claim DL6)."""

    t: np.ndarray  # (T,)
    products: np.ndarray  # (members, T, N_out, N_in), members ordered (lambda, seed)
    target: np.ndarray  # (N_out, N_in) Sigma_yx
    inits: list  # the (W1, W2) of every member


# ----------------------------------------------------------------------------- simulations


@cached
def simulate_decoupled(*, target, u0, depth, learning_rate, t_max, hidden, points=60, seed=0):
    """Mode strengths u_a(t) of a depth-D network from the balanced, decoupled start.

    ``target`` is Sigma_yx (nested lists, N_out x N_in); every mode starts at ``u0``.
    """
    u, s, v = svd(target)
    n_out, n_in = np.shape(target)
    widths = (n_in,) + (hidden,) * (depth - 1) + (n_out,)
    init = balanced_init(np.full(s.size, u0), widths, u=u, v=v, rng=np.random.default_rng(seed + 1))
    t, products, _ = run_products(
        engine.stack_members([init]), target, learning_rate=learning_rate, t_max=t_max, points=points
    )
    return DecoupledRun(t, s, mode_strengths(products[0], u, v), u0, depth, learning_rate)


def _decoupled_pair(*, target, s_min, u0, depth, learning_rate, hidden, points=60):
    """:func:`simulate_decoupled` at lr and 2 lr, long enough for the weakest mode (singular
    value ``s_min``) to reach 99.9 % of its value (by the decoupled theory, x 1.1)."""
    t_max = 1.1 * float(theory.deep_learning_time(s_min, u0, 0.999 * s_min, depth))
    return engine.rate_pair(
        lambda lr: simulate_decoupled(
            target=target, u0=u0, depth=depth, learning_rate=lr, t_max=t_max, hidden=hidden, points=points
        ),
        learning_rate,
    )


@cached
def simulate_mode_trajectory(*, singular_values, u0, learning_rate, n_in, n_out, hidden):
    """Claim DL1: a two-layer network on a random Sigma_yx with these singular values, from
    the decoupled start at ``u0``, at lr and 2 lr."""
    return _decoupled_pair(
        target=random_target(singular_values, n_in, n_out),
        s_min=min(singular_values),
        u0=u0,
        depth=2,
        learning_rate=learning_rate,
        hidden=hidden,
    )


@cached
def simulate_deep_mode_trajectory(*, singular_values, u0, depths, learning_rate, width):
    """Claim DL3: the same square Sigma_yx learned at every depth, each at lr and 2 lr: a
    tuple of :class:`~sims.engine.RatePair` in the order of ``depths``."""
    target = random_target(singular_values, width, width)
    return tuple(
        _decoupled_pair(
            target=target,
            s_min=min(singular_values),
            u0=u0,
            depth=depth,
            learning_rate=learning_rate,
            hidden=width,
        )
        for depth in depths
    )


@cached
def simulate_random_init(*, singular_values, n_in, n_out, hidden, init_std, learning_rate, seeds):
    """Claim DL2: half-learning times of each mode from small Gaussian init, with their
    effective initial strengths u0_eff (orthogonalised and not)."""
    target, u, v = target_with_modes(singular_values, n_in, n_out)
    s = np.asarray(singular_values)
    inits = [random_init((n_in, hidden, n_out), "gaussian", init_std, seed=k) for k in range(seeds)]
    u0 = np.array([effective_initial_strengths(w1, w2, u, v) for w1, w2 in inits])
    naive = np.array([effective_initial_strengths(w1, w2, u, v, project=False) for w1, w2 in inits])
    t_max = 1.3 * float(theory.learning_time(s.min(), u0.min(), s.min() / 2))
    t, products, _ = run_products(
        engine.stack_members(inits), target, learning_rate=learning_rate, t_max=t_max, points=4000
    )
    modes = mode_strengths(products, u, v)
    half = np.array([crossing_times(t, m, s / 2) for m in modes])
    return RandomInitRun(s, u0, naive, half, t, modes)


@cached
def simulate_depth_sweep(*, singular_values, width, depths, lr_fraction, loss_fraction, budget, seeds):
    """Claim DL4: steps to reach a fixed loss vs depth for decoupled, orthogonal and Gaussian
    inits, a tidy frame with a row per (depth, member).

    Learning rate at depth D: lr_fraction x the stability bound 2 / (D s_max^{2-2/D}), the
    scaling under which Saxe et al. 2014 find depth-independent learning. Each depth runs
    ``budget`` x the theory's step count for the decoupled start (``theory_steps``).
    """
    s = np.asarray(singular_values)
    target, u, v = target_with_modes(s, width, width)
    data = whitened_task(target)
    criterion = loss_fraction * 0.5 * float(np.sum(s**2))
    rows = []
    for depth in engine_progress(depths, "depth sweep"):
        lr = lr_fraction * float(theory.stable_learning_rate(s.max(), depth))
        expected = theory_steps_to_loss(s, 1.0, depth, lr, criterion)
        widths = (width,) * (depth + 1)
        inits = [
            balanced_init(np.ones(s.size), widths, u=u, v=v, rng=np.random.default_rng(k)) for k in range(2)
        ]
        inits += [random_init(widths, "orthogonal", 1.0, seed=k) for k in range(seeds)]
        inits += [random_init(widths, "gaussian", width**-0.5, seed=k) for k in range(seeds)]
        kinds = ["decoupled"] * 2 + ["orthogonal"] * seeds + ["gaussian"] * seeds
        members = engine.ensemble(range(len(inits)), learning_rate=lr)
        result = engine.train(
            squared_loss,
            engine.stack_members(inits),
            data,
            members=members,
            epochs=int(budget * expected),
            record_every=1,
            on_divergence="flag",
        )
        steps = steps_to_loss(result.records["loss"], result.steps, criterion)
        for kind, n, diverged in zip(kinds, steps, result.diverged, strict=True):
            rows.append(
                dict(
                    depth=depth,
                    init=kind,
                    steps=n,
                    diverged=bool(diverged),
                    theory_steps=expected,
                    learning_rate=lr,
                )
            )
    return pd.DataFrame(rows)


@cached
def simulate_progressive_differentiation(*, levels, u0, learning_rate):
    """Claim DL5: the tree task's Sigma_yx, numpy's SVD of it, and two-layer GD from the
    decoupled start at lr and 2 lr (200 records: the half-learning times are interpolated).

    The run length comes from numpy's smallest singular value, not from the closed form
    under test (they agree to 1e-16)."""
    target = hierarchy_target(levels)
    singular_values = np.linalg.svd(target, compute_uv=False)
    trajectories = _decoupled_pair(
        target=target.tolist(),
        s_min=float(singular_values.min()),
        u0=u0,
        depth=2,
        learning_rate=learning_rate,
        hidden=2**levels,
        points=200,
    )
    return HierarchyRun(target, singular_values, trajectories)


@cached
def simulate_lambda_balanced(*, n_in, hidden, n_out, lambdas, scale, learning_rate, t_max, seeds, points=40):
    """GD products W2 W1 (t) from random lambda-balanced starts, one member per (lam, seed)."""
    target = np.random.default_rng(1234).standard_normal((n_out, n_in))
    inits = [
        lambda_balanced_init(n_in, hidden, n_out, lam, scale, seed=k) for lam in lambdas for k in range(seeds)
    ]
    t, products, _ = run_products(
        engine.stack_members(inits), target, learning_rate=learning_rate, t_max=t_max, points=points
    )
    return LambdaBalancedRun(t, products, target, inits)


@cached
def simulate_lambda_balanced_dynamics(*, n_in, hidden, n_out, lambdas, scale, learning_rate, t_max, seeds):
    """Claim DL6: :func:`simulate_lambda_balanced` at lr and 2 lr."""
    return engine.rate_pair(
        lambda lr: simulate_lambda_balanced(
            n_in=n_in,
            hidden=hidden,
            n_out=n_out,
            lambdas=lambdas,
            scale=scale,
            learning_rate=lr,
            t_max=t_max,
            seeds=seeds,
        ),
        learning_rate,
    )
