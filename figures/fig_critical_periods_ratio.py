"""Winner take all (claims CP5, CP1): the ratio K_a/K_b of the two pathways' singular values
during and after a deficit on pathway b over [0, 1) (shaded), for D = 1, 2, 3, 4 (sigma = 1,
k0 = 0.05). Lines: theory.critical_periods.pathway_strengths; markers: GD (lr = 0.005). After
the deficit the ratio relaxes for D = 1 (the difference K_a - K_b is kept), is frozen for
D = 2, and grows for D >= 3.
"""

import numpy as np
import style

import theory.critical_periods as theory
from sims.critical_periods import ratio_dynamics

DEPTHS = [1, 2, 3, 4]
K0 = 0.05


def main():
    style.use()
    fig, ax = style.plt.subplots()
    for color, depth in zip(style.PALETTE, DEPTHS, strict=False):
        t, k_a, k_b = ratio_dynamics(depth=depth, k0=K0, learning_rate=0.005, t_max=40.0)
        keep = t <= 8.0
        fine = np.linspace(0.0, 8.0, 400)
        theory_a, theory_b = theory.pathway_strengths(fine, 1.0, depth, K0, 0.0, 1.0)
        style.theory_line(ax, fine, theory_a / theory_b, color=color, label=f"D = {depth}")
        style.sim_markers(ax, t[keep][::4], (k_a / k_b)[keep][::4], color=color)
    ax.axvspan(0.0, 1.0, color="grey", alpha=0.15, label="deficit on b")
    ax.set_yscale("log")
    ax.set_xlabel("time t = lr x step")
    ax.set_ylabel(r"$K_a / K_b$")
    ax.set_title("After the deficit: relaxes (D=1), frozen (D=2), amplified (D>=3)")
    ax.legend()
    style.save(fig, "fig_critical_periods_ratio")


if __name__ == "__main__":
    main()
