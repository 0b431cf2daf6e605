"""Simplex ETF geometry (claim NC1): K = 3 in 2-D and K = 4 in 3-D.

Left: the three unit vectors of the K = 3 simplex ETF (lines, pairwise angle 120 degrees) and
noisy features around radius-2 class means (markers). Right: the K = 4 ETF, a regular
tetrahedron, in 3-D (same convention: solid lines theory, open markers samples). Titles
give the measured NC1 metric next to the closed form s^2 (K-1)^2 / (K r^2).
"""

import numpy as np
import style

import theory.neural_collapse as theory
from sims.neural_collapse import isotropic_etf_features, nc_metrics


def main():
    style.use()
    fig = style.plt.figure(figsize=(9.0, 4.2))
    rng = np.random.default_rng(0)
    for panel, (k, dim) in enumerate([(3, 2), (4, 3)]):
        noise, radius = 0.3, 2.0
        features, labels = isotropic_etf_features(
            rng, num_classes=k, dim=dim, n_per_class=60, noise_std=noise, radius=radius
        )
        etf = radius * theory.simplex_etf(k, dim)
        projection = "3d" if dim == 3 else None
        ax = fig.add_subplot(1, 2, panel + 1, projection=projection)
        for c in range(k):
            color = style.PALETTE[c]
            tip = etf[:, c]
            if dim == 2:
                style.theory_line(ax, [0, tip[0]], [0, tip[1]], color=color, label=f"vertex {c}")
                style.sim_markers(ax, *features[labels == c].T, color=color, markersize=2)
            else:  # style's helpers are 2-D; same line / open-marker convention in 3-D
                ax.plot(*[[0, t] for t in tip], "-", color=color)
                ax.plot(
                    *features[labels == c].T, "o", markerfacecolor="none", color=color, markersize=2
                )
        nc1 = nc_metrics(features, labels)["nc1"]
        ax.set_title(
            f"K = {k} in {dim}-D: NC1 {nc1:.3f} "
            f"(theory {float(theory.nc1_isotropic_noise(noise, radius, k)):.3f})"
        )
        if dim == 2:
            ax.set_aspect("equal")
            ax.legend(loc="lower left")
    style.save(fig, "fig_neural_collapse_etf")


if __name__ == "__main__":
    main()
