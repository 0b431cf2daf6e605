"""Claim DL4: learning time vs depth, decoupled/orthogonal vs Gaussian init.

Steps of GD to reach 1e-3 of the initial loss, with the learning rate at a fixed fraction of
the stability bound 2/(D s_max^{2-2/D}). Line: theory for the decoupled start; markers:
simulation. Runs that never reach the loss within the step budget sit on the dashed line,
marked with an upward triangle; runs that diverged are counted in the legend, never plotted.
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry


def main():
    style.use()
    claim = registry.get("DL4")
    p = claim.params()
    sweep = claim.simulate()
    fig, ax = plt.subplots(figsize=(8.4, 4.2))
    theory_steps = sweep.groupby("depth")["theory_steps"].first()
    style.theory_line(
        ax,
        theory_steps.index,
        theory_steps.to_numpy(),
        color=style.PALETTE[0],
        label="theory, decoupled start",
    )
    budget = p["budget"] * theory_steps.max()
    ax.axhline(budget, color="gray", linestyle="--", linewidth=1)
    ax.text(theory_steps.index.min(), budget * 1.08, "step budget", color="gray", fontsize=8)
    offsets = {"decoupled": 1.0, "orthogonal": 0.94, "gaussian": 1.06}
    for (kind, group), color in zip(sweep.groupby("init", sort=False), style.PALETTE, strict=False):
        ok = group[~group["diverged"]]
        reached = ok[np.isfinite(ok["steps"])]
        never = ok[~np.isfinite(ok["steps"])]
        diverged = int(group["diverged"].sum())
        label = f"{kind} (GD)" + (f", {diverged} diverged (not shown)" if diverged else "")
        style.sim_markers(ax, reached["depth"] * offsets[kind], reached["steps"], color=color, label=label)
        if len(never):
            ax.plot(
                never["depth"] * offsets[kind],
                np.full(len(never), budget),
                "^",
                color=color,
                markerfacecolor="none",
            )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="depth D (number of weight matrices)",
        ylabel="GD steps to reach the loss",
        title="Depth-independent learning from a decoupled start (DL4)",
    )
    ax.set_xticks(theory_steps.index, [str(d) for d in theory_steps.index])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.plot([], [], "^", color="gray", markerfacecolor="none", label="not reached within the budget")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    style.save(fig, "fig_deep_linear_depth")


if __name__ == "__main__":
    main()
