"""The information plane of the 12-bit task (IB4): a 12-10-7-5-4-3-2 network trained with
Adam, and the binned information of every layer over training.

The estimator is vectorised in JAX: every layer's bin indices are hashed into one 64-bit
integer per input, and the entropy of the binned layer is read off the sorted hashes (run
lengths), for all members and recorded epochs at once (the plain NumPy count it must equal
is in the tests).
"""

from __future__ import annotations

import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import sims  # noqa: F401  (float64 and CPU devices before any computation)
from sims import engine
from sims.cache import cached
from sims.datasets import DATA_SOURCES, information_plane_task
from sims.information import measures
from theory import information as theory

WIDTHS = (12, 10, 7, 5, 4, 3, 2)
_SHAPES = tuple(zip(WIDTHS[:-1], WIDTHS[1:], strict=True))
_OFFSETS = np.cumsum([0] + [a * b + b for a, b in _SHAPES])
LAST_HIDDEN, OUTPUT = 4, 5  # layer indices of the information array
# Binning schemes of the estimator: (name, n_bins, low, high, bin_width, top_cell); see
# bin_indices. The last is Shwartz-Ziv & Tishby's own: np.linspace(-1, 1, 30) used as 30
# edges (29 cells, plus values at exactly 1 in a cell of their own).
SCHEMES = (
    ("30 bins on [-1, 1]", 30, -1.0, 1.0, None, False),
    ("width 0.07", None, None, None, 0.07, False),
    ("10 bins on [-1, 1]", 10, -1.0, 1.0, None, False),
    ("100 bins on [-1, 1]", 100, -1.0, 1.0, None, False),
    ("1000 bins on [-1, 1]", 1000, -1.0, 1.0, None, False),
    ("30 edges on [-1, 1] (29 cells)", 29, -1.0, 1.0, None, True),
)
# The binnings IB4 can judge tanh by (and the clipped-range artefact of ReLU), by name.
BINNINGS = {"30 bins": 0, "30 edges": 5}
WIDTH_SCHEME = 1
# Odd 64-bit multipliers of the pattern hash: a collision among 4096 patterns has
# probability ~ 4096^2 / 2^64.
_HASH = np.random.default_rng(2017).integers(1, 2**62, size=max(WIDTHS) + 1, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)


@jax.custom_vjp
def _layers(flat):
    """The (weights (fan_in, fan_out), bias) pairs of the flat parameter vector.

    The derivative is the same as the plain slices' (the gradient pieces laid end to end), but
    JAX's own transpose of a slice pads each piece to all 263 parameters and adds the twelve:
    XLA ran 59 kernels per Adam step that way, 54 with the concatenation (IB4's training 3 %
    faster and, on the machine measured, bitwise the same; tests/test_agreement_information.py
    compares the two derivatives)."""
    return tuple(
        (flat[start : start + a * b].reshape(a, b), flat[start + a * b : start + a * b + b])
        for (a, b), start in zip(_SHAPES, _OFFSETS[:-1], strict=True)
    )


def _layers_forward(flat):
    return _layers(flat), None


def _layers_backward(_, cotangents):
    return (jnp.concatenate([piece.ravel() for pair in cotangents for piece in pair]),)


_layers.defvjp(_layers_forward, _layers_backward)


def _forward(flat, x_t, relu):
    """Hidden activations (5 layers) and output logits of the 12-10-7-5-4-3-2 network, feature
    major: ``x_t`` (12, n), each layer (width, n). The long axis (samples) innermost makes the
    tiny layers' products and activations vectorise along it (training 1.5x faster than
    sample major)."""
    hidden, h = [], x_t
    for i, (w, b) in enumerate(_layers(flat)):
        z = w.T @ h + b[:, None]
        if i < len(_SHAPES) - 1:
            h = jnp.where(relu > 0.5, jnp.maximum(z, 0.0), jnp.tanh(z))
            hidden.append(h)
    return hidden, z


