"""Neural-collapse simulations: unconstrained-features models, the layer-peeled model and the
samples of the exact checks (NC1, NC6); the digits MLP of NC7 is in :mod:`.mlp`. No closed
form under test inside.

The unconstrained-features model (UFM): the features H (N x d, one row per sample) are free
parameters next to the classifier, trained by full-batch gradient descent on

    1/N sum_i loss(W h_i [+ b], y_i) + lambda_w/2 sum_l ||W_l||^2 + lambda_h/2 ||H||^2

(see :mod:`theory.neural_collapse` for the closed forms). Imbalanced data with a fixed array
shape: every class has the same number of slots and a slot takes part only if its index within
the class is below that class's size, which a member's hyper-parameter sets; unused slots
carry neither loss nor penalty. So one compiled call trains every imbalance ratio at once.

Every simulation returns a small named run (a NamedTuple of arrays) that the claims compare
and the figures draw.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import ortho_group

import theory.neural_collapse as theory
from sims import engine
from sims.cache import cached
from sims.linear_networks import product
from sims.neural_collapse.measures import isotropic_etf_features, nc_metrics

# ----------------------------------------------------------------------------- named types


class UFMBatch(NamedTuple):
    """The UFM's data: one-hot targets (N, K), labels (N,) and each sample's slot within its
    class (N,), which decides whether it takes part (see :func:`_mask`)."""

    targets: np.ndarray
    labels: np.ndarray
    slot: np.ndarray


class UFMRun(NamedTuple):
    """GD on a UFM, one ensemble member per start or ratio, recorded at R epochs.

    epochs (R,); loss (members, R); classifier (members, R, K, d) (end-to-end for depth > 1);
    features (members, R, N, d); labels (N,); bias (members, K) at the end, or None;
    mask (members, N) of the samples in use, or None when all are.
    """

    epochs: np.ndarray
    loss: np.ndarray
    classifier: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    bias: np.ndarray | None = None
    mask: np.ndarray | None = None


class MSERuns(NamedTuple):
    """NC3's two MSE UFM runs: with the unregularised bias (simplex ETF) and without (frame)."""

    with_bias: UFMRun
    without_bias: UFMRun


class BestOfStarts(NamedTuple):
    """A deep UFM run from several starts and the index of the start with the lowest loss."""

    run: UFMRun
    best: int


class LayerPeeledRun(NamedTuple):
    """Projected GD on the layer-peeled model, one member per ratio R.

    ratios (members,); records (points,) the steps recorded; classifier (members, points, K, d);
    loss (members,) at the end; feature_energy, classifier_energy (members,) the two
    constraint values at the end.
    """

    ratios: np.ndarray
    records: np.ndarray
    classifier: np.ndarray
    loss: np.ndarray
    feature_energy: np.ndarray
    classifier_energy: np.ndarray


class MetricSamples(NamedTuple):
    """NC1's measurements: every metric at an exact ETF; |change| of each metric under a
    rotation, scaling and translation of noisy features; NC1 of each noisy replicate."""

    at_etf: dict
    invariance: dict
    samples: np.ndarray


class CentralPathCase(NamedTuple):
    """NC6's random imbalanced features, labels, classifier and bias, and the regularised MSE
    loss computed independently in JAX."""

    features: np.ndarray
    labels: np.ndarray
    classifier: np.ndarray
    bias: np.ndarray
    loss: float


# ----------------------------------------------------------------------------- the UFM


def _mask(batch, hyper):
    """Which samples take part: all, or (minority runs) slot index < its class's size."""
    if "n_majority" not in hyper:
        return jnp.ones(batch.labels.shape, dtype=jnp.float64)
    size = jnp.where(batch.labels < hyper["num_majority"], hyper["n_majority"], hyper["n_minority"])
    return (batch.slot < size).astype(jnp.float64)


def _penalty(params, mask, hyper):
    return hyper["lambda_w"] / 2 * sum(jnp.sum(w**2) for w in params["W"]) + hyper["lambda_h"] / 2 * jnp.sum(
        mask[:, None] * params["H"] ** 2
    )


