"""Rank collapse with depth: measurements (:mod:`.measures`), simulations (:mod:`.models`) and
the claims RC1-RC6 (:mod:`.claims`).

Pure self-attention collapses to rank 1 doubly exponentially (Dong et al. 2021); skip
connections with a 1/sqrt(L) branch scale stop it (Noci et al. 2022); products of random
matrices lose rank with depth unless orthogonal (Lyapunov spectrum, eigenvalue law, Saxe et al.
2014); the critical Jacobian spectrum widens linearly with depth (Pennington et al. 2017); the
ReLU correlation map (Cho & Saul 2009); and depth's low-rank bias in learning (Arora et al.
2018, 2019).

The public names are re-exported here (``from sims.rank_collapse import effective_rank``,
``sim.simulate_pure_attention``), and importing the package registers the claims.
"""

from sims.rank_collapse import maps, symbolic_claims  # noqa: F401
from sims.rank_collapse.claims import (
    FAMILY_ALPHA,
    ORIGIN_BIN_HALF_SIDE,
    end_to_end_flow,
    jacobian_width_bias,
    z_threshold,
)
from sims.rank_collapse.measures import (
    EPS,
    ROUNDING_FLOOR,
    attention_gamma,
    composite_norm,
    effective_rank,
    fit_slope,
    origin_bin_fraction,
    predicted_token_ratio,
    softmax,
)
from sims.rank_collapse.models import (
    WIDTH_EXPANSION,
    CompletionRun,
    EndToEndRun,
    FactorisedGDRun,
    JacobianRun,
    PureAttentionRun,
    RandomProductsRun,
    ReluCorrelationRun,
    SkipAttentionRun,
    jacobian_variance_width_bias,
    simulate_effective_rank,
    simulate_end_to_end_dynamics,
    simulate_factorised_gd,
    simulate_jacobian_spectrum,
    simulate_jacobian_variance,
    simulate_lyapunov,
    simulate_matrix_completion,
    simulate_product_eigenvalues,
    simulate_pure_attention,
    simulate_random_products,
    simulate_relu_correlation,
    simulate_skip_attention,
    simulate_skip_connections,
    single_blas_thread,
)

__all__ = [
    "EPS", "FAMILY_ALPHA", "ORIGIN_BIN_HALF_SIDE", "ROUNDING_FLOOR", "WIDTH_EXPANSION",
    "CompletionRun", "EndToEndRun", "FactorisedGDRun", "JacobianRun", "PureAttentionRun",
    "RandomProductsRun", "ReluCorrelationRun", "SkipAttentionRun", "attention_gamma",
    "composite_norm", "effective_rank", "end_to_end_flow", "fit_slope",
    "jacobian_variance_width_bias", "jacobian_width_bias", "origin_bin_fraction",
    "predicted_token_ratio", "simulate_effective_rank", "simulate_end_to_end_dynamics",
    "simulate_factorised_gd", "simulate_jacobian_spectrum", "simulate_jacobian_variance",
    "simulate_lyapunov", "simulate_matrix_completion", "simulate_product_eigenvalues",
    "simulate_pure_attention", "simulate_random_products", "simulate_relu_correlation",
    "simulate_skip_attention", "simulate_skip_connections", "single_blas_thread", "softmax",
    "z_threshold",
]  # fmt: skip
