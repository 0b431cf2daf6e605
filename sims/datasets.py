"""Small datasets shared by the simulations.

- :func:`hierarchy_features`: the feature-by-item matrix of a binary tree (Saxe, McClelland &
  Ganguli 2019), the hierarchical task of deep_linear and critical_periods.
- :func:`digits`: a balanced, scaled subset of scikit-learn's bundled 8x8 digits (NC7).
- :func:`twelve_bit_task`: the 12-bit, 4096-pattern binary task in the spirit of
  Shwartz-Ziv & Tishby (2017, arXiv:1703.00810): every 12-bit pattern once, in binary
  counting order (most significant bit first), labelled by a rotation-invariant function of
  the 12 vertices of a regular icosahedron (12 uniformly spread points on the sphere).
- :func:`load_mat_task`: reader for the original ``.mat`` format (matrices ``F`` and ``y``).
- :func:`published_task` / :func:`information_plane_task`: Shwartz-Ziv & Tishby's own
  ``var_u.mat`` (read from its path, never copied: its licence reserves all rights), or the
  surrogate above when the file is absent.

The published file is found through the environment:
    SIMS_IB_DATA   path of ``var_u.mat`` (default ``<repo>/../shared/data/var_u.mat`` when that
                   file exists); set to the empty string to use the surrogate.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from theory._validate import integer_at_least

N_BITS = 12
DATA_SOURCES = ("published", "surrogate")
DEFAULT_PUBLISHED_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "var_u.mat"
# Facts of the published data set (no data): 2118 of 4096 labels are 1, and the SHA-256 of
# its labels packed 8 to a byte (np.packbits, counting order). A file that differs is not
# "published", so the name can key the simulation cache.
PUBLISHED_POSITIVES = 2118
PUBLISHED_LABELS_SHA256 = "371b2b46a5052b4f69f7991ca141fb5afa1ac364ef7beb81ec900eecac2f86d9"


def hierarchy_features(levels):
    """Feature-by-item matrix of a binary tree: a feature per node, 1 on the items below it.

    P = 2^L items are the leaves; shape (2^{L+1} - 1, 2^L), rows ordered root first, level by
    level (Saxe, McClelland & Ganguli 2019, arXiv:1810.10531; Kleinman et al. 2024 use L = 3).
    ``levels``: an integer in [0, 10] (the matrix has ~2^{2L+1} entries).
    """
    levels = integer_at_least("levels", levels, 0, 10)
    items = 2**levels
    return np.concatenate(
        [np.kron(np.eye(2**k), np.ones((1, items // 2**k))) for k in range(levels + 1)], axis=0
    )


def digits(n_per_class):
    """A balanced subset of scikit-learn's bundled 8x8 digits: inputs (10 n, 64), labels (10 n,).

    The first ``n_per_class`` images of each digit (1 <= n <= 174, the smallest class), so
    that the centred class means sum to zero. Every pixel is centred and all pixels share one
    scale (unit mean square over the whole array): standardising each pixel on its own would
    blow the rarely inked border pixels up to 40 standard deviations.
    """
    from sklearn.datasets import load_digits

    x, labels = load_digits(return_X_y=True)
    smallest = int(np.bincount(labels).min())
    if isinstance(n_per_class, bool | np.bool_) or not (
        float(n_per_class).is_integer() and 1 <= n_per_class <= smallest
    ):
        raise ValueError(f"n_per_class must be in [1, {smallest}], got {n_per_class}")
    keep = np.concatenate([np.flatnonzero(labels == k)[:n_per_class] for k in range(10)])
    x, labels = x[keep], labels[keep]
    x = x - x.mean(axis=0)
    return x / np.sqrt(np.mean(x**2)), labels


def all_bit_patterns(n_bits: int = N_BITS) -> np.ndarray:
    """Every ``n_bits`` pattern once, (2**n_bits, n_bits) uint8, in binary counting order.

    The most significant bit comes first (the order of the published ``.mat`` file).
    """
    if isinstance(n_bits, bool) or not 1 <= int(n_bits) <= 24:
        raise ValueError(f"n_bits must be an integer in [1, 24], got {n_bits!r}")
    index = np.arange(2**n_bits)[:, None]
    return ((index >> np.arange(n_bits - 1, -1, -1)[None, :]) & 1).astype(np.uint8)


def icosahedron_vertices() -> np.ndarray:
    """The 12 unit vectors of a regular icosahedron, (12, 3)."""
    phi = (1 + np.sqrt(5.0)) / 2
    cyclic = [(0.0, a, b * phi) for a in (1, -1) for b in (1, -1)]
    vertices = np.array([np.roll(v, shift) for shift in range(3) for v in cyclic])
    return vertices / np.linalg.norm(vertices, axis=1, keepdims=True)


def twelve_bit_task(*, clustering_weight: float = 0.2, threshold: float = 5.4):
    """The 12-bit task: inputs (4096, 12) in {0, 1} and labels (4096,) in {0, 1}.

    Bit i switches on vertex n_i of the icosahedron. The label is
        y = 1  iff  k(x) - clustering_weight * |sum_i x_i n_i|^2 >= threshold,
    with k(x) the number of active bits. Both terms are invariant under the rotations of the
    sphere (the spherical symmetry of Shwartz-Ziv & Tishby 2017); the second term separates
    spread-out from clustered patterns of equal weight. At the defaults 2098 of 4096 labels
    are 1, so H(Y) = 0.9996 bits, and y is a deterministic function of x: I(X;Y) = H(Y).
    Labels are 0 for k <= 4 and 1 for k >= 8, as in the published data set.
    """
    patterns = all_bit_patterns(N_BITS)
    spread = np.sum((patterns @ icosahedron_vertices()) ** 2, axis=1)
    score = patterns.sum(axis=1) - clustering_weight * spread
    return patterns, (score >= threshold).astype(np.uint8)


def load_mat_task(path) -> tuple[np.ndarray, np.ndarray]:
    """Read a task in the original ``.mat`` format: returns (F (n, d) uint8, y (n,) uint8)."""
    from scipy.io import loadmat

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must name an existing .mat file, got {str(path)!r}")
    try:
        content = loadmat(path)
    except Exception as error:  # scipy raises several types on a file that is not .mat
        raise ValueError(f"path must name a readable .mat file, got {str(path)!r}: {error}") from None
    if "F" not in content or "y" not in content:
        raise ValueError(f"path must hold matrices 'F' and 'y', got {sorted(content)}")
    inputs, labels = np.asarray(content["F"]), np.asarray(content["y"])
    for name, values in (("F", inputs), ("y", labels)):
        # A cast to uint8 would silently turn 0.5 into 0 or 256 into 0.
        if values.size == 0 or not np.all((values == 0) | (values == 1)):
            raise ValueError(f"{name} in {str(path)!r} must be a non-empty 0/1 matrix")
    if inputs.ndim != 2 or labels.size != max(labels.shape):  # y: (n,), (1, n), (n, 1)
        raise ValueError(f"F must be (n, d) and y a vector: {inputs.shape}, {labels.shape}")
    inputs, labels = inputs.astype(np.uint8), labels.astype(np.uint8).ravel()
    if labels.shape[0] != inputs.shape[0]:
        raise ValueError(f"y must have one label per row of F: {labels.shape} vs {inputs.shape}")
    return inputs, labels


def published_data_path() -> Path | None:
    """Path of the published ``var_u.mat``, or None when it is not available.

    ``SIMS_IB_DATA`` overrides the default ``<repo>/../shared/data/var_u.mat``; an empty value
    means "use the surrogate". A path named in ``SIMS_IB_DATA`` that does not exist is an
    error (a typo must not silently fall back to the surrogate).
    """
    named = os.environ.get("SIMS_IB_DATA")
    if named is None:
        return DEFAULT_PUBLISHED_PATH if DEFAULT_PUBLISHED_PATH.is_file() else None
    if named == "":
        return None
    path = Path(named).expanduser()
    if not path.is_file():
        raise ValueError(f"SIMS_IB_DATA must name an existing .mat file (or be empty), got {named!r}")
    return path


def default_data_source() -> str:
    """ "published" when the published file is available, else "surrogate"."""
    return "published" if published_data_path() is not None else "surrogate"


def published_task(path=None) -> tuple[np.ndarray, np.ndarray]:
    """Shwartz-Ziv & Tishby's 12-bit data set: inputs (4096, 12) and labels (4096,), uint8.

    Read from ``path`` (default :func:`published_data_path`) and checked against the facts of
    the published file: every 12-bit pattern once in counting order, 2118 positive labels and
    the labels' SHA-256, so that a different file cannot pass as the published one.
    """
    if path is None:
        path = published_data_path()
        if path is None:
            raise ValueError(
                f"data='published' needs var_u.mat: set SIMS_IB_DATA or place it at {DEFAULT_PUBLISHED_PATH}"
            )
    inputs, labels = load_mat_task(path)
    digest = hashlib.sha256(np.packbits(labels).tobytes()).hexdigest()
    if (
        not np.array_equal(inputs, all_bit_patterns(N_BITS))
        or int(labels.sum()) != PUBLISHED_POSITIVES
        or digest != PUBLISHED_LABELS_SHA256
    ):
        raise ValueError(
            f"path must hold the published var_u.mat (4096 x 12 patterns in "
            f"counting order, {PUBLISHED_POSITIVES} positive labels), got "
            f"{str(path)!r} with F {inputs.shape}, {int(labels.sum())} positives"
        )
    return inputs, labels


def information_plane_task(data: str) -> tuple[np.ndarray, np.ndarray]:
    """The 12-bit task of the information plane: ``data`` is "published" or "surrogate"."""
    if data == "published":
        return published_task()
    if data == "surrogate":
        return twelve_bit_task()
    raise ValueError(f"data must be one of {DATA_SOURCES}, got {data!r}")
