"""How much of the information plane is the estimator? (claims IB3, IB4)

The last hidden layer (3 units) of the 12-bit networks of fig_information_plane, one seed,
I(X;T) against epoch. Lines: binned estimates with 10, 30, 100 and 1000 bins on [-1, 1]
(and bins of width 0.07); dashed: the Kolchinsky-Tracey KDE upper bound on I(X; T + Z),
Z ~ N(0, sigma^2 I), for three noise variances (Saxe et al. 2018). For tanh the fall of
I(X;T) appears with every estimator; its size depends on the bins and on sigma^2. For ReLU
only the clipped [-1, 1] binning falls. The runs are IB4's own (its defaults); IB4 checks the
30-bin and width-0.07 estimates, the other binnings and the KDE bound are shown beside them,
not checked.
"""

import matplotlib.pyplot as plt
import numpy as np
import style

from sims import registry
from sims.information import SCHEMES, kde_information_plane

NOISE_VARIANCES = (1e-1, 1e-2, 1e-3)
KDE_EPOCHS = 8  # the KDE bound costs O(4096^2) per point: 8 epochs keep the figure < 30 s
LAST_HIDDEN = 4


def main():
    style.use()
    claim = registry.get("IB4")
    run = claim.simulate().plane  # IB4's minibatch tanh and ReLU runs at its defaults
    if not np.all(np.isfinite(run["loss"])):
        raise RuntimeError("a run diverged; refusing to plot it")
    members = run["members"]
    epochs = np.maximum(run["epochs"], 1)
    records = np.unique(np.linspace(0, len(epochs) - 1, KDE_EPOCHS).round().astype(int))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    for ax, relu in zip(axes, (0.0, 1.0), strict=True):
        member = int(np.flatnonzero((members["relu"] == relu) & (members["seed"] == 0))[0])
        info = run["information"][member, :, LAST_HIDDEN, :, 0]
        for k, (name, *_rest) in enumerate(SCHEMES):
            ax.plot(epochs, info[:, k], "-", color=style.PALETTE[k], label=f"binned, {name}")
        kdes = kde_information_plane(
            params=claim.params(),
            member=member,
            layer=LAST_HIDDEN,
            records=records.tolist(),
            noise_variances=list(NOISE_VARIANCES),
        )
        for j, (variance, kde) in enumerate(zip(NOISE_VARIANCES, kdes, strict=True)):
            ax.plot(
                epochs[records],
                kde,
                "--",
                marker="s",
                markerfacecolor="none",
                color=style.PALETTE[5 + j],
                label=f"KDE upper bound, sigma^2 = {variance:g}",
            )
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(f"{'ReLU' if relu else 'tanh'}, last hidden layer (3 units), {run['data']} data")
    axes[0].set_ylabel("I(X;T) (bits)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7)
    fig.subplots_adjust(bottom=0.3)
    style.save(fig, "fig_information_estimators")


if __name__ == "__main__":
    main()