def ce_loss(params, batch, hyper):
    """Mean cross-entropy of the UFM (over the samples in use) plus weight decay."""
    mask = _mask(batch, hyper)
    logits = params["H"] @ product(params["W"]).T
    nll = -jnp.sum(jax.nn.log_softmax(logits) * batch.targets, axis=1)
    return jnp.sum(mask * nll) / jnp.sum(mask) + _penalty(params, mask, hyper)


def mse_loss(params, batch, hyper):
    """1/(2N) sum ||W h + b - y||^2 plus weight decay (b unregularised, when present)."""
    mask = _mask(batch, hyper)
    outputs = params["H"] @ product(params["W"]).T
    if "b" in params:
        outputs = outputs + params["b"][None, :]
    residual = jnp.sum((outputs - batch.targets) ** 2, axis=1)
    return jnp.sum(mask * residual) / (2 * jnp.sum(mask)) + _penalty(params, mask, hyper)


LOSSES = {"ce": ce_loss, "mse": mse_loss}


def observe_ufm(params, data, hyper):
    return {"classifier": product(params["W"]), "features": params["H"]}


def _ufm_init(rng, labels, *, num_classes, dim, depth, scale, bias, aligned=False, near_origin=()):
    """Random UFM parameters: W_l = scale x (rows of a random orthogonal matrix), H ~ N(0, scale^2).

    ``aligned``: instead a large start in which layer l maps the random orthonormal basis
    Q_{l-1} to Q_l with gain ``scale``, class k's features are scale/sqrt(n_k) times the k-th
    basis vector, and every entry carries N(0, (0.1 scale)^2 / dim) noise, so each class
    starts at the same strength, far from the origin (deep networks: the origin is a local
    minimum). Classes in ``near_origin`` start 1e-3 times smaller (classifier rows and
    features), next to the origin of their own subspace.
    """
    sizes = np.bincount(labels, minlength=num_classes)
    bases = [ortho_group.rvs(dim, random_state=rng) for _ in range(depth)]
    if aligned:
        noise = 0.1 * scale / np.sqrt(dim)
        weights = [scale * bases[l] @ bases[l - 1].T for l in range(1, depth)]
        weights.append(scale * bases[-1][:, :num_classes].T)
        weights = [w + noise * rng.standard_normal(w.shape) for w in weights]
        features = (scale / np.sqrt(sizes[labels]))[:, None] * bases[0][:, labels].T
        features = features + noise * rng.standard_normal(features.shape)
    else:
        weights = [
            scale * q[:rows] for q, rows in zip(bases, [dim] * (depth - 1) + [num_classes], strict=True)
        ]
        features = scale * rng.standard_normal((labels.size, dim))
    shrink = np.where(np.isin(np.arange(num_classes), near_origin), 1e-3, 1.0)
    weights[-1] = weights[-1] * shrink[:, None]
    params = {"W": tuple(weights), "H": shrink[labels][:, None] * features}
    if bias:
        params["b"] = np.zeros(num_classes)
    return params


def _train_ufm(loss, params, data, members, epochs, points, mask=None):
    result = engine.train(
        LOSSES[loss],
        params,
        data,
        members=members,
        epochs=epochs,
        record_epochs=engine.record_schedule(epochs, log_points=points),
        observe=observe_ufm,
    )
    return UFMRun(
        epochs=result.epochs,
        loss=result.records["loss"],
        classifier=result.records["classifier"],
        features=result.records["features"],
        labels=data.labels,
        bias=result.params.get("b"),
        mask=mask,
    )


@cached
def simulate_ufm(
    *,
    loss,
    class_sizes,
    dim,
    depth,
    lambda_w,
    lambda_h,
    learning_rate,
    epochs,
    init_scale=1.0,
    aligned=False,
    bias=False,
    near_origin=((),),
    seed=0,
    points=40,
) -> UFMRun:
    """Train a UFM (class k has class_sizes[k] samples) by full-batch GD.

    ``loss`` is "ce" or "mse"; depth L >= 1 linear classifier layers of width dim. One
    ensemble member per entry of ``near_origin`` (a list of classes that start next to the
    origin, see :func:`_ufm_init`), so that GD can be run from several starts at once.
    """
    k = len(class_sizes)
    labels = np.repeat(np.arange(k), class_sizes)
    rng = np.random.default_rng(seed)
    params = engine.stack_members(
        [
            _ufm_init(
                rng,
                labels,
                num_classes=k,
                dim=dim,
                depth=depth,
                scale=init_scale,
                bias=bias,
                aligned=aligned,
                near_origin=list(start),
            )
            for start in near_origin
        ]
    )
    members = engine.ensemble(
        range(len(near_origin)), lambda_w=lambda_w, lambda_h=lambda_h, learning_rate=learning_rate
    )
    data = UFMBatch(np.eye(k)[labels], labels, np.zeros_like(labels))
    return _train_ufm(loss, params, data, members, epochs, points)


