"""Claims CP1-CP7: each a cached simulation of :mod:`sims.critical_periods.models` (CP7: the
derivation of :mod:`sims.critical_periods.derivations`) and a cheap comparison with the closed
forms of :mod:`theory.critical_periods`, with the perturbations (wrong exponents, depths,
windows) that must make the comparison fail.
"""

from __future__ import annotations

import numpy as np

import theory.critical_periods as theory
from sims import outcomes
from sims.critical_periods.measures import (
    closing_times,
    euler_pathways,
    final_shares,
    log_ratio_rate,
    mean_and_standard_error,
)
from sims.critical_periods.models import (
    CP3_WINDOWS,
    simulate_closing_time,
    simulate_deficit_windows,
    simulate_depth2_final_share,
    simulate_matrix_completion,
    simulate_pathway_dynamics,
)
from sims.outcomes import Outcome
from sims.registry import claim

SOURCE = "Kleinman, Achille & Soatto 2024 (ICLR), arXiv:2308.12221"

# O(lr) claims here: the ratio err(2 lr)/err(lr) = 2 + O(lr); at lr <= 0.02 on these O(1)
# rates the correction stays below 0.25.
RATIO_TOLERANCE = 0.25


def first_order(errors, learning_rates) -> outcomes.Comparison:
    """err(2 lr) / err(lr) = 2 +- RATIO_TOLERANCE from the errors at lr and 2 lr."""
    return outcomes.first_order(
        "err(2 lr) / err(lr)", [float(e) for e in errors], list(learning_rates), tolerance=RATIO_TOLERANCE
    )


# ----------------------------------------------------------------------------- CP1


