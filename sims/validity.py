"""The validity maps' outputs: ``results/maps/<map>.csv`` (deterministic bytes) with their
timings beside them, and the summary ``results/validity.csv|md`` (each map's boundary
agreement, its seconds and its kernels' speed). The sweep engine itself is :mod:`sims.sweep`;
nothing here changes what a point computes, so editing this module recomputes no map point.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sims import sweep


def write_csv(spec: sweep.ValidityMap, frame: pd.DataFrame, results: Path = sweep.RESULTS) -> Path:
    """``results/maps/<map>.csv`` (deterministic bytes: sorted, no timings) and the timings
    beside it in ``<map>.timings.csv``."""
    folder = results / "maps"
    folder.mkdir(parents=True, exist_ok=True)
    columns = [
        "map",
        "panel",
        "x",
        "y",
        "key",
        "seed",
        "error",
        "tolerance",
        "z",
        "diverged",
        "status",
        "note",
    ]
    ordered = frame.sort_values(["panel_index", "y", "x"], kind="stable")
    path = folder / f"{spec.name}.csv"
    ordered[columns].to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    ordered[["key", "seconds", "member_steps", "backend", "device", "code"]].to_csv(
        folder / f"{spec.name}.timings.csv", index=False, float_format="%.6g", lineterminator="\n"
    )
    return path


def summary_row(spec: sweep.ValidityMap, frame: pd.DataFrame, seconds: float) -> dict:
    outcome = sweep.boundary_agreement(spec, frame)
    head = outcome.headline
    return dict(
        claim=spec.claim,
        map=spec.name,
        axes=f"{spec.x.name} x {spec.y.name}",
        panels=len(spec.panels),
        points=len(frame),
        share_within_tolerance=round(float(np.mean(frame["z"].to_numpy(dtype=float) <= 1.0)), 4),
        diverged=int(frame["diverged"].sum()) if "diverged" in frame else 0,
        boundary_log10_ratio=None if head is None else head.observed,
        boundary_passed=outcome.passed,
        finding=bool(spec.finding),
        seconds=round(seconds, 2),
        **throughput(frame),
        backend=str(frame["backend"].iloc[0]) if "backend" in frame and len(frame) else "",
    )


def throughput(frame: pd.DataFrame) -> dict:
    """The kernels' speed over every point of ``frame`` (stored ones included, at the speed
    they ran): points/s and member-steps/s (members x optimiser steps of the training engine;
    NaN for a map whose kernel trains nothing) over the seconds the chunks took."""
    seconds = float(frame["seconds"].sum()) if "seconds" in frame else 0.0
    steps = float(frame["member_steps"].fillna(0).sum()) if "member_steps" in frame else 0.0
    if seconds <= 0:
        return dict(points_per_s=math.nan, member_steps_per_s=math.nan)
    return dict(
        points_per_s=round(len(frame) / seconds, 2),
        member_steps_per_s=round(steps / seconds) if steps > 0 else math.nan,
    )


def validity_report(
    names=None, *, resolution=None, executor=None, progress=False, results=sweep.RESULTS
) -> pd.DataFrame:
    """Run the maps (all by default), write results/maps/*.csv and results/validity.csv|md."""
    maps = sweep.all_maps()
    rows = []
    for name in names or list(maps):
        spec = maps[name] if name in maps else sweep.get(name)
        start = time.perf_counter()
        frame = sweep.run(spec, resolution, executor=executor, progress=progress)
        seconds = time.perf_counter() - start
        write_csv(spec, frame, results)
        rows.append(summary_row(spec, frame, seconds))
    table = pd.DataFrame(rows)
    results.mkdir(parents=True, exist_ok=True)
    table.to_csv(results / "validity.csv", index=False, lineterminator="\n")
    lines = [
        "# Validity maps",
        "",
        "Each map sweeps a claim's comparison over two dimensionless axes; `boundary` is the median "
        f"|log10(measured / predicted boundary)| (passes at <= log10({sweep.BOUNDARY_FACTOR:g}) = "
        f"{math.log10(sweep.BOUNDARY_FACTOR):.3f}); `seconds` is this run (0 where every point was stored); "
        "`points/s` and `member-steps/s` (members x optimiser steps; n/a where the kernel trains "
        "nothing) are the kernels' speed when the points ran.",
        "",
        "| claim | map | axes | points | within tolerance | diverged | boundary | agrees | seconds "
        "| points/s | member-steps/s | backend |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        boundary, rate = row["boundary_log10_ratio"], row["member_steps_per_s"]
        lines.append(
            f"| {row['claim']} | {row['map']} | {row['axes']} | {row['points']} | "
            f"{row['share_within_tolerance']:.0%} | {row['diverged']} | "
            f"{'undefined' if boundary is None or not np.isfinite(boundary) else f'{boundary:.3f}'} | "
            f"{'yes' if row['boundary_passed'] else ('no: a finding' if row['finding'] else 'NO')} | "
            f"{row['seconds']:.1f} | {row['points_per_s']:.1f} | "
            f"{'n/a' if not np.isfinite(rate) else f'{rate:,.0f}'} | "
            f"{row['backend']} |"
        )
    (results / "validity.md").write_text("\n".join(lines) + "\n")
    return table
