"""Wrong closed forms that the neural-collapse claims must reject: each changes one constant,
exponent or case of the true one (a perturbation of :mod:`theory.neural_collapse`), and
``tests/test_claims.py`` asserts that its claim fails with it."""

from __future__ import annotations

import numpy as np

import theory.neural_collapse as theory

# ----------------------------------------------------------------------------- NC2


def _scaled_norms(norms, factor):
    """A closed form's classifier and feature norms scaled by ``factor`` (perturbations)."""
    return {
        **norms,
        "classifier_norm": norms["classifier_norm"] * factor,
        "feature_norm": norms["feature_norm"] * factor,
    }


def ce_first_order_rho(num_classes, n_per_class, lambda_w, lambda_h):
    """Perturbation: rho to first order in c, (K-1)/K (log(1/c) - (K-1) c): close (6e-5 at
    the defaults) but not the minimiser."""
    k, c = num_classes, np.sqrt(n_per_class * lambda_w * lambda_h)
    out = theory.ce_unconstrained_features_norms(k, n_per_class, lambda_w, lambda_h)
    factor = np.sqrt((np.log(1 / c) - (k - 1) * c) / np.log((1 - (k - 1) * c) / c))
    return _scaled_norms(out, factor)


def ce_wrong_log(num_classes, n_per_class, lambda_w, lambda_h):
    """Perturbation: log((1 - (K-1)c)/c) -> log((1 - K c)/c)."""
    k, c = num_classes, np.sqrt(n_per_class * lambda_w * lambda_h)
    out = theory.ce_unconstrained_features_norms(k, n_per_class, lambda_w, lambda_h)
    factor = np.sqrt(np.log((1 - k * c) / c) / np.log((1 - (k - 1) * c) / c))
    return _scaled_norms(out, factor)


def ce_wrong_balance(num_classes, n_per_class, lambda_w, lambda_h):
    """Perturbation: the weight/feature balance without the factor n (||w|| = ||h|| sqrt(lh/lw))."""
    out = theory.ce_unconstrained_features_norms(num_classes, n_per_class, lambda_w, lambda_h)
    root = n_per_class**0.25
    return {
        **out,
        "classifier_norm": out["classifier_norm"] / root,
        "feature_norm": out["feature_norm"] * root,
    }


# ----------------------------------------------------------------------------- NC3


def mse_wrong_frame(num_classes, n_per_class, lambda_w, lambda_h, *, bias=True):
    """Perturbation: the bias changes nothing (orthogonal-frame norms and cosine either way)."""
    return theory.mse_unconstrained_features_norms(num_classes, n_per_class, lambda_w, lambda_h, bias=False)


def mse_wrong_threshold(num_classes, n_per_class, lambda_w, lambda_h, *, bias=True):
    """Perturbation: shrinkage K sqrt(n lw lh) -> (K-1) sqrt(n lw lh)."""
    k = num_classes
    out = theory.mse_unconstrained_features_norms(k, n_per_class, lambda_w, lambda_h, bias=bias)
    c = np.sqrt(n_per_class * lambda_w * lambda_h)
    factor = np.sqrt((1 - (k - 1) * c) / (1 - k * c))
    return _scaled_norms(out, factor)


# ----------------------------------------------------------------------------- NC4


def deep_local_only(n_per_class, depth, lambda_w, lambda_h):
    """Perturbation: the largest root of the stationarity equation taken as the answer."""
    out = theory.imbalanced_deep_linear_minimizer(n_per_class, depth, lambda_w, lambda_h)
    rows = out["local_row_norms"]
    s = rows ** (1 / depth)
    return {
        **out,
        "classifier_row_norms": rows,
        "feature_mean_norms_sq": lambda_w / lambda_h * s**2 / np.asarray(n_per_class),
    }


def deep_wrong_exponent(n_per_class, depth, lambda_w, lambda_h):
    """Perturbation: row norm s^L -> s^(L+1)."""
    out = theory.imbalanced_deep_linear_minimizer(n_per_class, depth, lambda_w, lambda_h)
    return {**out, "classifier_row_norms": out["layer_singular_values"] ** (depth + 1)}


# ----------------------------------------------------------------------------- NC5


def ignores_imbalance(n_majority, n_minority, num_majority, num_minority, lambda_w, lambda_h):
    """Perturbation: the balanced answer -1/(K-1) at every ratio."""
    return -1.0 / (num_majority + num_minority - 1)


def half_ratio(n_majority, n_minority, num_majority, num_minority, lambda_w, lambda_h):
    """Perturbation: the ratio R -> R/2."""
    return theory.imbalanced_ce_minority_cosine(
        max(n_majority / 2, n_minority), n_minority, num_majority, num_minority, lambda_w, lambda_h
    )


# ----------------------------------------------------------------------------- NC6


def loss_without_half(features, labels, classifier, bias, *, weight_decay=0.0):
    """Perturbation: the returned loss with 1/N instead of 1/(2N) on the data term."""
    out = theory.mse_central_path_decomposition(features, labels, classifier, bias, weight_decay=weight_decay)
    data = out["loss"] - weight_decay / 2 * float(np.sum(np.asarray(classifier) ** 2))
    return {**out, "loss": out["loss"] + data}


def missing_half_perp(features, labels, classifier, bias, *, weight_decay=0.0):
    """Perturbation: the off-central-path term with a factor 1/2 too many."""
    out = theory.mse_central_path_decomposition(features, labels, classifier, bias, weight_decay=weight_decay)
    return {**out, "perp": out["perp"] / 2}


# ----------------------------------------------------------------------------- NC7


def orthogonal_frame(num_classes, dim=None):
    """Perturbation of NC7: an orthogonal frame (cosines 0), the bias-free MSE answer of NC3."""
    return np.eye(num_classes if dim is None else dim, num_classes)


def cross_polytope(num_classes, dim=None):
    """Perturbation of NC7: K/2 antipodal pairs +-e_j (cosine -1 within a pair, 0 across).

    Unit columns that sum to zero (K even), so the mean cosine is -1/(K-1) as for the simplex
    ETF, but not equiangular: the best spherical code for K points in K/2 dimensions.
    """
    frame = np.zeros((num_classes if dim is None else dim, num_classes))
    k = np.arange(num_classes)
    frame[k // 2, k] = (-1.0) ** k
    return frame


# ----------------------------------------------------------------------------- NC8


def lpm_threshold_doubled(num_majority, num_minority, energy_w, energy_h, **kw):
    """Perturbation: R_0 twice too large."""
    return 2 * theory.layer_peeled_collapse_threshold(num_majority, num_minority, energy_w, energy_h, **kw)


def lpm_threshold_halved(num_majority, num_minority, energy_w, energy_h, **kw):
    """Perturbation: R_0 half the true one."""
    return theory.layer_peeled_collapse_threshold(num_majority, num_minority, energy_w, energy_h, **kw) / 2


def lpm_minority_count_etf(ratio, num_majority, num_minority, energy_w, energy_h, **kw):
    """Perturbation: at R = 1 the ETF cosine with the wrong class count, -1/(K_B - 1)."""
    if ratio == 1:
        return -1.0 / (num_minority - 1)
    return theory.layer_peeled_minority_cosine(ratio, num_majority, num_minority, energy_w, energy_h, **kw)
