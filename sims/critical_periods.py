"""Critical learning periods in two-pathway deep linear networks, checked against theory.

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
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

import theory.critical_periods as theory
from sims import engine, registry
from sims.cache import cached
from sims.linear_networks import decoupled_init, hierarchy_features, product
from sims.registry import Outcome, claim, part
from theory._validate import finite_matrix, integer_at_least, non_negative, positive, scalar
from theory._validate import seed as valid_seed

SOURCE = "Kleinman, Achille & Soatto 2024 (ICLR), arXiv:2308.12221"

# ----------------------------------------------------------------------------- the network


def hierarchy_task():
    """The paper's 8 items (one-hot inputs, as rows) and their 15 hierarchical features."""
    return np.eye(8), hierarchy_features(3).T


def learning_gate(hyper):
    """Fraction of this step's gradient that pathway b receives (0 inside the deficit)."""
    lr = hyper["learning_rate"]
    t = lr * hyper["epoch"]
    overlap = jnp.clip(jnp.minimum(t + lr, hyper["deficit_end"])
                       - jnp.maximum(t, hyper["deficit_start"]), 0.0, lr)
    return 1.0 - overlap / lr


def two_pathway_loss(params, batch, hyper):
    x, y = batch
    gate = learning_gate(hyper)
    # b's value is kept, its gradient scaled by the gate (stopped inside the deficit)
    pathway_b = [jnp.where(gate == 0.0, jax.lax.stop_gradient(w),
                           gate * w + (1.0 - gate) * jax.lax.stop_gradient(w))
                 for w in params["b"]]
    residual = x @ (product(params["a"]) + product(pathway_b)).T - hyper["target_scale"] * y
    return 0.5 * jnp.sum(residual**2)


def observe_pathways(params, data, hyper):
    return {"W_a": product(params["a"]), "W_b": product(params["b"])}


