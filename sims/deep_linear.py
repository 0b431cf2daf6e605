"""Deep linear networks trained by gradient descent, checked against theory.deep_linear.

The data: whitened inputs (``X^T X / P = I``) and targets ``Y = X W*^T``, so that the
input-output correlation is exactly ``Sigma_yx = W* = U diag(s) V^T``. The network: a product
of D weight matrices, loss ``1/2 mean_p ||W_D...W_1 x_p - y_p||^2``, full-batch GD, so that
``t = learning_rate * step`` is gradient-flow time with tau = 1. What is recorded: the
end-to-end map W_D...W_1, from which every mode strength ``u_a = u_a^T W v_a`` is read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ortho_group

import theory.deep_linear as theory
from sims import engine
from sims.cache import cached
from sims.linear_networks import (
    decoupled_init,
    hierarchy_features,
    observe_product,
    squared_loss,
)
from sims.registry import Outcome, claim, first_order_outcome, part
from theory._validate import (
    finite_matrix,
    integer_at_least,
    non_negative,
    one_of,
    positive,
    scalar,
)
from theory._validate import seed as valid_seed

# Largest matrix side the helpers build (an n x n orthogonal draw costs O(n^3)).
MAX_WIDTH = 4096

# ----------------------------------------------------------------------------- data and inits


def whitened_task(sigma_yx, *, seed=0):
    """Inputs X (P = N1 samples) with X^T X / P = I and targets Y = X sigma_yx^T."""
    sigma_yx = finite_matrix("sigma_yx", sigma_yx)
    seed = valid_seed("seed", seed)
    n_in = sigma_yx.shape[1]
    if n_in > MAX_WIDTH:
        raise ValueError(f"sigma_yx must have at most {MAX_WIDTH} columns, got {n_in}")
    x = np.sqrt(n_in) * ortho_group.rvs(n_in, random_state=seed) if n_in > 1 else np.ones((1, 1))
    return x, x @ sigma_yx.T


def target_with_modes(singular_values, n_in, n_out, *, seed=0):
    """A random W* = U diag(s) V^T with the given singular values; returns (W*, U, V)."""
    s = non_negative("singular_values", singular_values)
    n_in = integer_at_least("n_in", n_in, 1, MAX_WIDTH)
    n_out = integer_at_least("n_out", n_out, 1, MAX_WIDTH)
    if s.ndim != 1 or not 1 <= s.size <= min(n_in, n_out):
        raise ValueError(f"singular_values must be a 1-d array of 1..min(n_in, n_out) = "
                         f"{min(n_in, n_out)} values, got shape {s.shape}")
    rng = np.random.default_rng(valid_seed("seed", seed))
    u = np.linalg.qr(rng.standard_normal((n_out, n_out)))[0][:, : s.size]
    v = np.linalg.qr(rng.standard_normal((n_in, n_in)))[0][:, : s.size]
    return (u * s) @ v.T, u, v


def random_init(widths, kind, scale, *, seed=0):
    """Gaussian (entries N(0, scale^2)) or scaled orthogonal weights of the given widths."""
    one_of("kind", kind, ("gaussian", "orthogonal"))
    scale = scalar("scale", non_negative("scale", scale))
    widths = _widths(widths)
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


def _widths(widths):
    """``widths`` as a tuple of at least two ints in [1, MAX_WIDTH]."""
    if isinstance(widths, (str, bytes)) or not np.iterable(widths) or len(widths) < 2:
        raise ValueError(f"widths must be a sequence of >= 2 layer sizes, got {widths!r}")
    return tuple(integer_at_least("widths", n, 1, MAX_WIDTH) for n in widths)


def stack(inits):
    """A list of per-member weight tuples -> one tuple of arrays with a member axis."""
    return tuple(np.stack(layer) for layer in zip(*inits, strict=True))


def run_products(weights, sigma_yx, *, learning_rate, t_max, points=60, seed=0,
                 on_divergence="raise"):
    """Train from ``weights`` (member axis first) on the whitened task; the products W(t).

    Returns (t, products, result) with products of shape (members, len(t), N_out, N_in).
    A learning rate above the stability bound 2 / (D s_max^{2-2/D}) of the solution is
    reported as divergence even when the loss stays finite (GD then oscillates, or falls
    onto the saddle at the origin, and never converges), naming the bound.
    """
    x, y = whitened_task(sigma_yx, seed=seed)
    epochs = int(round(t_max / learning_rate))
    n_members, depth = weights[0].shape[0], len(weights)
    members = engine.ensemble(range(n_members), learning_rate=learning_rate)
    bound = float(theory.stable_learning_rate(np.linalg.norm(sigma_yx, 2), depth))
    result = engine.train(
        squared_loss, weights, (x, y), members=members, epochs=epochs,
        record_every=max(epochs // points, 1), observe=observe_product,
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


def mode_strengths(products, u, v):
    """u_a^T W v_a for every mode a: (..., N_out, N_in) -> (..., modes)."""
    u, v = finite_matrix("u", u), finite_matrix("v", v)
    products = finite_matrix("products", products, ndim=max(np.ndim(products), 2))
    if products.shape[-2:] != (u.shape[0], v.shape[0]) or u.shape[1] != v.shape[1]:
        raise ValueError(f"products (..., N_out, N_in), u (N_out, modes), v (N_in, modes) must "
                         f"agree, got {products.shape}, {u.shape}, {v.shape}")
    return np.einsum("oa,...oi,ia->...a", u, products, v)


# ----------------------------------------------------------------------------- simulations


def svd(target):
    """Sigma_yx = U diag(s) V^T keeping the non-zero modes: (U, s, V)."""
    u, s, vt = np.linalg.svd(finite_matrix("target", target), full_matrices=False)
    keep = s > 1e-12 * s.max()
    return u[:, keep], s[keep], vt[keep].T


@cached
def simulate_decoupled(*, target, u0, depth, learning_rate, t_max, hidden, points=60, seed=0):
    """Mode strengths u_a(t) of a depth-D network from the balanced, decoupled start.

    ``target`` is Sigma_yx (nested lists, N_out x N_in); every mode starts at ``u0``.
    Returns {"t": (T,), "s": (modes,), "u": (T, modes)}.
    """
    u, s, v = svd(target)
    n_out, n_in = np.shape(target)
    widths = (n_in,) + (hidden,) * (depth - 1) + (n_out,)
    init = decoupled_init(u, v, np.full(s.size, u0), widths, rng=np.random.default_rng(seed + 1))
    t, products, _ = run_products(stack([init]), target, learning_rate=learning_rate,
                                  t_max=t_max, points=points)
    return {"t": t, "s": s, "u": mode_strengths(products[0], u, v)}


def decoupled_deviation(closed_form, **simulation):
    """(u_sim - u_theory) / s_max over the recorded times x modes, and the run."""
    run = simulate_decoupled(**simulation)
    predicted = closed_form(run["t"][:, None], run["s"][None, :], simulation["u0"])
    return (run["u"] - predicted) / run["s"].max(), run


def random_target(singular_values, n_in, n_out, *, seed=0):
    """Sigma_yx with these singular values and random singular vectors, as nested lists."""
    return target_with_modes(singular_values, n_in, n_out, seed=seed)[0].tolist()


# The O(lr) correction to err(2 lr) / err(lr) = 2 at lr <= 2e-3 on these O(1) problems.
RATIO_TOLERANCE = 0.15


def first_order_deviation_outcome(deviations, learning_rates, *, max_error, **details):
    """The O(lr) outcome from the deviations sim - theory at lr and 2 lr.

    The ratio uses the root-mean-square deviation over the same time grid (a max over
    sampled times jumps with where the samples fall on a steep transition); a part bounds
    the max deviation at the smaller lr.
    """
    rms = [float(np.sqrt(np.mean(np.square(d)))) for d in deviations]
    worst = [float(np.max(np.abs(d))) for d in deviations]
    small = part("small error", worst[0] <= max_error,
                 f"max deviation at lr={learning_rates[0]:g} is {worst[0]:.3g} "
                 f"(<= {max_error:g}); at lr={learning_rates[1]:g} {worst[1]:.3g}")
    return first_order_outcome(rms, learning_rates, tolerance=RATIO_TOLERANCE, parts=(small,),
                               max_deviation=worst, **details)


DL1_DEFAULTS = dict(singular_values=[3.0, 2.0, 1.0, 0.5], u0=1e-3, learning_rate=1e-3,
                    n_in=6, n_out=5, hidden=4)


def _wrong_rate(t, s, u0, *, tau=1.0):
    """Perturbation: exponent 2st -> st (a factor 2 in the time scale)."""
    return theory.mode_strength(t / 2, s, u0, tau=tau)


def _wrong_fixed_point(t, s, u0, *, tau=1.0):
    """Perturbation: the mode saturates 2% above s."""
    return 1.02 * theory.mode_strength(t, s, u0, tau=tau)


@claim(
    "DL1", "deep_linear.mode_trajectory",
    source="Saxe, McClelland & Ganguli 2014, arXiv:1312.6120, eq. 12",
    statement="A depth-2 linear network trained by full-batch GD from the balanced decoupled "
              "start follows u(t) = s e^{2st} / (e^{2st} - 1 + s/u0) for every mode.",
    closed_form=theory.mode_strength,
    measured="ratio of the RMS deviations (u_sim - u_theory) / s_max over modes and time at "
             "2 lr and lr; max deviation at lr",
    error_model="O(lr) Euler discretisation of gradient flow: error(2 lr) / error(lr) = 2 + "
                "O(lr); at lr = 1e-3 the error is at most 1e-2 of s_max",
    defaults=DL1_DEFAULTS,
    perturbations={"exponent 2st -> st": _wrong_rate,
                   "fixed point s -> 1.02 s": _wrong_fixed_point},
    figures=("fig_deep_linear_modes",),
    thorough=dict(learning_rate=5e-4),
)
def check_mode_trajectory(closed_form, *, singular_values, u0, learning_rate, n_in, n_out,
                          hidden):
    s_min = min(singular_values)
    # long enough for the weakest mode to reach 99.9 % of its value
    t_max = 1.1 * float(theory.learning_time(s_min, u0, 0.999 * s_min))
    target = random_target(singular_values, n_in, n_out)
    rates = [learning_rate, 2 * learning_rate]
    deviations = [
        decoupled_deviation(closed_form, target=target, u0=u0, depth=2, learning_rate=lr,
                            t_max=t_max, hidden=hidden)[0]
        for lr in rates
    ]
    return first_order_deviation_outcome(deviations, rates, max_error=1e-2)


def _wrong_depth_exponent(t, s, u0, depth, *, tau=1.0):
    """Perturbation: the depth-D rate uses depth D + 1 (a wrong exponent 2 - 2/D)."""
    return theory.deep_mode_strength(t, s, u0, depth + 1, tau=tau)


@claim(
    "DL3", "deep_linear.deep_mode_trajectory",
    source="Saxe, McClelland & Ganguli 2014, arXiv:1312.6120, sec. 3 (deep networks)",
    statement="From the balanced decoupled start, each mode of a depth-D linear network "
              "(D = 1..8) follows tau du/dt = D u^{2-2/D} (s - u).",
    closed_form=theory.deep_mode_strength,
    measured="ratio of the RMS deviations (u_sim - u_theory) / s_max at 2 lr and lr (worst "
             "depth); max deviation at lr",
    error_model="O(lr) Euler discretisation: error(2 lr) / error(lr) = 2 + O(lr) at every "
                "depth; at lr = 1e-3 the error is at most 1e-2 of s_max",
    defaults=dict(singular_values=[2.0, 1.0, 0.5], u0=0.05, depths=[1, 2, 3, 4, 6, 8],
                  learning_rate=1e-3, width=5),
    perturbations={"depth D -> D + 1": _wrong_depth_exponent},
    figures=("fig_deep_linear_depth_modes",),
    thorough=dict(depths=[1, 2, 3, 4, 5, 6, 7, 8], learning_rate=5e-4),
)
def check_deep_mode_trajectory(closed_form, *, singular_values, u0, depths, learning_rate,
                               width):
    s_min = min(singular_values)
    target = random_target(singular_values, width, width)
    rates = [learning_rate, 2 * learning_rate]
    outcomes = []
    for depth in depths:
        t_max = 1.1 * float(theory.deep_learning_time(s_min, u0, 0.999 * s_min, depth))
        deviations = [
            decoupled_deviation(lambda t, s, u, d=depth: closed_form(t, s, u, d),
                                target=target, u0=u0, depth=depth, learning_rate=lr,
                                t_max=t_max, hidden=width)[0]
            for lr in rates
        ]
        outcomes.append(first_order_deviation_outcome(deviations, rates, max_error=1e-2, depth=depth))
    worst = max(outcomes, key=lambda o: o.error)
    parts = tuple(
        part(f"depth {o.details['depth']}", o.passed,
             f"ratio {o.observed:.3f}, max deviation {o.details['max_deviation'][0]:.3g}")
        for o in outcomes
    )
    return Outcome(predicted=2.0, observed=worst.observed, error=worst.error,
                   tolerance=worst.tolerance, parts=parts)


# ----------------------------------------------------------------------------- DL2: random init


def crossing_times(t, values, levels):
    """First time each column of ``values`` (T, k) reaches ``levels`` (k,), interpolated.

    NaN where a column never reaches its level.
    """
    t = finite_matrix("t", t, ndim=1)
    values = finite_matrix("values", values)
    levels = finite_matrix("levels", levels, ndim=1)
    if values.shape != (t.size, levels.size):
        raise ValueError(f"values must have shape (len(t), len(levels)) = {(t.size, levels.size)}"
                         f", got {values.shape}")
    above = values >= levels[None, :]
    first = np.argmax(above, axis=0)
    reached = above.any(axis=0) & (first > 0)
    before = np.maximum(first - 1, 0)
    cols = np.arange(values.shape[1])
    v0, v1 = values[before, cols], values[first, cols]
    frac = (levels - v0) / np.where(v1 == v0, 1.0, v1 - v0)
    return np.where(reached, t[before] + frac * (t[first] - t[before]), np.nan)


def effective_initial_strengths(w1, w2, u, v, *, project=True):
    """The u0 that a small random start (W1, W2) effectively gives each mode.

    In the early, linear phase (whitened inputs) the hidden vectors a = W1 v_a and
    b = W2^T u_a of mode a obey da/dt = s_a b, db/dt = s_a a: c = (a + b)/2 grows as e^{s t},
    (a - b)/2 decays, so u_a = a.b -> |c|^2 e^{2 s t}, as from a decoupled start with
    u0 = |c|^2. Stronger modes are learned first and, once learned, remove from c of a
    weaker mode its component along theirs (the -W2^T W2 a term of the gradient); so with
    ``project`` the u0 of mode a is |c_a|^2 after Gram-Schmidt against stronger modes' c.
    Modes must be ordered by decreasing s.
    """
    w1, w2, u, v = (finite_matrix(name, m) for name, m in
                    (("w1", w1), ("w2", w2), ("u", u), ("v", v)))
    if w1.shape[1] != v.shape[0] or w2.shape[0] != u.shape[0] or w1.shape[0] != w2.shape[1] \
            or u.shape[1] != v.shape[1]:
        raise ValueError(f"w1 (H, N_in), w2 (N_out, H), u (N_out, modes), v (N_in, modes) must "
                         f"agree, got {w1.shape}, {w2.shape}, {u.shape}, {v.shape}")
    c = 0.5 * (w1 @ v + w2.T @ u)
    if not project:
        return np.sum(c**2, axis=0)
    q, r = np.linalg.qr(c)
    return np.diag(r) ** 2


@cached
def simulate_random_init(*, singular_values, n_in, n_out, hidden, init_std, learning_rate,
                         seeds):
    """Half-learning times of each mode from small Gaussian init, with their u0_eff."""
    target, u, v = target_with_modes(singular_values, n_in, n_out)
    s = np.asarray(singular_values)
    inits = [random_init((n_in, hidden, n_out), "gaussian", init_std, seed=k) for k in range(seeds)]
    u0 = np.array([effective_initial_strengths(w1, w2, u, v) for w1, w2 in inits])
    naive = np.array([effective_initial_strengths(w1, w2, u, v, project=False) for w1, w2 in inits])
    t_max = 1.3 * float(theory.learning_time(s.min(), u0.min(), s.min() / 2))
    t, products, _ = run_products(stack(inits), target, learning_rate=learning_rate,
                                  t_max=t_max, points=4000)
    modes = mode_strengths(products, u, v)
    half = np.array([crossing_times(t, m, s / 2) for m in modes])
    return {"s": s, "u0": u0, "u0_unprojected": naive, "half_time": half, "t": t,
            "u": modes}


def _wrong_time_scale(s, u0, u_final, *, tau=1.0):
    """Perturbation: tau/(2s) -> tau/s."""
    return 2 * theory.learning_time(s, u0, u_final, tau=tau)


@claim(
    "DL2", "deep_linear.random_init_learning_time",
    source="Saxe, McClelland & Ganguli 2014, arXiv:1312.6120, eq. 13 and fig. 3",
    statement="From small random (unaligned) init, modes are learned in order of s, each at "
              "the time learning_time(s, u0_eff, s/2), u0_eff being the growing part of the "
              "init's overlap with the mode (orthogonalised against stronger modes).",
    closed_form=theory.learning_time,
    measured="max over seeds and modes of |t_half,sim / t_half,theory - 1|",
    error_model="Beyond the linear-phase reduction (exact for whitened inputs): Euler O(lr s) "
                "~ 3e-3 of t_half at lr = 1e-3, and the transient (a - b)/2 and residual "
                "mode coupling O(u0/s); tolerance 1e-2 relative. Without the "
                "orthogonalisation the error is O(1/hidden) and must exceed the tolerance.",
    defaults=dict(singular_values=[3.0, 2.0, 1.2, 0.6], n_in=8, n_out=8, hidden=16,
                  init_std=1e-3, learning_rate=1e-3, seeds=8),
    perturbations={"tau/(2s) -> tau/s": _wrong_time_scale},
    figures=("fig_deep_linear_random_init",),
    thorough=dict(seeds=32),
)
def check_random_init_learning_time(closed_form, *, singular_values, n_in, n_out, hidden,
                                    init_std, learning_rate, seeds):
    run = simulate_random_init(singular_values=singular_values, n_in=n_in, n_out=n_out,
                               hidden=hidden, init_std=init_std,
                               learning_rate=learning_rate, seeds=seeds)
    s, half = run["s"], run["half_time"]
    predicted = closed_form(s[None, :], run["u0"], s[None, :] / 2)
    unprojected = theory.learning_time(s[None, :], run["u0_unprojected"], s[None, :] / 2)
    error = float(np.nanmax(np.abs(half / predicted - 1)))
    error_unprojected = float(np.nanmax(np.abs(half / unprojected - 1)))
    naive = theory.learning_time(s, hidden * init_std**2 / 2, s / 2)  # E|c|^2 = N_h std^2 / 2
    ordered = bool(np.all(np.diff(half, axis=1) > 0))
    tolerance = 1e-2
    return Outcome(
        predicted=float(predicted.mean()), observed=float(np.nanmean(half)), error=error,
        tolerance=tolerance,
        parts=(
            part("all modes learned", bool(np.isfinite(half).all()), f"{np.isnan(half).sum()} not"),
            part("learned in order of s", ordered, "t_half increases as s decreases, every seed"),
            # The unprojected error shrinks like (modes / hidden) / ln(s / u0): compared with
            # the projected error, not with the tolerance, which it can drop below.
            part("orthogonalisation matters", error_unprojected > 3 * error,
                 f"without it the error is {error_unprojected:.3g} (> 3 x {error:.3g})"),
        ),
        details={"mean_delay_vs_expected_u0": float(np.nanmean(half / naive[None, :]) - 1),
                 "error_unprojected": error_unprojected},
    )


# ----------------------------------------------------------------------------- DL4: depth


def steps_to_loss(losses, steps, criterion):
    """First recorded step at which each member's loss is <= criterion (inf if never)."""
    losses = finite_matrix("losses", losses)
    steps = finite_matrix("steps", steps, ndim=1)
    criterion = scalar("criterion", non_negative("criterion", criterion))
    if losses.shape[1] != steps.size:
        raise ValueError(f"losses (members, R) and steps (R,) must agree, got {losses.shape}, "
                         f"{steps.shape}")
    hit = losses <= criterion
    return np.where(hit.any(axis=1), steps[np.argmax(hit, axis=1)], np.inf)


