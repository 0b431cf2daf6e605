"""Correlation of two inputs through a deep critical ReLU network (claim RC5).

Left: cosine similarity after l layers of width 1000 (weights N(0, 2/n), no bias) for three
input correlations; lines: the iterated arc-cosine map (Cho & Saul 2009), markers: mean of
64 seeds. Right: 1 - c_l on log-log axes, theory continued to l = 1000, against the
asymptote 9 pi^2 / (2 l^2) (dashed), which every input correlation approaches.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import rank_collapse as sims

N, DEPTH, SEEDS = 1000, 40, 64
LONG = 1000
STARTS = [-0.5, 0.0, 0.5]


def main():
    style.use()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.0))
    layers = np.arange(1, DEPTH + 1)
    long_layers = np.arange(1, LONG + 1)
    for k, c0 in enumerate(STARTS):
        color = style.PALETTE[k]
        measured = sims.simulate_relu_correlation(n=N, depth=DEPTH, seeds=SEEDS, c0=c0).mean(0)
        predicted = theory.relu_correlation(c0, long_layers)
        for ax, y_theory, y_sim, count in [(left, predicted, measured, DEPTH),
                                           (right, 1 - predicted, 1 - measured, LONG)]:
            style.theory_line(ax, long_layers[:count], y_theory[:count], color=color,
                              label=f"c0 = {c0}: theory")
            style.sim_markers(ax, layers[::2], y_sim[::2], color=color, label=f"c0 = {c0}: sim")
    right.plot(long_layers, theory.relu_decorrelation_asymptote(long_layers), "--",
               color="0.3", label="9 pi^2 / (2 l^2)")
    left.set_xlabel("layer l")
    left.set_ylabel("correlation c_l")
    left.legend(loc="lower right")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("layer l")
    right.set_ylabel("1 - c_l")
    right.legend(loc="lower left")
    fig.suptitle(f"Deep ReLU networks map all inputs together (width {N})")
    fig.tight_layout()
    style.save(fig, "fig_rank_collapse_relu_correlation")


if __name__ == "__main__":
    main()
