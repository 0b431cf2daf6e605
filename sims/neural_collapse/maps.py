"""Validity maps of the neural-collapse claims (see :mod:`sims.sweep`).

NC-M1 (NC2, NC3): learning rate x weight decay for the balanced unconstrained-features model
under a fixed budget of GD steps; where NC2/NC3's comparison (rtol 1e-8) stops holding. The
predicted boundary is the convergence budget of GD linearised at the closed-form minimiser;
the stability bound 2 / lambda_max of the same Hessian is drawn (MSE diverges just above it;
CE, at small weight decay, far below it: a finding stated in the map).

NC-M2 (NC4): minority-class size x initial scale for the bias-free deep linear MSE UFM; where
GD from an aligned start stops landing on the largest-root local minimum (NC4's "large start"
comparison). The predicted boundary is the saddle of the reduced one-class problem, whose
nose is where the non-zero local minimum first exists.

Both kernels train every point of a chunk in one engine call (one ensemble member per point,
its own seed, weight decay, learning rate and start) and score each member with the claim's
own comparison (:func:`sims.neural_collapse.claims._balanced_comparisons`,
:func:`sims.neural_collapse.claims._norms_with_zeros`).
"""

from __future__ import annotations

import functools

import jax
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

import theory.neural_collapse as theory
from sims import engine, sweep
from sims.neural_collapse import claims, models
from sims.neural_collapse.measures import class_geometry
from sims.outcomes import Outcome


def _ufm_data(class_sizes):
    """The UFM's one-hot targets, labels and (unused) slots for classes of these sizes."""
    labels = np.repeat(np.arange(len(class_sizes)), class_sizes)
    return models.UFMBatch(np.eye(len(class_sizes))[labels], labels, np.zeros_like(labels))


def _final_runs(loss, inits, data, members, steps):
    """GD for ``steps`` steps, one member per row of ``members`` (its own start in ``inits``),
    in one engine call; per member its row and a one-member UFMRun of the final state, or
    None where the loss turned NaN/inf (diverged: flagged, never scored)."""
    result = engine.train(
        models.LOSSES[loss],
        engine.stack_members(inits),
        data,
        members=members,
        epochs=steps,
        record_epochs=[0, steps],
        observe=models.observe_ufm,
        on_divergence="flag",
    )
    for i, row in members.iterrows():
        final = {name: result.records[name][i : i + 1] for name in ("loss", "classifier", "features")}
        if result.diverged[i] or not all(np.isfinite(v).all() for v in final.values()):
            yield row, None
            continue
        bias = result.params["b"][i : i + 1] if "b" in result.params else None
        yield row, models.UFMRun(result.epochs, **final, labels=data.labels, bias=bias)


def _diverged(row, tolerance):
    return sweep.PointResult(
        np.inf, tolerance, True, f"diverged at lr {row.learning_rate:.4g}, lambda {row.lambda_w:.4g}"
    )


# ----------------------------------------------------------------------------- NC-M1

# NC2's shapes (NC3 uses dim = K = 4 as well): K classes of n samples in dimension d.
BALANCED = dict(num_classes=4, n_per_class=5, dim=4)
# A fixed budget of GD steps for every point: NC2's at its defaults (40 time constants
# 1/(lr lambda) at lr 1, lambda 5e-3), so the convergence line crosses the grid.
BUDGET_STEPS = 8000
# Eigenvalues of the Hessian below this fraction of the largest are the exact zero modes of
# the rotations (W, H) -> (W Q^T, H Q^T) (measured: |eig| <= 5e-16, the smallest real one
# >= 2e-3 of the largest at K c = 0.99); there are d (d - 1) / 2 of them.
ZERO_MODE = 1e-9


def _shape(shape=None):
    """(K, n, d): classes, samples per class, dimension; the map's BALANCED by default."""
    if shape is None:
        return BALANCED["num_classes"], BALANCED["n_per_class"], BALANCED["dim"]
    return tuple(int(v) for v in shape)


def _balanced_data(shape=None):
    k, n, _ = _shape(shape)
    return _ufm_data([n] * k)


