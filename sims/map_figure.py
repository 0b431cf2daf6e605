"""Drawing a validity map on a matplotlib Figure: for figures/ (fig_map_*.py) and the teaching
notebooks (the map with a marker at the sliders' point). No pyplot: the caller owns the Figure.

log10 z as a heat map centred at 0 (blue: the closed form holds, red: it fails), the measured
boundary z = 1 solid, the predicted boundary (and any extra ones) dashed, diverged points
hatched, the claim's defaults starred; one panel per static setting (e.g. depth).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sims import sweep

# Line colours of the boundaries after the predicted one (black): the suite's palette.
EXTRA_COLORS = ("#2e933c", "#edae49", "#6c4f9c", "#00798c", "#8d6a9f", "#444444")


def stored(name: str, results=None) -> tuple[str, pd.DataFrame | None]:
    """(state, frame) of map ``name``'s stored results (``results/maps/<name>.csv``, written by
    ``make maps`` and ``make figures``): "missing" (never run), "stale" (written by other code
    than this checkout's: the code fingerprint in ``<name>.timings.csv`` differs from the
    map's, or its panels changed; frame None) or "current" (the frame :func:`draw` takes).
    Cheap: nothing is computed (the teaching notebooks call it on every slider move)."""
    spec = sweep.get(name)
    folder = (sweep.RESULTS if results is None else results) / "maps"
    path, timings = folder / f"{name}.csv", folder / f"{name}.timings.csv"
    if not path.is_file():
        return "missing", None
    codes = set(pd.read_csv(timings, dtype={"code": str})["code"]) if timings.is_file() else set()
    if codes != {spec.fingerprint()[:16]}:
        return "stale", None
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    frame["panel_index"] = frame["panel"].map(sweep.panel_order(spec))
    if frame["panel_index"].isna().any():
        return "stale", None
    frame["z"] = frame["z"].astype(float)
    frame["diverged"] = frame["diverged"].astype(str).str.lower() == "true"
    return "current", frame


def read_stored(name: str, results=None) -> pd.DataFrame | None:
    """Map ``name``'s stored results when they are current (see :func:`stored`), else None."""
    return stored(name, results)[1]


def nearest_panel(spec: sweep.ValidityMap, **values: float) -> tuple[dict, bool]:
    """The panel of ``spec`` closest to ``values`` (e.g. depth=3 -> the depth-2 or depth-4
    panel, nearest in log), and whether it matches exactly."""
    if spec.panels == ({},):
        return {}, True

    def distance(panel):
        return sum(
            abs(np.log(float(panel[k]) / float(values[k])))
            if float(panel[k]) > 0 and float(values[k]) > 0
            else abs(float(panel[k]) - float(values[k]))
            for k in panel
            if k in values
        )

    best = min(spec.panels, key=distance)
    return dict(best), all(float(best[k]) == float(values[k]) for k in best if k in values)


def nearest_depth_panel(spec: sweep.ValidityMap, depth: int) -> tuple[dict, str]:
    """The panel of ``spec`` nearest to ``depth`` (:func:`nearest_panel`) and a sentence for a
    notebook's note saying which depth is shown instead ("" when the map has that depth)."""
    panel, exact = nearest_panel(spec, depth=depth)
    if exact:
        return panel, ""
    depths = ", ".join(str(p["depth"]) for p in spec.panels)
    return (
        panel,
        f" The map has depths {depths}; your depth {depth} is shown on the depth-{panel['depth']} panel.",
    )


def _boundary_lines(ax, spec, panel):
    other = spec.other_axis
    if other.scale == "log":
        lines = np.geomspace(*sorted((other.low, other.high)), 200)
    else:
        lines = np.linspace(other.low, other.high, 200)
    boundaries = {"predicted": spec.boundary, **spec.extra_boundaries}
    for (label, boundary), color in zip(boundaries.items(), ["black", *EXTRA_COLORS], strict=False):
        with np.errstate(all="ignore"):
            along = np.asarray(boundary(lines, **panel), dtype=float) * np.ones_like(lines)
        keep = (along >= spec.along.low) & (along <= spec.along.high)
        x, y = (lines, along) if spec.boundary_axis == "y" else (along, lines)
        ax.plot(
            np.where(keep, x, np.nan), np.where(keep, y, np.nan), ls="--", color=color, lw=1.4, label=label
        )


def _point(ax, spec, x, y, **style):
    """A marker at (x, y), pinned to the frame's edge (open marker) where it lies outside."""
    xs, ys, inside = on_map(spec, x, y)
    if not inside:
        style = {**style, "mfc": "none", "label": f"{style.get('label', '')} (outside: at the edge)"}
    ax.plot(xs, ys, clip_on=False, zorder=5, **style)
    return not inside


def draw(
    spec: sweep.ValidityMap | str,
    frame: pd.DataFrame,
    fig,
    *,
    marker: Mapping[str, Any] | None = None,
    panels=None,
    legend_columns: int | None = None,
):
    """Draw ``frame`` (from ``sweep.run``, a claim's simulate() or :func:`read_stored`) on the
    empty Figure ``fig``: one axes per panel (or only the panels listed in ``panels``).

    ``marker``: dict(panel=..., x=..., y=..., label=...) drawn as a white circle in that panel
    (a point outside the map is pinned to the edge, open); ``legend_columns`` (default: one
    row). Returns the axes."""
    from matplotlib import colors

    spec = sweep.get(spec) if isinstance(spec, str) else spec
    chosen = [
        (panel, rows)
        for panel, rows in sweep.panel_frames(frame)
        if panels is None or any(panel == dict(p) for p in panels)
    ]
    axes = fig.subplots(1, len(chosen), squeeze=False)[0]
    norm = colors.TwoSlopeNorm(vmin=-sweep.DIVERGED_LOG10_Z, vcenter=0.0, vmax=sweep.DIVERGED_LOG10_Z)
    mesh = None
    for ax, (panel, rows) in zip(axes, chosen, strict=True):
        xs, ys = np.unique(rows["x"]), np.unique(rows["y"])
        table = rows.pivot(index="y", columns="x", values="z").reindex(index=ys, columns=xs)
        logz = (
            rows.assign(logz=sweep.log10_z(rows))
            .pivot(index="y", columns="x", values="logz")
            .reindex(index=ys, columns=xs)
            .to_numpy()
        )
        mesh = ax.pcolormesh(xs, ys, logz, norm=norm, cmap="RdBu_r", shading="nearest")
        diverged = np.isposinf(table.to_numpy(dtype=float)).astype(float)
        if diverged.any():
            ax.contourf(xs, ys, diverged, levels=[0.5, 1.5], hatches=["////"], colors="none")
        if np.nanmin(logz) < 0 < np.nanmax(logz):
            ax.contour(xs, ys, logz, levels=[0.0], colors="black", linewidths=1.6)
        ax.plot([], [], color="black", lw=1.6, label="measured z = 1")
        _boundary_lines(ax, spec, panel)
        # A map's defaults: one point, or a callable of the panel (where the claim's defaults
        # fall at another place in each panel, e.g. per depth); drawn only inside the map.
        star = spec.defaults(**panel) if callable(spec.defaults) else spec.defaults
        inside = spec.x.name in star and spec.y.name in star
        inside = inside and spec.x.low <= star[spec.x.name] <= spec.x.high
        if inside and spec.y.low <= star[spec.y.name] <= spec.y.high:
            ax.plot(
                star[spec.x.name],
                star[spec.y.name],
                marker="*",
                ms=13,
                color="gold",
                mec="black",
                label="defaults",
                clip_on=False,
                zorder=5,
            )
        if marker is not None and dict(marker.get("panel", {})) == panel:
            _point(
                ax,
                spec,
                marker["x"],
                marker["y"],
                marker="o",
                ms=11,
                color="white",
                mec="black",
                mew=2,
                ls="none",
                label=marker.get("label", "this point"),
            )
        ax.set_xscale("log" if spec.x.scale == "log" else "linear")
        ax.set_yscale("log" if spec.y.scale == "log" else "linear")
        ax.set_xlim(xs.min(), xs.max())
        ax.set_ylim(ys.min(), ys.max())
        ax.set_xlabel(spec.x.label or spec.x.name)
        ax.set_ylabel(spec.y.label or spec.y.name)
        ax.set_title(", ".join(f"{k} = {v}" for k, v in panel.items()) or spec.name)
    handles, labels = {}, []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    ncol = legend_columns or len(labels)
    fig.legend([handles[k] for k in labels], labels, loc="outside lower center", ncol=ncol, fontsize=8)
    fig.colorbar(mesh, ax=axes.tolist(), label="log10(error / tolerance)  (> 0: fails)")
    fig.suptitle(f"{spec.name} ({spec.claim}): {spec.title}")
    return axes


# ----------------------------------------------------------------------------- teaching notebooks

# |log10 z| below this reads "near the boundary": within a factor 1.4 of z = 1.
NEAR_BOUNDARY = 0.15
NOT_STORED = "No stored map yet: run `make maps` (or `make figures`)."
STALE = (
    "The stored map was computed by other code than this checkout's (the map's code changed "
    "since): run `make maps` (or `make figures`) to redraw it."
)
# Quick grids computed in this process (a notebook's button), by map name.
_COMPUTED: dict[str, pd.DataFrame] = {}


def stored_or_computed(name: str, *, compute: bool = False, results=None) -> pd.DataFrame | None:
    """Map ``name``'s stored results (:func:`read_stored`); where there are none, its quick grid
    (``spec.quick_resolution``) computed in this process, now if ``compute`` (a button press)
    or by an earlier press; else None. Nothing is computed unless ``compute``. The computed
    points go to the sweep's store (.cache), so a later ``make maps`` reuses them."""
    return _stored_or_computed(name, compute, results)[1]


def _stored_or_computed(name, compute, results) -> tuple[str, pd.DataFrame | None]:
    """(the stored map's state, :func:`stored_or_computed`'s frame), reading the store once."""
    state, frame = stored(name, results)
    if frame is None:
        if compute:
            spec = sweep.get(name)
            _COMPUTED[name] = sweep.run(spec, spec.quick_resolution)
        frame = _COMPUTED.get(name)
    return state, frame


def on_map(spec: sweep.ValidityMap, x: float, y: float) -> tuple[float, float, bool]:
    """(x, y) clipped to the map's ranges, and whether it lay inside them."""
    xs = float(np.clip(x, min(spec.x.low, spec.x.high), max(spec.x.low, spec.x.high)))
    ys = float(np.clip(y, min(spec.y.low, spec.y.high), max(spec.y.low, spec.y.high)))
    return xs, ys, (xs, ys) == (float(x), float(y))


def nearest_point(spec: sweep.ValidityMap | str, frame: pd.DataFrame, panel, x: float, y: float) -> pd.Series:
    """The grid point of ``panel`` in ``frame`` nearest to (x, y) (its row: x, y, z, note, ...).

    Distances are taken in each axis' coordinate (log10 on a log axis) as a fraction of the
    axis' span; a point off the map is first moved to its edge (:func:`on_map`), so it reads
    the nearest point on that edge."""
    spec = sweep.get(spec) if isinstance(spec, str) else spec
    rows = next((r for p, r in sweep.panel_frames(frame) if p == dict(panel)), None)
    if rows is None:
        raise ValueError(f"panel must be one of the frame's panels, got {dict(panel)}")
    x, y, _ = on_map(spec, x, y)

    def offset(axis, column, value):
        span = axis.coordinate(axis.high) - axis.coordinate(axis.low)
        return (axis.coordinate(rows[column].to_numpy(dtype=float)) - axis.coordinate(value)) / span

    distance = np.hypot(offset(spec.x, "x", x), offset(spec.y, "y", y))
    return rows.iloc[int(np.argmin(distance))]


def z_at(spec: sweep.ValidityMap | str, frame: pd.DataFrame, panel, x: float, y: float) -> float:
    """z = error / tolerance at the grid point nearest to (x, y) (:func:`nearest_point`):
    inf where the simulation diverged, NaN where the comparison is undefined."""
    return float(nearest_point(spec, frame, panel, x, y)["z"])


def reading(spec: sweep.ValidityMap | str, frame: pd.DataFrame, marker: Mapping[str, Any]) -> str:
    """One sentence on where ``marker`` (dict(panel=..., x=..., y=...), as :func:`draw` takes)
    lies: in the blue region (z < 1: the closed form holds), the red one (z > 1: it fails),
    or near the boundary (|log10 z| < NEAR_BOUNDARY), read from the nearest grid point's z."""
    spec = sweep.get(spec) if isinstance(spec, str) else spec
    point = nearest_point(spec, frame, marker.get("panel", {}), marker["x"], marker["y"])
    z = float(point["z"])
    measured = f"z = error / tolerance = {z:.2g} at the nearest grid point"
    if np.isnan(z):
        state = f"where {spec.claim}'s comparison is undefined at the nearest grid point ({point['note']})"
    elif np.isposinf(z):
        state = "in the red region: the simulation diverged at the nearest grid point (hatched)"
    elif z > 0 and abs(np.log10(z)) < NEAR_BOUNDARY:
        state = f"near the boundary z = 1 ({measured})"
    elif z < 1:
        state = f"in the blue region: the closed form ({spec.claim}) holds there ({measured})"
    else:
        state = f"in the red region: the closed form ({spec.claim}) fails there ({measured})"
    if on_map(spec, marker["x"], marker["y"])[2]:
        return f"Your point lies {state}."
    return (
        "Your point lies outside the map (drawn open at its edge); the nearest grid point, "
        f"on that edge, lies {state}."
    )


def marked_panel(
    spec: sweep.ValidityMap | str, frame: pd.DataFrame, panel, marker=None, *, figsize=(7.5, 5.0)
):
    """(a new Figure with ``panel`` of the map and ``marker`` drawn, :func:`reading` of the
    marker): what a teaching notebook shows. Without a marker the sentence is empty."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    draw(spec, frame, fig, marker=marker, panels=[panel], legend_columns=3)  # one panel: rows of 3
    return fig, "" if marker is None else reading(spec, frame, marker)


def notebook_view(where: Mapping[str, Any], *, compute: bool = False, results=None):
    """What a teaching notebook shows for ``where`` = dict(map=..., panel=..., marker=... or None):
    (:func:`marked_panel`'s Figure and reading) from the stored map, or from its quick grid
    computed in this process (:func:`stored_or_computed`); (None, NOT_STORED or STALE) where
    there is neither, and the notebook offers its compute button."""
    state, frame = _stored_or_computed(where["map"], compute, results)
    if frame is None:
        return None, NOT_STORED if state == "missing" else STALE
    return marked_panel(where["map"], frame, where["panel"], where["marker"])


def notebook_button(where: Mapping[str, Any]):
    """The teaching notebooks' button that computes ``where``'s map on its quick grid (a marimo
    run button; marimo is the ``teach`` extra, imported here only)."""
    import marimo as mo

    return mo.ui.run_button(label=f"Compute {where['map']} here, on its quick grid")


def notebook_cell(where: Mapping[str, Any], button):
    """The teaching notebooks' map cell: ``where``'s note, then the marked panel and its reading
    (:func:`notebook_view`), or the reason there is none and ``button`` to compute it."""
    import marimo as mo

    with mo.status.spinner(title=f"Computing {where['map']} on its quick grid"):
        figure, sentence = notebook_view(where, compute=button.value)
    shown = [mo.md(sentence), button] if figure is None else [figure, mo.md(sentence)]
    return mo.vstack([mo.md(where["note"]), *shown])
