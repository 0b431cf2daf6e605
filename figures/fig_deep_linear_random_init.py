"""Claim DL2: from small random init, modes are learned in order of s, on schedule.

Left: mode strengths of one random network (markers) and eq. 12 started from each mode's
effective initial strength u0_eff (lines). Right: half-learning time of every mode and seed,
simulation vs learning_time(s, u0_eff, s/2); the diagonal is perfect agreement.
"""

import matplotlib.pyplot as plt
import numpy as np
import style

import theory.deep_linear as theory
from sims import registry


def main():
    style.use()
    claim = registry.get("DL2")
    p = claim.params()
    run = claim.simulate()
    s, u0, half = run.s, run.u0, run.half_time
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    every = max(len(run.t) // 60, 1)
    for k, color in zip(range(s.size), style.PALETTE, strict=False):
        style.theory_line(
            left, run.t, theory.mode_strength(run.t, s[k], u0[0, k]), color=color, label=f"s = {s[k]:g}"
        )
        style.sim_markers(left, run.t[::every], run.u[0, ::every, k], color=color)
    left.set(
        xlabel="t = lr x step",
        ylabel="mode strength u(t)",
        title=f"one random init (std {p['init_std']:g}): markers GD, lines eq. 12 from u0_eff",
    )
    left.legend()
    predicted = claim.closed_form(s[None, :], u0, s[None, :] / 2)
    for k, color in zip(range(s.size), style.PALETTE, strict=False):
        style.sim_markers(right, predicted[:, k], half[:, k], color=color, label=f"s = {s[k]:g}")
    lims = [predicted.min() * 0.95, predicted.max() * 1.05]
    style.theory_line(right, lims, lims, color="gray", label="simulation = theory")
    error = np.nanmax(np.abs(half / predicted - 1))
    right.set(
        xlabel="theory: learning_time(s, u0_eff, s/2)",
        ylabel="simulation: time to s/2",
        title=f"{half.shape[0]} seeds, max relative error {error:.2%}",
    )
    right.legend()
    fig.suptitle("Small random init: modes learned in order of s (DL2)")
    fig.tight_layout()
    style.save(fig, "fig_deep_linear_random_init")


if __name__ == "__main__":
    main()
