"""Depth lowers the effective rank of the learned matrix in matrix completion (claim RC6).

Deep matrix factorisation W_N ... W_1 (N = 1..4) of a rank-1, 16 x 16 matrix from 96 observed
entries, full-batch GD from near-zero init (factors 0.1 x N(0, 1/16)), as in Arora et al.
2019. Markers: effective rank (Roy & Vetterli 2007) of the learned matrix for each of 3
tasks; line: the rank of the ground truth (1). Depth 1 fills the unobserved entries with
~0 (high effective rank); depth >= 2 finds the low-rank completion.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

from sims import rank_collapse as sims
from sims import registry


def main():
    style.use()
    completion = registry.get("RC6").defaults["completion"]
    run = sims.simulate_matrix_completion(**completion)
    depths = np.asarray(completion["depths"])
    fig, ax = plt.subplots()
    for seed in range(completion["seeds"]):
        style.sim_markers(ax, depths, run["effective_rank"][:, seed], color=style.PALETTE[0],
                          label="learned matrix (sim)" if seed == 0 else None)
    style.theory_line(ax, depths, np.full(depths.size, completion["rank"]),
                      color=style.PALETTE[1], label="rank of the ground truth")
    ax.set_xticks(depths)
    ax.set_xlabel("depth N of the factorisation")
    ax.set_ylabel("effective rank")
    ax.set_title(f"Matrix completion; worst final loss {run['loss'].max():.1g}")
    ax.legend()
    style.save(fig, "fig_rank_collapse_completion")


if __name__ == "__main__":
    main()
