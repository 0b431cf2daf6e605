"""The validity maps' part of ``make bench`` (issue 13): each map cold, all ten warm, and the
executors on DL-M1, every run a fresh process with its own empty store (and no compilation
cache), so that compilation is included as a new user pays it.

- ``theory-suite maps`` cold (every map at its default resolution, in-process: members sharded
  over the local JAX devices) and warm (every point stored): per map its seconds, points/s and
  member-steps/s (from results/validity.csv of that run);
- DL-M1 alone, cold: in-process with the default two CPU devices, with one
  (SIMS_CPU_DEVICES=1: what sharding a chunk's members buys), and on a Dask LocalCluster of
  two spawned single-device workers, cluster start included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sims.cache import ROOT

EXECUTOR_MAP = "DL-M1"
# (variant, extra arguments, extra environment)
EXECUTORS = (
    ("in_process_2_devices", [], {}),
    ("in_process_1_device", [], {"SIMS_CPU_DEVICES": "1"}),
    ("dask_local_cluster_2_workers", ["--local-cluster", "2"], {}),
)


def _cli(arguments, store, results, **environment) -> float:
    """Wall seconds of ``python -m sims.cli ARGUMENTS --results RESULTS`` on the map store in
    ``store`` (a boundary that disagrees exits 1: a result, still timed)."""
    env = {**os.environ, "SIMS_CACHE_DIR": str(store), "SIMS_COMPILE_CACHE": "0", **environment}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sims.cli", *arguments, "--results", str(results)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"sims.cli {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def map_rows() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for variant in ("cold", "warm"):
            seconds = _cli(["maps"], folder / "store", folder / variant)
            rows.append(dict(benchmark="maps:all", variant=variant, seconds=seconds))
            print(f"maps:all {variant:5s} {seconds:7.1f}s", flush=True)
        table = pd.read_csv(folder / "cold" / "validity.csv")
        for r in table.itertuples():
            rows.append(
                dict(
                    benchmark=f"map:{r.map}",
                    variant="cold",
                    seconds=r.seconds,
                    points=r.points,
                    points_per_s=r.points_per_s,
                    member_steps_per_s=r.member_steps_per_s,
                )
            )
        for variant, arguments, environment in EXECUTORS:
            seconds = _cli(
                ["map", EXECUTOR_MAP, *arguments], folder / variant / "store", folder / variant, **environment
            )
            rows.append(dict(benchmark=f"executor:{EXECUTOR_MAP}", variant=variant, seconds=seconds))
            print(f"executor:{EXECUTOR_MAP} {variant:30s} {seconds:7.1f}s", flush=True)
    return rows


def to_markdown(frame: pd.DataFrame) -> list[str]:
    """The maps' section of results/bench.md (empty when the maps were skipped)."""
    maps = frame[frame["benchmark"].str.startswith("map:")]
    if not len(maps):
        return []
    total = frame[frame["benchmark"] == "maps:all"].set_index("variant")["seconds"]
    lines = [
        "",
        "## Validity maps (targets on 2 cores: each map cold <= 60 s, all ten <= 8 min, warm <= 20 s)",
        "",
        "Cold: a fresh process, empty store, no compilation cache, every map at its default "
        "resolution in-process (a chunk's members sharded over the 2 CPU devices). Member-steps: "
        "members x optimiser steps of the training engine (n/a: the kernel trains nothing).",
        "",
        "| map | points | cold s | points/s | member-steps/s |",
        "|---|---|---|---|---|",
    ]
    for r in maps.itertuples():
        steps = "n/a" if pd.isna(r.member_steps_per_s) else f"{r.member_steps_per_s:,.0f}"
        lines.append(
            f"| {r.benchmark.removeprefix('map:')} | {r.points:.0f} | {r.seconds:.1f} | "
            f"{r.points_per_s:.1f} | {steps} |"
        )
    lines.append(
        f"| **all ten, `theory-suite maps` process** | {maps['points'].sum():.0f} | "
        f"{total.get('cold', float('nan')):.1f} | | |"
    )
    lines.append(f"| **warm (every point stored)** | | {total.get('warm', float('nan')):.1f} | | |")
    executors = frame[frame["benchmark"] == f"executor:{EXECUTOR_MAP}"].set_index("variant")["seconds"]
    if len(executors):
        base = executors["in_process_2_devices"]
        lines += [
            "",
            f"### {EXECUTOR_MAP} by executor (cold process, compilation and cluster start included; "
            "target: Dask <= 1.3x in-process)",
            "",
            "| executor | seconds | x in-process (2 devices) |",
            "|---|---|---|",
        ]
        for variant, seconds in executors.items():
            lines.append(f"| {variant} | {seconds:.1f} | {seconds / base:.2f} |")
    lines += [
        "",
        "GPU targets (DL-M1 and NC-M1 at 4x resolution <= 30 s, >= 20x the 2-core time): not "
        "measured, no GPU was lent to this project; the CPU member-steps/s are above.",
    ]
    return lines