def weight_decay(collapse, shape=None):
    """lambda_w = lambda_h = lambda for the collapse parameter K c = K sqrt(n lambda^2)."""
    k, n, _ = _shape(shape)
    return np.asarray(collapse, dtype=float) / (k * np.sqrt(n))


def _closed_form(loss, bias, lam, shape=None):
    k, n, _ = _shape(shape)
    if loss == "ce":
        return theory.ce_unconstrained_features_norms(k, n, lam, lam)
    return theory.mse_unconstrained_features_norms(k, n, lam, lam, bias=bias)


def closed_form_minimiser(loss, bias, lam, shape=None):
    """The UFM parameters at the closed-form global minimiser: rows of W and class means
    along a simplex ETF (or, MSE without bias, an orthogonal frame) with NC2/NC3's norms."""
    k, _, d = _shape(shape)
    labels = _balanced_data(shape).labels
    norms = _closed_form(loss, bias, lam, shape)
    frame = np.eye(d)[:, :k] if loss == "mse" and not bias else theory.simplex_etf(k, d)
    params = {"W": (norms["classifier_norm"] * frame.T,), "H": norms["feature_norm"] * frame[:, labels].T}
    if bias:
        params["b"] = np.full(k, norms["bias"])
    return params


@functools.lru_cache(maxsize=8)
def _hessians(loss, bias, shape):
    """Jitted Hessians of the UFM objective at a batch of flat parameter vectors (the
    order of jax.tree_util.tree_leaves) and weight decays."""
    data = _balanced_data(shape)
    _, unravel = ravel_pytree(closed_form_minimiser(loss, bias, 1e-2, shape))

    def objective(flat, lam):
        return models.LOSSES[loss](unravel(flat), data, dict(lambda_w=lam, lambda_h=lam))

    return jax.jit(jax.vmap(jax.hessian(objective)))


