"""Binned entropy of a single unit f(w x), x ~ N(0, 1) (claim IB3; Saxe et al. 2018, Fig. 2).

Lines: the exact binned entropy (IB3's closed form, theory.binned_entropy_single_unit);
markers: IB3's own Monte Carlo at its defaults (plug-in entropy of its samples binned the
same way, at the weights it checks; standard errors ~0.005 bits). tanh with 30 bins on [-1, 1]
rises to ~4.9 bits near w ~ 0.87 and falls to 1 bit as the unit saturates; ReLU with bins of
width 0.07 only rises. Dotted, theory only and beyond what IB3 checks: ReLU binned on [-1, 1]
falls as well, an artefact of clipping the range (IB4 checks that artefact in a network).
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry
from sims.information import models

NAMES = {"tanh": "tanh, 30 bins on [-1, 1]", "relu": "ReLU, bins of width 0.07"}


def main():
    style.use()
    claim = registry.get("IB3")
    run = claim.simulate()

    def binned_entropy(w, **binning):
        # One w at a time: the closed form caps the bins it evaluates per call.
        return np.array([float(claim.closed_form.binned_entropy(v, **binning)) for v in w])

    grid = np.logspace(-1.5, 2, 300)
    weights = np.array(models.SINGLE_UNIT_WEIGHTS)
    fig, ax = plt.subplots()
    for k, (activation, binning) in enumerate(models.SINGLE_UNIT_BINNINGS.items()):
        color = style.PALETTE[k]
        style.theory_line(
            ax,
            grid,
            binned_entropy(grid, activation=activation, **binning),
            color=color,
            label=NAMES[activation],
        )
        style.sim_markers(ax, weights, run.binned_entropy[activation][:, 0], color=color)
    ax.plot(
        grid,
        binned_entropy(grid, activation="relu"),
        ":",
        color=style.PALETTE[2],
        label="ReLU, 30 bins on [-1, 1] (theory only, not checked by IB3)",
    )
    ax.set_xscale("log")
    ax.set_xlabel("weight w")
    ax.set_ylabel("binned entropy H(T) = I(X;T) (bits)")
    ax.legend(title=f"line: exact; markers: IB3's {claim.defaults['n_samples']:,} samples", fontsize=8)
    style.save(fig, "fig_information_single_unit")


if __name__ == "__main__":
    main()