def layer_activations(flat, x, relu):
    """Hidden activations (5 layers, each (n, width)) and the output logits (n, 2) of the
    12-10-7-5-4-3-2 network for inputs ``x`` (n, 12)."""
    hidden, logits = _forward(flat, x.T, relu)
    return [h.T for h in hidden], logits.T


def _cross_entropy(flat, batch, hyper):
    x, y_onehot = batch
    _, logits = _forward(flat, x.T, hyper["relu"])
    return jnp.mean(jax.nn.logsumexp(logits, axis=0) - jnp.sum(logits * y_onehot.T, axis=0))


def _snapshot(flat, data, hyper):
    # The 263 parameters are recorded; every estimator is evaluated afterwards, vectorised.
    return {"params": flat}


def initial_parameters(seeds):
    """Flat parameter vectors, weights N(0, 1/fan_in) and zero biases, one row per seed."""
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(int(seed))
        rows.append(
            np.concatenate(
                [np.concatenate([rng.standard_normal(a * b) / np.sqrt(a), np.zeros(b)]) for a, b in _SHAPES]
            )
        )
    return np.stack(rows)


def _sorted_entropy(hashes):
    """Entropy (bits) of the empirical distribution of ``hashes`` (1-d) via sorted run lengths."""
    return _run_entropy(jnp.sort(hashes))


def _run_entropy(s):
    """Entropy (bits) of the empirical distribution of the sorted 1-d array ``s``.

    sum_g c_g log c_g = sum_i [r_i log r_i - (r_i - 1) log(r_i - 1)] with r_i the rank of
    element i inside its run of equal values; no variable-size unique() needed. Clamped to
    [0, log2 n]: the telescoping sum leaves ~n eps log2 n of round-off (one cell: exactly 0
    only up to that).
    """
    n = s.shape[0]
    index = jnp.arange(n)
    starts = jnp.concatenate([jnp.ones(1, bool), s[1:] != s[:-1]])
    rank = (index - jax.lax.cummax(jnp.where(starts, index, 0)) + 1).astype(jnp.float64)
    c_log_c = jnp.sum(special_xlog2x(rank) - special_xlog2x(rank - 1))
    return jnp.clip(jnp.log2(n) - c_log_c / n, 0.0, jnp.log2(n))


def _entropies_with_label(hashes, y):
    """(H(T), H(T, Y)) in bits from ONE sort: the hash's lowest bit replaced by the binary
    label y, so that sorting the keys sorts them by pattern (key >> 1) and, within a
    pattern, by label. Patterns collide when their hashes agree in the top 63 bits
    (probability ~ n^2 / 2^64 for n = 4096)."""
    keys = jnp.sort((hashes & ~jnp.uint64(1)) | y.astype(jnp.uint64))
    return _run_entropy(keys >> jnp.uint64(1)), _run_entropy(keys)


def special_xlog2x(v):
    """v log2 v with 0 log 0 = 0 (jax)."""
    return jnp.where(v > 0, v * jnp.log2(jnp.maximum(v, 1.0)), 0.0)


def _pattern_hashes(activations, scheme):
    _, n_bins, low, high, width, top_cell = scheme
    index = measures.bin_indices(
        activations, n_bins=n_bins, low=low, high=high, bin_width=width, top_cell=top_cell, xp=jnp
    )
    multipliers = jnp.asarray(_HASH[: activations.shape[1]])
    return jnp.sum(index.astype(jnp.uint64) * multipliers[None, :], axis=1)


