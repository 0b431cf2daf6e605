"""Lyapunov spectrum of a product of Gaussian matrices (claim RC3, its own run).

Products of 64 independent 16 x 16 matrices with iid N(0, 1/16) entries, 8 seeds
(``registry.get("RC3").simulate()``). Markers: exponents measured by QR accumulation (mean of
log |R_ii| over layers and seeds, bars = 4 standard errors); line: lambda_i = 1/2 [ln(2/n) +
digamma((n - i + 1)/2)] (Newman 1986). Only the top exponent is near 0: all other directions
shrink exponentially with depth.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

from sims import registry


def main():
    style.use()
    claim = registry.get("RC3")
    params = claim.params()
    n = params["n"]
    samples = claim.simulate().lyapunov
    lyapunov, _ = claim.closed_form
    index = np.arange(1, n + 1)
    fig, ax = plt.subplots()
    style.theory_line(ax, index, lyapunov(n), color=style.PALETTE[0], label="theory (Newman 1986)")
    stderr = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    ax.errorbar(
        index, samples.mean(axis=0), yerr=4 * stderr, fmt="none", ecolor=style.PALETTE[1], elinewidth=1
    )
    style.sim_markers(
        ax,
        index,
        samples.mean(axis=0),
        color=style.PALETTE[1],
        label=f"QR accumulation, {params['depth']} layers x {params['seeds']} seeds",
    )
    ax.set_xlabel("index i")
    ax.set_ylabel("Lyapunov exponent lambda_i (nats / layer)")
    ax.set_title(f"RC3: products of N(0, 1/n) matrices, n = {n}")
    ax.legend()
    style.save(fig, "fig_rank_collapse_lyapunov")


if __name__ == "__main__":
    main()
