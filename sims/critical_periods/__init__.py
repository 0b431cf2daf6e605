"""Critical learning periods: measurements (:mod:`.measures`), the tasks and simulations
(:mod:`.models`), and the claims CP1-CP6 (:mod:`.claims`).

The public names are re-exported here (``from sims.critical_periods import scalar_feature``,
``sim.euler_pathways``), and importing the package registers the claims.
"""

from sims.critical_periods import (
    claims,
    maps,  # noqa: F401
    symbolic_claims,  # noqa: F401
)
from sims.critical_periods.claims import simulated_closing_times
from sims.critical_periods.measures import (
    LogRatioRate,
    closing_times,
    euler_pathways,
    final_shares,
    log_ratio_rate,
    mean_and_standard_error,
)
from sims.critical_periods.models import (
    CP3_WINDOWS,
    CompletionRun,
    PathwayRun,
    aligned_pathway,
    hierarchy_task,
    learning_gate,
    scalar_feature,
    simulate_closing_time,
    simulate_completion,
    simulate_deficit_windows,
    simulate_depth2_final_share,
    simulate_matrix_completion,
    simulate_pathway_dynamics,
    simulate_pathways,
    two_pathway_loss,
)
from sims.engine import RatePair
from sims.linear_networks import completion_task

__all__ = [
    "CP3_WINDOWS", "CompletionRun", "LogRatioRate", "PathwayRun", "RatePair", "aligned_pathway",
    "claims", "closing_times", "completion_task", "euler_pathways", "final_shares",
    "hierarchy_task", "learning_gate", "log_ratio_rate", "mean_and_standard_error",
    "scalar_feature", "simulate_closing_time", "simulate_completion",
    "simulate_deficit_windows", "simulate_depth2_final_share", "simulate_matrix_completion",
    "simulate_pathway_dynamics", "simulate_pathways", "simulated_closing_times",
    "two_pathway_loss",
]  # fmt: skip
