"""Claim DL3: the depth-D mode dynamics tau du/dt = D u^{2-2/D}(s - u), for D = 1..8.

One panel per depth: GD from the balanced decoupled start (markers) over the closed form
(lines, exact for D = 1, 2, inverted implicit solution for D >= 3). Deeper networks have
longer plateaus and sharper transitions from the same small initial strength.
"""

import matplotlib.pyplot as plt
import numpy as np
import style

import theory.deep_linear as theory
from sims import deep_linear as sim
from sims import registry


def main():
    style.use()
    p = registry.get("DL3").defaults
    target = sim.random_target(p["singular_values"], p["width"], p["width"])
    s_min = min(p["singular_values"])
    depths = p["depths"]
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharey=True)
    for ax, depth in zip(axes.flat, depths, strict=True):
        t_max = 1.1 * float(theory.deep_learning_time(s_min, p["u0"], 0.999 * s_min, depth))
        run = sim.simulate_decoupled(target=target, u0=p["u0"], depth=depth,
                                     learning_rate=p["learning_rate"], t_max=t_max,
                                     hidden=p["width"])
        fine = np.linspace(0, run["t"][-1], 300)
        for k, (s, color) in enumerate(zip(run["s"], style.PALETTE, strict=False)):
            style.theory_line(ax, fine, theory.deep_mode_strength(fine, s, p["u0"], depth),
                              color=color, label=f"s = {s:g}")
            style.sim_markers(ax, run["t"][::3], run["u"][::3, k], color=color, markersize=3)
        ax.set_title(f"depth D = {depth}")
        ax.set_xlabel("t = lr x step")
    for ax in axes[:, 0]:
        ax.set_ylabel("mode strength u(t)")
    axes[0, 0].legend()
    fig.suptitle(f"Deep linear networks from u0 = {p['u0']:g}: lines theory, markers GD "
                 f"(lr = {p['learning_rate']:g}) (DL3)")
    fig.tight_layout()
    style.save(fig, "fig_deep_linear_depth_modes")


if __name__ == "__main__":
    main()
