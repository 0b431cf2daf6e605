"""Claim DL1: each mode of a two-layer linear network follows Saxe et al.'s eq. 12.

Full-batch GD from the balanced decoupled start at the claim's default parameters:
mode strengths u_a(t) (markers) over the closed form (lines), one colour per singular value,
with time t = learning_rate x step. Strong modes are learned first, each after a plateau.
"""

import matplotlib.pyplot as plt
import numpy as np
import style

import theory.deep_linear as theory
from sims import deep_linear as sim
from sims import registry


def main():
    style.use()
    p = registry.get("DL1").defaults
    s_min = min(p["singular_values"])
    t_max = 1.1 * float(theory.learning_time(s_min, p["u0"], 0.999 * s_min))
    run = sim.simulate_decoupled(
        target=sim.random_target(p["singular_values"], p["n_in"], p["n_out"]), u0=p["u0"],
        depth=2, learning_rate=p["learning_rate"], t_max=t_max, hidden=p["hidden"])
    fine = np.linspace(0, run["t"][-1], 400)
    fig, ax = plt.subplots()
    for k, (s, color) in enumerate(zip(run["s"], style.PALETTE, strict=False)):
        style.theory_line(ax, fine, theory.mode_strength(fine, s, p["u0"]), color=color,
                          label=f"s = {s:g}")
        style.sim_markers(ax, run["t"][::2], run["u"][::2, k], color=color)
    ax.plot([], [], "-", color="gray", label="theory (eq. 12)")
    ax.plot([], [], "o", color="gray", markerfacecolor="none", label=f"GD, lr = {p['learning_rate']:g}")
    ax.set(xlabel="t = learning rate x step", ylabel="mode strength u(t)",
           title="Two-layer linear network: stage-like learning of each mode (DL1)")
    ax.legend(ncols=2)
    style.save(fig, "fig_deep_linear_modes")


if __name__ == "__main__":
    main()
