"""The information plane of the 12-bit task: tanh compresses, ReLU does not (claim IB4).

A 12-10-7-5-4-3-2 network trained with IB4's default setup (Adam, lr 4e-4, 8000 epochs, 3
seeds) on the published var_u.mat of Shwartz-Ziv & Tishby when present, else on the surrogate
task (the title says which); binned I(X;T) and I(T;Y) of each hidden layer and the output on
all 4096 inputs at log-spaced epochs, one seed shown, colour = epoch (log scale). Left: tanh,
binned on [-1, 1] (Shwartz-Ziv & Tishby 2017). Middle: ReLU, unbounded bins of width 0.07
(the bin size of Saxe et al. 2018's code, artemyk/ibsgd; their Fig. 1B used 100 bins between
the smallest and largest activity). Right: the same ReLU runs binned on [-1, 1], whose apparent compression
is an artefact of the clipped binning range.
"""

import matplotlib.pyplot as plt
import numpy as np
import style
from matplotlib.colors import LogNorm

from sims import registry
from sims.information import SCHEMES, WIDTH_SCHEME


def main():
    style.use()
    checked = registry.get("IB4").simulate()
    run, binned = checked.plane, checked.scheme  # IB4's minibatch runs and its binning
    if not np.all(np.isfinite(run["loss"])):
        raise RuntimeError("a run diverged; refusing to plot it")
    relu = run["members"]["relu"].to_numpy() > 0.5
    seed0 = run["members"]["seed"].to_numpy() == run["members"]["seed"].min()
    bins = SCHEMES[binned][0]
    panels = [
        (f"tanh, {bins}", np.flatnonzero(~relu & seed0)[0], binned),
        ("ReLU, bins of width 0.07", np.flatnonzero(relu & seed0)[0], WIDTH_SCHEME),
        (f"ReLU, {bins} (artefact)", np.flatnonzero(relu & seed0)[0], binned),
    ]
    epochs = np.maximum(run["epochs"], 1)
    norm = LogNorm(vmin=1, vmax=epochs.max())
    fig, axes = plt.subplots(1, 3, figsize=(12.5, 4.0), sharey=True)
    for ax, (title, member, scheme) in zip(axes, panels, strict=True):
        info = run["information"][member, :, :, scheme, :]
        for layer in range(info.shape[1]):
            ax.plot(info[:, layer, 0], info[:, layer, 1], "-", color="0.8", lw=0.8, zorder=1)
            points = ax.scatter(
                info[:, layer, 0], info[:, layer, 1], c=epochs, norm=norm, cmap="viridis", s=9, zorder=2
            )
            ax.annotate(
                f"L{layer + 1}",
                (info[-1, layer, 0], info[-1, layer, 1]),
                fontsize=7,
                xytext=(3, -8),
                textcoords="offset points",
            )
        ax.set_title(title)
        ax.set_xlabel("I(X;T) (bits)")
    axes[0].set_ylabel("I(T;Y) (bits)")
    fig.colorbar(points, ax=axes, label="epoch", shrink=0.9)
    fig.suptitle(
        f"Information plane, {run['data']} data ({run['n_train']} training rows), {bins} "
        "vs width binning; L6 = softmax output",
        fontsize=10,
    )
    style.save(fig, "fig_information_plane")


if __name__ == "__main__":
    main()
