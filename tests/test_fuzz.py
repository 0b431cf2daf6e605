"""Bad and extreme input, one argument at a time, for the public API of theory/ and sims/.

Every public function of ``theory/*.py`` (introspected: defined in its module, name without
a leading underscore) and the public helpers of the ``sims`` modules listed in
``SIMS_HELPERS`` start from one valid call (``VALID_CALLS``); hypothesis then replaces one
argument with a bad or extreme value (negative, zero, NaN, inf, 1e300, 1e-300, a bool, a
string, a wrong shape, an empty array, a huge int). The contract (DESIGN.md, "Public
functions validate their domain"):

- the call raises ValueError or TypeError, or returns;
- what it returns is finite (NaN/inf only where ``ALLOW_NON_FINITE`` says that the docstring
  documents it);
- it finishes within ``TIME_LIMIT`` seconds.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import signal
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

THEORY_MODULES = ("deep_linear", "rank_collapse", "critical_periods", "information", "neural_collapse")
SIMS_HELPERS = {
    "sims.engine": ("record_schedule", "ensemble"),
    "sims.linear_networks": ("product", "balanced_init", "completion_task"),
    "sims.datasets": ("hierarchy_features",),
    "sims.deep_linear": (
        "whitened_task",
        "target_with_modes",
        "random_init",
        "mode_strengths",
        "svd",
        "random_target",
        "crossing_times",
        "effective_initial_strengths",
        "steps_to_loss",
        "theory_steps_to_loss",
        "hierarchy_target",
        "lambda_balanced_init",
    ),
    "sims.rank_collapse": (
        "z_threshold",
        "composite_norm",
        "effective_rank",
        "attention_gamma",
        "fit_slope",
        "predicted_token_ratio",
        "jacobian_variance_width_bias",
    ),
    "sims.critical_periods": ("euler_pathways", "aligned_pathway"),
}
# Seconds a single call may take (valid calls take < 1 s; see test_valid_calls_are_quick).
TIME_LIMIT = 5.0

_EYE2 = [[1.0, 0.0], [0.0, 1.0]]
_COV_X = [[1.0, 0.3], [0.3, 1.0]]
_COV_XY = [[0.5], [0.2]]
_W1 = np.array([[0.3, 0.1, 0.0], [0.0, 0.2, 0.1]])  # (N2=2, N1=3)


def _balanced_w2(w1, lam=0.1):
    """W2 (3 x 2) with W2^T W2 - W1 W1^T = lam I (lambda-balanced with ``w1``)."""
    values, vectors = np.linalg.eigh(w1 @ w1.T + lam * np.eye(2))
    root = (vectors * np.sqrt(values)) @ vectors.T
    return np.vstack([root, np.zeros((1, 2))])


class Rng:
    """Marker: a fresh ``np.random.default_rng(0)`` in the call (generators are stateful)."""


# One valid call per function: "module:function" -> (positional args, keyword args).
VALID_CALLS = {
    "theory.deep_linear:mode_strength": ((1.0, 2.0, 1e-3), {"tau": 1.0}),
    "theory.deep_linear:learning_time": ((2.0, 1e-3, 1.0), {"tau": 1.0}),
    "theory.deep_linear:deep_learning_time": ((2.0, 0.1, 1.0, 4), {"tau": 1.0}),
    "theory.deep_linear:deep_mode_strength": ((1.0, 2.0, 0.1, 4), {"tau": 1.0}),
    "theory.deep_linear:stable_learning_rate": ((2.0, 3), {}),
    "theory.deep_linear:hierarchy_singular_values": ((3,), {}),
    "theory.deep_linear:lambda_balanced_product": (
        ([0.0, 1.0], _W1, _balanced_w2(_W1), np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.2]])),
        {"tau": 1.0, "atol": 1e-8},
    ),
    "theory.deep_linear:symbolic_mode_strength": ((1.0, 2.0, 0.5, 1.0), {}),
    "theory.deep_linear:symbolic_linear_strength": ((1.0, 2.0, 0.5, 1.0), {}),
    "theory.deep_linear:symbolic_learning_time": ((2.0, 0.5, 1.0, 1.0), {}),
    "theory.rank_collapse:attention_residual_bound": ((0.1,), {"gamma": 0.5, "beta": 2.0, "d_qk": 4.0}),
    "theory.rank_collapse:skip_attention_mean_growth": ((1.0, 3), {}),
    "theory.rank_collapse:gaussian_product_lyapunov": ((4,), {"variance": 0.25}),
    "theory.rank_collapse:product_eigenvalue_fraction": ((0.05, 100), {}),
    "theory.rank_collapse:product_eigenvalue_square_fraction": ((0.05, 100), {}),
    "theory.rank_collapse:relu_correlation_map": ((0.3,), {}),
    "theory.rank_collapse:relu_correlation": ((0.0, [1, 2, 3]), {}),
    "theory.rank_collapse:relu_decorrelation_asymptote": ((10.0,), {}),
    "theory.rank_collapse:jacobian_spectrum_variance": (
        (10,),
        {"weights": "gaussian", "nonlinearity": "relu"},
    ),
    "theory.rank_collapse:end_to_end_update": ((_EYE2, [[1.0, 1.0], [1.0, 1.0]]), {"depth": 3}),
    "theory.critical_periods:pathway_strengths": (([0.0, 4.0], 2.0, 2, 1e-3, 0.0, 3.0), {}),
    "theory.critical_periods:final_share": ((1.0, 3, 0.01, 1.0, 2.0), {}),
    "theory.critical_periods:depth2_final_share": ((2.0, 0.5, 1.0), {}),
    "theory.critical_periods:closing_time": ((1.0, 2, 0.01, 1.0), {"level": 0.5}),
    "theory.critical_periods:log_ratio_rate": ((0.5, 0.1, 1.0, 4), {}),
    "theory.critical_periods:depth1_completion_error": (([[1.0, 2.0]], [[0.0, 0.0]], [[True, False]]), {}),
    "theory.information:entropy": (([0.5, 0.25, 0.25],), {"base": 2}),
    "theory.information:mutual_information": (([[0.4, 0.1], [0.1, 0.4]],), {"base": 2}),
    "theory.information:gaussian_mutual_information": (([[1.0, 0.6], [0.6, 1.0]], 1), {"base": 2}),
    "theory.information:gaussian_ib_critical_betas": ((_COV_X, _COV_XY, [[1.0]]), {}),
    "theory.information:gaussian_ib": ((10.0, _COV_X, _COV_XY, [[1.0]]), {"base": 2}),
    "theory.information:gaussian_ib_curve": ((0.5, _COV_X, _COV_XY, [[1.0]]), {"base": 2}),
    "theory.information:information_bottleneck": (
        ([[0.4, 0.1], [0.1, 0.4]], 5.0),
        {"n_clusters": 2, "restarts": 1, "seed": 0, "base": 2, "tol": 1e-10, "max_iter": 1000},
    ),
    "theory.information:binary_entropy": ((0.1,), {"base": 2}),
    "theory.information:doubly_symmetric_binary_source": ((0.1,), {}),
    "theory.information:binary_ib_critical_beta": ((0.1,), {}),
    "theory.information:binary_ib_curve": ((0.5, 0.1), {"base": 2}),
    "theory.information:binary_ib_point": ((5.0, 0.1), {"base": 2}),
    "theory.information:pairwise_entropy_bounds": (
        ([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], 0.5),
        {"weights": [0.2, 0.3, 0.5], "base": 2},
    ),
    "theory.information:pairwise_entropy_upper_bounds": (
        ([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], [0.5, 0.1]),
        {"weights": [0.2, 0.3, 0.5], "base": 2},
    ),
    "theory.information:gaussian_mixture_entropy_1d": (
        ([-1.0, 0.0, 2.0], 0.5),
        {"weights": [0.2, 0.3, 0.5], "base": 2},
    ),
    "theory.information:binned_entropy_single_unit": (
        (2.0,),
        {"activation": "tanh", "n_bins": 30, "low": -1.0, "high": 1.0, "bin_width": None, "base": 2},
    ),
    "theory.information:noisy_neuron_information": ((2.0, [-1.0, 0.0, 1.0], 0.1), {"bias": 0.0, "base": 2}),
    "theory.information:xu_raginsky_bound": ((1.0, 10, 0.5), {"base": 2}),
    "theory.information:majority_vote_generalisation": ((5, 0.3, 0.1), {"base": 2}),
    "theory.information:majority_vote_joint": ((5, 0.3, 0.1), {}),
    "theory.neural_collapse:simplex_etf": ((3, 2), {}),
    "theory.neural_collapse:nc1_isotropic_noise": ((0.5, 1.0, 4), {}),
    "theory.neural_collapse:ce_unconstrained_features_norms": ((4, 5, 5e-3, 5e-3), {}),
    "theory.neural_collapse:mse_unconstrained_features_norms": ((4, 5, 1e-2, 1e-2), {"bias": True}),
    "theory.neural_collapse:minority_collapse_threshold": ((100, 1, 1e-3, 1e-3), {}),
    "theory.neural_collapse:imbalanced_deep_linear_minimizer": (([10, 1], 1, 1e-1, 1e-1), {}),
    "theory.neural_collapse:imbalanced_ce_minority_cosine": (
        (20, 2, 1, 2, 5e-3, 5e-3),
        {"restarts": 1, "seed": 0},
    ),
    "theory.neural_collapse:mse_central_path_decomposition": (
        (
            np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 1.1]]),
            np.array([0, 0, 1, 1]),
            np.array([[1.0, -0.5], [-0.5, 1.0]]),
            np.array([0.1, 0.0]),
        ),
        {"weight_decay": 0.01},
    ),
    "theory.neural_collapse:one_hot": ((np.array([0, 1, 1]), 2), {}),
    "theory.neural_collapse:layer_peeled_minority_cosine": ((2, 1, 2, 1.0, 5.0), {"seed": 0}),
    "theory.neural_collapse:layer_peeled_collapse_threshold": ((1, 2, 1.0, 5.0), {"xtol": 0.1, "seed": 0}),
    "sims.engine:record_schedule": ((100,), {"every": 10, "log_points": None}),
    "sims.engine:ensemble": (([0, 1],), {"learning_rate": [1e-2, 5e-3]}),
    "sims.linear_networks:product": (((np.eye(2), 2.0 * np.eye(2)),), {}),
    "sims.linear_networks:balanced_init": (
        ([0.1, 0.2], (3, 4, 2)),
        {"rng": Rng, "u": np.eye(2), "v": np.eye(3)[:, :2]},
    ),
    "sims.linear_networks:completion_task": (
        (),
        {"n": 4, "rank": 1, "observed": 8, "deficit_observed": 4, "seed": 0},
    ),
    "sims.datasets:hierarchy_features": ((2,), {}),
    "sims.deep_linear:whitened_task": (([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]],), {"seed": 0}),
    "sims.deep_linear:target_with_modes": (([2.0, 1.0], 3, 2), {"seed": 0}),
    "sims.deep_linear:random_init": (((3, 4, 2), "gaussian", 0.1), {"seed": 0}),
    "sims.deep_linear:mode_strengths": ((np.ones((5, 2, 3)), np.eye(2), np.eye(3)[:, :2]), {}),
    "sims.deep_linear:svd": (([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]],), {}),
    "sims.deep_linear:random_target": (([2.0, 1.0], 3, 2), {"seed": 0}),
    "sims.deep_linear:crossing_times": (
        (
            np.linspace(0.0, 1.0, 5),
            np.array([[0.0, 0.0], [0.2, 0.1], [0.5, 0.2], [0.8, 0.3], [1.0, 0.4]]),
            np.array([0.5, 0.25]),
        ),
        {},
    ),
    "sims.deep_linear:effective_initial_strengths": (
        (np.full((4, 3), 0.01), np.full((2, 4), 0.02), np.eye(2), np.eye(3)[:, :2]),
        {"project": True},
    ),
    "sims.deep_linear:steps_to_loss": (
        (np.array([[1.0, 0.5, 0.1], [1.0, 0.8, 0.6]]), np.array([0, 10, 20]), 0.2),
        {},
    ),
    "sims.deep_linear:theory_steps_to_loss": ((np.array([2.0, 1.0]), 0.1, 3, 0.01, 0.05), {}),
    "sims.deep_linear:hierarchy_target": ((2,), {}),
    "sims.deep_linear:lambda_balanced_init": ((3, 2, 3, 0.5, 0.1), {"seed": 0}),
    "sims.rank_collapse:z_threshold": ((10,), {}),
    "sims.rank_collapse:composite_norm": (([[1.0, -2.0], [0.5, 0.0]],), {}),
    "sims.rank_collapse:effective_rank": (([3.0, 2.0, 1.0],), {}),
    "sims.rank_collapse:attention_gamma": (
        (np.array([[1.0, 0.1], [1.1, 0.0], [0.9, -0.1]]), np.array([[0.5, 0.1], [0.0, 0.3]])),
        {},
    ),
    "sims.rank_collapse:fit_slope": (([0.0, 1.0, 2.0, 3.0], [0.1, 2.0, 4.1, 5.9]), {}),
    "sims.rank_collapse:predicted_token_ratio": ((2.0, 1.0, 0.5, 8), {}),
    "sims.rank_collapse:jacobian_variance_width_bias": ((4, 512, "gaussian"), {}),
    "sims.critical_periods:euler_pathways": (
        (np.array([2.0, 1.0]), 2, 1e-3, 0.0, 1.0),
        {"learning_rate": 0.05, "steps": 40},
    ),
    "sims.critical_periods:aligned_pathway": ((np.eye(2), np.eye(3)[:, :2], 0.1, 2, 4, Rng), {}),
}
# Functions whose docstring documents a non-finite result for some valid input.
ALLOW_NON_FINITE = {
    "sims.deep_linear:crossing_times": "NaN where",
    "sims.deep_linear:steps_to_loss": "inf if never",
    "theory.information:gaussian_ib_critical_betas": "their beta_i^c is inf",
    "theory.neural_collapse:imbalanced_ce_minority_cosine": "returns ``nan``",
}

BAD_SCALARS = (
    -1,
    0,
    -1.0,
    -1e-300,
    1e-300,
    1e300,
    -1e300,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    "3",
    "",
    None,
    10**30,
    2**64,
    1.5,
    3j,
)


def bad_values():
    """Bad or extreme replacement values for one argument."""
    arrays = st.sampled_from(
        [
            np.empty(0),
            np.empty((0, 2)),
            np.ones((2, 3, 4)),
            np.ones(1),
            np.array([1.0, np.nan]),
            np.array([np.inf]),
            np.array([True]),
            np.array(["a"]),
            [[1.0], [1.0, 2.0]],
            [],
            [[]],
        ]
    )
    return st.one_of(
        st.sampled_from(BAD_SCALARS),
        arrays,
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**70), max_value=2**70),
    )


def _theory_functions():
    names = []
    for module_name in THEORY_MODULES:
        module = importlib.import_module(f"theory.{module_name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module.__name__:
                names.append(f"theory.{module_name}:{name}")
    return names


def _resolve(key):
    module_name, name = key.split(":")
    return getattr(importlib.import_module(module_name), name)


def _fresh(value):
    return np.random.default_rng(0) if value is Rng else value


def _finite(value) -> bool:
    """Whether every float in ``value`` (nested containers, dataclasses, SymPy) is finite."""
    if value is None or isinstance(value, (str, bool, np.random.Generator)):
        return True
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return all(_finite(v) for v in value)
    if dataclasses.is_dataclass(value):
        return all(_finite(getattr(value, f.name)) for f in dataclasses.fields(value))
    if hasattr(value, "free_symbols"):  # a SymPy expression
        import sympy

        return not any(value.has(bad) for bad in (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo))
    if hasattr(value, "select_dtypes"):  # a DataFrame
        value = value.select_dtypes("number").to_numpy()
    array = np.asarray(value)
    return array.dtype.kind not in "fc" or bool(np.all(np.isfinite(array)))


class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout


def call_with_one_bad_argument(key, slot, bad):
    """Call ``key``'s valid example with argument ``slot`` replaced by ``bad``; assert the
    contract; returns what happened (for the report of a failure)."""
    function = _resolve(key)
    args, kwargs = VALID_CALLS[key]
    args, kwargs = [_fresh(a) for a in args], {k: _fresh(v) for k, v in kwargs.items()}
    if isinstance(slot, int):
        args[slot] = bad
    else:
        kwargs[slot] = bad
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    start = time.perf_counter()
    try:
        result = function(*args, **kwargs)
    except (ValueError, TypeError):
        return "refused"
    except _Timeout:
        pytest.fail(f"{key} with {slot}={bad!r} ran past {TIME_LIMIT} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - start < TIME_LIMIT
    if key not in ALLOW_NON_FINITE:
        assert _finite(result), f"{key} with {slot}={bad!r} returned non-finite {result!r}"
    return "returned"


def _slots(key):
    args, kwargs = VALID_CALLS[key]
    return list(range(len(args))) + list(kwargs)


ALL_KEYS = sorted(VALID_CALLS)


def test_table_covers_the_public_api():
    """Every public theory function and listed sims helper has one valid example call."""
    sims_keys = [f"{module}:{name}" for module, names in SIMS_HELPERS.items() for name in names]
    assert sorted(_theory_functions() + sims_keys) == ALL_KEYS
    for key in sims_keys:
        assert callable(_resolve(key))


def test_documented_non_finite_results_are_documented():
    for key, phrase in ALLOW_NON_FINITE.items():
        assert phrase in inspect.getdoc(_resolve(key)), key


@pytest.mark.parametrize("key", ALL_KEYS)
def test_valid_calls_are_quick_and_finite(key):
    """The starting points are valid: they return finite values, each well within the limit."""
    args, kwargs = VALID_CALLS[key]
    start = time.perf_counter()
    result = _resolve(key)(*[_fresh(a) for a in args], **{k: _fresh(v) for k, v in kwargs.items()})
    assert time.perf_counter() - start < TIME_LIMIT / 2
    assert _finite(result) or key in ALLOW_NON_FINITE


@pytest.mark.parametrize("key", ALL_KEYS)
def test_bad_scalar_per_argument(key):
    """Fast tier: per function, a few fixed bad values in each argument slot."""
    for slot in _slots(key):
        for bad in (math.nan, -1, True, "3", np.ones((2, 3, 4))):
            call_with_one_bad_argument(key, slot, bad)


@st.composite
def bad_calls(draw):
    key = draw(st.sampled_from(ALL_KEYS))
    return key, draw(st.sampled_from(_slots(key))), draw(bad_values())


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(bad_calls())
def test_one_bad_argument_sample(call):
    """Fast tier: a few hypothesis draws of (function, argument, bad value)."""
    call_with_one_bad_argument(*call)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(bad_calls())
def test_one_bad_argument_anywhere(call):
    """Slow tier: hypothesis over (function, argument, bad value)."""
    call_with_one_bad_argument(*call)


@pytest.mark.slow
@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_bad_scalar_in_every_slot(key):
    """Slow tier: the whole fixed list of bad scalars in every argument of every function."""
    for slot in _slots(key):
        for bad in BAD_SCALARS:
            call_with_one_bad_argument(key, slot, bad)