@cached
def simulate_depth_sweep(*, singular_values, width, depths, lr_fraction, loss_fraction,
                         budget, seeds):
    """Steps to reach a fixed loss vs depth for decoupled, orthogonal and Gaussian inits.

    Learning rate at depth D: lr_fraction x the stability bound 2 / (D s_max^{2-2/D}), the
    scaling under which Saxe et al. 2014 find depth-independent learning. Each depth runs
    ``budget`` x the theory's step count for the decoupled start.
    """
    s = np.asarray(singular_values)
    target, u, v = target_with_modes(s, width, width)
    x, y = whitened_task(target)
    criterion = loss_fraction * 0.5 * float(np.sum(s**2))
    rows = []
    for depth in engine_progress(depths, "depth sweep"):
        lr = lr_fraction * float(theory.stable_learning_rate(s.max(), depth))
        expected = theory_steps_to_loss(s, 1.0, depth, lr, criterion)
        widths = (width,) * (depth + 1)
        inits = [decoupled_init(u, v, np.ones(s.size), widths, rng=np.random.default_rng(k))
                 for k in range(2)]
        inits += [random_init(widths, "orthogonal", 1.0, seed=k) for k in range(seeds)]
        inits += [random_init(widths, "gaussian", width**-0.5, seed=k) for k in range(seeds)]
        kinds = ["decoupled"] * 2 + ["orthogonal"] * seeds + ["gaussian"] * seeds
        members = engine.ensemble(range(len(inits)), learning_rate=lr)
        result = engine.train(squared_loss, stack(inits), (x, y), members=members,
                              epochs=int(budget * expected), record_every=1,
                              on_divergence="flag")
        steps = steps_to_loss(result.records["loss"], result.steps, criterion)
        for kind, n, diverged in zip(kinds, steps, result.diverged, strict=True):
            rows.append(dict(depth=depth, init=kind, steps=n, diverged=bool(diverged),
                             theory_steps=expected, learning_rate=lr))
    return pd.DataFrame(rows)


