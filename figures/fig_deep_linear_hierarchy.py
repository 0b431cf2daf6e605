"""Claim DL5: progressive differentiation on hierarchically structured data.

The claim's own run. Left: the singular values of the binary-tree dataset, closed form vs
numpy's SVD. Right: the mode strengths over training at the claim's learning rate (markers
GD, lines eq. 12), coloured by tree level: the network separates the broad categories first
and the finest distinctions last. (The check also runs 2 lr; that run is not drawn.)
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry


def main():
    style.use()
    claim = registry.get("DL5")
    levels = claim.params()["levels"]
    singular_values, strength = claim.closed_form
    result = claim.simulate()
    run = result.trajectories.runs[0]  # at the claim's learning rate
    values, counts = singular_values(levels)
    items = 2**levels
    predicted = np.repeat(values, counts) / np.sqrt(items)
    numeric = result.singular_values
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    ranks = np.arange(1, items + 1)
    style.theory_line(
        left, ranks, predicted, color=style.PALETTE[0], label="closed form", drawstyle="steps-mid"
    )
    style.sim_markers(left, ranks, numeric, color=style.PALETTE[1], label="numpy SVD")
    left.set(
        xlabel="mode rank",
        ylabel="singular value of Sigma_yx",
        title=f"binary tree, {levels} levels, {items} items",
    )
    left.legend()
    level_of = np.repeat(np.arange(levels + 1), counts)
    fine = np.linspace(0, run.t[-1], 400)
    for k in range(run.s.size):
        level = int(np.argmin(np.abs(values / np.sqrt(items) - run.s[k])))
        color = style.PALETTE[level]
        label = (
            f"level {level}: {'root' if level == 0 else f'split at depth {level - 1}'}"
            if k == int(np.argmax(level_of == level))
            else None
        )
        style.theory_line(right, fine, strength(fine, run.s[k], run.u0), color=color, label=label)
        style.sim_markers(right, run.t[::6], run.u[::6, k], color=color, markersize=3)
    right.set(
        xlabel="t = lr x step", ylabel="mode strength u(t)", title="coarse distinctions are learned first"
    )
    right.legend()
    fig.suptitle("Progressive differentiation (DL5): lines theory, markers GD")
    fig.tight_layout()
    style.save(fig, "fig_deep_linear_hierarchy")


if __name__ == "__main__":
    main()
