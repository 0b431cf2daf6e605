"""Neural collapse: NC metrics (:mod:`.measures`), the unconstrained-features and layer-peeled
simulations (:mod:`.models`), the digits MLP (:mod:`.mlp`), and the claims NC1-NC8
(:mod:`.claims`, their wrong closed forms in :mod:`.perturbations`).

The public names are re-exported here (``from sims.neural_collapse import nc_metrics``,
``sim.simulate_ufm``), and importing the package registers the claims.
"""

from sims.datasets import digits
from sims.neural_collapse import maps, symbolic_claims  # noqa: F401
from sims.neural_collapse.claims import LAYER_PEELED, LayerPeeledForm
from sims.neural_collapse.measures import (
    class_geometry,
    cosines,
    frame_deviation,
    isotropic_etf_features,
    minority_cosines,
    nc_metrics,
    seed_records,
    terminal_phase,
)
from sims.neural_collapse.mlp import DigitsRun, mlp_features, simulate_digits_mlp
from sims.neural_collapse.models import (
    BestOfStarts,
    CentralPathCase,
    LayerPeeledRun,
    MetricSamples,
    MSERuns,
    UFMBatch,
    UFMRun,
    simulate_ce_unconstrained_features,
    simulate_central_path,
    simulate_imbalanced_deep_linear,
    simulate_imbalanced_depth,
    simulate_layer_peeled,
    simulate_metric_properties,
    simulate_minority_collapse,
    simulate_mse_unconstrained_features,
    simulate_ufm,
    ufm_epochs,
)
from sims.neural_collapse.perturbations import cross_polytope, orthogonal_frame

__all__ = [
    "LAYER_PEELED", "BestOfStarts", "CentralPathCase", "DigitsRun", "LayerPeeledForm",
    "LayerPeeledRun", "MSERuns", "MetricSamples", "UFMBatch", "UFMRun", "class_geometry",
    "cosines", "cross_polytope", "digits", "frame_deviation", "isotropic_etf_features",
    "minority_cosines", "mlp_features", "nc_metrics", "orthogonal_frame", "seed_records",
    "simulate_central_path", "simulate_ce_unconstrained_features", "simulate_digits_mlp",
    "simulate_imbalanced_deep_linear", "simulate_imbalanced_depth", "simulate_layer_peeled",
    "simulate_metric_properties", "simulate_minority_collapse",
    "simulate_mse_unconstrained_features", "simulate_ufm", "terminal_phase", "ufm_epochs",
]  # fmt: skip