def theory_steps_to_loss(s, u0, depth, learning_rate, criterion, *, deep_mode_strength=None):
    """GD steps until 1/2 sum_a (s_a - u_a(t))^2 <= criterion from a decoupled start at u0.

    Every mode moves monotonically towards s_a, so the loss falls monotonically and the
    crossing time is found by bisection. ``criterion`` must exceed 1e-12 of the initial loss
    (the bracket doubles at most 1100 times).
    """
    strength = deep_mode_strength or theory.deep_mode_strength
    s = positive("s", s)
    learning_rate = scalar("learning_rate", positive("learning_rate", learning_rate))
    criterion = scalar("criterion", positive("criterion", criterion))

    def loss(t):
        with np.errstate(over="ignore"):
            return 0.5 * float(np.sum((s - strength(t, s, u0, depth)) ** 2))

    initial = loss(0.0)
    if not np.isfinite(initial):
        raise ValueError(f"s and u0 must keep the loss below 1.8e308, got s={s!r}, u0={u0!r}")
    if criterion < 1e-12 * initial:
        raise ValueError(f"criterion must be in [1e-12 x initial loss, inf) = [{1e-12 * initial:.3g},"
                         f" inf), got {criterion!r}")

    low, high = 0.0, 1.0
    for _ in range(1100):  # 2^1024 overflows: the time is then beyond float64
        if loss(high) <= criterion:
            break
        low, high = high, 2 * high
    else:
        raise ValueError(f"the loss does not reach criterion={criterion!r} by t = {high:.3g}")
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if loss(mid) > criterion else (low, mid)
    with np.errstate(over="ignore"):
        steps = float(np.ceil(high / learning_rate))
    if not np.isfinite(steps):
        raise ValueError(f"the step count overflows for learning_rate={learning_rate!r}")
    return steps


