"""Simplex ETF geometry and the NC1 metric under isotropic noise (claim NC1).

Left and middle: an illustration, not NC1's run -- the K = 3 simplex ETF in 2-D (lines,
pairwise angle 120 degrees) and the K = 4 ETF, a regular tetrahedron, in 3-D, with noisy
features around radius-2 class means (open markers, noise 0.3); their titles give the
measured NC1 next to the closed form s^2 (K-1)^2 / (K r^2). Right: what NC1 checks
(``registry.get("NC1").simulate()``, its defaults): the NC1 metric of each noisy replicate
(markers), their mean, and the closed form (line) with the band the check allows
(Student-t quantile times the standard error of the mean).
"""

import numpy as np
import style

import theory.neural_collapse as theory
from sims import registry
from sims.neural_collapse import isotropic_etf_features, nc_metrics


def illustrate(fig, rng, panel, k, dim, formula, noise=0.3, radius=2.0):
    """One panel: the K-class simplex ETF in ``dim`` dimensions and noisy features around it."""
    features, labels = isotropic_etf_features(
        rng, num_classes=k, dim=dim, n_per_class=60, noise_std=noise, radius=radius
    )
    etf = radius * theory.simplex_etf(k, dim)
    ax = fig.add_subplot(1, 3, panel, projection="3d" if dim == 3 else None)
    for c in range(k):
        color = style.PALETTE[c]
        if dim == 2:
            style.theory_line(ax, [0, etf[0, c]], [0, etf[1, c]], color=color, label=f"vertex {c}")
            style.sim_markers(ax, *features[labels == c].T, color=color, markersize=2)
        else:  # style's helpers are 2-D; same line / open-marker convention in 3-D
            ax.plot(*[[0, t] for t in etf[:, c]], "-", color=color)
            ax.plot(*features[labels == c].T, "o", markerfacecolor="none", color=color, markersize=2)
    ax.set_title(
        f"illustration (not NC1's run)\nK = {k} in {dim}-D: NC1 "
        f"{nc_metrics(features, labels)['nc1']:.3f} (theory {float(formula(noise, radius, k)):.3f})"
    )
    if dim == 2:
        ax.set_aspect("equal")
        ax.legend(loc="lower left")


def main():
    style.use()
    claim = registry.get("NC1")
    fig = style.plt.figure(figsize=(13.5, 4.6), layout="constrained")
    rng = np.random.default_rng(0)
    for panel, (k, dim) in enumerate([(3, 2), (4, 3)], start=1):
        illustrate(fig, rng, panel, k, dim, claim.closed_form)

    p = claim.defaults
    run = claim.simulate()
    samples = run.samples
    check = claim.compare(None, run, **p).comparisons[0]  # the mean's z-score vs the closed form
    standard_error = samples.std(ddof=1) / np.sqrt(p["replicates"])
    ax = fig.add_subplot(1, 3, 3)
    replicates = np.arange(1, samples.size + 1)
    predicted = float(claim.closed_form(p["noise_std"], p["radius"], p["num_classes"]))
    band = check.tolerance * standard_error
    ax.axhspan(predicted - band, predicted + band, color=style.PALETTE[0], alpha=0.15,
               label=f"allowed: +-{check.tolerance:.2f} s.e. of the mean")  # fmt: skip
    style.theory_line(ax, [1, samples.size], [predicted] * 2, color=style.PALETTE[0],
                      label="s^2 (K-1)^2 / (K r^2) (theory)")  # fmt: skip
    style.sim_markers(ax, replicates, samples, color=style.PALETTE[1], label="NC1 of one replicate")
    ax.axhline(samples.mean(), color=style.PALETTE[1], lw=1.0, ls="--", label="mean of replicates")
    ax.set_xlabel("replicate")
    ax.set_ylabel("NC1 = Tr(Sigma_W Sigma_B^+) / K")
    ax.set_title(
        f"NC1's check (its defaults)\nK = {p['num_classes']}, d = {p['dim']}, "
        f"n = {p['n_per_class']} per class, s = {p['noise_std']:g}, r = {p['radius']:g}"
    )
    ax.set_ylim(top=samples.max() + 0.6 * np.ptp(samples))  # room for the legend
    ax.legend(fontsize=7, ncol=2, loc="upper center")
    style.save(fig, "fig_neural_collapse_etf")


if __name__ == "__main__":
    main()
