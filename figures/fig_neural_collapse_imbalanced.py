"""Imbalanced deep linear UFM (claim NC4): class norms vs class size, one colour per depth.

NC4's own runs (``registry.get("NC4").simulate()``, its defaults): bias-free MSE, depths 1, 2,
3 and 6, classes of 20, 10, 5, 2, 1 samples, weight decay 1e-2. Lines: the claim's closed form,
the global minimiser (theory.neural_collapse.imbalanced_deep_linear_minimizer); markers: the
best of K GD starts. Top: end-to-end classifier row norms (larger classes, longer rows);
bottom: squared class-mean norms. Classes at or below the collapse threshold sit at zero;
for depth >= 2 the threshold grows with depth.
"""

import numpy as np
import style

from sims import registry
from sims.neural_collapse import class_geometry


def main():
    style.use()
    claim = registry.get("NC4")
    params = claim.defaults
    sizes = np.asarray(params["class_sizes"])
    fig, axes = style.plt.subplots(2, 1, figsize=(6.4, 6.4), sharex=True)
    for i, (depth, (run, best)) in enumerate(claim.simulate().items()):
        if not np.all(np.isfinite(run.loss)):
            raise RuntimeError(f"depth {depth}: diverged run, not plotted")
        found = class_geometry(run, member=best)
        predicted = claim.closed_form(sizes, depth, params["lambda_w"], params["lambda_h"])
        color = style.PALETTE[i % len(style.PALETTE)]
        for ax, theory_key, sim_key in (
            (axes[0], "classifier_row_norms", "row_norms"),
            (axes[1], "feature_mean_norms_sq", "mean_norms_sq"),
        ):
            style.theory_line(ax, sizes, predicted[theory_key], color=color, label=f"depth {depth}")
            style.sim_markers(ax, sizes, found[sim_key], color=color)
    axes[0].set_ylabel("||row k of W_L...W_1||")
    axes[1].set_ylabel("||h_k||^2")
    axes[1].set_xlabel("class size n_k")
    axes[1].set_xscale("log")
    axes[0].legend(ncol=3, title="lines: theory, markers: GD")
    axes[0].set_title("Imbalanced deep linear UFM: norms by class size (NC4)")
    style.save(fig, "fig_neural_collapse_imbalanced")


if __name__ == "__main__":
    main()