def engine_progress(items, description):
    """A progress bar over a sweep (shown on a terminal only)."""
    from tqdm import tqdm

    return tqdm(items, desc=description, leave=False, disable=None)


@claim(
    "DL4", "deep_linear.depth_independent_learning",
    source="Saxe, McClelland & Ganguli 2014, arXiv:1312.6120, sec. 3 and fig. 5 (learning "
           "time vs depth)",
    statement="With the learning rate scaled to the stability bound, the steps to a fixed "
              "loss from a decoupled start stay bounded from depth 2 to 32 (as the theory "
              "predicts), while Gaussian init with std 1/sqrt(N) slows down dramatically.",
    closed_form=theory.deep_mode_strength,
    measured="decoupled: max over depths of |steps_sim / steps_theory - 1|; Gaussian: "
             "steps(D = 32) / steps(D = 2) (inf if never reached)",
    error_model="At a fixed fraction c of the stability bound the Euler error in the step "
                "count is O(c): with c = 0.05 the relative error is below 0.15 (1 step at "
                "the smallest counts). Gaussian: a factor >= 10 slowdown is asserted.",
    defaults=dict(singular_values=[2.0, 1.8, 1.6, 1.4, 1.2, 1.0], width=6,
                  depths=[2, 4, 8, 16, 32], lr_fraction=0.05, loss_fraction=1e-3,
                  budget=40, seeds=4),
    perturbations={"depth D -> D + 1": _wrong_depth_exponent},
    figures=("fig_deep_linear_depth",),
)
def check_depth_independent_learning(closed_form, *, singular_values, width, depths,
                                     lr_fraction, loss_fraction, budget, seeds):
    sweep = simulate_depth_sweep(singular_values=singular_values, width=width, depths=depths,
                                 lr_fraction=lr_fraction, loss_fraction=loss_fraction,
                                 budget=budget, seeds=seeds)
    s = np.asarray(singular_values)
    criterion = loss_fraction * 0.5 * float(np.sum(s**2))
    decoupled = sweep[sweep["init"] == "decoupled"].groupby("depth")["steps"].max()
    lrs = sweep.groupby("depth")["learning_rate"].first()
    predicted = np.array([
        theory_steps_to_loss(s, 1.0, d, lrs[d], criterion, deep_mode_strength=closed_form)
        for d in decoupled.index
    ])
    relative = np.abs(decoupled.to_numpy() / predicted - 1)
    gaussian = sweep[sweep["init"] == "gaussian"].groupby("depth")["steps"].median()
    # A run that never reaches the loss counts as inf, but the budget caps what can be
    # measured: at most (steps run at D_max) / median at D_min, so that lower bound must
    # reach 10 on its own (the budget must be long enough to show the slowdown).
    ran = sweep.groupby("depth")["theory_steps"].first().apply(lambda e: int(budget * e))
    slowdown = min(gaussian[max(depths)], ran[max(depths)]) / gaussian[min(depths)]
    reported = gaussian[max(depths)] / gaussian[min(depths)]
    spread = decoupled.max() / decoupled.min()
    orthogonal = sweep[sweep["init"] == "orthogonal"].groupby("depth")["steps"].median()
    return Outcome(
        predicted=float(predicted[-1]), observed=float(decoupled.iloc[-1]),
        error=float(relative.max()), tolerance=0.15,
        parts=(
            part("decoupled stays bounded", spread <= 2.0,
                 f"max/min steps over depth = {spread:.2f} (<= 2)"),
            part("Gaussian slows dramatically", slowdown >= 10,
                 f"median steps at D={max(depths)} / D={min(depths)} = {reported:.3g}, "
                 f"at least {slowdown:.3g} within the budget (>= 10)"),
        ),
        details={"decoupled_steps": decoupled.to_dict(), "gaussian_median": gaussian.to_dict(),
                 "orthogonal_median": orthogonal.to_dict()},
    )