# GD on the weight-decayed UFM converges linearly, error ~ e^{-t/tau} with tau = 1 / (lr min
# lambda) steps (measured: 8 tau leaves 2e-5, 20 tau 1e-10, 40 tau round-off); runs of 40 tau
# leave ~e^{-40} ~ 4e-18 of the start, i.e. round-off, and NC2/NC3 assert rtol 1e-8.
UFM_TIME_CONSTANTS = 40


def ufm_epochs(learning_rate, lambda_w, lambda_h):
    """Full-batch GD steps for UFM_TIME_CONSTANTS time constants 1 / (lr min(lambda))."""
    return int(np.ceil(UFM_TIME_CONSTANTS / (learning_rate * min(lambda_w, lambda_h))))


def _balanced_ufm(*, loss, bias, num_classes, n_per_class, epochs, **hyper) -> UFMRun:
    """The one-layer UFM of NC2/NC3 with n_per_class samples per class, started at scale 0.3;
    ``epochs=None`` runs :func:`ufm_epochs` steps. ``hyper``: dim, lambda_w, lambda_h,
    learning_rate."""
    if epochs is None:
        epochs = ufm_epochs(hyper["learning_rate"], hyper["lambda_w"], hyper["lambda_h"])
    return simulate_ufm(
        loss=loss,
        class_sizes=[n_per_class] * num_classes,
        depth=1,
        epochs=epochs,
        init_scale=0.3,
        bias=bias,
        **hyper,
    )


def simulate_ce_unconstrained_features(**params) -> UFMRun:
    """NC2's run: the cross-entropy UFM without bias (cached through :func:`simulate_ufm`).

    Parameters: num_classes, n_per_class, dim, lambda_w, lambda_h, learning_rate, epochs.
    """
    return _balanced_ufm(loss="ce", bias=False, **params)


def simulate_mse_unconstrained_features(*, num_classes, **params) -> MSERuns:
    """NC3's two runs: the MSE UFM in dimension K with and without an unregularised bias.

    Parameters: num_classes, n_per_class, lambda_w, lambda_h, learning_rate, epochs.
    """
    return MSERuns(
        *(
            _balanced_ufm(loss="mse", bias=bias, num_classes=num_classes, dim=num_classes, **params)
            for bias in (True, False)
        )
    )


def simulate_imbalanced_depth(
    *, class_sizes, depth, lambda_w, lambda_h, learning_rate, epochs, init_scale
) -> BestOfStarts:
    """GD on the bias-free deep linear MSE UFM from K large aligned starts.

    Start m places the m smallest classes next to the origin (m = 0..K-1): for depth >= 2
    the origin is a local minimum, so GD from one start finds a local minimum only; the
    lowest final loss over the starts is the global minimum that GD finds. Start 0 (every
    class large) is the one that must land on the largest-root local minimum.
    """
    k = len(class_sizes)
    order = np.argsort(class_sizes, kind="stable")
    run = simulate_ufm(
        loss="mse",
        class_sizes=list(class_sizes),
        dim=k,
        depth=depth,
        lambda_w=lambda_w,
        lambda_h=lambda_h,
        learning_rate=learning_rate,
        epochs=epochs,
        init_scale=init_scale,
        aligned=True,
        near_origin=[tuple(int(c) for c in order[:m]) for m in range(k)],
    )
    return BestOfStarts(run, int(np.argmin(run.loss[:, -1])))


def simulate_imbalanced_deep_linear(*, depths, **params) -> dict[int, BestOfStarts]:
    """NC4's runs: :func:`simulate_imbalanced_depth` at every depth (each cached)."""
    return {depth: simulate_imbalanced_depth(depth=depth, **params) for depth in depths}


