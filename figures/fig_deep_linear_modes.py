"""Claim DL1: each mode of a two-layer linear network follows Saxe et al.'s eq. 12.

The claim's own run: full-batch GD from the balanced decoupled start at its default
parameters, mode strengths u_a(t) (markers) over the claim's closed form (lines), one colour
per singular value, with time t = learning_rate x step. Strong modes are learned first, each
after a plateau. (The check also runs 2 lr, for the O(lr) rate; that run is not drawn.)
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry


def main():
    style.use()
    claim = registry.get("DL1")
    run = claim.simulate().runs[0]  # at the claim's learning rate
    fine = np.linspace(0, run.t[-1], 400)
    fig, ax = plt.subplots()
    for k, (s, color) in enumerate(zip(run.s, style.PALETTE, strict=False)):
        style.theory_line(ax, fine, claim.closed_form(fine, s, run.u0), color=color, label=f"s = {s:g}")
        style.sim_markers(ax, run.t[::2], run.u[::2, k], color=color)
    ax.plot([], [], "-", color="gray", label="theory (eq. 12)")
    ax.plot([], [], "o", color="gray", markerfacecolor="none", label=f"GD, lr = {run.learning_rate:g}")
    ax.set(
        xlabel="t = learning rate x step",
        ylabel="mode strength u(t)",
        title="Two-layer linear network: stage-like learning of each mode (DL1)",
    )
    ax.legend(ncols=2)
    style.save(fig, "fig_deep_linear_modes")


if __name__ == "__main__":
    main()
