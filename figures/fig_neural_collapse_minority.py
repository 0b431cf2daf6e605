"""Minority collapse (claim NC5): cosine between two minority classifiers vs imbalance R.

NC5's defaults (the runs its check makes): cross-entropy UFM with weight decay, 3 majority
classes of R samples and 3 minority classes of 1 sample, R from 1 to 100, trained by
full-batch GD (markers); the line is the certified global minimum of
the convex reformulation (theory.neural_collapse.imbalanced_ce_minority_cosine). At R = 1 the
cosine is -1/(K-1) (simplex ETF); by R = 100 the minority classifiers are parallel.
"""

import numpy as np
import style

import theory.neural_collapse as theory
from sims import registry
from sims.neural_collapse import minority_cosines, simulate_minority_collapse


def main():
    style.use()
    params = registry.get("NC5").defaults
    run = simulate_minority_collapse(
        ratios=params["ratios"],
        n_minority=params["n_minority"],
        num_majority=params["num_majority"],
        num_minority=params["num_minority"],
        dim=params["num_majority"] + params["num_minority"],
        lambda_w=params["lambda_w"],
        lambda_h=params["lambda_h"],
        learning_rate=params["learning_rate"],
        epochs=params["epochs"],
    )
    observed = minority_cosines(run, params["num_majority"])
    if not np.all(np.isfinite(observed)):
        raise RuntimeError("diverged run: refusing to plot NaN cosines")
    grid = np.unique(np.round(np.logspace(0, 2, 40), 2))
    line = [
        theory.imbalanced_ce_minority_cosine(
            r * params["n_minority"],
            params["n_minority"],
            params["num_majority"],
            params["num_minority"],
            params["lambda_w"],
            params["lambda_h"],
        )
        for r in grid
    ]
    fig, ax = style.plt.subplots()
    style.theory_line(ax, grid, line, color=style.PALETTE[0], label="global minimum (theory)")
    style.sim_markers(ax, params["ratios"], observed, color=style.PALETTE[1], label="GD on the UFM")
    k = params["num_majority"] + params["num_minority"]
    ax.axhline(-1 / (k - 1), color="grey", lw=0.8, ls=":", label="-1/(K-1)")
    ax.set_xscale("log")
    ax.set_xlabel("imbalance ratio R = n_majority / n_minority")
    ax.set_ylabel("cos(w_a, w_b), minority classes a != b")
    ax.set_title(f"Minority collapse, K = {k}, weight decay {params['lambda_w']:g}")
    ax.legend()
    style.save(fig, "fig_neural_collapse_minority")


if __name__ == "__main__":
    main()
