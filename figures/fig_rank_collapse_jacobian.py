"""Spread of the critical Jacobian spectrum with depth (claim RC4).

Variance of the eigenvalues of J J^T (normalised by the mean eigenvalue, m2 / m1^2 - 1) for
a critical ReLU network of width 200 at a random input, 24 seeds. Lines: L (mu2/mu1^2 - 1 -
s1) = 2L for Gaussian weights (variance 2/n) and L for sqrt(2) x orthogonal weights
(Pennington, Schoenholz & Ganguli 2017); markers: mean, bars 4 standard errors.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import rank_collapse as sims

N, DEPTH, SEEDS = 200, 16, 24


def main():
    style.use()
    fig, ax = plt.subplots()
    layers = np.arange(1, DEPTH + 1)
    for k, kind in enumerate(["gaussian", "orthogonal"]):
        color = style.PALETTE[k]
        variance = sims.simulate_jacobian_variance(n=N, depth=DEPTH, seeds=SEEDS, kind=kind)
        style.theory_line(ax, layers, theory.jacobian_spectrum_variance(layers, weights=kind),
                          color=color, label=f"ReLU, {kind}: theory")
        stderr = variance.std(axis=0, ddof=1) / np.sqrt(SEEDS)
        ax.errorbar(layers, variance.mean(axis=0), yerr=4 * stderr, fmt="none", ecolor=color,
                    elinewidth=1)
        style.sim_markers(ax, layers, variance.mean(axis=0), color=color,
                          label=f"ReLU, {kind}: width {N} (sim)")
    ax.set_xlabel("depth L")
    ax.set_ylabel("variance of the spectrum of J J^T")
    ax.set_title("Jacobian spectrum at criticality widens linearly with depth")
    ax.legend()
    style.save(fig, "fig_rank_collapse_jacobian")


if __name__ == "__main__":
    main()
