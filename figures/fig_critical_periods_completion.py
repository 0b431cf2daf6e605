"""Matrix completion after a deficit (claim CP6): test error on never-observed entries of a
rank-2 20 x 20 matrix (160 observed entries) after pre-training on half of them for the
given number of steps, then training on all 160 to convergence; depths 1-3, mean and standard
error over 4 initialisations (lr = 5, init scale 1e-3). Line: the depth-1 closed form
theory.critical_periods.depth1_completion_error (unobserved entries never move). Depth 1 is
unaffected; depth >= 2 is permanently damaged. Scaled down from the paper's 100 x 100.
"""

import numpy as np
import style

import theory.critical_periods as theory
from sims import registry
from sims.critical_periods import simulate_completion


def main():
    style.use()
    defaults = dict(registry.get("CP6").defaults)
    depths = defaults.pop("depths")
    defaults["pretrain_epochs"] = [0, 30, 100, 300, 1000, 3000, 10000]
    x = np.array(defaults["pretrain_epochs"], dtype=float)
    x[0] = 10.0  # no pre-training, drawn at the left edge of the log axis
    fig, ax = style.plt.subplots()
    for color, depth in zip(style.PALETTE, depths, strict=False):
        run = simulate_completion(depth=depth, **defaults)
        mean = run["test"].mean(axis=0)
        error = run["test"].std(axis=0, ddof=1) / np.sqrt(run["test"].shape[0])
        style.sim_markers(ax, x, mean, color=color, label=f"D = {depth} (GD)")
        ax.errorbar(x, mean, yerr=error, fmt="none", color=color)
        if depth == 1:
            level = np.mean([theory.depth1_completion_error(run["target"], init,
                                                            run["full"].astype(bool))
                             for init in run["init"]])
            style.theory_line(ax, x, np.full_like(x, level), color=color,
                              label="D = 1 theory (entries never move)")
    ax.set_xscale("log")
    ax.set_xlabel("pre-training steps on the deficit task (left point: none)")
    ax.set_ylabel("test error on unobserved entries")
    ax.set_title("Deficit pre-training damages depth >= 2, never depth 1")
    ax.legend()
    style.save(fig, "fig_critical_periods_completion")


if __name__ == "__main__":
    main()
