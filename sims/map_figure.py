"""Drawing a validity map on a matplotlib Figure: for figures/ (fig_map_*.py) and the teaching
notebooks (the map with a marker at the sliders' point). No pyplot: the caller owns the Figure.

log10 z as a heat map centred at 0 (blue: the closed form holds, red: it fails), the measured
boundary z = 1 solid, the predicted boundary (and any extra ones) dashed, diverged points
hatched, the claim's defaults starred; one panel per static setting (e.g. depth).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sims import sweep

# Line colours of the boundaries after the predicted one (black): the suite's palette.
EXTRA_COLORS = ("#2e933c", "#edae49", "#6c4f9c", "#00798c", "#8d6a9f", "#444444")


def read_stored(name: str, results=None) -> pd.DataFrame | None:
    """Map ``name``'s stored results (``results/maps/<name>.csv``, written by ``make maps`` and
    ``make figures``) as a frame :func:`draw` takes, or None when the map was never run.
    Cheap: nothing is computed (the teaching notebooks call it on every slider move)."""
    spec = sweep.get(name)
    path = (sweep.RESULTS if results is None else results) / "maps" / f"{name}.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    order = {json.dumps(dict(p), sort_keys=True): i for i, p in enumerate(spec.panels)}
    frame["panel_index"] = frame["panel"].map(order)
    if frame["panel_index"].isna().any():
        # Stored by another version of the map (its panels changed): not this map's results.
        return None
    frame["z"] = frame["z"].astype(float)
    frame["diverged"] = frame["diverged"].astype(str).str.lower() == "true"
    return frame


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
    xs = float(np.clip(x, min(spec.x.low, spec.x.high), max(spec.x.low, spec.x.high)))
    ys = float(np.clip(y, min(spec.y.low, spec.y.high), max(spec.y.low, spec.y.high)))
    outside = (xs, ys) != (float(x), float(y))
    if outside:
        style = {**style, "mfc": "none", "label": f"{style.get('label', '')} (outside: at the edge)"}
    ax.plot(xs, ys, clip_on=False, zorder=5, **style)
    return outside


def draw(
    spec: sweep.ValidityMap | str,
    frame: pd.DataFrame,
    fig,
    *,
    marker: Mapping[str, Any] | None = None,
    panels=None,
):
    """Draw ``frame`` (from ``sweep.run``, a claim's simulate() or :func:`read_stored`) on the
    empty Figure ``fig``: one axes per panel (or only the panels listed in ``panels``).

    ``marker``: dict(panel=..., x=..., y=..., label=...) drawn as a white circle in that panel
    (a point outside the map is pinned to the edge, open). Returns the axes."""
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
    fig.legend([handles[k] for k in labels], labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    fig.colorbar(mesh, ax=axes.tolist(), label="log10(error / tolerance)  (> 0: fails)")
    fig.suptitle(f"{spec.name} ({spec.claim}): {spec.title}")
    return axes
