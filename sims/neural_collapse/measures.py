"""Neural-collapse measurements in NumPy: the NC metrics, class geometry, cosines and frames.

Pure functions of arrays (no training, no registry), used by the claims, the figures, the
notebook and the tests. A *run* passed to :func:`class_geometry` and friends is one of the
named results of :mod:`sims.neural_collapse.models`.
"""

from __future__ import annotations

import numpy as np

import theory.neural_collapse as theory


def nc_metrics(features, labels, classifier=None, *, bias=None, num_classes=None):
    """Papyan, Han & Donoho's neural-collapse measurements (arXiv:2008.08186, Fig. 2-7).

    With mu_G the global mean, mu_k the class means, M = [mu_k - mu_G] (d x K),
    Sigma_W = Ave_i (h_i - mu_{y_i})(...)^T and Sigma_B = Ave_k (mu_k - mu_G)(...)^T:
      nc1            Tr(Sigma_W Sigma_B^+) / K   (the 1/K of Papyan's later code with Wu; the
                     PNAS paper's notebook plots the trace without it)
      equinorm       std_k / mean_k of ||mu_k - mu_G||
      equiangularity Ave_{k != l} |cos(mu_k - mu_G, mu_l - mu_G) + 1/(K-1)|   (their Fig. 4, maximal-angle
                     equiangularity; Fig. 3 is the std of the same cosines)
      self_duality   ||W^T/||W||_F - M/||M||_F||_F^2        (classifier W given, K x d)
      ncc_mismatch   fraction of samples where argmax_k (W h + b)_k differs from
                     argmin_k ||h - mu_k||                 (classifier given)
    Invariant to rotating, scaling and translating the features (a translation changes the
    classifier's argmax unless the bias absorbs it, so ncc_mismatch is invariant to rotations
    and scalings only). Non-finite features, classifier or bias raise ValueError (they made
    the pseudo-inverse raise LinAlgError). The cosines are clamped to [-1, 1]: each is a
    ratio of float64 dot products with relative round-off ~ d eps (< 1e-12 for d <= 1e3), so
    the clamp changes nothing but that round-off.

    Args:
        features: (N, d); labels: (N,) ints in 0..K-1 with every class present;
        classifier: (K, d) or None; bias: (K,) or None (zero);
        num_classes: K (default: classifier rows, else max label + 1).
    Returns:
        dict of floats.
    """
    h = np.asarray(features, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"features must be a 2-D array (N, d), got shape {h.shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError("features must be finite (no NaN or inf entries)")
    if classifier is not None:
        classifier = np.asarray(classifier, dtype=np.float64)
        if classifier.ndim != 2 or classifier.shape[1] != h.shape[1]:
            raise ValueError(f"classifier must be (K, {h.shape[1]}), got {classifier.shape}")
        if not np.all(np.isfinite(classifier)):
            raise ValueError("classifier must be finite (no NaN or inf entries)")
        num_classes = classifier.shape[0] if num_classes is None else num_classes
    if num_classes is not None and isinstance(num_classes, bool | np.bool_):
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    labels = np.asarray(labels)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    y = theory.one_hot(labels, num_classes)
    if y.shape[0] != h.shape[0]:
        raise ValueError(f"labels must have one entry per row of features ({h.shape[0]}), got {y.shape[0]}")
    k = y.shape[1]
    means = (y.T @ h) / y.sum(axis=0)[:, None]
    centred = means - h.mean(axis=0)[None, :]
    within = h - y @ means
    sigma_w = within.T @ within / h.shape[0]
    sigma_b = centred.T @ centred / k
    norms = np.linalg.norm(centred, axis=1)
    cosines = np.clip((centred @ centred.T) / np.outer(norms, norms), -1.0, 1.0)
    off = ~np.eye(k, dtype=bool)
    out = dict(
        nc1=float(np.trace(sigma_w @ np.linalg.pinv(sigma_b, hermitian=True)) / k),
        equinorm=float(norms.std() / norms.mean()),
        equiangularity=float(np.mean(np.abs(cosines[off] + 1.0 / (k - 1)))),
    )
    if classifier is not None:
        w = classifier
        out["self_duality"] = float(
            np.sum((w.T / np.linalg.norm(w) - centred.T / np.linalg.norm(centred)) ** 2)
        )
        b = np.zeros(k) if bias is None else np.asarray(bias, dtype=np.float64)
        if b.shape != (k,) or not np.all(np.isfinite(b)):
            raise ValueError(f"bias must be a finite ({k},) array, got shape {b.shape}")
        predicted = np.argmax(h @ w.T + b[None, :], axis=1)
        distances = np.sum((h[:, None, :] - means[None, :, :]) ** 2, axis=2)
        out["ncc_mismatch"] = float(np.mean(predicted != np.argmin(distances, axis=1)))
    return out


def isotropic_etf_features(rng, *, num_classes, dim, n_per_class, noise_std, radius):
    """Features r e_k + s z (e_k a simplex ETF, z ~ N(0, I_d)) and their labels."""
    labels = np.repeat(np.arange(num_classes), n_per_class)
    means = radius * theory.simplex_etf(num_classes, dim).T
    return means[labels] + noise_std * rng.standard_normal((labels.size, dim)), labels


def cosines(vectors):
    """Pairwise cosines (..., K, K) of the rows of vectors (..., K, d)."""
    unit = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.clip(unit @ np.swapaxes(unit, -1, -2), -1.0, 1.0)  # round-off ~ d eps only


def class_geometry(run, member=0, record=-1):
    """Classifier row norms, feature norms, class means and their metrics for one member of a
    :class:`~sims.neural_collapse.models.UFMRun` (only the samples in use, where it masks)."""
    mask = slice(None) if run.mask is None else run.mask[member]
    features = run.features[member, record][mask]
    labels = run.labels[mask]
    classifier = run.classifier[member, record]
    means = np.stack([features[labels == k].mean(axis=0) for k in range(classifier.shape[0])])
    norms = np.linalg.norm(means, axis=1)
    return dict(
        row_norms=np.linalg.norm(classifier, axis=1),
        feature_norms=np.linalg.norm(features, axis=1),
        labels=labels,
        mean_norms_sq=norms**2,
        cosines=np.clip((means @ means.T) / np.outer(norms, norms), -1.0, 1.0),  # round-off only
        metrics=nc_metrics(features, labels, classifier, num_classes=classifier.shape[0]),
    )


def minority_cosines(classifier, num_majority):
    """cos(w_a, w_b) between the first two minority classifiers (rows num_majority and
    num_majority + 1) of classifiers (..., K, d), clamped to [-1, 1] (round-off ~1e-16 only)."""
    a, b = classifier[..., num_majority, :], classifier[..., num_majority + 1, :]
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.clip(cos, -1.0, 1.0)


def frame_deviation(means, frame):
    """RMS over class pairs k != l of cos(m_k, m_l) - cos(e_k, e_l).

    Args:
        means: (..., K, d) class means (centred); frame: (d', K) with columns e_k.
    Returns:
        (...) deviations.
    """
    off = ~np.eye(frame.shape[1], dtype=bool)
    return np.sqrt(np.mean((cosines(means) - cosines(frame.T))[..., off] ** 2, axis=-1))


def seed_records(run, name):
    """Record ``name`` of a :class:`~sims.neural_collapse.models.DigitsRun` as (seeds, R)."""
    return run.frame[name].to_numpy().reshape(run.means.shape[0], -1)


def terminal_phase(run):
    """Per seed, the record index where the terminal phase begins (training error first 0 and
    staying 0 to the end), or None when some seed never gets there."""
    error = seed_records(run, "train_error")
    stays = np.flip(np.cumsum(np.flip(error, axis=1), axis=1), axis=1) == 0
    if not stays[:, -1].all():
        return None
    return np.argmax(stays, axis=1)
