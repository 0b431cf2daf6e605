"""NC7's experiment: a ReLU MLP trained on scikit-learn's digits with the MSE loss past zero
training error, recording the NC metrics and the class means (no closed form inside)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from sims import engine
from sims.cache import cached
from sims.datasets import digits
from sims.neural_collapse.measures import nc_metrics


class DigitsRun(NamedTuple):
    """The digits MLP: epochs (R,) of the records; frame (DataFrame: seed, epoch, loss,
    train_error and every nc_metrics entry; seed-major rows); means ((seeds, R, 10, d) class
    means at every record, centred at the global mean)."""

    epochs: np.ndarray
    frame: pd.DataFrame
    means: np.ndarray


def mlp_features(params, x):
    """Penultimate-layer features of the ReLU MLP (the input to the linear classifier)."""
    for w, b in params["hidden"]:
        x = jax.nn.relu(x @ w.T + b[None, :])
    return x


def mlp_loss(params, batch, hyper):
    """1/(2N) sum_i ||W h(x_i) + b - y_i||^2 (one-hot y) plus weight decay on every weight
    matrix; biases are not decayed. The MSE loss of Han, Papyan & Donoho 2022."""
    outputs = mlp_features(params, batch.inputs) @ params["W"].T + params["b"][None, :]
    weights = [w for w, _ in params["hidden"]] + [params["W"]]
    return jnp.mean(jnp.sum((outputs - batch.targets) ** 2, axis=1)) / 2 + hyper["weight_decay"] / 2 * sum(
        jnp.sum(w**2) for w in weights
    )


def observe_mlp(params, data, hyper):
    features = mlp_features(params, data.inputs)
    outputs = features @ params["W"].T + params["b"][None, :]
    error = jnp.mean(jnp.argmax(outputs, axis=1) != jnp.argmax(data.targets, axis=1))
    return {"features": features, "W": params["W"], "b": params["b"], "train_error": error}


@cached
def simulate_digits_mlp(
    *, n_per_class, widths, weight_decay, learning_rate, epochs, seeds, optimizer, points=30
) -> DigitsRun:
    """Full-batch training of a ReLU MLP (64 -> widths -> 10) on the MSE loss of :func:`mlp_loss`.

    Data: :func:`digits` (``n_per_class`` of each digit). ``optimizer`` is "adam" or "gd"; one
    ensemble member per seed (its He-normal initialisation); the NC metrics at every record.
    """
    x, labels = digits(n_per_class)
    sizes = [x.shape[1], *widths]

    def init(seed):
        rng = np.random.default_rng(seed)
        hidden = tuple(
            (rng.standard_normal((o, i)) * np.sqrt(2 / i), np.zeros(o))
            for i, o in zip(sizes[:-1], sizes[1:], strict=True)
        )
        return {
            "hidden": hidden,
            "W": rng.standard_normal((10, sizes[-1])) / np.sqrt(sizes[-1]),
            "b": np.zeros(10),
        }

    members = engine.ensemble(seeds, learning_rate=learning_rate, weight_decay=weight_decay)
    result = engine.train(
        mlp_loss,
        engine.stack_members([init(seed) for seed in seeds]),
        engine.Batch(x, np.eye(10)[labels]),
        members=members,
        epochs=epochs,
        optimizer=optimizer,
        observe=observe_mlp,
        record_epochs=engine.record_schedule(epochs, log_points=points),
    )
    records = result.records
    rows = [
        dict(
            seed=seed,
            epoch=int(epoch),
            loss=records["loss"][m, r],
            train_error=records["train_error"][m, r],
            **nc_metrics(records["features"][m, r], labels, records["W"][m, r], bias=records["b"][m, r]),
        )
        for m, seed in enumerate(seeds)
        for r, epoch in enumerate(result.epochs)
    ]
    features = records["features"]
    means = np.einsum("nk,srnd->srkd", np.eye(10)[labels], features) / np.bincount(labels)[:, None]
    return DigitsRun(result.epochs, pd.DataFrame(rows), means - features.mean(axis=2)[:, :, None, :])
