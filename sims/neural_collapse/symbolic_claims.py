"""Claim NC9: the symbolic derivations of :mod:`sims.neural_collapse.derivations` (the
"simulation") compared with the NumPy closed forms of :mod:`theory.neural_collapse`, one row per
identity, with the wrong constants and exponents that must fail."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import theory.neural_collapse as theory
from sims import symbolic
from sims.neural_collapse import derivations
from sims.neural_collapse import perturbations as wrong
from sims.outcomes import Outcome
from sims.registry import claim

# ----------------------------------------------------------------------------- NC9 symbolic


class NeuralCollapseForms(NamedTuple):
    """The closed forms NC9 compares with their derivations."""

    ce_norms: Any  # (K, n, lambda_w, lambda_h) -> dict of norms
    mse_norms: Any  # (K, n, lambda_w, lambda_h, *, bias) -> dict of norms
    deep_minimizer: Any  # (n_per_class, depth, lambda_w, lambda_h) -> dict of arrays
    collapse_threshold: Any  # (N, depth, lambda_w, lambda_h) -> n*
    nc1_noise: Any  # (noise_std, radius, K) -> NC1
    decomposition: Any  # (features, labels, classifier, bias, *, weight_decay) -> dict of terms


NEURAL_COLLAPSE_FORMS = NeuralCollapseForms(
    theory.ce_unconstrained_features_norms,
    theory.mse_unconstrained_features_norms,
    theory.imbalanced_deep_linear_minimizer,
    theory.minority_collapse_threshold,
    theory.nc1_isotropic_noise,
    theory.mse_central_path_decomposition,
)


def _ce_rho_without_prefactor(num_classes, n_per_class, lambda_w, lambda_h):
    """Perturbation: rho = (K-1)/K log(...) -> log(...)."""
    out = theory.ce_unconstrained_features_norms(num_classes, n_per_class, lambda_w, lambda_h)
    factor = num_classes / (num_classes - 1)
    return {
        **out,
        "classifier_norm": out["classifier_norm"] * np.sqrt(factor),
        "feature_norm": out["feature_norm"] * np.sqrt(factor),
        "product": out["product"] * factor,
    }


def _threshold_without_depth_factor(num_samples, depth, lambda_w, lambda_h):
    """Perturbation: n* without its factor (L/(L-1))^{(L-1)/L}."""
    value = theory.minority_collapse_threshold(num_samples, depth, lambda_w, lambda_h)
    return value if depth == 1 else value / (depth / (depth - 1)) ** ((depth - 1) / depth)


def _nc1_linear_in_classes(noise_std, radius, num_classes):
    """Perturbation: (K-1)^2 -> (K-1)."""
    return theory.nc1_isotropic_noise(noise_std, radius, num_classes) / (num_classes - 1)


def _ufm_norms(form, points, keys, **options):
    return [
        [form(int(k), int(n), lw, lh, **options)[key] for key in keys]
        for k, n, lw, lh in zip(points["K"], points["n"], points["lambda_w"], points["lambda_h"], strict=True)
    ]


@claim(
    "NC9",
    "neural_collapse.symbolic_proofs",
    simulate=derivations.derive_neural_collapse,
    source="Zhu et al. 2021, arXiv:2105.02375; Zhou et al. 2022, arXiv:2203.01238; Tirer & Bruna 2022, "
    "arXiv:2202.08087; Dang et al. 2023, arXiv:2301.00437; Papyan, Han & Donoho 2020, "
    "arXiv:2008.08186; Han, Papyan & Donoho 2022, arXiv:2106.02073",
    statement="SymPy proves that the CE and MSE unconstrained-features norms (NC2, NC3) are "
    "stationary points of their objectives, derives Dang et al.'s stationarity equation, value "
    "gap and collapse threshold n* (NC4), the NC1 noise law and the MSE decomposition (NC6); the "
    "NumPy closed forms equal the proved expressions, and the NC4 minimiser is the proved "
    "equation's root.",
    closed_form=NEURAL_COLLAPSE_FORMS,
    measured="per identity: the NumPy closed form against the proved expression at seeded points; "
    "conditions: each identity derived",
    error_model="exact identities (residual 0 in SymPy); float64 round-off of the NumPy closed "
    "forms (tolerances per row)",
    defaults=dict(points=200, seed=0),
    quick=dict(points=50),
    thorough=dict(points=1000),
    perturbations={
        "CE: rho without (K-1)/K": NEURAL_COLLAPSE_FORMS._replace(ce_norms=_ce_rho_without_prefactor),
        "MSE: K c -> (K-1) c": NEURAL_COLLAPSE_FORMS._replace(mse_norms=wrong.mse_wrong_threshold),
        "NC4: the local root taken as the answer": NEURAL_COLLAPSE_FORMS._replace(
            deep_minimizer=wrong.deep_local_only
        ),
        "NC4: row norm s^L -> s^(L+1)": NEURAL_COLLAPSE_FORMS._replace(
            deep_minimizer=wrong.deep_wrong_exponent
        ),
        "n* without (L/(L-1))^{(L-1)/L}": NEURAL_COLLAPSE_FORMS._replace(
            collapse_threshold=_threshold_without_depth_factor
        ),
        "NC1: (K-1)^2 -> K-1": NEURAL_COLLAPSE_FORMS._replace(nc1_noise=_nc1_linear_in_classes),
        "NC6: L_perp / 2": NEURAL_COLLAPSE_FORMS._replace(decomposition=wrong.missing_half_perp),
    },
)
def compare_symbolic_proofs(closed_form, run, **_) -> Outcome:
    at = run.points
    minimiser, threshold = at[derivations.STATIONARITY], at[derivations.THRESHOLD]
    deep = [
        closed_form.deep_minimizer(n, int(depth), lw, lh)
        for n, depth, lw, lh in zip(
            minimiser["n_per_class"],
            minimiser["L"],
            minimiser["lambda_w"],
            minimiser["lambda_h"],
            strict=True,
        )
    ]
    # s_k in units of its largest possible value (sqrt(n_k)/r)^{1/(L+1)}, rows in that to the L
    top = (
        np.sqrt(minimiser["n_per_class"] * minimiser["lambda_h"][:, None] / minimiser["lambda_w"][:, None])
    ) ** (1 / (minimiser["L"][:, None] + 1))
    noise = at[derivations.NC1_NOISE]
    split = at[derivations.DECOMPOSITION]
    labels = np.array(derivations.DECOMPOSITION_LABELS)
    terms = ("loss", "nc1", "nc23", "reg", "perp")
    lifted = np.concatenate([split["features"], np.ones(split["features"].shape[:2] + (1,))], axis=2)
    second = np.einsum("pni,pnj->pij", lifted, lifted) / len(labels)
    second[:, :-1, :-1] += split["weight_decay"][:, None, None] * np.eye(derivations.DECOMPOSITION_DIM)
    loss = run.proved[derivations.DECOMPOSITION][:, :1]
    return symbolic.outcome(
        run,
        {
            derivations.CE_NORMS: symbolic.Agreement(
                _ufm_norms(
                    closed_form.ce_norms,
                    at[derivations.CE_NORMS],
                    ("classifier_norm", "feature_norm", "product"),
                ),
                5e-15,
                "||w||, ||h||, rho: a log and square roots, ~20 ulp (measured 1.7e-15 at 1000 points)",
            ),
            derivations.MSE_NORMS: symbolic.Agreement(
                _ufm_norms(
                    closed_form.mse_norms, at[derivations.MSE_NORMS], ("classifier_norm", "feature_norm")
                ),
                4e-15,
                "square roots of products, ~16 ulp (measured 1.1e-15 at 1000 points)",
            ),
            derivations.MSE_NORMS_NO_BIAS: symbolic.Agreement(
                _ufm_norms(
                    closed_form.mse_norms,
                    at[derivations.MSE_NORMS_NO_BIAS],
                    ("classifier_norm", "feature_norm"),
                    bias=False,
                ),
                4e-15,
                "square roots of products, ~16 ulp (measured 1.3e-15 at 1000 points)",
            ),
            derivations.STATIONARITY: symbolic.Agreement(
                [np.r_[d["layer_singular_values"], d["classifier_row_norms"]] for d in deep],
                1e-14,
                "s_k in units of (sqrt(n_k)/r)^{1/(L+1)}, rows s_k^L in that to the L: brentq to 4 eps, "
                "times L <= 6 for the rows (measured 2.8e-15 at 1000 points); 0 where the origin wins",
                "absolute",
                scale=np.concatenate([top, top ** minimiser["L"][:, None]], axis=1),
            ),
            derivations.THRESHOLD: symbolic.Agreement(
                [
                    closed_form.collapse_threshold(n, int(depth), lw, lh)
                    for n, depth, lw, lh in zip(
                        threshold["N"],
                        threshold["L"],
                        threshold["lambda_w"],
                        threshold["lambda_h"],
                        strict=True,
                    )
                ],
                4e-15,
                "powers with exponents (L+1)/L, ~L ulp (measured 1.1e-15 at 1000 points)",
            ),
            derivations.NC1_NOISE: symbolic.Agreement(
                [
                    closed_form.nc1_noise(s, r, int(k))
                    for s, r, k in zip(noise["s"], noise["r"], noise["K"], strict=True)
                ],
                2e-15,
                "a product of powers, a few ulp (measured 4.4e-16 at 1000 points)",
            ),
            derivations.DECOMPOSITION: symbolic.Agreement(
                [
                    [out[t] for t in terms]
                    for out in (
                        closed_form.decomposition(h, labels, w, b, weight_decay=lam)
                        for h, w, b, lam in zip(
                            split["features"],
                            split["classifier"],
                            split["bias"],
                            split["weight_decay"],
                            strict=True,
                        )
                    )
                ],
                32 * np.finfo(float).eps,
                "[loss, L_NC1, L_NC2/3, L_reg, L_perp] in units of loss x cond(S + R): the least-squares "
                "solve's round-off times a dimension factor (measured <= 7.7 at 1000 points)",
                "absolute",
                scale=loss * np.linalg.cond(second)[:, None],
            ),
        },
    )
