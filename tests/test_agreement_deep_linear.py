"""Simulation vs theory for deep linear networks (claims DL1-DL7) across their domains.

Each test draws parameters inside the claim's domain, runs the claim (its simulate, then its
compare: the same code as the agreement report) and asserts it passes; the measured numbers
are printed either way. That the true form passes and every perturbation fails at the quick
parameters is tests/test_claims.py's job; the unit tests below guard the simulation helpers.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import theory.deep_linear as dl
from sims import deep_linear as sim
from sims import engine, registry

spectra = st.sampled_from([[3.0, 2.0, 1.0, 0.5], [2.5, 1.5], [1.0, 0.8, 0.6], [4.0, 1.0]])
shapes = st.sampled_from([(6, 5, 4), (4, 4, 4), (5, 3, 6)])  # n_in, n_out, hidden


def assert_passes(label, **params):
    outcome = registry.get(label).run(**params)
    print(label, params, outcome.summary(), dict(outcome.details))
    assert outcome.passed, outcome.summary()


@given(singular_values=spectra, u0=st.floats(1e-4, 0.3), shape=shapes)
def test_DL1_mode_trajectories_follow_eq_12(singular_values, u0, shape):
    n_in, n_out, hidden = shape
    k = min(len(singular_values), n_in, n_out, hidden)
    assert_passes("DL1", singular_values=singular_values[:k], u0=u0, n_in=n_in, n_out=n_out, hidden=hidden)


@given(init_std=st.sampled_from([1e-3, 3e-4]), hidden=st.sampled_from([16, 24]))
def test_DL2_random_init_learning_times(init_std, hidden):
    assert_passes("DL2", init_std=init_std, hidden=hidden, seeds=4)


@given(u0=st.floats(0.02, 0.3), depth=st.sampled_from([1, 3, 5, 8]))
def test_DL3_deep_mode_trajectories(u0, depth):
    assert_passes("DL3", u0=u0, depths=[depth])


@pytest.mark.slow
def test_DL4_depth_independent_learning_all_depths():
    assert_passes("DL4")


@given(levels=st.sampled_from([2, 3, 4]), u0=st.floats(1e-4, 1e-2))
def test_DL5_progressive_differentiation(levels, u0):
    assert_passes("DL5", levels=levels, u0=u0)


@given(lambdas=st.sampled_from([[-1.0], [0.0], [0.5], [2.0], [-0.5, 1.0]]), scale=st.floats(0.1, 1.0))
def test_DL6_lambda_balanced_dynamics(lambdas, scale):
    assert_passes("DL6", lambdas=lambdas, scale=scale)


@given(seed=st.integers(0, 2**31 - 1))
def test_DL7_symbolic_proofs_at_random_points(seed):
    assert_passes("DL7", seed=seed, points=50)


@pytest.mark.parametrize("factor", [1.05, 1.5, 3.0])
def test_learning_rate_above_stability_bound_reports_divergence(factor):
    target = sim.random_target([3.0, 2.0, 1.0], 5, 5)
    u, s, v = sim.svd(target)
    init = engine.stack_members(
        [sim.balanced_init(np.full(3, 0.5), (5, 5, 5), u=u, v=v, rng=np.random.default_rng(0))]
    )
    lr = factor * float(dl.stable_learning_rate(3.0, 2))
    with pytest.raises(engine.DivergenceError, match="stability bound"):
        sim.run_products(init, target, learning_rate=lr, t_max=500 * lr)


def test_same_seed_same_bytes():
    runs = [
        sim.simulate_decoupled.uncached(
            target=sim.random_target([2.0, 1.0], 4, 4),
            u0=0.01,
            depth=3,
            learning_rate=1e-2,
            t_max=3.0,
            hidden=4,
        )
        for _ in range(2)
    ]
    assert runs[0].u.tobytes() == runs[1].u.tobytes()


def test_divergence_above_the_bound_names_only_the_members_that_diverged():
    """Above the bound, a start of 0.5 oscillates (finite loss) while a start of 20 blows up:
    the error lists member 1 only (it listed every member)."""
    target = sim.random_target([3.0, 2.0, 1.0], 5, 5)
    u, s, v = sim.svd(target)
    inits = [
        sim.balanced_init(np.full(3, a), (5, 5, 5), u=u, v=v, rng=np.random.default_rng(0))
        for a in (0.5, 20.0)
    ]
    lr = 1.05 * float(dl.stable_learning_rate(3.0, 2))
    with pytest.raises(engine.DivergenceError, match="1 of 2 members failed") as info:
        sim.run_products(engine.stack_members(inits), target, learning_rate=lr, t_max=500 * lr)
    assert info.value.members["seed"].tolist() == [1]
