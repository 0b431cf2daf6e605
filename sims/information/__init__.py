"""Information bottleneck: estimators (:mod:`.measures`), the simulations (:mod:`.models`;
the information plane of the 12-bit task in :mod:`.plane`), and the claims IB1-IB6
(:mod:`.claims`).

The public names are re-exported here (``from sims.information import bin_indices``,
``sim.simulate_information_plane``), and importing the package registers the claims.
"""

from sims.information import maps, symbolic_claims  # noqa: F401
from sims.information.claims import (
    BINARY_IB,
    ESTIMATORS,
    GAUSSIAN_IB,
    XU_RAGINSKY,
    BinaryIBForm,
    EstimatorForms,
    GaussianIBForm,
    XuRaginskyForms,
)
from sims.information.measures import (
    bin_indices,
    compression,
    empirical_joint,
    encoder_information,
    gaussian_mi_monte_carlo,
    input_hidden_covariance,
    input_label_covariance,
    kde_information_upper_bounds,
    mixture_entropy_monte_carlo,
    noisy_neuron_monte_carlo,
    plug_in_entropy,
    plug_in_mutual_information,
    teacher_student_covariance,
)
from sims.information.models import (
    BinaryIBRun,
    EstimatorRun,
    GaussianIBRun,
    MajorityVoteRun,
    TeacherStudentRun,
    brute_force_gaussian_ib,
    iterative_gaussian_ib,
    random_joint_covariance,
    simulate_binary_ib,
    simulate_estimators,
    simulate_gaussian_ib,
    simulate_linear_no_compression,
    simulate_majority_vote,
    simulate_teacher_student,
)
from sims.information.plane import (
    BINNINGS,
    ORIGINAL_SETUP,
    SCHEMES,
    WIDTH_SCHEME,
    WIDTHS,
    CompressionRun,
    binned_information,
    final_output_joint,
    initial_parameters,
    kde_information_plane,
    layer_activations,
    simulate_compression,
    simulate_information_plane,
)

__all__ = [
    "BINARY_IB", "BINNINGS", "ESTIMATORS", "GAUSSIAN_IB", "ORIGINAL_SETUP", "SCHEMES",
    "WIDTHS", "WIDTH_SCHEME", "XU_RAGINSKY", "BinaryIBForm", "BinaryIBRun", "CompressionRun",
    "EstimatorForms", "EstimatorRun", "GaussianIBForm", "GaussianIBRun", "MajorityVoteRun",
    "TeacherStudentRun", "XuRaginskyForms", "bin_indices", "binned_information",
    "brute_force_gaussian_ib", "compression", "empirical_joint", "encoder_information",
    "final_output_joint", "gaussian_mi_monte_carlo", "initial_parameters",
    "input_hidden_covariance", "input_label_covariance", "iterative_gaussian_ib",
    "kde_information_plane", "kde_information_upper_bounds", "layer_activations",
    "mixture_entropy_monte_carlo", "noisy_neuron_monte_carlo", "plug_in_entropy",
    "plug_in_mutual_information", "random_joint_covariance", "simulate_binary_ib",
    "simulate_compression", "simulate_estimators", "simulate_gaussian_ib",
    "simulate_information_plane", "simulate_linear_no_compression", "simulate_majority_vote",
    "simulate_teacher_student", "teacher_student_covariance",
]  # fmt: skip