def _binned_information(flat, relu, x, y):
    """(layers, schemes, 2): binned I(X;T) = H(T) and I(T;Y) = H(T) + H(Y) - H(T,Y), bits.

    I(T;Y) is clamped to [0, min(H(T), H(Y))] (three sums cancelling: ~n eps log2 n).
    """
    hidden, logits = layer_activations(flat, x, relu)
    h_y = _sorted_entropy(y.astype(jnp.uint64))
    rows = []
    for t in hidden + [jax.nn.softmax(logits, axis=1)]:
        cells = []
        for scheme in SCHEMES:
            h_t, h_ty = _entropies_with_label(_pattern_hashes(t, scheme), y)
            i_ty = jnp.clip(h_t + h_y - h_ty, 0.0, jnp.minimum(h_t, h_y))
            cells.append(jnp.stack([h_t, i_ty]))
        rows.append(jnp.stack(cells))
    return jnp.stack(rows)


@jax.jit
def _information_all(params, relu, x, y):
    per_record = jax.vmap(_binned_information, in_axes=(0, None, None, None))
    return jax.vmap(per_record, in_axes=(0, 0, None, None))(params, relu, x, y)


def binned_information(params, relu, x, y):
    """Binned (I(X;T), I(T;Y)) of every layer: array (members, records, 6 layers, schemes, 2).

    ``params`` (members, records, 263) flat snapshots; ``relu`` (members,) 0/1; ``y`` binary
    labels (0/1: the label takes the hash's lowest bit, see :func:`_entropies_with_label`).
    """
    if not np.isin(np.asarray(y), (0, 1)).all():
        raise ValueError("y must hold binary labels 0/1")
    return np.asarray(
        _information_all(
            jnp.asarray(params), jnp.asarray(relu, jnp.float64), jnp.asarray(x, jnp.float64), jnp.asarray(y)
        )
    )


@cached
def simulate_information_plane(
    *, seeds, activations, epochs, log_points, learning_rate, batch_size, data="surrogate", train_fraction=1.0
):
    """Train the 12-10-7-5-4-3-2 network (Adam, cross-entropy) on the 12-bit task.

    ``data``: "surrogate" (:func:`sims.datasets.twelve_bit_task`) or "published"
    (Shwartz-Ziv & Tishby's var_u.mat, :func:`sims.datasets.published_task`). The network
    trains on the first round(train_fraction * 4096) rows (their code: np.rint(80 * 4096 /
    100) = 3277 rows in counting order, no shuffling) and the information is measured on all
    4096 patterns. Returns a dict: ``epochs`` (R,), ``members`` (DataFrame: seed, relu),
    ``information`` (members, R, 6, schemes, 2) from :func:`binned_information`, ``loss``
    (members, R), ``params`` (members, R, 263) snapshots, ``final_params``, ``seconds``
    (training, estimation), ``h_y`` (bits), ``data``, ``n_train``.
    """
    x, y = information_plane_task(data)
    train_fraction = float(train_fraction)
    n_train = int(np.rint(train_fraction * len(x)))
    if not (0.0 < train_fraction <= 1.0 and n_train >= 1):
        raise ValueError(f"train_fraction must be in (0, 1] and keep >= 1 row, got {train_fraction!r}")
    relu_values = [float(a == "relu") for a in activations]
    members = engine.ensemble(seeds, learning_rate=[learning_rate], relu=relu_values)
    start = time.perf_counter()
    run = engine.train(
        _cross_entropy,
        initial_parameters(members["seed"]),
        (x[:n_train].astype(np.float64), np.eye(2)[y[:n_train]]),
        members=members,
        epochs=epochs,
        observe=_snapshot,
        optimizer="adam",
        batch_size=batch_size,
        record_epochs=engine.record_schedule(epochs, log_points=log_points),
    )
    trained = time.perf_counter()
    information = binned_information(run.records["params"], members["relu"].to_numpy(), x, y)
    return dict(
        epochs=run.epochs,
        members=members,
        information=information,
        loss=run.records["loss"],
        params=run.records["params"],
        final_params=run.params,
        seconds=(trained - start, time.perf_counter() - trained),
        h_y=theory.entropy(np.bincount(y) / y.size),
        data=data,
        n_train=n_train,
    )


