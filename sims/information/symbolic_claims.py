"""Claim IB7: the symbolic derivations of :mod:`sims.information.derivations` (the
"simulation") compared with the NumPy closed forms of :mod:`theory.information`, one row per
identity, with the wrong constants and exponents that must fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from sims import symbolic
from sims.information import derivations
from sims.information.claims import (  # IB1/IB2's closed forms and their perturbations
    BINARY_IB,
    GAUSSIAN_IB,
    _critical_beta_wrong_power,
    _curve_without_convolution,
    _curve_wrong_exponent,
    _ib_without_half,
    _wrong_critical_betas,
)
from sims.outcomes import Outcome
from sims.registry import claim
from theory import information as theory

# ---------------------------------------------------------------------------------------
# IB7: symbolic derivations


class InformationForms(NamedTuple):
    critical_betas: Callable  # (cov_x, cov_xy, cov_y) -> beta_i^c
    information: Callable  # (beta, cov...) -> (I(T;X), I(T;Y)) bits
    curve: Callable  # (I(T;X), cov...) -> I(T;Y) bits
    binary_critical_beta: Callable  # p -> beta_0
    binary_curve: Callable  # (I(T;X), p) -> I(T;Y) bits


INFORMATION_FORMS = InformationForms(*GAUSSIAN_IB, BINARY_IB.critical_beta, BINARY_IB.curve)


def _diagonal(points, j):
    """Covariances (cov_x, cov_xy, cov_y) of the j-th point: independent modes."""
    return tuple(np.diag(points[name][j]) for name in ("sigma_x2", "sigma_xy", "sigma_y2"))


@claim(
    "IB7",
    "information.symbolic_proofs",
    simulate=derivations.derive_information,
    source="Chechik, Globerson, Tishby & Weiss 2005, JMLR 6:165, eqs. 15-17; Tishby, Pereira & "
    "Bialek 1999, arXiv:physics/0004057; Witsenhausen & Wyner 1975 (Mrs Gerber's lemma)",
    statement="SymPy derives beta_c = 1/(1 - lambda) from the second variation of the Gaussian IB "
    "Lagrangian at the zero encoder, the optimal encoder's I(T;X), I(T;Y) and the curve's slope "
    "1/beta, and beta_0 = 1/(1 - 2p)^2 from the same expansion of the binary IB on the DSBS (the "
    "slope of Mrs Gerber's curve at the origin); the NumPy closed forms equal the proved "
    "expressions.",
    closed_form=INFORMATION_FORMS,
    measured="per identity: the NumPy closed form against the proved expression at seeded points; "
    "conditions: each identity derived",
    error_model="exact identities (residual 0 in SymPy); float64 round-off of the NumPy closed "
    "forms (tolerances per row)",
    defaults=dict(points=200, seed=0),
    quick=dict(points=50),
    thorough=dict(points=1000),
    perturbations={
        "beta_c - 1 -> 1/(beta_c - 1)": INFORMATION_FORMS._replace(critical_betas=_wrong_critical_betas),
        "information without the 1/2": INFORMATION_FORMS._replace(information=_ib_without_half),
        "curve with a wrong exponent": INFORMATION_FORMS._replace(curve=_curve_wrong_exponent),
        "beta_0 = 1/(1-2p)": INFORMATION_FORMS._replace(binary_critical_beta=_critical_beta_wrong_power),
        "binary curve without the convolution": INFORMATION_FORMS._replace(
            binary_curve=_curve_without_convolution
        ),
    },
)
def compare_symbolic_proofs(closed_form, run, **_) -> Outcome:
    at = run.points
    critical, optimum = at[derivations.GAUSSIAN_CRITICAL], at[derivations.GAUSSIAN_INFORMATION]
    curve, binary = at[derivations.GAUSSIAN_CURVE], at[derivations.BINARY_CURVE]
    return symbolic.outcome(
        run,
        {
            derivations.GAUSSIAN_CRITICAL: symbolic.Agreement(
                [
                    closed_form.critical_betas(*_diagonal(critical, j))
                    for j in range(len(critical["sigma_x2"]))
                ],
                2e-15,
                "generalised symmetric eigenvalues, a few ulp (measured 5.6e-16 at 1000 points)",
            ),
            derivations.GAUSSIAN_INFORMATION: symbolic.Agreement(
                [closed_form.information(b, *_diagonal(optimum, j)) for j, b in enumerate(optimum["beta"])],
                1e-14,
                "bits, values up to ~8: logs of the modes' ratios, a few ulp of 8 (measured 2.7e-15 "
                "at 1000 points); absolute: 0 below beta_c",
                "absolute",
            ),
            derivations.GAUSSIAN_CURVE: symbolic.Agreement(
                [
                    closed_form.curve(
                        closed_form.information(b, *_diagonal(curve, j))[0], *_diagonal(curve, j)
                    )
                    for j, b in enumerate(curve["beta"])
                ],
                1e-14,
                "bits: the NumPy curve at the NumPy I(T;X), slope 1/beta <= 1 (measured 1.3e-15 at "
                "1000 points)",
                "absolute",
            ),
            derivations.BINARY_CRITICAL: symbolic.Agreement(
                closed_form.binary_critical_beta(at[derivations.BINARY_CRITICAL]["p"]),
                2e-15,
                "two roundings and a square (measured 4.4e-16 at 1000 points)",
            ),
            derivations.BINARY_CURVE: symbolic.Agreement(
                [
                    closed_form.binary_curve(1 - theory.binary_entropy(q), p)
                    for q, p in zip(binary["q"], binary["p"], strict=True)
                ],
                4e-15,
                "bits: the NumPy curve at the NumPy I(T;X) = 1 - h(q), h^-1 by brentq to 1e-15 (measured "
                "6.7e-16 at 1000 points)",
                "absolute",
            ),
        },
    )
