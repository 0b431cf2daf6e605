"""The critical-period curve (claim CP3): the deprived pathway's final share K_b(inf)/sigma
after a deficit of length 1 on pathway b, against the deficit's onset, for depths 1-8
(sigma = 1, k0 = 0.05). Lines: theory.critical_periods.final_share; markers: GD on the
two-pathway network (lr = 0.005). Early deficits hurt more in deeper networks; once the
feature is learned (onset >~ 3) a deficit has no effect (share 1/2).
"""

import numpy as np
import style

import theory.critical_periods as theory
from sims.critical_periods import scalar_feature

DEPTHS = [1, 2, 3, 4, 8]
K0, LENGTH, LR = 0.05, 1.0, 0.005


def main():
    style.use()
    onsets = np.linspace(0.0, 5.0, 11)
    windows = [[o, o + LENGTH] for o in onsets]
    fine = np.linspace(0.0, 5.0, 101)
    fig, ax = style.plt.subplots()
    for color, depth in zip(style.PALETTE, DEPTHS, strict=False):
        run = scalar_feature(depth=depth, k0=K0, learning_rate=LR, t_max=40.0,
                             windows=windows)
        style.theory_line(ax, fine, theory.final_share(1.0, depth, K0, fine, fine + LENGTH),
                          color=color, label=f"D = {depth}")
        style.sim_markers(ax, onsets, run["K_b"][:, -1, 0], color=color)
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("deficit onset t (deficit lasts 1 time unit)")
    ax.set_ylabel(r"final share of deprived pathway $K_b(\infty)/\sigma$")
    ax.set_title("Critical period: early deficits hurt, deeper nets more (lines theory, o GD)")
    ax.legend(loc="lower right")
    style.save(fig, "fig_critical_periods_onset")


if __name__ == "__main__":
    main()
