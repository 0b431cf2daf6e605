"""A toy validity map with a known boundary, for the sweep engine's tests (no JAX, no area).

z = x^2 y / 0.5 on x, y in [0.1, 10]: the closed form "holds" (z <= 1) below the boundary
y = 0.5 / x^2 and fails above it. ``SIMS_TOY_KILL`` names a file: the first chunk that finds
it missing creates it and kills its worker process (a worker dying mid-chunk); only in a
worker process. ``SIMS_TOY_LOG`` names a file that gets a line per chunk evaluated.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np

from sims import sweep

EVALUATED = []  # chunks evaluated in this process (in-process runs count them)


def toy_boundary(x, **_):
    return 0.5 / np.asarray(x) ** 2


def toy_wrong_boundary(x, **_):
    """Perturbation: constant 0.5 -> 2 (a factor 4 off)."""
    return 2.0 / np.asarray(x) ** 2


@sweep.validity_map(
    "TOY-M1",
    area="toy",
    claim="none",
    title="toy map",
    statement="z = 2 x^2 y crosses 1 at y = 0.5 / x^2",
    source="tests/toy_maps.py",
    x=sweep.Axis("x", 0.1, 10.0, label="x"),
    y=sweep.Axis("y", 0.1, 10.0, label="y"),
    boundary=toy_boundary,
    boundary_axis="y",
    fails="above",
    wrong_boundaries={"constant 0.5 -> 2": toy_wrong_boundary},
    panels=[dict(scale=1.0), dict(scale=1.0 + 1e-9)],
    resolution=8,
    quick_resolution=6,
    chunk=8,
)
def evaluate_toy(points, *, scale):
    kill = os.environ.get("SIMS_TOY_KILL")
    in_worker = multiprocessing.parent_process() is not None  # never kill the test process
    if kill and in_worker and not Path(kill).exists():
        Path(kill).write_text("killed once")
        os._exit(1)
    EVALUATED.append(len(points))
    log = os.environ.get("SIMS_TOY_LOG")
    if log:  # one line per chunk evaluated, in any process
        with open(log, "a") as handle:
            handle.write(f"{len(points)}\n")
    out = []
    for p in points:
        # A seeded O(1e-3) jitter: results must not depend on the chunk (same seed, same bytes).
        jitter = 1 + 1e-3 * np.random.default_rng(p["seed"]).standard_normal()
        error = scale * 2 * p["x"] ** 2 * p["y"] * jitter
        out.append(sweep.PointResult(error, 1.0, diverged=bool(p["x"] > 9.9 and p["y"] > 9.9)))
    return out
