"""Minority collapse (claim NC5): cosine between two minority classifiers vs imbalance R.

NC5's own run (``registry.get("NC5").simulate()``, its defaults): cross-entropy UFM with
weight decay, 3 majority classes of R samples and 3 minority classes of 1 sample, R from 1 to
100, trained by full-batch GD (markers); the line is the claim's closed form on a fine grid of
R, the certified global minimum of the convex reformulation
(theory.neural_collapse.imbalanced_ce_minority_cosine). At R = 1 the cosine is -1/(K-1)
(simplex ETF); by R = 100 the minority classifiers are parallel.
"""

import numpy as np
import style

from sims import registry
from sims.neural_collapse import minority_cosines


def main():
    style.use()
    claim = registry.get("NC5")
    p = claim.defaults
    observed = minority_cosines(claim.simulate().classifier[:, -1], p["num_majority"])
    if not np.all(np.isfinite(observed)):
        raise RuntimeError("diverged run: refusing to plot NaN cosines")
    grid = np.unique(np.round(np.logspace(0, 2, 40), 2))
    line = [
        claim.closed_form(
            r * p["n_minority"], p["n_minority"], p["num_majority"], p["num_minority"],
            p["lambda_w"], p["lambda_h"],
        )
        for r in grid
    ]  # fmt: skip
    fig, ax = style.plt.subplots()
    style.theory_line(ax, grid, line, color=style.PALETTE[0], label="global minimum (theory)")
    style.sim_markers(ax, p["ratios"], observed, color=style.PALETTE[1], label="GD on the UFM")
    k = p["num_majority"] + p["num_minority"]
    ax.axhline(-1 / (k - 1), color="grey", lw=0.8, ls=":", label="-1/(K-1)")
    ax.set_xscale("log")
    ax.set_xlabel("imbalance ratio R = n_majority / n_minority")
    ax.set_ylabel("cos(w_a, w_b), minority classes a != b")
    ax.set_title(f"Minority collapse (NC5), K = {k}, weight decay {p['lambda_w']:g}")
    ax.legend()
    style.save(fig, "fig_neural_collapse_minority")


if __name__ == "__main__":
    main()
