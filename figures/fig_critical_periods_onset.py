"""The critical period (claim CP3), the claim's own run at its default parameters: the deprived
pathway's final share K_b(t_max)/sigma after each of CP3's deficit windows, against the
deficit's onset (symlog axis), at each checked depth (sigma = 1, k0 = 0.05, the smaller of
the two learning rates). Markers: GD, circles for the deficits of length 1 ([0, 1) and the
late [20, 21)), squares for those of length 0.5 ([0, .5), [.5, 1), [1, 1.5)). Lines:
theory.critical_periods.final_share for the two lengths (thin: 0.5). Early deficits hurt more
in deeper networks and longer deficits; once the feature is learned a deficit has no effect
(share 1/2).
"""

import numpy as np
import style

from sims import registry
from sims.critical_periods import CP3_WINDOWS


def main():
    style.use()
    claim = registry.get("CP3")
    params = claim.params()
    windows = np.array(list(CP3_WINDOWS.values()))
    onsets, lengths = windows[:, 0], windows[:, 1] - windows[:, 0]
    fine = np.concatenate([np.linspace(0.0, 3.0, 121), np.linspace(3.0, 22.0, 77)[1:]])
    fig, ax = style.plt.subplots()
    for color, pair in zip(style.PALETTE, claim.simulate(), strict=False):
        run = pair.runs[0]
        for length, width in ((1.0, 1.6), (0.5, 0.8)):
            style.theory_line(
                ax,
                fine,
                claim.closed_form(1.0, run.depth, params["k0"], fine, fine + length),
                color=color,
                lw=width,
                label=f"D = {run.depth}" if length == 1.0 else None,
            )
            chosen = np.isclose(lengths, length)
            style.sim_markers(
                ax,
                onsets[chosen],
                run.K_b[chosen, -1, 0] / run.sigma[chosen, 0],
                color=color,
                marker="o" if length == 1.0 else "s",
            )
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_xscale("symlog", linthresh=1.0)  # linear on [0, 1], logarithmic beyond
    ax.set_xlim(-0.1, 25.0)
    ax.set_xlabel("deficit onset t (symlog; o: length 1, squares: length 0.5)")
    ax.set_ylabel(r"final share of deprived pathway $K_b(t_{max})/\sigma$")
    ax.set_title("CP3: early deficits hurt, deeper nets more (lines theory, markers GD)")
    ax.legend(loc="lower right")
    style.save(fig, "fig_critical_periods_onset")


if __name__ == "__main__":
    main()
