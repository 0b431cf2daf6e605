"""Effective rank of random products, Gaussian vs orthogonal (claim RC3).

Left: effective rank (Roy & Vetterli 2007) of W_l ... W_1 for 32 x 32 factors, N(0, 1/32)
entries (markers, median of 8 seeds) or Haar orthogonal (markers; line: n, dynamical
isometry). Right: fraction of eigenvalues of a product of 100 x 100 Gaussian matrices with
|z| < 0.05 (Saxe et al. 2014 fig. 6C's bin at the origin) against depth; line:
0.05^{2/depth}, markers: mean over 16 seeds.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import rank_collapse as sims

N, DEPTH, SEEDS = 32, 64, 8
FRACTION_DEPTHS = [1, 2, 5, 10, 20, 50, 100]


def main():
    style.use()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.0))
    layers = np.arange(1, DEPTH + 1)
    for k, kind in enumerate(["gaussian", "orthogonal"]):
        ranks = sims.simulate_effective_rank(n=N, depth=DEPTH, seeds=SEEDS, kind=kind)
        style.sim_markers(left, layers, np.median(ranks, axis=0), color=style.PALETTE[k],
                          label=f"{kind} factors (sim)")
    style.theory_line(left, layers, np.full(DEPTH, N), color=style.PALETTE[1],
                      label="orthogonal: n")
    left.set_xscale("log")
    left.set_xlabel("depth l")
    left.set_ylabel("effective rank of W_l ... W_1")
    left.legend()
    measured = [sims.simulate_eigenvalue_fraction(n=100, depth=m, seeds=16, radius=0.05).mean()
                for m in FRACTION_DEPTHS]
    grid = np.geomspace(1, 100, 100)
    style.theory_line(right, grid, theory.product_eigenvalue_fraction(0.05, grid),
                      color=style.PALETTE[0], label="0.05^(2/depth)")
    style.sim_markers(right, FRACTION_DEPTHS, measured, color=style.PALETTE[0],
                      label="n = 100 (sim)")
    right.set_xscale("log")
    right.set_xlabel("depth (number of factors)")
    right.set_ylabel("fraction of eigenvalues with |z| < 0.05")
    right.legend()
    fig.suptitle("Depth collapses the rank of Gaussian products, not of orthogonal ones")
    fig.tight_layout()
    style.save(fig, "fig_rank_collapse_effective_rank")


if __name__ == "__main__":
    main()