def final_output_joint(flat, relu, x, y, scheme=SCHEMES[0]):
    """Empirical p(t, y) of the binned output layer: (distinct patterns, 2)."""
    x = jnp.asarray(x, jnp.float64)
    _, logits = layer_activations(jnp.asarray(flat), x, jnp.float64(relu))
    return measures.empirical_joint(np.asarray(_pattern_hashes(jax.nn.softmax(logits, axis=1), scheme)), y)


class CompressionRun(NamedTuple):
    """IB4: the minibatch tanh and ReLU runs, the full-batch tanh runs (dicts of
    :func:`simulate_information_plane`), and the empirical p(t, y) of each minibatch member's
    binned output layer after training (in the scheme of ``binning``)."""

    plane: dict
    full_batch: dict
    output_joints: tuple[np.ndarray, ...]
    scheme: int  # index of ``binning`` in SCHEMES


@cached
def simulate_compression(
    *, seeds, epochs, log_points, learning_rate, batch_size, data, train_fraction, binning
):
    """IB4's runs on ``data`` ("published" or "surrogate"): tanh and ReLU with minibatches of
    ``batch_size``, tanh with the full batch; ``binning`` "30 bins" (30 cells on [-1, 1]) or
    "30 edges" (Shwartz-Ziv & Tishby's 29 cells); :data:`ORIGINAL_SETUP` gives their
    training setup."""
    if data not in DATA_SOURCES:
        raise ValueError(f"data must be one of {DATA_SOURCES}, got {data!r}")
    if binning not in BINNINGS:
        raise ValueError(f"binning must be one of {tuple(BINNINGS)}, got {binning!r}")
    common = dict(
        seeds=list(seeds),
        epochs=epochs,
        log_points=log_points,
        learning_rate=learning_rate,
        data=data,
        train_fraction=train_fraction,
    )
    plane = simulate_information_plane(activations=["tanh", "relu"], batch_size=batch_size, **common)
    full = simulate_information_plane(activations=["tanh"], batch_size=None, **common)
    x, y = information_plane_task(data)
    scheme = BINNINGS[binning]
    joints = tuple(
        final_output_joint(flat, relu, x, y, SCHEMES[scheme])
        for flat, relu in zip(plane["final_params"], plane["members"]["relu"], strict=True)
    )
    return CompressionRun(plane, full, joints, scheme)


@cached
def kde_information_plane(*, params, member, layer, records, noise_variances):
    """Kolchinsky-Tracey KDE upper bound (bits) on I(X; T + Z) of one layer over training
    (:func:`measures.kde_information_upper_bounds`), on the minibatch runs of IB4 at its
    parameters ``params``: an array (len(noise_variances), len(records))."""
    planes = simulate_compression(**params).plane
    x = jnp.asarray(information_plane_task(planes["data"])[0], jnp.float64)
    relu = jnp.float64(planes["members"]["relu"].iloc[member])
    out = np.empty((len(noise_variances), len(records)))
    for j, record in enumerate(records):
        hidden, _ = layer_activations(jnp.asarray(planes["params"][member, record]), x, relu)
        out[:, j] = measures.kde_information_upper_bounds(
            hidden[layer], noise_variances, max_bits=np.log2(x.shape[0])
        )
    return out


# Shwartz-Ziv & Tishby's training setup (github.com/ravidziv/IDNNs, network_paramters.py and
# utils.data_shuffle): Adam lr 4e-4, batch 512, 8000 epochs, the first 80% of the rows in
# file order for training, the information on all 4096 patterns, np.linspace(-1, 1, 30) as
# bin edges. Not reproduced: their minibatches are fixed consecutive slices of the training
# rows (6 of 512 and one of 205), the engine draws a fresh permutation each epoch and drops
# the remainder (3277 // 512 = 6 batches); their weights start from a truncated normal of
# std 1/sqrt(fan_in), ours from the normal; float32 there, float64 here.
ORIGINAL_SETUP = dict(learning_rate=4e-4, batch_size=512, train_fraction=0.8, binning="30 edges")
