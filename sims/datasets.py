"""Small datasets shared by the simulations.

- :func:`twelve_bit_task`: the 12-bit, 4096-pattern binary task in the spirit of
  Shwartz-Ziv & Tishby (2017, arXiv:1703.00810): every 12-bit pattern once, in binary
  counting order (most significant bit first), labelled by a rotation-invariant function of
  the 12 vertices of a regular icosahedron (12 uniformly spread points on the sphere).
- :func:`load_mat_task`: reader for the original ``.mat`` format (matrices ``F`` and ``y``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_BITS = 12


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
    content = loadmat(path)
    if "F" not in content or "y" not in content:
        raise ValueError(f"path must hold matrices 'F' and 'y', got {sorted(content)}")
    inputs = np.asarray(content["F"], dtype=np.uint8)
    labels = np.asarray(content["y"], dtype=np.uint8).ravel()
    if labels.shape[0] != inputs.shape[0]:
        raise ValueError(f"y must have one label per row of F: {labels.shape} vs {inputs.shape}")
    return inputs, labels
