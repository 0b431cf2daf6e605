"""The one figure style of the suite, and a deterministic save.

Figure scripts do ``import style`` (they run as scripts from this folder), call
``style.use()`` once, and ``style.save(fig, "fig_area_what")`` to write
``figures/out/fig_area_what.png`` and ``.svg``. Output is byte-identical across runs: Agg,
a fixed ``svg.hashsalt`` and no dates or versions in the metadata.

Convention: theory is a line, simulation is markers (see :func:`theory_line` and
:func:`sim_markers`), so every figure reads the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = Path(os.environ.get("FIGURES_OUT", Path(__file__).resolve().parent / "out"))
PALETTE = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6c4f9c", "#00798c", "#8d6a9f", "#444444"]

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.figsize": (6.4, 4.2),
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.6,
    "lines.markersize": 4,
    "svg.hashsalt": "theory-suite",
    "svg.fonttype": "path",
    "path.simplify": False,
}


def use() -> None:
    """Apply the suite's style (call once at the top of a figure script)."""
    plt.rcParams.update(RC)


def theory_line(ax, x, y, *, color, label=None, **kwargs):
    """Theory: a solid line."""
    return ax.plot(x, y, "-", color=color, label=label, zorder=2, **kwargs)


def sim_markers(ax, x, y, *, color, label=None, **kwargs):
    """Simulation: open markers, drawn over the theory line."""
    kwargs.setdefault("marker", "o")
    return ax.plot(
        x, y, linestyle="none", markerfacecolor="none", color=color, label=label, zorder=3, **kwargs
    )


def save(fig, name: str) -> list[Path]:
    """Write ``name``.png and ``name``.svg into figures/out/ without dates or versions."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = [OUT / f"{name}.png", OUT / f"{name}.svg"]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    for path in paths:
        print(f"wrote {path}")
    return paths


def validity_map(name: str) -> list[Path]:
    """Draw validity map ``name`` from its claim's own simulate() (the stored sweep): log10 z
    as a heat map centred at 0 (blue: the closed form holds, red: it fails), the measured
    boundary z = 1 solid, the predicted boundary (and any extra ones) dashed, diverged points
    hatched, the claim's defaults starred; one panel per static setting."""
    import json

    import numpy as np
    from matplotlib import colors

    from sims import registry, sweep

    use()
    spec = sweep.get(name)
    frame = registry.get(name).simulate()
    panels = list(sweep.panel_frames(frame))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels) + 0.8, 3.9), squeeze=False, constrained_layout=True
    )
    norm = colors.TwoSlopeNorm(vmin=-sweep.DIVERGED_LOG10_Z, vcenter=0.0, vmax=sweep.DIVERGED_LOG10_Z)
    mesh = None
    for ax, (panel, rows) in zip(axes[0], panels, strict=True):
        xs, ys = np.unique(rows["x"]), np.unique(rows["y"])
        table = rows.pivot(index="y", columns="x", values="z").reindex(index=ys, columns=xs)
        logz = sweep.log10_z(rows.assign(z=rows["z"]))
        logz = (
            rows.assign(logz=logz).pivot(index="y", columns="x", values="logz").reindex(index=ys, columns=xs)
        )
        mesh = ax.pcolormesh(xs, ys, logz.to_numpy(), norm=norm, cmap="RdBu_r", shading="nearest")
        diverged = np.isposinf(table.to_numpy(dtype=float)).astype(float)
        if diverged.any():
            ax.contourf(xs, ys, diverged, levels=[0.5, 1.5], hatches=["////"], colors="none")
        if np.nanmin(logz.to_numpy()) < 0 < np.nanmax(logz.to_numpy()):
            ax.contour(xs, ys, logz.to_numpy(), levels=[0.0], colors="black", linewidths=1.6)
        ax.plot([], [], color="black", lw=1.6, label="measured z = 1")
        lines = np.geomspace(*sorted((spec.other_axis.low, spec.other_axis.high)), 200)
        if spec.other_axis.scale == "linear":
            lines = np.linspace(spec.other_axis.low, spec.other_axis.high, 200)
        boundaries = {"predicted": spec.boundary, **spec.extra_boundaries}
        for (label, boundary), color in zip(boundaries.items(), ["black", *PALETTE[2:]], strict=False):
            with np.errstate(all="ignore"):
                along = np.asarray(boundary(lines, **panel), dtype=float) * np.ones_like(lines)
            keep = (along >= spec.along.low) & (along <= spec.along.high)
            x, y = (lines, along) if spec.boundary_axis == "y" else (along, lines)
            ax.plot(
                np.where(keep, x, np.nan),
                np.where(keep, y, np.nan),
                ls="--",
                color=color,
                lw=1.4,
                label=label,
            )
        # A map's defaults: one point, or a callable of the panel (where the claim's defaults
        # fall at another place in each panel, e.g. per depth).
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
        ax.set_xscale("log" if spec.x.scale == "log" else "linear")
        ax.set_yscale("log" if spec.y.scale == "log" else "linear")
        ax.set_xlim(xs.min(), xs.max())
        ax.set_ylim(ys.min(), ys.max())
        ax.set_xlabel(spec.x.label or spec.x.name)
        ax.set_ylabel(spec.y.label or spec.y.name)
        ax.set_title(", ".join(f"{k} = {v}" for k, v in json.loads(json.dumps(panel)).items()) or spec.name)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    fig.colorbar(mesh, ax=axes[0].tolist(), label="log10(error / tolerance)  (> 0: fails)")
    fig.suptitle(f"{spec.name} ({spec.claim}): {spec.title}")
    return save(fig, f"fig_map_{spec.area}_{spec.name.split('-')[-1].lower()}")