# ----------------------------------------------------------------------------- DL5: hierarchy


def hierarchy_target(levels):
    """Sigma_yx of the tree task with whitened (one-hot, scaled) inputs: features / sqrt(P)."""
    levels = integer_at_least("levels", levels, 1, 10)
    return hierarchy_features(levels) / np.sqrt(2.0**levels)


def _wrong_hierarchy(levels):
    """Perturbation: eigenvalue 2^{L-k} instead of 2^{L-k} - 1 at every split."""
    values, counts = theory.hierarchy_singular_values(levels)
    return np.sqrt(values**2 + np.r_[0.0, np.ones(values.size - 1)]), counts


@claim(
    "DL5", "deep_linear.progressive_differentiation",
    source="Saxe, McClelland & Ganguli 2019, PNAS 116(23), arXiv:1810.10531 (hierarchical "
           "data, progressive differentiation)",
    statement="The binary-tree dataset has singular values sqrt((2^{L-k} - 1)/P) (multiplicity "
              "2^k) and sqrt((2^{L+1} - 1)/P); the network learns them coarse to fine, each "
              "mode following mode_strength.",
    closed_form=(theory.hierarchy_singular_values, theory.mode_strength),
    measured="max |s_closed_form - s_numpy| / s_max (must be <= 1e-12), then the O(lr) "
             "ratio of the mode trajectories' RMS deviation at 2 lr and lr",
    error_model="singular values: exact (float64 round-off); trajectories: O(lr) Euler, "
                "ratio 2 +- 0.15, max deviation <= 1e-2 of s_max at lr = 1e-3",
    defaults=dict(levels=3, u0=1e-3, learning_rate=1e-3),
    perturbations={"eigenvalue 2^{L-k} - 1 -> 2^{L-k}": (_wrong_hierarchy, theory.mode_strength),
                   "exponent 2st -> st": (theory.hierarchy_singular_values, _wrong_rate)},
    figures=("fig_deep_linear_hierarchy",),
)
def check_progressive_differentiation(closed_form, *, levels, u0, learning_rate):
    singular_values, strength = closed_form
    values, counts = singular_values(levels)
    predicted = np.repeat(values, counts) / np.sqrt(2.0**levels)
    target = hierarchy_target(levels)
    numeric = np.linalg.svd(target, compute_uv=False)
    sv_error = float(np.max(np.abs(predicted - numeric)) / numeric.max())
    s_min = float(predicted.min())
    t_max = 1.1 * float(theory.learning_time(s_min, u0, 0.999 * s_min))
    rates = [learning_rate, 2 * learning_rate]
    runs = [decoupled_deviation(strength, target=target.tolist(), u0=u0, depth=2,
                                learning_rate=lr, t_max=t_max, hidden=2**levels, points=200)
            for lr in rates]
    outcome = first_order_deviation_outcome([d for d, _ in runs], rates, max_error=1e-2)
    run = runs[0][1]
    half = crossing_times(run["t"], run["u"], run["s"] / 2)
    coarse_to_fine = bool(np.all(np.diff(half[np.argsort(-run["s"])]) >= -1e-9))
    return Outcome(
        predicted=outcome.predicted, observed=outcome.observed, error=outcome.error,
        tolerance=outcome.tolerance,
        parts=outcome.parts + (
            part("closed-form singular values", sv_error <= 1e-12,
                 f"max relative difference to numpy's SVD {sv_error:.2g}"),
            part("coarse to fine", coarse_to_fine, "half-learning times rise as s falls"),
        ),
        details={**outcome.details, "singular_value_error": sv_error},
    )


