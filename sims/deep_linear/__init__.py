"""Deep linear networks: measurements (:mod:`.measures`), the data, starts and simulations
(:mod:`.models`), and the claims DL1-DL7 (:mod:`.claims`).

The public names are re-exported here (``from sims.deep_linear import simulate_decoupled``,
``sim.mode_strengths``), and importing the package registers the claims.
"""

from sims.datasets import hierarchy_features
from sims.deep_linear import (
    claims,
    maps,  # noqa: F401
)
from sims.deep_linear.measures import (
    crossing_times,
    effective_initial_strengths,
    mode_strengths,
    steps_to_loss,
    svd,
    theory_steps_to_loss,
)
from sims.deep_linear.models import (
    MAX_WIDTH,
    DecoupledRun,
    HierarchyRun,
    LambdaBalancedRun,
    RandomInitRun,
    hierarchy_target,
    lambda_balanced_init,
    random_init,
    random_target,
    run_products,
    simulate_decoupled,
    simulate_deep_mode_trajectory,
    simulate_depth_sweep,
    simulate_lambda_balanced,
    simulate_lambda_balanced_dynamics,
    simulate_mode_trajectory,
    simulate_progressive_differentiation,
    simulate_random_init,
    target_with_modes,
    whitened_task,
)
from sims.engine import RatePair
from sims.linear_networks import balanced_init

__all__ = [
    "MAX_WIDTH", "DecoupledRun", "HierarchyRun", "LambdaBalancedRun", "RandomInitRun", "RatePair",
    "balanced_init", "claims", "crossing_times", "effective_initial_strengths",
    "hierarchy_features", "hierarchy_target", "lambda_balanced_init", "mode_strengths",
    "random_init", "random_target", "run_products", "simulate_decoupled",
    "simulate_deep_mode_trajectory", "simulate_depth_sweep", "simulate_lambda_balanced",
    "simulate_lambda_balanced_dynamics", "simulate_mode_trajectory",
    "simulate_progressive_differentiation", "simulate_random_init",
    "steps_to_loss", "svd", "target_with_modes", "theory_steps_to_loss",
    "whitened_task",
]  # fmt: skip