@cached
def simulate_minority_collapse(
    *,
    ratios,
    n_minority,
    num_majority,
    num_minority,
    lambda_w,
    lambda_h,
    learning_rate,
    epochs,
    dim=None,
    init_scale=1.0,
    seed=0,
    points=30,
) -> UFMRun:
    """Cross-entropy UFM with num_majority classes of R n_minority samples, one member per R.

    All ratios share one array shape: each class has max(R) n_minority slots and a slot takes
    part only when its index is below its class's size in that member (``mask``). ``dim``
    defaults to K.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    k = num_majority + num_minority
    slots = int(round(ratios.max() * n_minority))
    labels, slot = np.repeat(np.arange(k), slots), np.tile(np.arange(slots), k)
    members = engine.ensemble(
        [seed],
        n_majority=ratios * n_minority,
        n_minority=n_minority,
        num_majority=num_majority,
        lambda_w=lambda_w,
        lambda_h=lambda_h,
        learning_rate=learning_rate,
    )
    rng = np.random.default_rng(seed)
    params = engine.stack_members(
        [
            _ufm_init(
                rng,
                labels,
                num_classes=k,
                dim=k if dim is None else dim,
                depth=1,
                scale=init_scale,
                bias=False,
            )
            for _ in ratios
        ]
    )
    sizes = np.where(labels[None, :] < num_majority, ratios[:, None] * n_minority, n_minority)
    return _train_ufm(
        "ce",
        params,
        UFMBatch(np.eye(k)[labels], labels, slot),
        members,
        epochs,
        points,
        mask=slot[None, :] < sizes,
    )


# ----------------------------------------------------------------------------- NC8


@cached
def simulate_layer_peeled(
    *,
    ratios,
    num_majority,
    num_minority,
    energy_w,
    energy_h,
    learning_rate,
    steps,
    dim=None,
    seed=0,
    points=20,
) -> LayerPeeledRun:
    """Projected GD on Fang et al.'s constrained layer-peeled model, one member per ratio R.

    Class k has n_k samples (R for the K_A majority classes, 1 for the K_B minority ones);
    all ratios share one array shape (max R slots per class, unused slots masked out of the
    loss and the constraint). Variables: W (K x d, d = K by default) and
    g_i = h_i / sqrt(n_{y_i}), in which the constraints 1/K sum ||w_k||^2 <= E_W and
    1/K sum_k 1/n_k sum_i ||h_{k,i}||^2 <= E_H are Euclidean balls ||W||_F^2 <= K E_W,
    ||G||_F^2 <= K E_H, so the projection is a rescaling. Each step:
    (W, G) <- P((W, G) - lr grad), grad of 1/N sum_i CE(W h_i, y_i), from a standard normal
    start, projected; written in JAX (lax.scan, vmap over R), not through the shared engine,
    which has no projection step.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    k = num_majority + num_minority
    dim = k if dim is None else dim
    slots = int(round(ratios.max()))
    labels, slot = np.repeat(np.arange(k), slots), np.tile(np.arange(slots), k)
    sizes = np.where(labels[None, :] < num_majority, ratios[:, None], 1.0)
    mask = (slot[None, :] < sizes).astype(np.float64)
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((ratios.size, k, dim))
    g0 = rng.standard_normal((ratios.size, labels.size, dim))
    one_hot = np.eye(k)[labels]

    def project(w, g, m):
        w = w * jnp.minimum(1.0, jnp.sqrt(k * energy_w / jnp.sum(w**2)))
        g = g * m[:, None]
        return w, g * jnp.minimum(1.0, jnp.sqrt(k * energy_h / jnp.sum(g**2)))

    def loss(w, g, m, n_k):
        logits = (jnp.sqrt(n_k)[:, None] * g) @ w.T
        nll = -jnp.sum(jax.nn.log_softmax(logits) * one_hot, axis=1)
        return jnp.sum(m * nll) / jnp.sum(m)

    gradient = jax.grad(loss, argnums=(0, 1))
    per_point = steps // points

    def member(w, g, m, n_k):
        def step(state, _):
            gw, gg = gradient(*state, m, n_k)
            return project(state[0] - learning_rate * gw, state[1] - learning_rate * gg, m), None

        def segment(state, _):
            state, _ = jax.lax.scan(step, state, None, length=per_point)
            return state, state[0]

        state, classifiers = jax.lax.scan(segment, project(w, g, m), None, length=points)
        w, g = state
        h_energy = jnp.sum(g**2) / k
        return classifiers, loss(w, g, m, n_k), h_energy, jnp.sum(w**2) / k

    classifiers, final, h_energy, w_energy = jax.jit(jax.vmap(member))(w0, g0, mask, sizes)
    return LayerPeeledRun(
        ratios=ratios,
        records=per_point * np.arange(1, points + 1),
        classifier=np.asarray(classifiers),
        loss=np.asarray(final),
        feature_energy=np.asarray(h_energy),
        classifier_energy=np.asarray(w_energy),
    )


