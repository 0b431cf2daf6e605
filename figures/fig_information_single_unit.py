"""Binned entropy of a single unit f(w x), x ~ N(0, 1) (claim IB3; Saxe et al. 2018, Fig. 1).

Lines: the exact binned entropy (theory.binned_entropy_single_unit); markers: plug-in
entropy of 10^5 samples binned the same way. tanh with 30 bins on [-1, 1] rises to ~4.9 bits
near w ~ 0.87 and falls to 1 bit as the unit saturates; ReLU with bins of width 0.07 only
rises; ReLU binned on [-1, 1] falls as well, an artefact of clipping the range.
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims.information import simulate_single_unit_entropy
from theory.information import binned_entropy_single_unit

CASES = (
    ("tanh, 30 bins on [-1, 1]", "tanh", {}),
    ("ReLU, bins of width 0.07", "relu", dict(bin_width=0.07)),
    ("ReLU, 30 bins on [-1, 1]", "relu", {}),
)


def main():
    style.use()
    grid = np.logspace(-1.5, 2, 300)
    weights = np.logspace(-1.5, 2, 15)
    fig, ax = plt.subplots()
    for k, (label, activation, binning) in enumerate(CASES):
        theory = binned_entropy_single_unit(grid, activation=activation, **binning)
        style.theory_line(ax, grid, theory, color=style.PALETTE[k], label=label)
        sim = simulate_single_unit_entropy(activation=activation, binning=binning,
                                           weights=weights.tolist(), n_samples=100_000, seed=0)
        style.sim_markers(ax, weights, sim[:, 0], color=style.PALETTE[k])
    ax.set_xscale("log")
    ax.set_xlabel("weight w")
    ax.set_ylabel("binned entropy H(T) = I(X;T) (bits)")
    ax.legend(title="line: exact, markers: 10^5 samples")
    style.save(fig, "fig_information_single_unit")


if __name__ == "__main__":
    main()
