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
    """Draw validity map ``name`` from its claim's own simulate() (the stored sweep); the
    drawing is :func:`sims.map_figure.draw`, shared with the teaching notebooks."""
    from sims import map_figure, registry, sweep

    use()
    spec = sweep.get(name)
    frame = registry.get(name).simulate()
    fig = plt.figure(figsize=(4.2 * frame["panel_index"].nunique() + 0.8, 3.9), layout="constrained")
    map_figure.draw(spec, frame, fig)
    return save(fig, f"fig_map_{spec.area}_{spec.name.split('-')[-1].lower()}")