# ----------------------------------------------------------------------------- DL6: lambda-balanced


def lambda_balanced_init(n_in, hidden, n_out, lam, scale, *, seed=0):
    """Random (W1, W2) with W2^T W2 - W1 W1^T = lam I exactly.

    lam >= 0: W1 Gaussian, W2 = R (W1 W1^T + lam I)^{1/2} with R orthonormal columns
    (needs n_out >= hidden); lam < 0: W2 Gaussian, W1 = (W2^T W2 - lam I)^{1/2} R^T
    (needs n_in >= hidden).
    """
    n_in, hidden, n_out = (integer_at_least(name, n, 1, MAX_WIDTH) for name, n in
                           (("n_in", n_in), ("hidden", hidden), ("n_out", n_out)))
    lam = scalar("lam", finite_matrix("lam", lam, ndim=0))
    scale = scalar("scale", non_negative("scale", scale))
    if (lam > 0 and n_out < hidden) or (lam < 0 and n_in < hidden):
        raise ValueError(f"lam > 0 needs n_out >= hidden, lam < 0 needs n_in >= hidden; got "
                         f"lam={lam}, n_in={n_in}, hidden={hidden}, n_out={n_out}")
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


@cached
def simulate_lambda_balanced(*, n_in, hidden, n_out, lambdas, scale, learning_rate, t_max,
                             seeds, points=40):
    """GD products W2 W1 (t) from random lambda-balanced starts, one member per (lam, seed)."""
    target = np.random.default_rng(1234).standard_normal((n_out, n_in))
    inits = [lambda_balanced_init(n_in, hidden, n_out, lam, scale, seed=k)
             for lam in lambdas for k in range(seeds)]
    t, products, _ = run_products(stack(inits), target, learning_rate=learning_rate,
                                  t_max=t_max, points=points)
    return {"t": t, "products": products, "target": target, "inits": inits}