def aligned_pathway(u, v, k0, depth, width, rng):
    """Layers (W_1..W_D) with product U diag(k0) V^T, every layer carrying k0^{1/D} per mode."""
    depth = integer_at_least("depth", depth, 1, theory.MAX_DEPTH)
    u, v = finite_matrix("u", u), finite_matrix("v", v)
    return list(decoupled_init(u, v, np.full(v.shape[1], k0),
                               (v.shape[0],) + (width,) * (depth - 1) + (u.shape[0],), rng=rng))


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
    Returns dict: ``t`` (R,), ``K_a``/``K_b`` (members, R, modes), ``sigma`` (members, modes).
    """
    x, y, u, v = _task(task)
    sigma = np.linalg.svd(y.T, compute_uv=False)
    width = v.shape[1] + 2
    inits = []
    for run in runs:
        rng = np.random.default_rng(seed)
        inits.append({p: aligned_pathway(u, v, run["k0"], depth, width, rng) for p in "ab"})
    params = jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *inits)
    members = pd.DataFrame([{"seed": seed, "learning_rate": learning_rate,
                             **{k: run[k] for k in ("target_scale", "deficit_start",
                                                     "deficit_end")}} for run in runs])
    epochs = int(round(t_max / learning_rate))
    grid = np.rint(np.linspace(0, epochs - 1, points)).astype(int)
    record = np.unique(np.concatenate([grid, grid + 1, [epochs]]))
    result = engine.train(two_pathway_loss, params, (x, y), members=members, epochs=epochs,
                          record_epochs=record, observe=observe_pathways)
    modes = lambda w: np.einsum("oa,mroi,ia->mra", u, w, v)  # noqa: E731
    return {"t": result.steps * learning_rate, "K_a": modes(result.records["W_a"]),
            "K_b": modes(result.records["W_b"]),
            "sigma": np.array([run["target_scale"] * sigma for run in runs])}


def euler_pathways(sigma, depth, k0, deficit_start, deficit_end, *, learning_rate, steps):
    """The Euler-discretised layer-strength ODE with the simulation's gate; K_a, K_b per step.

    ``p <- p + lr p^{D-1} Omega`` (pathway b times the gate of :func:`learning_gate`), which
    is what GD does to every layer of the aligned, balanced network. Shapes (steps + 1, modes).
    ``steps`` is at most 10^5 (the work; ~1 s; the claims use <= 1600).
    """
    sigma = positive("sigma", sigma)
    depth = integer_at_least("depth", depth, 1, theory.MAX_DEPTH)
    k0 = scalar("k0", positive("k0", k0))
    deficit_start = scalar("deficit_start", non_negative("deficit_start", deficit_start))
    deficit_end = scalar("deficit_end", finite_matrix("deficit_end", deficit_end, ndim=0))
    learning_rate = scalar("learning_rate", positive("learning_rate", learning_rate))
    steps = integer_at_least("steps", steps, 0, 10**5)
    p = np.full((2, np.size(sigma)), k0 ** (1.0 / depth))
    path = [p**depth]
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(steps):
            t = learning_rate * n
            overlap = np.clip(min(t + learning_rate, deficit_end) - max(t, deficit_start),
                              0.0, learning_rate)
            omega = sigma - (p**depth).sum(axis=0)
            p = p + learning_rate * p ** (depth - 1) * omega * np.array(
                [[1.0], [1.0 - overlap / learning_rate]])
            path.append(p**depth)
            if not np.all(np.isfinite(path[-1])):
                raise ValueError(f"the Euler iteration diverged at step {n + 1} "
                                 f"(learning_rate={learning_rate!r} is above its stability "
                                 f"bound for sigma={sigma!r})")
    path = np.array(path)
    return path[:, 0], path[:, 1]


# O(lr) claims here: the ratio err(2 lr)/err(lr) = 2 + O(lr); at lr <= 0.02 on these O(1)
# rates the correction stays below 0.25.
RATIO_TOLERANCE = 0.25


first_order_outcome = functools.partial(registry.first_order_outcome, tolerance=RATIO_TOLERANCE)


def _windowed(k0, windows, target_scale=1.0):
    return [{"k0": k0, "deficit_start": s, "deficit_end": e, "target_scale": target_scale}
            for s, e in windows]


# ----------------------------------------------------------------------------- CP1


def _trajectory_errors(closed_form, *, depth, k0, window, learning_rate, t_max):
    run = simulate_pathways(task="hierarchy", depth=depth, learning_rate=learning_rate,
                            t_max=t_max, runs=_windowed(k0, [window]))
    sigma = run["sigma"][0]
    steps = int(round(t_max / learning_rate))
    euler_a, euler_b = euler_pathways(sigma, depth, k0, *window, learning_rate=learning_rate,
                                      steps=steps)
    record = np.rint(run["t"] / learning_rate).astype(int)
    euler = np.stack([euler_a[record], euler_b[record]])
    simulated = np.stack([run["K_a"][0], run["K_b"][0]])
    euler_error = float(np.max(np.abs(simulated - euler)) / sigma.max())
    theory_ab = np.stack([np.stack(closed_form(run["t"], s, depth, k0, *window))
                          for s in sigma], axis=-1)  # (2, R, modes)
    return float(np.max(np.abs(simulated - theory_ab)) / sigma.max()), euler_error


def _wrong_depth(t, sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: the exponent 2 - 2/D of depth D + 1."""
    return theory.pathway_strengths(t, sigma, depth + 1, k0, deficit_start, deficit_end)