# ----------------------------------------------------------------------------- NC1, NC6


@cached
def simulate_metric_properties(
    *, num_classes, dim, n_per_class, noise_std, radius, replicates, seed
) -> MetricSamples:
    """The metrics at an exact simplex ETF (3 samples per class), their change when noisy
    features r e_k + s z are rotated, scaled by 3.7 and translated (the classifier rotated
    with them; the NCC mismatch, which a translation changes, only rotated and scaled), and
    NC1 of ``replicates`` independent noisy draws."""
    rng = np.random.default_rng(seed)
    etf = dict(num_classes=num_classes, dim=dim, radius=radius)
    noisy = dict(etf, n_per_class=n_per_class, noise_std=noise_std)
    exact, labels = isotropic_etf_features(rng, n_per_class=3, noise_std=0.0, **etf)
    classifier = theory.simplex_etf(num_classes, dim).T
    at_etf = nc_metrics(exact, labels, classifier)
    features, labels = isotropic_etf_features(rng, **noisy)
    rotation = ortho_group.rvs(dim, random_state=rng)
    before = nc_metrics(features, labels, classifier)
    moved = nc_metrics(
        3.7 * features @ rotation.T + rng.standard_normal(dim)[None, :], labels, classifier @ rotation.T
    )
    rotated = nc_metrics(3.7 * features @ rotation.T, labels, classifier @ rotation.T)
    invariance = {name: abs(moved[name] - value) for name, value in before.items() if name != "ncc_mismatch"}
    invariance["ncc_mismatch (rotation, scale)"] = abs(rotated["ncc_mismatch"] - before["ncc_mismatch"])
    samples = [before["nc1"]] + [
        nc_metrics(*isotropic_etf_features(rng, **noisy))["nc1"] for _ in range(replicates - 1)
    ]
    return MetricSamples(at_etf, invariance, np.array(samples))


def mse_loss_with_decay(features, labels, classifier, bias, weight_decay):
    """1/(2N) sum ||W h + b - y||^2 + weight_decay/2 ||W||^2, evaluated in JAX."""
    y = jax.nn.one_hot(jnp.asarray(labels), classifier.shape[0], dtype=jnp.float64)
    residual = jnp.asarray(features) @ jnp.asarray(classifier).T + jnp.asarray(bias)[None, :] - y
    return float(
        jnp.sum(residual**2) / (2 * y.shape[0]) + weight_decay / 2 * jnp.sum(jnp.asarray(classifier) ** 2)
    )


def simulate_central_path(*, num_samples, dim, num_classes, weight_decay, seed) -> CentralPathCase:
    """NC6's case: random imbalanced data (every class present, class means 2 N(0, I) apart
    from unit noise), a random classifier and bias, and their loss computed in JAX.
    Not cached: it takes milliseconds."""
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.arange(num_classes), rng.integers(0, num_classes, num_samples - num_classes)])
    features = rng.standard_normal((num_samples, dim)) + 2 * rng.standard_normal((num_classes, dim))[labels]
    classifier, bias = rng.standard_normal((num_classes, dim)), rng.standard_normal(num_classes)
    loss = mse_loss_with_decay(features, labels, classifier, bias, weight_decay)
    return CentralPathCase(features, labels, classifier, bias, loss)