def _wrong_time_constant(t, w1, w2, sigma_yx, *, tau=1.0):
    """Perturbation: a time constant 5 % too long."""
    return theory.lambda_balanced_product(t, w1, w2, sigma_yx, tau=1.05 * tau)


@claim(
    "DL6", "deep_linear.lambda_balanced_dynamics",
    source="Braun, Dominé, Fitzgerald & Saxe 2022, arXiv:2209.12523; Dominé et al. 2024, "
           "arXiv:2409.14623 (lambda-balanced exact solutions)",
    statement="From any lambda-balanced start (W2^T W2 - W1 W1^T = lambda I) the end-to-end "
              "map W2 W1 (t) of a two-layer linear network equals the closed-form solution of "
              "its matrix Riccati equation.",
    closed_form=theory.lambda_balanced_product,
    measured="ratio of the RMS deviations ||W_sim - W_theory|| / ||Sigma_yx||_2 at 2 lr and "
             "lr, over lambda in {-1, 0, 1}, seeds and time; max deviation at lr",
    error_model="O(lr) Euler discretisation (the balance itself drifts by O(lr^2) per step): "
                "ratio 2 +- 0.15, max deviation <= 1e-2",
    defaults=dict(n_in=5, hidden=3, n_out=4, lambdas=[-1.0, 0.0, 1.0], scale=0.5,
                  learning_rate=1e-3, t_max=8.0, seeds=2),
    perturbations={"tau -> 1.05 tau": _wrong_time_constant},
    figures=("fig_deep_linear_lambda_balanced",),
    thorough=dict(seeds=6, learning_rate=5e-4),
)
def check_lambda_balanced_dynamics(closed_form, *, n_in, hidden, n_out, lambdas, scale,
                                   learning_rate, t_max, seeds):
    rates = [learning_rate, 2 * learning_rate]
    deviations = []
    for lr in rates:
        run = simulate_lambda_balanced(n_in=n_in, hidden=hidden, n_out=n_out, lambdas=lambdas,
                                       scale=scale, learning_rate=lr, t_max=t_max, seeds=seeds)
        norm = np.linalg.norm(run["target"], 2)
        predicted = np.stack([closed_form(run["t"], w1, w2, run["target"])
                              for w1, w2 in run["inits"]])
        deviations.append((run["products"] - predicted) / norm)
    return first_order_deviation_outcome(deviations, rates, max_error=1e-2)