def _no_deficit(t, sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: pathway b keeps learning during the deficit."""
    return theory.pathway_strengths(t, sigma, depth, k0, 0.0, 0.0)


@claim(
    "CP1", "critical_periods.pathway_dynamics",
    source=f"{SOURCE}, sec. 3 (pathway singular-value dynamics)",
    statement="GD on the two-pathway network from the aligned balanced start is the Euler "
              "discretisation of dp/dt = p^{D-1} Omega (to 1e-10) and follows the continuous "
              "ODE dK/dt = g D K^{2-2/D} Omega to O(lr), deficit included.",
    closed_form=theory.pathway_strengths,
    measured="ratio of the errors at 2 lr and lr, the error being max over modes, pathways and "
             "time of |K_sim - K_theory| / sigma_max; and max |K_sim - K_euler| / sigma_max",
    error_model="GD equals Euler on the layer strengths up to float64 round-off (< 1e-10); "
                "Euler's global error is C lr + O(lr^2), so err(2 lr)/err(lr) = 2 +- 0.25",
    defaults=dict(depth=2, k0=0.05, window=[0.3, 0.8], learning_rate=0.01, t_max=8.0),
    perturbations={"depth D -> D + 1": _wrong_depth, "no deficit": _no_deficit},
    figures=("fig_critical_periods_ratio",),
    thorough=dict(learning_rate=0.005),
)
def check_pathway_dynamics(closed_form, *, depth, k0, window, learning_rate, t_max):
    rates = [learning_rate, 2 * learning_rate]
    results = [_trajectory_errors(closed_form, depth=depth, k0=k0, window=window,
                                  learning_rate=lr, t_max=t_max) for lr in rates]
    euler = max(r[1] for r in results)
    return first_order_outcome(
        [r[0] for r in results], rates,
        parts=[part("GD = Euler", euler <= 1e-10, f"max |K_gd - K_euler|/sigma = {euler:.2g}")])


# ----------------------------------------------------------------------------- CP2


def _share_error(closed_form, *, k0, duration, learning_rate, t_after):
    run = simulate_pathways(task="hierarchy", depth=2, learning_rate=learning_rate,
                            t_max=duration + t_after, runs=_windowed(k0, [[0.0, duration]]))
    sigma = run["sigma"][0]
    observed = run["K_b"][0, -1] / sigma
    predicted = closed_form(sigma, k0, duration)
    return float(np.max(np.abs(observed - predicted))), observed, predicted


def _share_wrong_rate(sigma, k0, deficit_duration):
    """Perturbation: K_a logistic with the full target sigma instead of sigma - k0."""
    s = np.asarray(sigma)
    k_a = s / (1.0 + (s / k0 - 1.0) * np.exp(-2.0 * s * deficit_duration))
    return k0 / (k0 + k_a)


def _share_wrong_depth(sigma, k0, deficit_duration):
    """Perturbation: the depth-3 final share in place of the depth-2 one."""
    return np.array([theory.final_share(s, 3, k0, 0.0, deficit_duration) for s in sigma])


@claim(
    "CP2", "critical_periods.depth2_final_share",
    source=f"{SOURCE}, Fig. 1 (D = 2: the ratio K_a/K_b is frozen after the deficit)",
    statement="For D = 2 and a deficit on [0, T), the deprived pathway ends with "
              "K_b/sigma = (k0 + (s - k0) e^{-2sT}) / (sigma + (s - k0) e^{-2sT}), s = sigma - k0.",
    closed_form=theory.depth2_final_share,
    measured="ratio of the errors at 2 lr and lr, the error being max over the 8 features of "
             "|K_b(t_end)/sigma - share|",
    error_model="O(lr) Euler discretisation (2 +- 0.25 ratio); t_end = T + 15 leaves "
                "e^{-2 sigma 15} < 1e-13 of convergence error",
    defaults=dict(k0=0.05, duration=0.6, learning_rate=0.01, t_after=15.0),
    perturbations={"logistic target sigma - k0 -> sigma": _share_wrong_rate,
                   "depth 2 -> 3": _share_wrong_depth},
    thorough=dict(learning_rate=0.005),
)
def check_depth2_final_share(closed_form, *, k0, duration, learning_rate, t_after):
    rates = [learning_rate, 2 * learning_rate]
    results = [_share_error(closed_form, k0=k0, duration=duration, learning_rate=lr,
                            t_after=t_after) for lr in rates]
    return first_order_outcome([r[0] for r in results], rates,
                               observed_shares=results[0][1], predicted_shares=results[0][2])


# ----------------------------------------------------------------------------- CP3


def scalar_feature(*, depth, k0, learning_rate, t_max, windows=None):
    """One scalar feature (sigma = 1) under each deficit window (default: CP3_WINDOWS)."""
    windows = list(CP3_WINDOWS.values()) if windows is None else windows
    return simulate_pathways(task="scalar", depth=depth, learning_rate=learning_rate,
                             t_max=t_max, runs=_windowed(k0, windows), points=100)


def _wrong_share_depth(sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: the final share of depth D + 1."""
    return theory.final_share(sigma, depth + 1, k0, deficit_start, deficit_end)


def _wrong_share_window(sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: a deficit 10% shorter."""
    end = np.asarray(deficit_end)
    return theory.final_share(sigma, depth, k0, deficit_start, end - 0.1 * (end - deficit_start))


CP3_WINDOWS = dict(early_short=[0.0, 0.5], early=[0.0, 1.0], onset_half=[0.5, 1.0],
                   onset_one=[1.0, 1.5], late=[20.0, 21.0])


@claim(
    "CP3", "critical_periods.critical_period",
    source=f"{SOURCE}, Figs. 1-2 (depth and timing of the deficit)",
    statement="An early deficit leaves the deprived pathway a final share that falls with depth "
              "and with deficit length and rises with onset; a deficit after the feature is "
              "learned has no effect.",
    closed_form=theory.final_share,
    measured="ratio of the errors at 2 lr and lr (worst depth), the error being max over "
             "windows of |K_b(t_max)/sigma - final_share|; orderings of the simulated shares",
    error_model="O(lr) Euler discretisation (ratio 2 +- 0.25); t_max = 40 leaves < 1e-12 "
                "convergence error; the orderings must hold strictly in the simulation",
    defaults=dict(depths=[1, 2, 4], k0=0.05, learning_rate=0.005, t_max=40.0),
    perturbations={"depth D -> D + 1": _wrong_share_depth,
                   "deficit 10% shorter": _wrong_share_window},
    figures=("fig_critical_periods_onset",),
    thorough=dict(depths=[1, 2, 3, 4, 5, 6, 7, 8], learning_rate=0.005),
)
def check_critical_period(closed_form, *, depths, k0, learning_rate, t_max):
    windows = list(CP3_WINDOWS.values())
    starts, ends = np.array(windows).T
    rates = [learning_rate, 2 * learning_rate]
    outcomes, shares = [], {}
    for depth in depths:
        predicted = closed_form(1.0, depth, k0, starts, ends)
        runs = [scalar_feature(depth=depth, k0=k0, learning_rate=lr, t_max=t_max)["K_b"][:, -1, 0]
                for lr in rates]
        shares[depth] = dict(zip(CP3_WINDOWS, runs[0], strict=True))
        errors = [float(np.max(np.abs(observed - predicted))) for observed in runs]
        outcomes.append(first_order_outcome(errors, rates, depth=depth))
    worst = max(outcomes, key=lambda o: o.error)
    by_depth = [shares[d]["early"] for d in depths]
    parts = [part(f"depth {o.details['depth']}", o.passed, f"ratio {o.observed:.3f}, "
                  f"error {o.details['errors'][0]:.3g}") for o in outcomes]
    parts += [
        part("falls with depth", np.all(np.diff(by_depth) < 0),
             f"shares after [0, 1) at D = {depths}: {np.round(by_depth, 4).tolist()}"),
        part("falls with length", all(s["early"] < s["early_short"] for s in shares.values()),
             "share after [0, 1) < after [0, 0.5) at every depth"),
        part("rises with onset", all(s["early_short"] < s["onset_half"] < s["onset_one"]
                                     for s in shares.values()),
             "share after [0, .5) < [.5, 1) < [1, 1.5) at every depth"),
        part("late deficit: no effect", all(abs(s["late"] - 0.5) < 1e-6 for s in shares.values()),
             f"max |share - 1/2| after [20, 21): "
             f"{max(abs(s['late'] - 0.5) for s in shares.values()):.2g}"),
    ]
    return Outcome(predicted=2.0, observed=worst.observed, error=worst.error,
                   tolerance=worst.tolerance, parts=tuple(parts), details={"shares": shares})


# ----------------------------------------------------------------------------- CP4


def closing_times_simulated(*, sigmas, epsilon, duration, onsets, learning_rate, level=0.5):
    """Per feature (D = 2, k0 = epsilon sigma, deficit length duration/sigma): the onset where
    the simulated damage 1/2 - share falls to ``level`` of its onset-0 value, by linear
    interpolation on the grid ``onsets / sigma``, with the grid's interpolation bias (the same
    interpolation applied to the exact final share) removed."""
    runs = [{"k0": epsilon * s, "deficit_start": o / s, "deficit_end": (o + duration) / s,
             "target_scale": s} for s in sigmas for o in onsets]
    t_max = (max(onsets) + duration + 12.0) / min(sigmas)
    result = simulate_pathways(task="scalar", depth=2, learning_rate=learning_rate,
                               t_max=t_max, runs=runs)
    simulated = (result["K_b"][:, -1, 0] / result["sigma"][:, 0]).reshape(len(sigmas), -1)
    times = []
    for s, shares in zip(sigmas, simulated, strict=True):
        exact = theory.final_share(s, 2, epsilon * s, np.array(onsets) / s,
                                   (np.array(onsets) + duration) / s)
        bias = _crossing(onsets, exact, level) - theory.closing_time(
            s, 2, epsilon * s, duration / s, level=level) * s
        times.append((_crossing(onsets, shares, level) - bias) / s)
    return np.array(times)


def _crossing(onsets, shares, level):
    damage = 0.5 - np.asarray(shares)
    excess = damage - level * damage[0]
    k = int(np.argmax(excess < 0))
    return onsets[k - 1] + (onsets[k] - onsets[k - 1]) * excess[k - 1] / (excess[k - 1] - excess[k])


def _closing_one_over_sigma_squared(sigma, depth, k0, deficit_duration, *, level=0.5):
    """Perturbation: t_c proportional to 1/sigma^2 (one extra power of 1/sigma)."""
    return theory.closing_time(sigma, depth, k0, deficit_duration, level=level) / sigma


@claim(
    "CP4", "critical_periods.closing_time",
    source=f"{SOURCE}, sec. 3 (features with larger singular value are learned, and close, first)",
    statement="Each feature's critical period closes at a time proportional to 1/sigma_alpha "
              "(D = 2, init k0 and deficit length in the feature's own units k0/sigma, 1/sigma).",
    closed_form=theory.closing_time,
    measured="ratio of the errors at 2 lr and lr, the error being max over features of "
             "|t_c,sim - t_c| sigma; and the spread of sigma t_c,sim over features",
    error_model="O(lr) Euler discretisation (ratio 2 +- 0.25); the onset grid's interpolation "
                "bias is computed from the exact curve and removed",
    defaults=dict(sigmas=[15**0.5, 7**0.5, 3**0.5, 1.0], epsilon=0.01, duration=1.0,
                  onsets=np.linspace(0.0, 4.0, 33).tolist(), learning_rate=0.005),
    perturbations={"t_c ~ 1/sigma -> 1/sigma^2": _closing_one_over_sigma_squared},
    figures=("fig_critical_periods_closing",),
    thorough=dict(learning_rate=0.0025),
)
def check_closing_time(closed_form, *, sigmas, epsilon, duration, onsets, learning_rate):
    sigmas = np.asarray(sigmas)
    predicted = np.array([closed_form(s, 2, epsilon * s, duration / s) for s in sigmas])
    rates = [learning_rate, 2 * learning_rate]
    observed = [closing_times_simulated(sigmas=sigmas.tolist(), epsilon=epsilon,
                                        duration=duration, onsets=onsets, learning_rate=lr)
                for lr in rates]
    errors = [float(np.max(np.abs(o - predicted) * sigmas)) for o in observed]
    scaled = observed[0] * sigmas
    spread = float(np.ptp(scaled))
    return first_order_outcome(errors, rates, parts=[part(
        "sigma t_c is one constant", spread <= 2 * errors[0] + 1e-12,
        f"sigma t_c = {np.round(scaled, 5).tolist()}, spread {spread:.2g} "
        f"(<= 2 x discretisation error {errors[0]:.2g})")],
        predicted_times=predicted, observed_times=observed[0])


# ----------------------------------------------------------------------------- CP5


def ratio_dynamics(*, depth, k0, learning_rate, t_max):
    """Scalar feature (sigma = 1), deficit [0, 1): t, K_a, K_b at the recorded steps."""
    run = scalar_feature(depth=depth, k0=k0, learning_rate=learning_rate, t_max=t_max)
    early = list(CP3_WINDOWS).index("early")
    return run["t"], run["K_a"][early, :, 0], run["K_b"][early, :, 0]


def _rate_wrong_exponent(k_a, k_b, sigma, depth):
    """Perturbation: exponent 1 - 2/D -> 1 - 1/D."""
    return depth * (sigma - k_a - k_b) * (k_a ** (1 - 1 / depth) - k_b ** (1 - 1 / depth))


@claim(
    "CP5", "critical_periods.winner_take_all",
    source=f"{SOURCE}, sec. 3 (competition between pathways)",
    statement="After a deficit d/dt ln(K_a/K_b) = D Omega (K_a^{1-2/D} - K_b^{1-2/D}): frozen "
              "for D = 2, amplified for D >= 3, washed out in ratio for D = 1 with K_a - K_b "
              "frozen.",
    closed_form=theory.log_ratio_rate,
    measured="forward-difference rate of ln(K_a/K_b) per step vs the closed form after the "
             "deficit: ratio of the max errors at 2 lr and lr for D != 2, absolute error for D = 2",
    error_model="O(lr): forward difference of the Euler path (ratio 2 +- 0.25); D = 2: GD keeps "
                "p_a/p_b exactly, so |rate| <= 1e-9 (round-off)",
    defaults=dict(depths=[1, 2, 4], k0=0.05, learning_rate=0.005, t_max=40.0),
    perturbations={"exponent 1 - 2/D -> 1 - 1/D": _rate_wrong_exponent},
    figures=("fig_critical_periods_ratio",),
    thorough=dict(depths=[1, 2, 3, 4, 6, 8], learning_rate=0.005),
)
def check_winner_take_all(closed_form, *, depths, k0, learning_rate, t_max):
    deficit = CP3_WINDOWS["early"][1]
    rates = [learning_rate, 2 * learning_rate]
    parts, outcomes = [], []
    for depth in depths:
        errors, drift = [], []
        for lr in rates:
            t, k_a, k_b = ratio_dynamics(depth=depth, k0=k0, learning_rate=lr, t_max=t_max)
            step = np.flatnonzero(np.isclose(np.diff(t), lr) & (t[:-1] >= deficit))
            log_ratio = np.log(k_a / k_b)
            observed = (log_ratio[step + 1] - log_ratio[step]) / lr
            predicted = closed_form(k_a[step], k_b[step], 1.0, depth)
            errors.append(float(np.max(np.abs(observed - predicted))))
            drift.append(log_ratio[-1] - log_ratio[step[0]])
        if depth == 2:
            parts.append(part("D = 2: ratio frozen", max(errors) <= 1e-9,
                              f"max |rate_sim - rate| = {max(errors):.2g} (<= 1e-9)"))
            continue
        outcome = first_order_outcome(errors, rates, depth=depth)
        outcomes.append(outcome)
        parts.append(part(f"D = {depth}", outcome.passed,
                          f"ratio {outcome.observed:.3f}, error {errors[0]:.3g}"))
        if depth == 1:
            t, k_a, k_b = ratio_dynamics(depth=1, k0=k0, learning_rate=learning_rate,
                                         t_max=t_max)
            difference = np.ptp((k_a - k_b)[t >= deficit])
            parts.append(part("D = 1: K_a - K_b frozen, ratio relaxes",
                              difference <= 1e-12 and drift[0] < 0,
                              f"spread of K_a - K_b {difference:.2g}, "
                              f"ln ratio drift {drift[0]:.3g}"))
        else:
            parts.append(part(f"D = {depth}: imbalance amplified", drift[0] > 0,
                              f"ln(K_a/K_b) grows by {drift[0]:.3g} after the deficit"))
    if not outcomes:  # depth 2 only: the frozen ratio is the whole check
        frozen = parts[0]
        return Outcome(predicted=0.0, observed=0.0, error=0.0 if frozen[1] else np.inf,
                       tolerance=1e-9, parts=tuple(parts))
    worst = max(outcomes, key=lambda o: o.error)
    return Outcome(predicted=2.0, observed=worst.observed, error=worst.error,
                   tolerance=worst.tolerance, parts=tuple(parts))


# ----------------------------------------------------------------------------- CP6


def completion_loss(weights, data, hyper):
    deficit, full, target = data
    mask = jnp.where(hyper["epoch"] < hyper["pretrain_epochs"], deficit, full)
    residual = (product(weights) - target) * mask
    return 0.5 * jnp.sum(residual**2) / jnp.sum(mask)


def observe_completion(weights, data, hyper):
    _, full, target = data
    error = (product(weights) - target) ** 2
    return {"test": jnp.sum(error * (1.0 - full)) / jnp.sum(1.0 - full),
            "train": jnp.sum(error * full) / jnp.sum(full)}


def completion_task(*, n, rank, observed, deficit_observed, seed):
    """A rank-``rank`` n x n target with RMS entry 1 and the nested masks (deficit within full).

    n in [1, 4096]; rank in [1, n]; 0 <= deficit_observed <= observed <= n^2.
    """
    n = integer_at_least("n", n, 1, 4096)
    rank = integer_at_least("rank", rank, 1, n)
    observed = integer_at_least("observed", observed, 0, n * n)
    deficit_observed = integer_at_least("deficit_observed", deficit_observed, 0, observed)
    rng = np.random.default_rng(valid_seed("seed", seed))
    target = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    target *= n / np.linalg.norm(target)
    order = rng.permutation(n * n)
    masks = [np.isin(np.arange(n * n), order[:m]).reshape(n, n).astype(float)
             for m in (deficit_observed, observed)]
    return target, masks[0], masks[1]


@cached
def simulate_completion(*, depth, n, rank, observed, deficit_observed, pretrain_epochs, epochs,
                        learning_rate, init_scale, inits, seed=0):
    """Test error (never-observed entries) and train error after pre-training on the deficit
    mask for each of ``pretrain_epochs``, then on the full mask, ``epochs`` steps in all, for
    ``inits`` independent initialisations (the paper's Gaussian init of end-to-end scale
    ``init_scale``: entries N(0, init_scale^{2/D}/n)). Arrays are (inits, durations)."""
    target, deficit, full = completion_task(n=n, rank=rank, observed=observed,
                                            deficit_observed=deficit_observed, seed=seed)
    rng = np.random.default_rng(seed + 1)
    init = init_scale ** (1.0 / depth) / np.sqrt(n) * rng.standard_normal((inits, depth, n, n))
    members = engine.ensemble(range(inits), learning_rate=learning_rate,
                              pretrain_epochs=pretrain_epochs)
    params = [np.repeat(init[:, k], len(pretrain_epochs), axis=0) for k in range(depth)]
    result = engine.train(completion_loss, params, (deficit, full, target), members=members,
                          epochs=epochs, record_every=epochs, observe=observe_completion)
    shape = (inits, len(pretrain_epochs))
    return {"test": result.records["test"][:, -1].reshape(shape),
            "train": result.records["train"][:, -1].reshape(shape),
            "target": target, "full": full, "init": [product(list(w)) for w in init]}


def _completion_decays_to_zero(target, init, observed):
    """Perturbation: unobserved entries relax to zero instead of staying at their init."""
    return theory.depth1_completion_error(target, np.zeros_like(np.asarray(init)), observed)


def _completion_recovers(target, init, observed):
    """Perturbation: depth 1 recovers the unobserved entries (error 0)."""
    return 0.0


@claim(
    "CP6", "critical_periods.matrix_completion",
    source=f"{SOURCE}, sec. 5 (matrix completion: a deficit task before the full task)",
    statement="Pre-training a matrix-completion network on a deficit task (half the observed "
              "entries) leaves depth 1 exactly unaffected (unobserved entries never move) and "
              "depth >= 2 permanently damaged, more so after longer pre-training.",
    closed_form=theory.depth1_completion_error,
    measured="depth 1: max over pre-training durations of |test error - closed form| (relative); "
             "depth >= 2: test error vs pre-training duration after training converged",
    error_model="depth 1 is exact up to round-off (tolerance 1e-12 relative); depth >= 2: mean "
                "over initialisations, the longest pre-training at least doubles the test error "
                "of none and the mean error never falls by more than 2 standard errors as the "
                "pre-training grows; train error <= 1e-4 (converged, so the damage is permanent)",
    defaults=dict(depths=[1, 2, 3], n=20, rank=2, observed=160, deficit_observed=80,
                  pretrain_epochs=[0, 100, 1000, 10000], epochs=40000, learning_rate=5.0,
                  init_scale=1e-3, inits=4),
    perturbations={"unobserved entries decay to 0": _completion_decays_to_zero,
                   "unobserved entries recovered": _completion_recovers},
    figures=("fig_critical_periods_completion",),
    thorough=dict(inits=8),
)
def check_matrix_completion(closed_form, *, depths, pretrain_epochs, **setting):
    runs = {d: simulate_completion(depth=d, pretrain_epochs=pretrain_epochs, **setting)
            for d in depths}
    depth1 = runs[1]
    predicted = np.array([closed_form(depth1["target"], init, depth1["full"].astype(bool))
                          for init in depth1["init"]])
    error = float(np.max(np.abs(depth1["test"] - predicted[:, None]) / depth1["test"]))
    parts = []
    for depth in depths[1:]:
        test, train = runs[depth]["test"], runs[depth]["train"]
        mean = test.mean(axis=0)
        standard_error = test.std(axis=0, ddof=1) / np.sqrt(test.shape[0])
        drops = np.maximum.accumulate(mean) - mean
        parts.append(part(
            f"depth {depth}: permanent damage, growing",
            mean[-1] >= 2 * mean[0] and np.all(drops <= 2 * standard_error)
            and train.max() <= 1e-4,
            f"mean test error {np.round(mean, 4).tolist()} (s.e. "
            f"{np.round(standard_error, 4).tolist()}) for pre-training {pretrain_epochs}, "
            f"max train error {train.max():.2g}"))
    return Outcome(predicted=float(predicted[0]), observed=float(depth1["test"][0, 0]), error=error,
                   tolerance=1e-12, parts=tuple(parts),
                   details={d: run["test"] for d, run in runs.items()})
