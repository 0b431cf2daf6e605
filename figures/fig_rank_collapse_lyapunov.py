"""Lyapunov spectrum of a product of Gaussian matrices (claim RC3).

Products of 64 independent 32 x 32 matrices with iid N(0, 1/32) entries, 8 seeds. Markers:
exponents measured by QR accumulation (mean of log |R_ii| over layers and seeds, bars = 4
standard errors); line: lambda_i = 1/2 [ln(2/n) + digamma((n - i + 1)/2)] (Newman 1986).
Only the top exponent is near 0: all other directions shrink exponentially with depth.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import rank_collapse as sims

N, DEPTH, SEEDS = 32, 64, 8


def main():
    style.use()
    samples = sims.simulate_lyapunov(n=N, depth=DEPTH, seeds=SEEDS)
    index = np.arange(1, N + 1)
    fig, ax = plt.subplots()
    style.theory_line(ax, index, theory.gaussian_product_lyapunov(N), color=style.PALETTE[0],
                      label="theory (Newman 1986)")
    stderr = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    ax.errorbar(index, samples.mean(axis=0), yerr=4 * stderr, fmt="none",
                ecolor=style.PALETTE[1], elinewidth=1)
    style.sim_markers(ax, index, samples.mean(axis=0), color=style.PALETTE[1],
                      label=f"QR accumulation, {DEPTH} layers x {SEEDS} seeds")
    ax.set_xlabel("index i")
    ax.set_ylabel("Lyapunov exponent lambda_i (nats / layer)")
    ax.set_title(f"Products of N(0, 1/n) matrices, n = {N}")
    ax.legend()
    style.save(fig, "fig_rank_collapse_lyapunov")


if __name__ == "__main__":
    main()
