"""Effective rank and eigenvalues of random products, Gaussian vs orthogonal (claim RC3).

Left: effective rank (Roy & Vetterli 2007) of W_l ... W_1 for 32 x 32 factors, N(0, 1/32)
entries (markers, median of RC3's 4 seeds) or Haar orthogonal (markers; line: n, dynamical
isometry). Right: fraction of the eigenvalues of a product of 100 x 100 Gaussian matrices in
Saxe et al. 2014's bin at the origin (fig. 6: bins of width 0.1, so the square |Re z|,
|Im z| < 0.05) against depth, mean over 16 seeds. Filled markers: the depths RC3 checks (5 and
100); open markers: the same simulation at other depths, not checked by the claim. Solid
line: the square's fraction from the product law P(|z| < r) = r^{2/depth} (RC3's closed form);
dashed: the inscribed disk's 0.05^{2/depth}, for comparison.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import registry
from sims.rank_collapse import ORIGIN_BIN_HALF_SIDE, origin_bin_fraction

OTHER_DEPTHS = [1, 2, 10, 20, 50]  # beyond the claim: shown, not checked


def main():
    style.use()
    claim = registry.get("RC3")
    params = claim.params()
    run = claim.simulate()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.0))
    layers = np.arange(1, params["rank_depth"] + 1)
    for k, kind in enumerate(["gaussian", "orthogonal"]):
        ranks = getattr(run, f"{kind}_rank")
        style.sim_markers(
            left, layers, np.median(ranks, axis=0), color=style.PALETTE[k], label=f"{kind} factors (sim)"
        )
    style.theory_line(
        left, layers, np.full(layers.size, params["rank_n"]), color=style.PALETTE[1], label="orthogonal: n"
    )
    left.set_xscale("log")
    left.set_xlabel("depth l")
    left.set_ylabel(f"effective rank of W_l ... W_1 (n = {params['rank_n']})")
    left.legend()

    _, square = claim.closed_form
    grid = np.geomspace(1, 100, 100)
    style.theory_line(
        right,
        grid,
        square(ORIGIN_BIN_HALF_SIDE, grid),
        color=style.PALETTE[0],
        label="square |Re z|, |Im z| < 0.05: product law",
    )
    right.plot(
        grid,
        theory.product_eigenvalue_fraction(ORIGIN_BIN_HALF_SIDE, grid),
        "--",
        color="0.5",
        linewidth=1,
        label="disk |z| < 0.05: 0.05^(2/depth)",
    )
    others = claim.simulate(fraction_depths=OTHER_DEPTHS)
    for data, label, filled in [
        (others, "other depths (sim, not checked)", False),
        (run, f"RC3's depths, n = {params['fraction_n']} (sim)", True),
    ]:
        measured = origin_bin_fraction(data.eigenvalues, ORIGIN_BIN_HALF_SIDE).mean(axis=1)
        (line,) = style.sim_markers(
            right, data.fraction_depths, measured, color=style.PALETTE[1], label=label
        )
        if filled:
            line.set_markerfacecolor(style.PALETTE[1])
    right.set_xscale("log")
    right.set_xlabel("depth (number of factors)")
    right.set_ylabel("fraction of eigenvalues in the origin bin")
    right.legend(fontsize=8)
    fig.suptitle("RC3: depth collapses the rank of Gaussian products, not of orthogonal ones")
    fig.tight_layout()
    style.save(fig, "fig_rank_collapse_effective_rank")


if __name__ == "__main__":
    main()
