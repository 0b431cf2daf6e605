"""Claim DL6: exact full-matrix dynamics from lambda-balanced starts.

The claim's own run at its learning rate, one panel per lambda (W2^T W2 - W1 W1^T =
lambda I): every entry of the end-to-end map W2 W1 (t) from the first random start of that
lambda, GD (markers) over the closed-form Riccati solution (lines). (The check also runs
2 lr and every seed; those are not drawn.)
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry


def main():
    style.use()
    claim = registry.get("DL6")
    p = claim.params()
    run = claim.simulate().runs[0]  # at the claim's learning rate
    fig, axes = plt.subplots(1, len(p["lambdas"]), figsize=(11, 3.8), sharey=True)
    fine = np.linspace(0, run.t[-1], 300)
    for panel, (ax, lam) in enumerate(zip(axes, p["lambdas"], strict=True)):
        member = panel * p["seeds"]
        w1, w2 = run.inits[member]
        exact = claim.closed_form(fine, w1, w2, run.target)
        for k, (i, j) in enumerate(np.ndindex(*exact.shape[1:])):
            color = style.PALETTE[k % len(style.PALETTE)]
            style.theory_line(ax, fine, exact[:, i, j], color=color, linewidth=1)
            style.sim_markers(ax, run.t[::2], run.products[member, ::2, i, j], color=color, markersize=2.5)
        ax.set(title=f"lambda = {lam:g}", xlabel="t = lr x step")
    axes[0].set_ylabel("entries of W2 W1 (t)")
    fig.suptitle("Lambda-balanced two-layer network: lines closed form, markers GD (DL6)")
    fig.tight_layout()
    style.save(fig, "fig_deep_linear_lambda_balanced")


if __name__ == "__main__":
    main()