# ----------------------------------------------------------------------------- DL7: SymPy proofs


def _wrong_symbolic_strength(t, s, u0, tau):
    """Perturbation: exponent 2st -> st in the symbolic eq. 12."""
    return theory.symbolic_mode_strength(t / 2, s, u0, tau)


@claim(
    "DL7", "deep_linear.symbolic_proofs",
    source="Saxe, McClelland & Ganguli 2014, arXiv:1312.6120, eqs. 12-13",
    statement="SymPy proves that mode_strength solves tau du/dt = 2u(s - u) with u(0) = u0, "
              "that s - (s - u0) e^{-t/tau} solves the depth-1 ODE, and that learning_time "
              "inverts mode_strength; the NumPy implementations equal the proved expressions.",
    closed_form=(theory.symbolic_mode_strength, theory.symbolic_linear_strength,
                 theory.symbolic_learning_time),
    measured="number of identities SymPy fails to reduce to 0; max relative difference "
             "between the NumPy functions and the lambdified proved expressions",
    error_model="exact symbolic identities; float64 round-off (<= 1e-12 relative) for the "
                "NumPy implementations at 200 random points",
    defaults=dict(points=200, seed=0),
    perturbations={"exponent 2st -> st": (_wrong_symbolic_strength,
                                          theory.symbolic_linear_strength,
                                          theory.symbolic_learning_time)},
)
def check_symbolic_proofs(closed_form, *, points, seed):
    import sympy

    strength, linear, time_to = closed_form
    t, s, u0, uf, tau = sympy.symbols("t s u0 u_f tau", positive=True)
    u, u1 = strength(t, s, u0, tau), linear(t, s, u0, tau)
    identities = {
        "two-layer ODE": tau * sympy.diff(u, t) - 2 * u * (s - u),
        "two-layer initial value": u.subs(t, 0) - u0,
        "depth-1 ODE": tau * sympy.diff(u1, t) - (s - u1),
        "depth-1 initial value": u1.subs(t, 0) - u0,
        "learning_time inverts mode_strength": u.subs(t, time_to(s, u0, uf, tau)) - uf,
    }
    failed = [name for name, expr in identities.items() if sympy.simplify(expr) != 0]

    rng = np.random.default_rng(seed)
    s_, tau_ = rng.uniform(0.2, 4, points), rng.uniform(0.5, 2, points)
    u0_ = s_ * rng.uniform(0.001, 2, points)
    t_ = rng.uniform(0, 5, points)
    uf_ = u0_ + (s_ - u0_) * rng.uniform(0.05, 0.95, points)
    as_numpy = {name: sympy.lambdify(args, expr, "numpy") for name, args, expr in [
        ("mode_strength", (t, s, u0, tau), u),
        ("learning_time", (s, u0, uf, tau), time_to(s, u0, uf, tau)),
        ("depth 1", (t, s, u0, tau), u1),
    ]}
    implemented = {
        "mode_strength": theory.mode_strength(t_, s_, u0_, tau=tau_),
        "learning_time": theory.learning_time(s_, u0_, uf_, tau=tau_),
        "depth 1": theory.deep_mode_strength(t_, s_, u0_, 1, tau=tau_),
    }
    arguments = {"mode_strength": (t_, s_, u0_, tau_), "learning_time": (s_, u0_, uf_, tau_),
                 "depth 1": (t_, s_, u0_, tau_)}
    mismatch = max(
        float(np.max(np.abs(implemented[k] / as_numpy[k](*arguments[k]) - 1)))
        for k in implemented
    )
    return Outcome(
        predicted=0.0, observed=float(len(failed)), error=mismatch, tolerance=1e-12,
        parts=(part("symbolic identities", not failed,
                    f"{len(identities) - len(failed)}/{len(identities)} reduce to 0"
                    + (f"; failed: {', '.join(failed)}" if failed else "")),),
    )
