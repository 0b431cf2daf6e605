"""Validity maps: where a closed form stops holding, on one sweep engine.

A *map* sweeps one claim's comparison over a grid of two dimensionless axes (lr / stability
bound, init scale x width, L / n, ...), possibly in several *panels* (static settings that
change shapes, e.g. the depth). Each point gets the comparison's error and tolerance;
``z = error / tolerance`` (inf where the simulation diverged). The theory's *predicted*
boundary (where z should cross 1) is a closed form of the map; the measured boundary is read
off the grid. Every map is also a claim of its own in :mod:`sims.registry`: the measured
boundary lies within a factor ``BOUNDARY_FACTOR`` of the predicted one along the grid (median
over grid lines of |log10(measured / predicted)|), and a deliberately wrong boundary fails.

An area declares a map in ``sims/<area>/maps.py``::

    @validity_map(
        "DL-M1", claim="DL1", title=..., x=Axis("lr_ratio", 0.05, 2.0, label=...),
        y=Axis("u0", 1e-6, 1e-1, label=...), panels=[dict(depth=2), dict(depth=4)],
        boundary=predicted_u0, boundary_axis="y", fails="below",
        wrong_boundaries={"exponent 1 -> 2": ...}, ...)
    def evaluate(points, *, depth):   # a batched kernel: points share the panel's shapes
        ...                           # -> one PointResult(error, tolerance, diverged, note) each

The engine (:func:`run`) evaluates the points not yet stored, in chunks, in-process or on any
:class:`concurrent.futures.Executor` (Dask distributed: ``Client(...).get_executor()``),
and stores every chunk as a content-addressed parquet part under
``<cache>/maps/<map>/<code fingerprint>/``: a rerun skips stored points, an interrupted map
resumes, a grown grid computes only its new points. A point's seed is a hash of its map and
key, so its result never depends on its chunk or on the executor.

Environment: ``SIMS_CACHE_DIR`` (the store lives in its ``maps/`` folder);
``SIMS_NO_CACHE=1`` stores nothing (each run recomputes).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sims import cache, outcomes, registry

# A measured boundary within a factor 2 of the predicted one passes (issue 13): the grids are
# 16 points over 1-3 decades, so one grid step is a factor 1.2-1.5 and interpolating log z
# between neighbours resolves the crossing to a fraction of a step.
BOUNDARY_FACTOR = 2.0
# log10 z drawn and used for interpolation where the simulation diverged (z = inf).
DIVERGED_LOG10_Z = 3.0
# Significant digits of a point's coordinates in its key (keys identify stored points).
KEY_DIGITS = 12
RESULTS = cache.ROOT / "results"


class PointResult(NamedTuple):
    """One grid point: the claim's comparison there. ``diverged`` flags a simulation that
    produced NaN/inf (its z is inf); ``error`` NaN with a ``note`` marks an undefined point."""

    error: float
    tolerance: float
    diverged: bool = False
    note: str = ""


@dataclass(frozen=True)
class Axis:
    """A dimensionless axis from ``low`` to ``high`` (``scale`` "log" or "linear")."""

    name: str
    low: float
    high: float
    scale: str = "log"
    label: str = ""

    def __post_init__(self):
        if self.scale not in ("log", "linear"):
            raise ValueError(f"scale must be 'log' or 'linear', got {self.scale!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"axis {self.name}: need finite low < high, got {self.low}, {self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"axis {self.name}: a log axis needs low > 0, got {self.low}")

    def values(self, resolution: int) -> np.ndarray:
        if resolution < 2:
            raise ValueError(f"resolution must be >= 2, got {resolution}")
        if self.scale == "log":
            return np.geomspace(self.low, self.high, resolution)
        return np.linspace(self.low, self.high, resolution)

    def coordinate(self, value):
        """Where interpolation is linear: log10 on a log axis."""
        return np.log10(value) if self.scale == "log" else np.asarray(value, dtype=float)

    def from_coordinate(self, coordinate):
        return 10.0**coordinate if self.scale == "log" else coordinate


@dataclass(frozen=True)
class ValidityMap:
    """A grid over two axes (per panel) on which ``evaluate`` scores a claim's comparison.

    ``boundary(values, **panel)`` is the predicted boundary: for the values of the *other*
    axis, the value of ``boundary_axis`` where z crosses 1; ``fails`` says on which side of it
    (along ``boundary_axis``) the closed form fails ("above" or "below").
    ``wrong_boundaries`` are perturbations (e.g. a wrong exponent) that must fail the map's
    boundary claim; ``extra_boundaries`` are drawn only (labelled dashed lines).
    """

    name: str
    area: str
    claim: str
    title: str
    statement: str
    source: str
    x: Axis
    y: Axis
    evaluate: Callable[..., Sequence[PointResult]]
    boundary: Callable[..., np.ndarray]
    boundary_axis: str
    fails: str
    wrong_boundaries: Mapping[str, Callable[..., np.ndarray]]
    panels: tuple[Mapping[str, Any], ...] = ({},)
    extra_boundaries: Mapping[str, Callable[..., np.ndarray]] = field(default_factory=dict)
    defaults: Mapping[str, float] = field(default_factory=dict)
    resolution: int = 16
    quick_resolution: int = 6
    chunk: int = 32
    error_model: str = ""
    # A documented disagreement of measured and predicted boundary (see Claim.finding).
    finding: str = ""

    @property
    def other_axis(self) -> Axis:
        return self.x if self.boundary_axis == "y" else self.y

    @property
    def along(self) -> Axis:
        return self.y if self.boundary_axis == "y" else self.x

    def fingerprint(self) -> str:
        """Hash of the code the points depend on (the import closure of the map's module)."""
        return cache.code_fingerprint(Path(inspect.getsourcefile(self.evaluate)).resolve())


_MAPS: dict[str, ValidityMap] = {}


def validity_map(name: str, **fields) -> Callable:
    """Register the decorated batched kernel ``evaluate(points, **panel)`` as map ``name``,
    and the map's boundary-agreement claim (label ``name``) in :mod:`sims.registry`."""

    def register(evaluate):
        module = evaluate.__module__
        area = module.split(".")[1] if module.startswith("sims.") else fields.get("area", "")
        spec = ValidityMap(
            name=name,
            area=fields.pop("area", area),
            evaluate=evaluate,
            panels=tuple(dict(p) for p in fields.pop("panels", ({},))),
            **fields,
        )
        if spec.boundary_axis not in ("x", "y"):
            raise ValueError(f"boundary_axis must be 'x' or 'y', got {spec.boundary_axis!r}")
        if spec.fails not in ("above", "below"):
            raise ValueError(f"fails must be 'above' or 'below', got {spec.fails!r}")
        _MAPS[name] = spec
        _register_claim(spec)
        return evaluate

    return register


def all_maps() -> dict[str, ValidityMap]:
    """Every map of the suite's areas, in area order, importing the areas' ``maps`` modules
    (a map declared elsewhere, e.g. a test's toy map, is reachable by :func:`get` only)."""
    for area in registry.AREAS:
        if importlib.util.find_spec(f"sims.{area}") and importlib.util.find_spec(f"sims.{area}.maps"):
            importlib.import_module(f"sims.{area}.maps")
    order = {area: i for i, area in enumerate(registry.AREAS)}
    ours = [m for m in _MAPS.values() if m.area in order]
    return {m.name: m for m in sorted(ours, key=lambda m: (order[m.area], m.name))}


def get(name: str) -> ValidityMap:
    maps = {**all_maps(), **_MAPS}
    if name not in maps:
        raise ValueError(f"map must be one of {sorted(maps)}, got {name!r}")
    return maps[name]


# ----------------------------------------------------------------------------- the grid


def _round(value: float) -> float:
    return float(f"{float(value):.{KEY_DIGITS}g}")


def point_key(panel: Mapping[str, Any], x: float, y: float) -> str:
    return json.dumps({"panel": dict(panel), "x": _round(x), "y": _round(y)}, sort_keys=True)


def point_seed(map_name: str, key: str) -> int:
    """A point's seed: a hash of its map and key (never of its chunk or executor)."""
    return int.from_bytes(hashlib.sha256(f"{map_name}|{key}".encode()).digest()[:4], "little") >> 1


def panel_text(panel: Mapping[str, Any]) -> str:
    """A panel as it is stored (the ``panel`` column): canonical JSON."""
    return json.dumps(dict(panel), sort_keys=True)


def panel_order(spec: ValidityMap) -> dict[str, int]:
    """Each panel's index, its place in the map's own list (a subset of panels keeps it)."""
    return {panel_text(p): i for i, p in enumerate(spec.panels)}


def grid(spec: ValidityMap, resolution: int | None = None, panels=None) -> pd.DataFrame:
    """The points of ``spec`` at ``resolution`` per axis: one row each (panel, x, y, key, seed)."""
    resolution = int(resolution or spec.resolution)
    rows = []
    order = panel_order(spec)
    for i, panel in enumerate(panels if panels is not None else spec.panels):
        text = panel_text(panel)
        index = order.get(text, len(order) + i)
        for y in spec.y.values(resolution):
            for x in spec.x.values(resolution):
                x, y = _round(x), _round(y)
                key = point_key(panel, x, y)
                rows.append(
                    dict(
                        map=spec.name,
                        panel_index=index,
                        panel=text,
                        x=x,
                        y=y,
                        key=key,
                        seed=point_seed(spec.name, key),
                    )
                )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- evaluation


def evaluate_chunk(module: str, map_name: str, panel_json: str, points: list[dict]) -> dict:
    """Evaluate one chunk of points that share a panel; ``module`` declares the map (a worker
    process imports it by name)."""
    import jax

    importlib.import_module(module)
    spec = _MAPS[map_name] if map_name in _MAPS else get(map_name)
    panel = json.loads(panel_json)
    from sims import engine

    start, steps = time.perf_counter(), engine.member_steps()
    arguments = [{spec.x.name: p["x"], spec.y.name: p["y"], "seed": p["seed"]} for p in points]
    results = list(spec.evaluate(arguments, **panel))
    if len(results) != len(points):
        raise RuntimeError(f"{map_name}: evaluate returned {len(results)} results for {len(points)}")
    return dict(
        results=[PointResult(*r) for r in results],
        seconds=time.perf_counter() - start,
        member_steps=engine.member_steps() - steps,
        backend=jax.default_backend(),
        device=str(jax.devices()[0].device_kind),
    )


def _store(spec: ValidityMap, store: Path | None, fingerprint: str) -> Path | None:
    if store is None:
        if os.environ.get("SIMS_NO_CACHE") == "1":
            return None
        store = cache.cache_dir() / "maps"
    return Path(store) / spec.name / fingerprint[:16]


def _load_parts(folder: Path | None) -> pd.DataFrame:
    if folder is None or not folder.is_dir():
        return pd.DataFrame()
    parts = sorted(folder.glob("*.parquet"))
    if not parts:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def _write_part(folder: Path, frame: pd.DataFrame) -> None:
    """Write a chunk's rows as a parquet part named by the hash of its point keys, atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256("\n".join(sorted(frame["key"])).encode()).hexdigest()[:24]
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
        frame.to_parquet(handle.name, index=False)
    os.replace(handle.name, folder / f"{name}.parquet")


def _chunk_rows(points: pd.DataFrame, result: dict, fingerprint: str) -> pd.DataFrame:
    frame = points.copy()
    values = result["results"]
    frame["error"] = [float(r.error) for r in values]
    frame["tolerance"] = [float(r.tolerance) for r in values]
    frame["diverged"] = [bool(r.diverged) for r in values]
    frame["note"] = [str(r.note) for r in values]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = frame["error"].to_numpy() / frame["tolerance"].to_numpy()
    frame["z"] = np.where(frame["diverged"], np.inf, z)
    frame["status"] = np.where(frame["diverged"], "diverged", np.where(np.isnan(z), "undefined", "ok"))
    frame["seconds"] = result["seconds"] / max(len(values), 1)
    frame["member_steps"] = result["member_steps"] / max(len(values), 1)
    frame["backend"] = result["backend"]
    frame["device"] = result["device"]
    frame["code"] = fingerprint[:16]
    return frame


def run(
    spec: ValidityMap | str,
    resolution: int | None = None,
    *,
    panels=None,
    executor: concurrent.futures.Executor | None = None,
    store: Path | str | None = None,
    chunk: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Every point of ``spec``'s grid with its comparison: a tidy frame (one row per point:
    map, panel, x, y, key, seed, error, tolerance, z, diverged, status, note, seconds, backend,
    device, code), sorted by panel and key. Stored points are read, the rest evaluated in
    chunks of ``chunk`` (default the map's) on ``executor`` (in-process when None), each
    chunk stored as soon as it is done."""
    spec = get(spec) if isinstance(spec, str) else spec
    fingerprint = spec.fingerprint()
    folder = _store(spec, None if store is None else Path(store), fingerprint)
    wanted = grid(spec, resolution, panels)
    stored = _load_parts(folder)
    if not stored.empty:
        stored = stored[stored["key"].isin(set(wanted["key"]))].drop_duplicates("key")
        # The panel's place in this grid, not in the run that stored the point.
        stored = stored.assign(panel_index=stored["key"].map(wanted.set_index("key")["panel_index"]))
    done = set(stored["key"]) if not stored.empty else set()
    todo = wanted[~wanted["key"].isin(done)]
    size = int(chunk or spec.chunk)
    chunks = [
        group.iloc[i : i + size]
        for _, group in todo.groupby("panel", sort=True)
        for i in range(0, len(group), size)
    ]
    frames = [stored] if not stored.empty else []
    bar = _progress(len(chunks), spec.name) if progress and chunks else None

    def finish(points, result):
        frame = _chunk_rows(points, result, fingerprint)
        if folder is not None:
            _write_part(folder, frame)
        frames.append(frame)
        if bar is not None:
            bar.update(1)

    module = spec.evaluate.__module__
    if executor is None:
        for points in chunks:
            finish(points, evaluate_chunk(module, spec.name, points["panel"].iloc[0], _records(points)))
    else:
        futures = {
            executor.submit(
                evaluate_chunk, module, spec.name, points["panel"].iloc[0], _records(points)
            ): points
            for points in chunks
        }
        finished = set()
        try:
            for future in concurrent.futures.as_completed(futures):
                finish(futures[future], future.result())
                finished.add(future)
        except BaseException:
            # Interrupted (a failed chunk, Ctrl-C): keep every chunk that did finish, so that
            # a rerun recomputes only the ones in flight.
            for future in futures:
                future.cancel()
            for future, points in futures.items():
                if future not in finished and future.done() and not future.cancelled():
                    if future.exception() is None:
                        finish(points, future.result())
            raise
    if bar is not None:
        bar.close()
    computed = len(chunks)
    if not frames:
        return wanted.assign(error=np.nan, tolerance=np.nan, z=np.nan)
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values(["panel_index", "y", "x"], kind="stable").reset_index(drop=True)
    frame.attrs["computed_chunks"] = computed
    return frame


def _records(points: pd.DataFrame) -> list[dict]:
    return [dict(x=float(r.x), y=float(r.y), seed=int(r.seed)) for r in points.itertuples()]


def _progress(total: int, name: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=f"map {name}", unit="chunk", leave=False)


# ----------------------------------------------------------------------------- boundaries


def panel_frames(frame: pd.DataFrame):
    """(panel dict, its rows) for each panel of a map's frame, in order."""
    for _, rows in frame.groupby("panel_index", sort=True):
        yield json.loads(rows["panel"].iloc[0]), rows


def log10_z(rows: pd.DataFrame) -> np.ndarray:
    """log10 z per row; diverged points at DIVERGED_LOG10_Z; z = 0 at -DIVERGED_LOG10_Z."""
    z = rows["z"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        value = np.log10(z)
    return np.clip(np.where(np.isposinf(z), DIVERGED_LOG10_Z, value), -DIVERGED_LOG10_Z, DIVERGED_LOG10_Z)


def measured_boundary(spec: ValidityMap, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each grid line (a value of the other axis): the value of ``boundary_axis`` where z
    first crosses 1 going from the passing side into the failing side, interpolating log z
    linearly in the axis coordinate; NaN where the line does not cross (all pass, all fail,
    or an undefined point at the crossing)."""
    other, along = ("x", "y") if spec.boundary_axis == "y" else ("y", "x")
    lines, crossings = [], []
    for value, line in rows.groupby(other, sort=True):
        line = line.sort_values(along, ascending=spec.fails == "above")
        coordinates = spec.along.coordinate(line[along].to_numpy(dtype=float))
        logs = log10_z(line)
        crossing = np.nan
        for i in range(1, len(line)):
            if np.isnan(logs[i - 1]) or np.isnan(logs[i]):
                continue
            if logs[i - 1] < 0 <= logs[i]:
                t = -logs[i - 1] / (logs[i] - logs[i - 1])
                crossing = float(
                    spec.along.from_coordinate(coordinates[i - 1] + t * (coordinates[i] - coordinates[i - 1]))
                )
                break
        lines.append(float(value))
        crossings.append(crossing)
    return np.array(lines), np.array(crossings)


def boundary_agreement(spec: ValidityMap, frame: pd.DataFrame, boundary=None) -> outcomes.Outcome:
    """The map's claim: per panel, the median over grid lines of |log10(measured /
    predicted)| is at most log10(BOUNDARY_FACTOR). Lines where either boundary is off the grid
    are left out; a panel with fewer than 2 lines where both are on it has no measurable
    boundary, which fails as undefined (never a pass by default)."""
    boundary = spec.boundary if boundary is None else boundary
    tolerance = math.log10(BOUNDARY_FACTOR)
    per_panel = {}
    for panel, rows in panel_frames(frame):
        lines, measured = measured_boundary(spec, rows)
        with np.errstate(all="ignore"):
            predicted = np.asarray(boundary(lines, **panel), dtype=float) * np.ones_like(lines)
        low, high = spec.along.low, spec.along.high
        on_grid = np.isfinite(measured) & np.isfinite(predicted) & (predicted >= low) & (predicted <= high)
        name = ", ".join(f"{k} = {v}" for k, v in panel.items()) or "map"
        if on_grid.sum() < 2:
            comparison = outcomes.absolute(
                "median |log10(measured / predicted boundary)|",
                0.0,
                float("nan"),
                tolerance,
                note=f"undefined: both boundaries on the grid on {int(on_grid.sum())} of {len(lines)} lines",
            )
        else:
            with np.errstate(all="ignore"):
                logs = np.abs(np.log10(measured[on_grid] / predicted[on_grid]))
            comparison = outcomes.absolute(
                "median |log10(measured / predicted boundary)|",
                0.0,
                float(np.median(logs)),
                tolerance,
                note=f"{int(on_grid.sum())} of {len(lines)} grid lines; factor {BOUNDARY_FACTOR:g} allowed",
            )
        within = float(np.mean(rows["z"].to_numpy(dtype=float) <= 1.0))
        per_panel[name] = outcomes.Outcome(
            (comparison,),
            details=dict(
                lines=lines.tolist(),
                measured=measured.tolist(),
                predicted=predicted.tolist(),
                share_within_tolerance=within,
            ),
        )
    if len(per_panel) == 1:
        return next(iter(per_panel.values()))
    return outcomes.Outcome.merge(per_panel)


def _register_claim(spec: ValidityMap) -> None:
    """The map as a claim: simulate = the stored sweep, compare = boundary agreement."""

    def simulate(*, resolution: int) -> pd.DataFrame:
        return run(spec, resolution)

    simulate.__module__ = spec.evaluate.__module__
    simulate.__qualname__ = f"map {spec.name}"

    def compare(closed_form, frame, **_) -> outcomes.Outcome:
        return boundary_agreement(spec, frame, closed_form)

    compare.__module__ = spec.evaluate.__module__
    compare.__qualname__ = f"boundary agreement {spec.name}"
    registry.claim(
        spec.name,
        f"{spec.area}.map_{spec.name.split('-')[-1].lower()}",
        simulate=simulate,
        source=spec.source,
        statement=spec.statement,
        closed_form=spec.boundary,
        measured=f"median over grid lines of |log10(measured / predicted boundary)| on a "
        f"{spec.x.name} x {spec.y.name} map of {spec.claim}'s comparison",
        error_model=spec.error_model
        or f"the measured z = 1 crossing within a factor {BOUNDARY_FACTOR:g} of the predicted boundary",
        defaults=dict(resolution=spec.resolution),
        quick=dict(resolution=spec.quick_resolution),
        perturbations=dict(spec.wrong_boundaries),
        figures=(f"fig_map_{spec.area}_{spec.name.split('-')[-1].lower()}",),
        finding=spec.finding,
    )(compare)
