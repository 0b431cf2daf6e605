"""Measurements of the information area, in NumPy: binning, plug-in, Monte-Carlo and KDE
estimators of entropies and mutual informations, and the Gaussian covariances they read.

No registry and no JAX here: the claims (:mod:`sims.information.claims`), the figures, the
notebook and the tests share these functions. Information in bits.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from theory import information as theory

# ---------------------------------------------------------------------------------------
# Binning and plug-in estimates


def bin_indices(values, *, n_bins=30, low=-1.0, high=1.0, bin_width=None, top_cell=False, xp=np):
    """Bin index of each value, bins closed on the left (the convention of
    :func:`theory.information.binned_entropy_single_unit`): ``n_bins`` equal bins on
    [low, high] with out-of-range values in the edge bins, or, with ``bin_width``, unbounded
    bins [k w, (k+1) w).

    ``top_cell=True`` is Shwartz-Ziv & Tishby's binning (their ``bins[np.digitize(v, bins) -
    1]`` with ``bins = np.linspace(-1, 1, n_bins + 1)``, i.e. n_bins + 1 *edges*): the
    ``n_bins`` cells [e_k, e_{k+1}) plus one more cell for values >= high (below ``low`` they
    would join it too; tanh and ReLU never go there). Up to the float32 rounding of their
    edges and activations (a value within ~1e-7 of an edge may change cell). ``xp`` is the
    array module (``jax.numpy`` for the vectorised information plane).
    """
    if bin_width is not None:
        return xp.floor(values / bin_width).astype(xp.int64)
    index = xp.floor((values - low) / (high - low) * n_bins)
    return xp.clip(index, 0, n_bins if top_cell else n_bins - 1).astype(xp.int64)


def plug_in_entropy(labels):
    """Plug-in entropy (bits) of integer labels and its standard error."""
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    surprise = -np.log2(counts[inverse] / labels.size)
    return surprise.mean(), surprise.std() / np.sqrt(labels.size)


def plug_in_mutual_information(joint, n_samples):
    """Plug-in MI (bits) of an empirical joint table of ``n_samples`` draws, with its standard
    error sqrt(Var[i(a;b)] / n) by the delta method, i = log2 p(a,b) / (p(a) p(b)); the
    plug-in bias is (|A|-1)(|B|-1) / (2 n ln 2) bits."""
    joint = np.asarray(joint, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.log2(joint / np.outer(joint.sum(1), joint.sum(0)))
    pointwise = np.where(joint > 0, pointwise, 0.0)
    information = float(np.sum(joint * pointwise))
    spread = max(np.sum(joint * pointwise**2) - information**2, 0.0)
    return information, float(np.sqrt(spread / n_samples))


def empirical_joint(patterns, y):
    """Empirical p(t, y) (distinct patterns, 2) of hashed patterns ``t`` and binary labels."""
    _, pattern = np.unique(patterns, return_inverse=True)
    joint = np.zeros((pattern.max() + 1, 2))
    np.add.at(joint, (pattern, y), 1.0 / y.size)
    return joint


def compression(values):
    """final / max of a trajectory (records on the last axis): 1 = no compression."""
    return values[..., -1] / values.max(axis=-1)


# ---------------------------------------------------------------------------------------
# Monte-Carlo estimates of continuous entropies and informations


def mixture_entropy_monte_carlo(means, variance, n_samples, rng):
    """Entropy (bits) of the equal-weight mixture of N(mu_i, variance I), with its std error."""
    n, d = means.shape
    points = means[rng.integers(0, n, n_samples)] + np.sqrt(variance) * rng.standard_normal((n_samples, d))
    log_density = (
        special.logsumexp(
            -np.sum((points[:, None, :] - means[None, :, :]) ** 2, axis=-1) / (2 * variance), axis=1
        )
        - np.log(n)
        - d / 2 * np.log(2 * np.pi * variance)
    )
    surprise = -log_density / np.log(2)
    return surprise.mean(), surprise.std() / np.sqrt(n_samples)


def noisy_neuron_monte_carlo(w, x_values, noise_std, n_samples, rng):
    """Monte-Carlo I(X;T) (bits) of T = tanh(w X) + N(0, noise_std^2), with its std error."""
    centres = np.tanh(w * x_values)
    x = rng.integers(0, x_values.size, n_samples)
    t = centres[x] + noise_std * rng.standard_normal(n_samples)
    log_kernel = -((t[:, None] - centres[None, :]) ** 2) / (2 * noise_std**2)
    pointwise = (
        log_kernel[np.arange(n_samples), x] - special.logsumexp(log_kernel, axis=1) + np.log(x_values.size)
    ) / np.log(2)
    return pointwise.mean(), pointwise.std() / np.sqrt(n_samples)


def gaussian_mi_monte_carlo(cov, split, n_samples, rng):
    """Monte-Carlo E[log p(a, b) / (p(a) p(b))] (bits) for N(0, cov), with its std error."""
    samples = rng.multivariate_normal(np.zeros(cov.shape[0]), cov, size=n_samples)

    def log_density(points, c):
        return stats.multivariate_normal(np.zeros(c.shape[0]), c).logpdf(points)

    pointwise = (
        log_density(samples, cov)
        - log_density(samples[:, :split], cov[:split, :split])
        - log_density(samples[:, split:], cov[split:, split:])
    ) / np.log(2)
    return pointwise.mean(), pointwise.std() / np.sqrt(n_samples)


def kde_information_upper_bounds(activations, variances, *, max_bits):
    """Kolchinsky-Tracey KDE upper bounds (bits) on I(X; T + Z), Z ~ N(0, variance I), for each
    noise variance in ``variances``, of a deterministic layer T whose rows are the activations
    of equally likely inputs: an array like ``variances``.

    I(X; T + Z) = H(T + Z) - H(Z), H(T + Z) the entropy of the mixture of Gaussians centred on
    the activations; identical rows are merged into one weighted component (the same
    mixture), which makes saturated layers cheap. Clamped to [0, ``max_bits`` = H(X)]: the
    difference of two ~10-bit numbers is ~1e-15 off.
    """
    centres, counts = np.unique(np.asarray(activations), axis=0, return_counts=True)
    variances = np.atleast_1d(np.asarray(variances, dtype=float))
    upper = theory.pairwise_entropy_upper_bounds(centres, variances, weights=counts / counts.sum())
    noise = centres.shape[1] / 2 * np.log2(2 * np.pi * np.e * variances)
    return np.clip(upper - noise, 0.0, max_bits)


# ---------------------------------------------------------------------------------------
# Gaussian encoders and networks: the covariances whose exact MI the claims evaluate


def encoder_information(a, cov_x, cov_x_given_y):
    """(I(T;X), I(T;Y)) in nats of the linear Gaussian encoder T = A X + xi, xi ~ N(0, I)."""
    eye = np.eye(a.shape[0])
    i_tx = 0.5 * np.linalg.slogdet(a @ cov_x @ a.T + eye)[1]
    return i_tx, i_tx - 0.5 * np.linalg.slogdet(a @ cov_x_given_y @ a.T + eye)[1]


def teacher_student_covariance(w1, teacher, label_noise, hidden_noise):
    """Joint covariance of (T, Y), T = W1 X + N(0, hidden_noise^2 I), Y = w0.X + noise."""
    cov_t = w1 @ w1.T + hidden_noise**2 * np.eye(w1.shape[0])
    cov_ty = (w1 @ teacher)[:, None]
    cov_y = np.array([[teacher @ teacher + label_noise**2]])
    return np.block([[cov_t, cov_ty], [cov_ty.T, cov_y]])


def input_hidden_covariance(w1, hidden_noise):
    """Joint covariance of (X, T), X ~ N(0, I), T = W1 X + N(0, hidden_noise^2 I)."""
    cov_t = w1 @ w1.T + hidden_noise**2 * np.eye(w1.shape[0])
    return np.block([[np.eye(w1.shape[1]), w1.T], [w1, cov_t]])


def input_label_covariance(teacher, label_noise):
    """Joint covariance of (X, Y), X ~ N(0, I), Y = w0.X + N(0, label_noise^2)."""
    return np.block(
        [
            [np.eye(teacher.size), teacher[:, None]],
            [teacher[None, :], np.array([[teacher @ teacher + label_noise**2]])],
        ]
    )
