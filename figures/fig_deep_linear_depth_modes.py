"""Claim DL3: the depth-D mode dynamics tau du/dt = D u^{2-2/D}(s - u), for D = 1..8.

The claim's own runs, one panel per depth: GD from the balanced decoupled start at the
claim's learning rate (markers) over the closed form (lines, exact for D = 1, 2, inverted
implicit solution for D >= 3). Deeper networks have longer plateaus and sharper transitions
from the same small initial strength. (The check also runs 2 lr; those runs are not drawn.)
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry


def main():
    style.use()
    claim = registry.get("DL3")
    pairs = claim.simulate()
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharey=True)
    for ax, pair in zip(axes.flat, pairs, strict=True):
        run = pair.runs[0]  # at the claim's learning rate
        fine = np.linspace(0, run.t[-1], 300)
        for k, (s, color) in enumerate(zip(run.s, style.PALETTE, strict=False)):
            style.theory_line(
                ax, fine, claim.closed_form(fine, s, run.u0, run.depth), color=color, label=f"s = {s:g}"
            )
            style.sim_markers(ax, run.t[::3], run.u[::3, k], color=color, markersize=3)
        ax.set_title(f"depth D = {run.depth}")
        ax.set_xlabel("t = lr x step")
    for ax in axes[:, 0]:
        ax.set_ylabel("mode strength u(t)")
    axes[0, 0].legend()
    run = pairs[0].runs[0]
    fig.suptitle(
        f"Deep linear networks from u0 = {run.u0:g}: lines theory, markers GD "
        f"(lr = {run.learning_rate:g}) (DL3)"
    )
    fig.tight_layout()
    style.save(fig, "fig_deep_linear_depth_modes")


if __name__ == "__main__":
    main()
