"""Minority collapse in Fang et al.'s constrained layer-peeled model (claim NC8).

NC8's own run (``registry.get("NC8").simulate()``, its defaults): K_A = 5 majority classes of
R samples and K_B = 5 minority classes of 1, norm constraints E_W = 1, E_H = 5, trained by
projected GD (markers: cosine between two minority classifiers at the end). Line: the claim's
closed form on a fine grid of R, the certified global minimum of the convex relaxation
(theory.neural_collapse.layer_peeled_minority_cosine); dashed: the threshold R_0 from which
the minority classifiers coincide (cosine exactly 1).
"""

import numpy as np
import style

from sims import registry
from sims.neural_collapse import minority_cosines


def main():
    style.use()
    claim = registry.get("NC8")
    p = claim.defaults
    form = claim.closed_form
    setting = (p["num_majority"], p["num_minority"], p["energy_w"], p["energy_h"])
    run = claim.simulate()
    observed = minority_cosines(run.classifier[:, -1], p["num_majority"])
    if not np.all(np.isfinite(observed)):
        raise RuntimeError("diverged run: refusing to plot NaN cosines")
    r0 = float(form.threshold(*setting))
    grid = np.unique(np.concatenate([np.geomspace(1, 1.5 * max(p["ratios"]), 50), [r0]]))
    line = [form.cosine(r, *setting) for r in grid]
    fig, ax = style.plt.subplots()
    style.theory_line(ax, grid, line, color=style.PALETTE[0], label="certified global minimum (theory)")
    style.sim_markers(ax, run.ratios, observed, color=style.PALETTE[1], label="projected GD")
    ax.axvline(r0, color=style.PALETTE[0], lw=1.0, ls="--", label=f"R_0 = {r0:.2f} (theory)")
    k = p["num_majority"] + p["num_minority"]
    ax.axhline(-1 / (k - 1), color="grey", lw=0.8, ls=":", label="-1/(K-1)")
    ax.set_xscale("log")
    ax.set_xlabel("imbalance ratio R = n_majority / n_minority")
    ax.set_ylabel("cos(w_a, w_b), minority classes a != b")
    ax.set_title(
        f"Layer-peeled minority collapse (NC8): K_A = {p['num_majority']}, K_B = "
        f"{p['num_minority']}, E_W = {p['energy_w']:g}, E_H = {p['energy_h']:g}"
    )
    ax.legend(loc="upper left")
    style.save(fig, "fig_neural_collapse_layer_peeled")


if __name__ == "__main__":
    main()
