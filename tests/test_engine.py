"""The shared training engine: optimisers, batching, recording, divergence, determinism."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from sims import engine


def linear_loss(params, batch, hyper):
    x, y = batch
    return 0.5 * jnp.mean((x @ params["w"] - y) ** 2)


def observe_weights(params, data, hyper):
    return {"w": params["w"]}


def problem(n=64, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    return x, x @ np.arange(1.0, d + 1)


def test_full_batch_gd_matches_numpy_loop():
    x, y = problem()
    members = engine.ensemble([0], learning_rate=[0.05, 0.1])
    result = engine.train(
        linear_loss,
        {"w": np.zeros((2, 3))},
        (x, y),
        members=members,
        epochs=25,
        record_every=5,
        observe=observe_weights,
    )
    for k, lr in enumerate([0.05, 0.1]):
        w = np.zeros(3)
        for _ in range(25):
            w = w - lr * x.T @ (x @ w - y) / len(y)
        np.testing.assert_allclose(result.records["w"][k, -1], w, rtol=1e-12)
    assert result.epochs.tolist() == [0, 5, 10, 15, 20, 25]
    assert result.records["loss"].shape == (2, 6)


def test_adam_matches_reference_update():
    x, y = problem()
    members = engine.ensemble([0], learning_rate=1e-2)
    result = engine.train(
        linear_loss,
        {"w": np.zeros((1, 3))},
        (x, y),
        members=members,
        epochs=3,
        record_every=1,
        observe=observe_weights,
        optimizer="adam",
    )
    w, m, v = np.zeros(3), np.zeros(3), np.zeros(3)
    for step in range(1, 4):
        g = x.T @ (x @ w - y) / len(y)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g**2
        w = w - 1e-2 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    np.testing.assert_allclose(result.records["w"][0, -1], w, rtol=1e-12)


def count_visits(params, batch, hyper):
    # gradient w.r.t. "c" is the number of times each sample index is in the batch
    index, _ = batch
    return -jnp.sum(params["c"][index.astype(jnp.int32)])


def test_minibatch_epoch_visits_every_sample_once():
    n = 32
    data = (np.arange(n, dtype=np.float64), np.zeros(n))
    members = engine.ensemble([3, 4], learning_rate=1.0)
    result = engine.train(
        count_visits,
        {"c": np.zeros((2, n))},
        data,
        members=members,
        epochs=2,
        batch_size=8,
        record_every=1,
        observe=lambda p, d, h: {"c": p["c"]},
    )
    np.testing.assert_array_equal(result.records["c"][:, -1], np.full((2, n), 2.0))
    assert result.steps.tolist() == [0, 4, 8]


def visit_step(params, batch, hyper):
    # GD at lr 1: k counts the steps, and each sample's c gains 1 + (the step that visits it)
    index, _ = batch
    k = params["k"]
    return -(1 + jax.lax.stop_gradient(k)) * jnp.sum(params["c"][index.astype(jnp.int32)]) - k


@pytest.mark.parametrize("n", [1, 2, 7, 256, 4095, 4096, 4097])
def test_permutation_is_the_stable_argsort_of_uniforms(n):
    # The packed uint64 sort (n <= 2^12) gives bitwise the permutation of the original
    # definition, argsort of jax.random.uniform, for any key.
    for seed in range(3):
        for epoch in (0, 1, 7999):
            key = jax.random.fold_in(jax.random.key(seed), epoch)
            expected = np.asarray(jnp.argsort(jax.random.uniform(key, (n,))))
            np.testing.assert_array_equal(np.asarray(engine._permutation(key, n)), expected)


def test_packed_argsort_breaks_ties_by_index():
    # Uniforms equal in their top 52 bits (a tie of the float64s) keep their index order.
    rng = np.random.default_rng(0)
    high = rng.integers(0, 4, size=4096).astype(np.uint64) << np.uint64(40)
    bits = high | rng.integers(0, 2**12, size=4096).astype(np.uint64)
    expected = np.argsort(bits >> np.uint64(12), kind="stable")
    np.testing.assert_array_equal(np.asarray(engine._packed_argsort(jnp.asarray(bits))), expected)


def test_minibatches_follow_the_permutation_of_each_epoch():
    n, batch_size = 48, 16
    data = (np.arange(n, dtype=np.float64), np.zeros(n))
    members = engine.ensemble([5, 6], learning_rate=1.0)
    result = engine.train(
        visit_step,
        {"c": np.zeros((2, n)), "k": np.zeros(2)},
        data,
        members=members,
        epochs=1,
        batch_size=batch_size,
        observe=lambda p, d, h: {"c": p["c"]},
    )
    for member, seed in enumerate((5, 6)):
        key = jax.random.fold_in(jax.random.key(seed), 0)
        order = np.asarray(jnp.argsort(jax.random.uniform(key, (n,))))
        step = np.empty(n)
        step[order] = np.repeat(np.arange(n // batch_size), batch_size)
        np.testing.assert_array_equal(result.records["c"][member, -1], 1 + step)


def test_same_seed_same_bytes_and_seeds_differ():
    x, y = problem()
    members = engine.ensemble([0, 1], learning_rate=0.05)

    def run():
        return engine.train(
            linear_loss,
            {"w": np.zeros((2, 3))},
            (x, y),
            members=members,
            epochs=10,
            batch_size=16,
            record_every=10,
            observe=observe_weights,
        ).records["w"]

    first, second = run(), run()
    assert first.tobytes() == second.tobytes()
    assert not np.array_equal(first[0], first[1])


def test_divergence_is_reported_with_its_hyper_parameters():
    x, y = problem()
    members = engine.ensemble([0], learning_rate=[0.05, 50.0])
    with pytest.raises(engine.DivergenceError, match="learning_rate") as info:
        engine.train(
            linear_loss, {"w": np.zeros((2, 3))}, (x, y), members=members, epochs=200, record_every=10
        )
    assert info.value.members["learning_rate"].tolist() == [50.0]
    flagged = engine.train(
        linear_loss,
        {"w": np.zeros((2, 3))},
        (x, y),
        members=members,
        epochs=200,
        record_every=10,
        on_divergence="flag",
    )
    assert flagged.diverged.tolist() == [False, True]
    assert np.isnan(flagged.records["loss"][1, -1]) and np.isfinite(flagged.records["loss"][0]).all()


def test_log_spaced_schedule_and_tidy_frame():
    schedule = engine.record_schedule(1000, log_points=10)
    assert schedule[0] == 0 and schedule[-1] == 1000 and np.all(np.diff(schedule) > 0)
    x, y = problem()
    result = engine.train(
        linear_loss,
        {"w": np.zeros((2, 3))},
        (x, y),
        members=engine.ensemble([0, 1], learning_rate=0.01),
        epochs=1000,
        record_epochs=schedule,
        observe=observe_weights,
    )
    frame = result.frame("w")
    assert len(frame) == 2 * len(schedule) * 3
    assert {"member", "seed", "learning_rate", "epoch", "step", "index_0", "value"} <= set(frame)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(batch_size=0), "batch_size"),
        (dict(record_epochs=[1, 2]), "record_epochs"),
        (dict(on_divergence="ignore"), "on_divergence"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    x, y = problem()
    with pytest.raises(ValueError, match=message):
        engine.train(
            linear_loss,
            {"w": np.zeros((1, 3))},
            (x, y),
            members=engine.ensemble([0], learning_rate=0.1),
            epochs=5,
            **kwargs,
        )


def test_members_and_params_must_agree():
    x, y = problem()
    with pytest.raises(ValueError, match="member axis"):
        engine.train(
            linear_loss,
            {"w": np.zeros((3, 3))},
            (x, y),
            members=engine.ensemble([0], learning_rate=0.1),
            epochs=5,
        )
    with pytest.raises(ValueError, match="learning_rate"):
        engine.train(
            linear_loss,
            {"w": np.zeros((1, 3))},
            (x, y),
            members=engine.ensemble([0], learning_rate=-0.1),
            epochs=5,
        )


def test_float32_parameters_train_in_float64():
    def loss(w, batch, hyper):
        x, y = batch
        return 0.5 * jnp.mean((x @ w - y) ** 2)

    x = np.random.default_rng(0).standard_normal((8, 3))
    run = engine.train(
        loss,
        np.zeros((2, 3), np.float32),
        (x, x @ np.ones(3)),
        members=engine.ensemble([0, 1], learning_rate=0.1),
        epochs=5,
        record_every=5,
    )
    assert run.params.dtype == np.float64


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seeds_outside_uint32_are_refused(seed):
    with pytest.raises(ValueError, match=r"seeds must be an integer in \[0, 4294967295\]"):
        engine.ensemble([seed], learning_rate=0.1)
    members = pd.DataFrame({"seed": [seed], "learning_rate": [0.1]})
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
        engine.train(
            lambda w, batch, hyper: (w**2).sum(),
            np.zeros((1, 2)),
            (np.zeros((4, 1)),),
            members=members,
            epochs=1,
        )


@pytest.mark.parametrize(
    "bad",
    [
        dict(epochs=0),
        dict(epochs=True),
        dict(epochs="3"),
        dict(epochs=2.5),
        dict(optimizer=["gd"]),
        dict(max_loss=float("nan")),
        dict(batch_size=0),
        dict(members=pd.DataFrame({"seed": [0], "learning_rate": [float("inf")]})),
    ],
)
def test_train_refuses_bad_arguments(bad):
    arguments = dict(members=engine.ensemble([0], learning_rate=0.1), epochs=1)
    with pytest.raises(ValueError, match=next(iter(bad)).replace("members", "learning_rate")):
        engine.train(
            lambda w, batch, hyper: (w**2).sum(),
            np.zeros((1, 2)),
            (np.zeros((4, 1)),),
            **{**arguments, **bad},
        )


def test_an_odd_ensemble_is_padded_across_devices_and_counts_its_steps():
    """Three members on two devices run as four (a copy of the last is dropped): each member's
    records match the member trained alone, and the counter adds members x steps."""
    x, y = problem()

    def run(learning_rates):
        return engine.train(
            linear_loss,
            {"w": np.zeros((len(learning_rates), 3))},
            (x, y),
            members=engine.ensemble([0], learning_rate=learning_rates),
            epochs=12,
            batch_size=16,
            record_every=4,
            observe=observe_weights,
        )

    before = engine.member_steps()
    together = run([0.01, 0.02, 0.05])
    assert engine.member_steps() - before == 3 * 12 * (64 // 16)
    assert together.records["w"].shape == (3, 4, 3)
    assert together.params["w"].shape == (3, 3)
    for k, lr in enumerate([0.01, 0.02, 0.05]):
        alone = run([lr])
        np.testing.assert_allclose(together.records["w"][k], alone.records["w"][0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shapes", [((64, 16), (16, 8)), ((5, 1), (1, 3)), ((3, 64, 16), (3, 16, 8))])
def test_matmul_has_the_value_and_derivative_of_at(shapes):
    """engine.matmul's backward (the samples-axis product on a transposed copy) against JAX's
    own derivative of ``@``, plain, batched, and vmapped over members as the engine runs it."""
    rng = np.random.default_rng(3)
    a, b = (jnp.asarray(rng.standard_normal(s)) for s in shapes)
    weights = jnp.asarray(rng.standard_normal(shapes[0][:-1] + shapes[1][-1:]))

    def loss(mul):
        return lambda a, b: jnp.sum(weights * jnp.tanh(mul(a, b)))

    ours = jax.jit(jax.value_and_grad(loss(engine.matmul), argnums=(0, 1)))(a, b)
    plain = jax.jit(jax.value_and_grad(loss(jnp.matmul), argnums=(0, 1)))(a, b)
    for got, want in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(plain), strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13 * float(jnp.max(jnp.abs(want))))
    members = jnp.stack([b, 2 * b])
    vmapped = jax.jit(jax.vmap(jax.grad(loss(engine.matmul), argnums=1), in_axes=(None, 0)))(a, members)
    for k in range(2):
        want = jax.grad(loss(jnp.matmul), argnums=1)(a, members[k])
        np.testing.assert_allclose(vmapped[k], want, rtol=1e-12, atol=1e-13 * float(jnp.max(jnp.abs(want))))