def curvatures(loss, bias, collapse, *, shape=None):
    """(lambda_max, mu_min) of the Hessian of the UFM objective at its closed-form minimiser:
    the largest eigenvalue and the smallest one that is not a rotation zero mode, per K c;
    for the map's balanced problem, or ``shape`` = (K, n, d) with d = K (the notebook's)."""
    shape = _shape(shape)
    collapse = np.atleast_1d(np.asarray(collapse, dtype=float))
    lam = weight_decay(collapse, shape)
    flat = np.stack(
        [
            np.concatenate(
                [
                    np.ravel(leaf)
                    for leaf in jax.tree_util.tree_leaves(closed_form_minimiser(loss, bias, l, shape))
                ]
            )
            for l in lam
        ]
    )
    eigenvalues = np.linalg.eigvalsh(np.asarray(_hessians(loss, bool(bias), shape)(flat, lam)))
    top = eigenvalues.max(axis=1)
    zero = np.abs(eigenvalues) <= ZERO_MODE * top[:, None]
    d = shape[2]
    if np.any(zero.sum(axis=1) != d * (d - 1) // 2) or np.any(eigenvalues.min(axis=1) < -ZERO_MODE * top):
        raise RuntimeError(
            f"Hessian at the {loss} minimiser: not PSD with d(d-1)/2 zeros at some K c in {collapse}"
        )
    return top, np.where(zero, np.inf, eigenvalues).min(axis=1)


# 1 - rtol^{1/T}: the per-step contraction after which T steps leave rtol of the start.
BUDGET_RATE = 1 - claims.UFM_RTOL ** (1 / BUDGET_STEPS)


def convergence_boundary(collapse, *, loss, bias):
    """Predicted learning rate below which BUDGET_STEPS GD steps miss NC2/NC3's rtol 1e-8.

    Derivation: near the minimiser GD is linear, e_{t+1} = (1 - lr H) e_t, and every mode of
    the Hessian H that is not a rotation (the compared norms, cosines and NC1 are rotation
    invariant) shrinks by |1 - lr mu| per step. For lr < 2 / lambda_max the slowest is the
    smallest non-zero eigenvalue mu_min, so from a start at O(1) relative distance (scale
    0.3 against norms ~1) the error after T steps is ~ (1 - lr mu_min)^T, which reaches
    rtol at lr = (1 - rtol^{1/T}) / mu_min ~ ln(1/rtol) / (mu_min T): the convergence budget
    lr lambda T = ln(1/rtol) of issue 13, with the weight decay lambda replaced by mu_min.
    mu_min = lambda (CE), 0.90 lambda (MSE with bias), 2 lambda (MSE without) for K c << 1,
    and mu_min -> 0 as K c -> 1 (critical slowing down at the collapse threshold, e.g.
    2 lambda (1 - K c) / (K c) for MSE), so the line bends away to large lr there. H is the
    Hessian of models.LOSSES at theory.neural_collapse's minimiser, computed by JAX.
    """
    return BUDGET_RATE / curvatures(loss, bias, collapse)[1]


def claimed_time_constant_boundary(collapse, **_):
    """The same line from NC2/NC3's own error model, tau = 1 / (lr min(lambda_w, lambda_h))
    (no critical slowing down; MSE without bias converges twice as fast): drawn only."""
    return BUDGET_RATE / weight_decay(collapse)


def stability_boundary(collapse, *, loss, bias):
    """lr = 2 / lambda_max: above it the minimiser is linearly unstable under GD."""
    return 2 / curvatures(loss, bias, collapse)[0]


def wrong_fastest_mode(collapse, *, loss, bias):
    """Perturbation: the budget set by the fastest mode (mu_min -> lambda_max)."""
    return BUDGET_RATE / curvatures(loss, bias, collapse)[0]


def wrong_budget(collapse, *, loss, bias):
    """Perturbation: ln(1/rtol) e-folds -> 4 ln(1/rtol) (a constant off by 4)."""
    return 4 * convergence_boundary(collapse, loss=loss, bias=bias)


@sweep.validity_map(
    "NC-M1",
    claim="NC2, NC3",
    title="GD on the balanced UFM: convergence budget and stability",
    statement=f"With a budget of {BUDGET_STEPS} GD steps, the balanced unconstrained-features "
    "model (CE; MSE with and without bias) reaches NC2/NC3's closed-form minimiser to rtol "
    "1e-8 above lr = ln(1/rtol) / (mu_min T), mu_min the smallest non-rotation eigenvalue of "
    "the Hessian at that minimiser (which vanishes at the collapse threshold K c = 1), and, "
    "for MSE, below the stability bound 2 / lambda_max. Finding: CE diverges far below its "
    "minimiser's 2 / lambda_max at small weight decay (from lr ~ 0.17 x 2 / lambda_max = 25 "
    "at K c = 0.01, 0.35 x at 0.02, 0.55 x at 0.05, >= 0.8 x only for K c >= 0.2): the path "
    "is sharper than the large-margin minimiser.",
    source="Zhu et al. 2021, arXiv:2105.02375 (CE UFM); Zhou et al. 2022, arXiv:2203.01238 "
    "(MSE UFM); linearised GD at the closed-form minimiser (derived in "
    "sims.neural_collapse.maps.convergence_boundary)",
    x=sweep.Axis("learning_rate", 0.01, 300.0, label="learning rate (full-batch GD)"),
    y=sweep.Axis("collapse", 0.01, 0.99, label="K c = K sqrt(n lw lh)  (1: collapse)"),
    boundary=convergence_boundary,
    boundary_axis="x",
    fails="below",
    wrong_boundaries={"mu_min -> lambda_max": wrong_fastest_mode, "ln(1/rtol) x 4": wrong_budget},
    extra_boundaries={
        "stability 2 / lambda_max": stability_boundary,
        "NC2/NC3 error model tau = 1/(lr lambda)": claimed_time_constant_boundary,
    },
    panels=[dict(loss="ce", bias=False), dict(loss="mse", bias=True), dict(loss="mse", bias=False)],
    # NC2's defaults (lr 1, lambda 5e-3); NC3's are lr 1, lambda 1e-2 (K c = 0.089).
    # NC2's defaults in the CE panel, NC3's in the MSE panels.
    defaults=lambda loss, **_: dict(learning_rate=1.0, collapse=0.0447 if loss == "ce" else 0.089),
    resolution=20,
    quick_resolution=8,
    chunk=128,
    error_model="NC2/NC3's comparison (max relative error of the norms, absolute of the "
    f"cosines and NC1, tolerance {claims.UFM_RTOL:g}) after {BUDGET_STEPS} GD steps from "
    "their 0.3-scale start; the measured z = 1 crossing within a factor 2 of the linearised "
    "convergence budget",
)
def evaluate_balanced(points, *, loss, bias):
    data = _balanced_data()
    lam = weight_decay([p["collapse"] for p in points])
    members = pd.DataFrame(
        dict(
            seed=[p["seed"] for p in points],
            lambda_w=lam,
            lambda_h=lam,
            learning_rate=[p["learning_rate"] for p in points],
        )
    )
    inits = [
        models._ufm_init(
            np.random.default_rng(p["seed"]),
            data.labels,
            num_classes=BALANCED["num_classes"],
            dim=BALANCED["dim"],
            depth=1,
            scale=0.3,
            bias=bias,
        )
        for p in points
    ]
    out = []
    for row, run in _final_runs(loss, inits, data, members, BUDGET_STEPS):
        if run is None:
            out.append(_diverged(row, claims.UFM_RTOL))
            continue
        outcome = claims._balanced_comparisons(
            run, _closed_form(loss, bias, row.lambda_w), num_classes=BALANCED["num_classes"]
        )
        head = outcome.headline
        out.append(sweep.PointResult(head.error, head.tolerance, False, head.name))
    return out


# ----------------------------------------------------------------------------- NC-M2

# NC4's class sizes; the minority class (size n_K = 1) is the last one.
CLASS_SIZES = (20, 10, 5, 2, 1)
# Fewer, larger steps than NC4 (lr 0.1, 15000 epochs): time lr T = 2500 > NC4's 1500, stable
# at every depth here (lr lambda_max <= 1.2 at the minimiser for depth 6).
BASIN_LR = 0.5
BASIN_STEPS = 5000


def _output_fraction_root_function(u, depth):
    """g(u) = u^{(L-1)/(L+1)} (1 - u): the stationarity condition of one class is g(u) =
    N lambda_w r^{-2/(L+1)} n_k^{-L/(L+1)} (see :func:`saddle_boundary`)."""
    return u ** ((depth - 1) / (depth + 1)) * (1 - u)


def stationary_size_ratio(u, depth):
    """n_k / n* at which a class whose output (r s^{L+1} / sqrt(n_k)) is u sits at a stationary
    point: x(u) = (g(u*) / g(u))^{(L+1)/L}, u* = (L-1)/L (derivation in saddle_boundary)."""
    u = np.asarray(u, dtype=float)
    at_threshold = _output_fraction_root_function((depth - 1) / depth, depth)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (at_threshold / _output_fraction_root_function(u, depth)) ** ((depth + 1) / depth)


def peak_output(depth):
    """u at the fold, (L-1)/(2L): the saddle (below) and the local minimum (above) merge."""
    return (depth - 1) / (2 * depth)


def class_saddle(initial_output, *, depth, size):
    """n_K / n* at which a class of ``size`` samples, started with the minority's s0 (so at
    output u0 sqrt(n_K / size)), starts exactly on its saddle; NaN where it starts above the
    fold (no saddle below it). See :func:`saddle_boundary`."""
    minority = CLASS_SIZES[-1]
    u = np.asarray(initial_output, dtype=float) * np.sqrt(minority / size)
    return np.where(u < peak_output(depth), minority / size * stationary_size_ratio(u, depth), np.nan)


def saddle_boundary(initial_output, *, depth):
    """Predicted n_K / n* below which GD from the aligned start of initial minority output u0
    misses the largest-root local minimum (it falls to the origin).

    Derivation (Dang et al. 2023, arXiv:2301.00437; reduction of
    theory.neural_collapse.imbalanced_deep_linear_minimizer): from NC4's aligned, balanced
    start every layer carries class k with one singular value s, and the classes decouple;
    class k follows GD on f(s) = 1/(2N) (r s^{L+1} - sqrt(n_k))^2 + (L+1) lambda_w/2 s^2,
    r = sqrt(lambda_w/lambda_h). With u = r s^{L+1} / sqrt(n_k) (the class's output on its
    own label) the stationary points solve g(u) = u^{(L-1)/(L+1)} (1 - u) = N lambda_w
    r^{-2/(L+1)} n_k^{-L/(L+1)}; at n_k = n* (theory.minority_collapse_threshold) the root is
    u* = (L-1)/L, so g(u) = g(u*) (n_k/n*)^{-L/(L+1)}, i.e. n_k / n* = x(u) =
    (g(u*)/g(u))^{(L+1)/L}. g peaks at u_peak = (L-1)/(2L): for L >= 2 the smaller root
    (u < u_peak) is the saddle between the origin (a local minimum) and the largest root, so
    a start with u0 < u_peak reaches the largest root iff n_K/n* > x(u0), and a start above
    u_peak always does. The nose of the saddle line, x(u_peak), is where the non-zero local
    minimum first exists (the fold). Every class starts at the same s0, so class k starts at
    u0 sqrt(n_K/n_k), lower on its own (smaller) saddle: going down in n_K/n*, the minority
    fails first wherever it has a saddle. Left of the fold the larger classes fail inside
    their own saddle lobes (:func:`class_saddle`; NC4's comparison covers every class).
    """
    return class_saddle(initial_output, depth=depth, size=CLASS_SIZES[-1])


def next_class_saddle(initial_output, *, depth):
    """The saddle line of the class of size 2 (its lobe lies left of the minority's fold)."""
    return class_saddle(initial_output, depth=depth, size=CLASS_SIZES[-2])


def fold_boundary(initial_output, *, depth):
    """n_K / n* = x(u_peak): below it the minority class has no non-zero local minimum."""
    fold = stationary_size_ratio(peak_output(depth), depth)
    return np.full_like(np.asarray(initial_output, dtype=float), fold)


def threshold_boundary(initial_output, **_):
    """n_K = n*: below it the origin is the minority's global minimum (NC4's collapse)."""
    return np.ones_like(np.asarray(initial_output, dtype=float))


def local_minimum_branch(initial_output, *, depth):
    """x(u) on the largest-root branch (u > u_peak): a start there is the local minimum."""
    u = np.asarray(initial_output, dtype=float)
    return np.where((u > peak_output(depth)) & (u < 1), stationary_size_ratio(u, depth), np.nan)


def wrong_per_layer_scale(initial_output, *, depth):
    """Perturbation: the per-layer scale s0 taken for the output u0 = s0^{L+1} (exponent
    L + 1 -> 1)."""
    return saddle_boundary(np.asarray(initial_output, dtype=float) ** (1 / (depth + 1)), depth=depth)


def wrong_threshold(initial_output, *, depth):
    """Perturbation: n* -> 4 n* (a constant off by 4), so the boundary at 4 x(u0)."""
    return 4 * saddle_boundary(initial_output, depth=depth)


def basin_weight_decay(size_ratio, depth):
    """lambda_w = lambda_h = lambda with n_K / n* = size_ratio: n* = A lambda^{(L+1)/L}."""
    at_unit = theory.minority_collapse_threshold(sum(CLASS_SIZES), depth, 1.0, 1.0)
    return (CLASS_SIZES[-1] / (np.asarray(size_ratio, dtype=float) * at_unit)) ** (depth / (depth + 1))


@sweep.validity_map(
    "NC-M2",
    claim="NC4",
    title="deep linear MSE UFM: which minimum GD from a large start finds",
    statement="GD on the imbalanced bias-free deep linear MSE UFM (NC4's class sizes, depths 2, "
    "3, 6) from an aligned start of minority output u0 lands on the largest-root local "
    "minimum iff the start lies above the saddle of the reduced one-class problem, "
    "n_K/n* > (g(u*)/g(u0))^{(L+1)/L}, g(u) = u^{(L-1)/(L+1)} (1-u); the saddle ends at the "
    "fold u0 = (L-1)/(2L) where the non-zero local minimum first exists, below n* (there "
    "GD from a large start lands on a non-global minimum); left of the fold the larger "
    "classes fail inside their own saddle lobes.",
    source="Dang et al. 2023, arXiv:2301.00437 (bias-free imbalanced deep linear UFM); saddle "
    "and fold derived in sims.neural_collapse.maps.saddle_boundary from "
    "theory.neural_collapse.imbalanced_deep_linear_minimizer",
    x=sweep.Axis("size_ratio", 0.25, 10.0, label="n_K / n*  (minority size / collapse threshold)"),
    y=sweep.Axis("initial_output", 0.01, 2.0, label="minority's initial output u0 = s0^(L+1)"),
    boundary=saddle_boundary,
    boundary_axis="x",
    fails="below",
    wrong_boundaries={"u0 -> s0 (exponent L+1 -> 1)": wrong_per_layer_scale, "n* -> 4 n*": wrong_threshold},
    extra_boundaries={
        "collapse threshold n* (NC4)": threshold_boundary,
        "fold: local minimum first exists": fold_boundary,
        "largest root (start = local minimum)": local_minimum_branch,
        "saddle of the class of 2": next_class_saddle,
    },
    panels=[dict(depth=2), dict(depth=3), dict(depth=6)],
    # NC4's defaults at depth 2: lambda 1e-2 gives n_K / n* = 1.07, init 1.2 gives u0 = 1.2^3.
    # NC4's defaults at each depth (at depth 6 the initial output 3.58 is above the grid).
    defaults=lambda depth, **_: {
        2: dict(size_ratio=1.07, initial_output=1.728),
        3: dict(size_ratio=0.64, initial_output=2.07),
        6: dict(size_ratio=0.33, initial_output=3.58),
    }[depth],
    resolution=16,
    quick_resolution=6,
    chunk=128,
    error_model="NC4's large-start comparison (relative error of the row norms against the "
    f"largest-root local minimum, rtol {claims.NC4_RTOL:g}; zeros on the largest norm) after "
    f"{BASIN_STEPS} GD steps at lr {BASIN_LR}; the measured z = 1 crossing within a factor 2 "
    "of the saddle",
)
def evaluate_basin(points, *, depth):
    sizes = np.asarray(CLASS_SIZES)
    k = sizes.size
    data = _ufm_data(sizes)
    lam = basin_weight_decay([p["size_ratio"] for p in points], depth)
    scale = (np.array([p["initial_output"] for p in points]) * np.sqrt(sizes[-1])) ** (1 / (depth + 1))
    members = pd.DataFrame(
        dict(seed=[p["seed"] for p in points], lambda_w=lam, lambda_h=lam, learning_rate=BASIN_LR)
    )
    inits = [
        models._ufm_init(
            np.random.default_rng(p["seed"]),
            data.labels,
            num_classes=k,
            dim=k,
            depth=depth,
            scale=s,
            bias=False,
            aligned=True,
        )
        for p, s in zip(points, scale, strict=True)
    ]
    out = []
    for row, run in _final_runs("mse", inits, data, members, BASIN_STEPS):
        if run is None:
            out.append(_diverged(row, claims.NC4_RTOL))
            continue
        predicted = theory.imbalanced_deep_linear_minimizer(sizes, depth, row.lambda_w, row.lambda_h)
        head = Outcome(
            claims._norms_with_zeros(
                "large start: largest-root row norms",
                predicted["local_row_norms"],
                class_geometry(run)["row_norms"],
                claims.NC4_RTOL,
                predicted["classifier_row_norms"].max(),
            )
        ).headline
        out.append(sweep.PointResult(head.error, head.tolerance, False, head.name))
    return out
