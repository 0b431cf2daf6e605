"""Correlation of two inputs through a deep critical ReLU network (claim RC5).

Left: cosine similarity after l layers of width 1000 (weights N(0, 2/n), no bias), mean of 64
seeds: RC5's own run (input correlation c0 = 0.2, filled markers) and the same simulation at
other input correlations (open markers; the agreement tests draw c0 in [-0.9, 0.9], the
report checks 0.2). Lines: the iterated arc-cosine map (Cho & Saul 2009). Right: 1 - c_l on
log-log axes, theory continued to l = 1000 (beyond the simulation), against the asymptote
9 pi^2 / (2 l^2) (dashed), which every input correlation approaches.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import registry

LONG = 1000
OTHER_STARTS = [-0.5, 0.0, 0.5]  # beyond the claim's c0: shown, not checked by the report


def main():
    style.use()
    claim = registry.get("RC5")
    params = claim.params()
    depth = params["depth"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.0))
    layers = np.arange(1, depth + 1)
    long_layers = np.arange(1, LONG + 1)
    starts = sorted([*OTHER_STARTS, params["c0"]])
    for k, c0 in enumerate(starts):
        color = style.PALETTE[k]
        measured = claim.simulate(c0=c0).cosines.mean(axis=0)
        predicted = claim.closed_form(c0, long_layers)
        checked = c0 == params["c0"]
        for ax, y_theory, y_sim, count in [
            (left, predicted, measured, depth),
            (right, 1 - predicted, 1 - measured, LONG),
        ]:
            style.theory_line(
                ax, long_layers[:count], y_theory[:count], color=color, label=f"c0 = {c0}: theory"
            )
            (line,) = style.sim_markers(
                ax,
                layers[::2],
                y_sim[::2],
                color=color,
                label=f"c0 = {c0}: sim" + (" (RC5)" if checked else ""),
            )
            if checked:
                line.set_markerfacecolor(color)
    right.plot(
        long_layers,
        theory.relu_decorrelation_asymptote(long_layers),
        "--",
        color="0.3",
        label="9 pi^2 / (2 l^2)",
    )
    left.set_xlabel("layer l")
    left.set_ylabel("correlation c_l")
    left.legend(loc="lower right", fontsize=7)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("layer l")
    right.set_ylabel("1 - c_l")
    right.legend(loc="lower left", fontsize=7)
    fig.suptitle(f"Deep ReLU networks map all inputs together (width {params['n']}, {params['seeds']} seeds)")
    fig.tight_layout()
    style.save(fig, "fig_rank_collapse_relu_correlation")


if __name__ == "__main__":
    main()
