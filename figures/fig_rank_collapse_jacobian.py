"""Spread of the critical Jacobian spectrum with depth (claim RC4, its own run).

Variance of the eigenvalues of J J^T (normalised by the mean eigenvalue, m2 / m1^2 - 1) for a
critical ReLU network of width 512 at a random input, 24 seeds: ``registry.get("RC4")
.simulate()``, which records every depth up to 16; the claim checks depths 4, 8, 16 (filled
markers, bars: the claim's allowance, 4 standard errors plus a quarter of the width bias).
Solid lines: what the claim predicts, L (mu2/mu1^2 - 1 - s1) = 2L for Gaussian weights
(variance 2/n) and L for sqrt(2) x orthogonal weights (Pennington, Schoenholz & Ganguli 2017)
plus the first-order width bias 2L(L+1)/n and L(L+3)/(2n); dashed: the infinite-width line.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

from sims import registry
from sims.rank_collapse import WIDTH_EXPANSION, jacobian_width_bias


def main():
    style.use()
    claim = registry.get("RC4")
    params = claim.params()
    n, seeds = params["n"], params["seeds"]
    run = claim.simulate()
    fig, ax = plt.subplots()
    for k, kind in enumerate(["gaussian", "orthogonal"]):
        color = style.PALETTE[k]
        variance = getattr(run, kind)
        layers = np.arange(1, variance.shape[1] + 1)
        infinite = claim.closed_form(layers, weights=kind, nonlinearity="relu")
        bias = jacobian_width_bias(layers, n, kind)
        style.theory_line(ax, layers, infinite + bias, color=color, label=f"{kind}: theory + width bias")
        ax.plot(layers, infinite, "--", color=color, linewidth=1, label=f"{kind}: theory, infinite width")
        mean = variance.mean(axis=0)
        style.sim_markers(ax, layers, mean, color=color, label=f"{kind}: width {n} (sim)")
        checked = run.depths - 1
        allowed = 4 * variance.std(axis=0, ddof=1) / np.sqrt(seeds) + WIDTH_EXPANSION * bias
        ax.errorbar(
            layers[checked],
            mean[checked],
            yerr=allowed[checked],
            fmt="o",
            color=color,
            elinewidth=1,
            capsize=3,
            zorder=4,
        )
    ax.set_xlabel("depth L")
    ax.set_ylabel("variance of the spectrum of J J^T")
    ax.set_title(f"RC4: checked at L = {', '.join(map(str, run.depths))} (filled)")
    fig.suptitle("Jacobian spectrum at criticality widens linearly with depth", fontsize=11)
    ax.legend(fontsize=7)
    style.save(fig, "fig_rank_collapse_jacobian")


if __name__ == "__main__":
    main()