def _wrong_depth(t, sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: the exponent 2 - 2/D of depth D + 1."""
    return theory.pathway_strengths(t, sigma, depth + 1, k0, deficit_start, deficit_end)


def _no_deficit(t, sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: pathway b keeps learning during the deficit."""
    return theory.pathway_strengths(t, sigma, depth, k0, 0.0, 0.0)


def _trajectory_errors(closed_form, run, *, k0, window, t_max):
    """max |K_sim - K_theory| / sigma_max and max |K_sim - K_euler| / sigma_max over modes,
    pathways and the recorded times of one run."""
    sigma, lr = run.sigma[0], run.learning_rate
    euler_a, euler_b = euler_pathways(
        sigma, run.depth, k0, *window, learning_rate=lr, steps=int(round(t_max / lr))
    )
    record = np.rint(run.t / lr).astype(int)
    euler = np.stack([euler_a[record], euler_b[record]])
    simulated = np.stack([run.K_a[0], run.K_b[0]])
    theory_ab = np.stack(
        [np.stack(closed_form(run.t, s, run.depth, k0, *window)) for s in sigma], axis=-1
    )  # (2, R, modes)
    return (
        float(np.max(np.abs(simulated - theory_ab)) / sigma.max()),
        float(np.max(np.abs(simulated - euler)) / sigma.max()),
    )


@claim(
    "CP1",
    "critical_periods.pathway_dynamics",
    simulate=simulate_pathway_dynamics,
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
    quick={},  # the defaults are quick: 0.4 s to simulate (incl. compilation), ratio 2.017
    perturbations={"depth D -> D + 1": _wrong_depth, "no deficit": _no_deficit},
    figures=("fig_critical_periods_ratio",),
    thorough=dict(learning_rate=0.005),
)
def compare_pathway_dynamics(closed_form, run, *, k0, window, t_max, **_) -> Outcome:
    errors = [_trajectory_errors(closed_form, r, k0=k0, window=window, t_max=t_max) for r in run.runs]
    euler = max(e[1] for e in errors)
    return Outcome(
        (
            first_order([e[0] for e in errors], run.learning_rates),
            outcomes.absolute(
                "GD = Euler: max |K_gd - K_euler| / sigma_max", 0.0, euler, 1e-10, note="float64 round-off"
            ),
        ),
        details={"errors": [e[0] for e in errors], "learning_rates": list(run.learning_rates)},
    )


# ----------------------------------------------------------------------------- CP2


def _share_wrong_rate(sigma, k0, deficit_duration):
    """Perturbation: K_a logistic with the full target sigma instead of sigma - k0."""
    s = np.asarray(sigma)
    k_a = s / (1.0 + (s / k0 - 1.0) * np.exp(-2.0 * s * deficit_duration))
    return k0 / (k0 + k_a)


def _share_wrong_depth(sigma, k0, deficit_duration):
    """Perturbation: the depth-3 final share in place of the depth-2 one."""
    return np.array([theory.final_share(s, 3, k0, 0.0, deficit_duration) for s in sigma])


@claim(
    "CP2",
    "critical_periods.depth2_final_share",
    simulate=simulate_depth2_final_share,
    source=f"{SOURCE}, sec. 3 (pathway dynamics at small, balanced initialisation); the D = 2 "
    "frozen ratio K_a/K_b and this share are derived here (their Fig. 1 is drawn at a large "
    "initialisation, where the ratio relaxes)",
    statement="For D = 2 and a deficit on [0, T), the deprived pathway ends with "
    "K_b/sigma = (k0 + (s - k0) e^{-2sT}) / (sigma + (s - k0) e^{-2sT}), s = sigma - k0.",
    closed_form=theory.depth2_final_share,
    measured="ratio of the errors at 2 lr and lr, the error being max over the 8 features of "
    "|K_b(t_end)/sigma - share|",
    error_model="O(lr) Euler discretisation (2 +- 0.25 ratio); t_end = T + 15 leaves "
    "e^{-2 sigma 15} < 1e-13 of convergence error",
    defaults=dict(k0=0.05, duration=0.6, learning_rate=0.01, t_after=15.0),
    quick={},  # the defaults are quick: 0.4 s to simulate, ratio 2.001
    perturbations={
        "logistic target sigma - k0 -> sigma": _share_wrong_rate,
        "depth 2 -> 3": _share_wrong_depth,
    },
    thorough=dict(learning_rate=0.005),
)
def compare_depth2_final_share(closed_form, run, *, k0, duration, **_) -> Outcome:
    sigma = run.runs[0].sigma[0]
    predicted = closed_form(sigma, k0, duration)
    observed = [final_shares(r)[0] for r in run.runs]
    errors = [float(np.max(np.abs(o - predicted))) for o in observed]
    return Outcome(
        (first_order(errors, run.learning_rates),),
        details={
            "errors": errors,
            "learning_rates": list(run.learning_rates),
            "observed_shares": observed[0],
            "predicted_shares": predicted,
        },
    )


# ----------------------------------------------------------------------------- CP3


def _wrong_share_depth(sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: the final share of depth D + 1."""
    return theory.final_share(sigma, depth + 1, k0, deficit_start, deficit_end)


def _wrong_share_window(sigma, depth, k0, deficit_start, deficit_end):
    """Perturbation: a deficit 10% shorter."""
    end = np.asarray(deficit_end)
    return theory.final_share(sigma, depth, k0, deficit_start, end - 0.1 * (end - deficit_start))


@claim(
    "CP3",
    "critical_periods.critical_period",
    simulate=simulate_deficit_windows,
    source=f"{SOURCE}, Figs. 1-2 (depth and timing of the deficit; its length is varied here, not there)",
    statement="An early deficit leaves the deprived pathway a final share that falls with depth "
    "and with deficit length and rises with onset; a deficit after the feature is "
    "learned has no effect.",
    closed_form=theory.final_share,
    measured="ratio of the errors at 2 lr and lr (per depth), the error being max over "
    "windows of |K_b(t_max)/sigma - final_share|; orderings of the simulated shares",
    error_model="O(lr) Euler discretisation (ratio 2 +- 0.25); t_max = 40 leaves < 1e-12 "
    "convergence error; the orderings must hold strictly in the simulation",
    defaults=dict(depths=[1, 2, 4], k0=0.05, learning_rate=0.005, t_max=40.0),
    # The defaults are quick (1-2 s to simulate); at twice the lr CP5's D = 1 ratio falls to
    # 1.78, too near its tolerance.
    quick={},
    perturbations={"depth D -> D + 1": _wrong_share_depth, "deficit 10% shorter": _wrong_share_window},
    figures=("fig_critical_periods_onset",),
    thorough=dict(depths=[1, 2, 3, 4, 5, 6, 7, 8], learning_rate=0.005),
)
def compare_critical_period(closed_form, run, *, k0, **_) -> Outcome:
    starts, ends = np.array(list(CP3_WINDOWS.values())).T
    per_depth, shares = {}, {}
    for pair in run:
        depth = pair.runs[0].depth
        predicted = closed_form(1.0, depth, k0, starts, ends)
        observed = [final_shares(r)[:, 0] for r in pair.runs]
        shares[depth] = dict(zip(CP3_WINDOWS, observed[0], strict=True))
        errors = [float(np.max(np.abs(o - predicted))) for o in observed]
        per_depth[f"depth {depth}"] = Outcome(
            (first_order(errors, pair.learning_rates),), details={"errors": errors}
        )
    depths = list(shares)
    by_depth = [shares[d]["early"] for d in depths]
    late = max(abs(s["late"] - 0.5) for s in shares.values())
    return Outcome.merge(
        per_depth,
        shares=shares,
        conditions=[
            outcomes.condition(
                "falls with depth",
                bool(np.all(np.diff(by_depth) < 0)),
                f"shares after [0, 1) at D = {depths}: {np.round(by_depth, 4).tolist()}",
            ),
            outcomes.condition(
                "falls with length",
                all(s["early"] < s["early_short"] for s in shares.values()),
                "share after [0, 1) < after [0, 0.5) at every depth",
            ),
            outcomes.condition(
                "rises with onset",
                all(s["early_short"] < s["onset_half"] < s["onset_one"] for s in shares.values()),
                "share after [0, .5) < [.5, 1) < [1, 1.5) at every depth",
            ),
            outcomes.condition(
                "late deficit: no effect", late < 1e-6, f"max |share - 1/2| after [20, 21): {late:.2g}"
            ),
        ],
    )


# ----------------------------------------------------------------------------- CP4


def _closing_one_over_sigma_squared(sigma, depth, k0, deficit_duration, *, level=0.5):
    """Perturbation: t_c proportional to 1/sigma^2 (one extra power of 1/sigma)."""
    return theory.closing_time(sigma, depth, k0, deficit_duration, level=level) / sigma


def simulated_closing_times(run, *, sigmas, epsilon, duration, onsets):
    """CP4's measured closing times, per feature, from one
    :class:`~sims.critical_periods.models.PathwayRun` of :func:`simulate_closing_time`."""
    shares = final_shares(run)[:, 0].reshape(len(sigmas), -1)
    return closing_times(shares, sigmas=sigmas, epsilon=epsilon, duration=duration, onsets=onsets)


@claim(
    "CP4",
    "critical_periods.closing_time",
    simulate=simulate_closing_time,
    source=f"{SOURCE}, sec. 3 (features with larger singular value are learned, and close, first)",
    statement="Each feature's critical period closes at a time proportional to 1/sigma_alpha "
    "(D = 2, init k0 and deficit length in the feature's own units k0/sigma, 1/sigma).",
    closed_form=theory.closing_time,
    measured="ratio of the errors at 2 lr and lr, the error being max over features of "
    "|t_c,sim - t_c| sigma; and the spread of sigma t_c,sim over features",
    error_model="O(lr) Euler discretisation (ratio 2 +- 0.25); the onset grid's interpolation "
    "bias is computed from the exact curve and removed; the spread of sigma t_c "
    "is within 2 x the discretisation error",
    defaults=dict(
        sigmas=[15**0.5, 7**0.5, 3**0.5, 1.0],
        epsilon=0.01,
        duration=1.0,
        onsets=np.linspace(0.0, 4.0, 33).tolist(),
        learning_rate=0.005,
    ),
    quick={},  # the defaults are quick: 1 s to simulate, ratio 1.9998
    perturbations={"t_c ~ 1/sigma -> 1/sigma^2": _closing_one_over_sigma_squared},
    figures=("fig_critical_periods_closing",),
    thorough=dict(learning_rate=0.0025),
)
def compare_closing_time(closed_form, run, *, sigmas, epsilon, duration, onsets, **_) -> Outcome:
    sigmas = np.asarray(sigmas)
    predicted = np.array([closed_form(s, 2, epsilon * s, duration / s) for s in sigmas])
    observed = [
        simulated_closing_times(r, sigmas=sigmas, epsilon=epsilon, duration=duration, onsets=onsets)
        for r in run.runs
    ]
    errors = [float(np.max(np.abs(o - predicted) * sigmas)) for o in observed]
    scaled = observed[0] * sigmas
    return Outcome(
        (
            first_order(errors, run.learning_rates),
            outcomes.allowance(
                "spread of sigma t_c over features",
                0.0,
                float(np.ptp(scaled)),
                2 * errors[0] + 1e-12,
                note=f"sigma t_c = {np.round(scaled, 5).tolist()}; 2 x the "
                f"discretisation error {errors[0]:.2g}",
            ),
        ),
        details={
            "errors": errors,
            "learning_rates": list(run.learning_rates),
            "predicted_times": predicted,
            "observed_times": observed[0],
        },
    )


# ----------------------------------------------------------------------------- CP5


def _rate_wrong_exponent(k_a, k_b, sigma, depth):
    """Perturbation: exponent 1 - 2/D -> 1 - 1/D."""
    return depth * (sigma - k_a - k_b) * (k_a ** (1 - 1 / depth) - k_b ** (1 - 1 / depth))


@claim(
    "CP5",
    "critical_periods.winner_take_all",
    simulate=simulate_deficit_windows,
    source=f"{SOURCE}, sec. 3 (competition between pathways)",
    statement="After a deficit d/dt ln(K_a/K_b) = D Omega (K_a^{1-2/D} - K_b^{1-2/D}): frozen "
    "for D = 2, amplified for D >= 3, washed out in ratio for D = 1 with K_a - K_b "
    "frozen.",
    closed_form=theory.log_ratio_rate,
    measured="forward-difference rate of ln(K_a/K_b) per step vs the closed form after the "
    "deficit: ratio of the max errors at 2 lr and lr for D != 2, absolute error for D = 2",
    error_model="O(lr): forward difference of the Euler path (ratio 2 +- 0.25); D = 2: GD keeps "
    "p_a/p_b exactly, so |rate| <= 1e-9 (round-off); D = 1: K_a - K_b constant "
    "to 1e-12 (round-off)",
    defaults=dict(depths=[1, 2, 4], k0=0.05, learning_rate=0.005, t_max=40.0),
    quick={},  # CP3's run (the same simulation, 2 s): ratios 1.965 (D = 1), 1.996 (D = 4)
    perturbations={"exponent 1 - 2/D -> 1 - 1/D": _rate_wrong_exponent},
    figures=("fig_critical_periods_ratio",),
    thorough=dict(depths=[1, 2, 3, 4, 6, 8], learning_rate=0.005),
)
def compare_winner_take_all(closed_form, run, **_) -> Outcome:
    member, deficit = list(CP3_WINDOWS).index("early"), CP3_WINDOWS["early"][1]
    per_depth = {}
    for pair in run:
        depth = pair.runs[0].depth
        rates = [log_ratio_rate(r, member, after=deficit) for r in pair.runs]
        predicted = [closed_form(r.k_a, r.k_b, 1.0, depth) for r in rates]
        if depth == 2:
            per_depth["D = 2"] = Outcome(
                (
                    outcomes.absolute(
                        "ratio frozen: |d ln(K_a/K_b)/dt - closed form|",
                        np.concatenate(predicted),
                        np.concatenate([r.rate for r in rates]),
                        1e-9,
                        note="GD keeps p_a/p_b exactly",
                    ),
                )
            )
            continue
        errors = [float(np.max(np.abs(r.rate - p))) for r, p in zip(rates, predicted, strict=True)]
        comparisons, conditions = [first_order(errors, pair.learning_rates)], []
        drift = rates[0].drift
        if depth == 1:
            first = pair.runs[0]
            difference = (first.K_a[member, :, 0] - first.K_b[member, :, 0])[first.t >= deficit]
            comparisons.append(
                outcomes.absolute(
                    "spread of K_a - K_b after the deficit", 0.0, float(np.ptp(difference)), 1e-12
                )
            )
            conditions.append(
                outcomes.condition("ratio relaxes", drift < 0, f"ln(K_a/K_b) drifts by {drift:.3g}")
            )
        else:
            conditions.append(
                outcomes.condition(
                    "imbalance amplified", drift > 0, f"ln(K_a/K_b) grows by {drift:.3g} after the deficit"
                )
            )
        per_depth[f"D = {depth}"] = Outcome(comparisons, conditions, {"errors": errors})
    return Outcome.merge(per_depth)


# ----------------------------------------------------------------------------- CP6


def _completion_decays_to_zero(target, init, observed):
    """Perturbation: unobserved entries relax to zero instead of staying at their init."""
    return theory.depth1_completion_error(target, np.zeros_like(np.asarray(init)), observed)


def _completion_recovers(target, init, observed):
    """Perturbation: depth 1 recovers the unobserved entries (error 0)."""
    return 0.0


@claim(
    "CP6",
    "critical_periods.matrix_completion",
    simulate=simulate_matrix_completion,
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
    defaults=dict(
        depths=[1, 2, 3],
        n=20,
        rank=2,
        observed=160,
        deficit_observed=80,
        pretrain_epochs=[0, 100, 1000, 10000],
        epochs=40000,
        learning_rate=5.0,
        init_scale=1e-3,
        inits=4,
    ),
    # Depths 1 and 2, half the steps, two inits, 1.5 s: depth 2 still converges (train error
    # 2e-14) and its damage grows (test error 0.070 -> 0.471).
    quick=dict(depths=[1, 2], epochs=20000, inits=2, pretrain_epochs=[0, 100, 1000]),
    perturbations={
        "unobserved entries decay to 0": _completion_decays_to_zero,
        "unobserved entries recovered": _completion_recovers,
    },
    figures=("fig_critical_periods_completion",),
    thorough=dict(inits=8),
)
def compare_matrix_completion(closed_form, run, **_) -> Outcome:
    runs = {r.depth: r for r in run}
    depth1 = runs[1]
    predicted = np.array([closed_form(depth1.target, init, depth1.full.astype(bool)) for init in depth1.init])
    # A perturbation that predicts error 0 has an infinite relative error: it fails.
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = outcomes.relative(
            "test error = closed form",
            predicted[:, None],
            depth1.test,
            1e-12,
            note="unobserved entries never move",
        )
    per_depth = {"depth 1": Outcome((exact,), details={"test": depth1.test})}
    for depth, r in runs.items():
        if depth == 1:
            continue
        mean, standard_error = mean_and_standard_error(r.test)
        peak = np.maximum.accumulate(mean)
        with np.errstate(divide="ignore", invalid="ignore"):  # a drop with s.e. 0 is inf
            drops = np.where(peak > mean, (peak - mean) / standard_error, 0.0)
        worst = int(np.argmax(drops))
        per_depth[f"depth {depth}"] = Outcome(
            (
                outcomes.z_score(
                    "no drop of the mean test error with pre-training",
                    float(peak[worst]),
                    float(mean[worst]),
                    float(standard_error[worst]),
                    tolerance=2.0,
                    note=f"after {r.pretrain_epochs[worst]} pre-training steps"
                    if drops[worst] > 0
                    else "the mean never falls",
                ),
                outcomes.absolute("train error (converged)", 0.0, float(r.train.max()), 1e-4),
            ),
            (
                outcomes.condition(
                    "permanent damage, growing",
                    mean[-1] >= 2 * mean[0],
                    f"mean test error {np.round(mean, 4).tolist()} (s.e. "
                    f"{np.round(standard_error, 4).tolist()}) for pre-training "
                    f"{list(r.pretrain_epochs)}",
                ),
            ),
            {"test": r.test},
        )
    return Outcome.merge(per_depth)
