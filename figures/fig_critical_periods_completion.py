"""Matrix completion after a deficit (claim CP6), the claim's own run at its default
parameters: test error on never-observed entries of a rank-2 20 x 20 matrix (160 observed
entries) after pre-training on half of them for the given number of steps, then training on
all 160 to convergence; depths 1-3, mean and standard error over 4 initialisations (lr = 5,
init scale 1e-3). Line: the depth-1 closed form theory.critical_periods.depth1_completion_error
(unobserved entries never move), averaged over the initialisations. Depth 1 is unaffected;
depth >= 2 is permanently damaged. Scaled down from the paper's 100 x 100.
"""

import numpy as np
import style

from sims import registry
from sims.critical_periods import mean_and_standard_error


def main():
    style.use()
    claim = registry.get("CP6")
    fig, ax = style.plt.subplots()
    for color, run in zip(style.PALETTE, claim.simulate(), strict=False):
        x = np.array(run.pretrain_epochs, dtype=float)
        x[x == 0] = 10.0  # no pre-training, drawn at the left edge of the log axis
        mean, standard_error = mean_and_standard_error(run.test)
        style.sim_markers(ax, x, mean, color=color, label=f"D = {run.depth} (GD)")
        ax.errorbar(x, mean, yerr=standard_error, fmt="none", color=color)
        if run.depth == 1:
            level = np.mean([claim.closed_form(run.target, init, run.full.astype(bool)) for init in run.init])
            style.theory_line(
                ax, x, np.full_like(x, level), color=color, label="D = 1 theory (entries never move)"
            )
    ax.set_xscale("log")
    ax.set_xlabel("pre-training steps on the deficit task (left point: none)")
    ax.set_ylabel("test error on unobserved entries")
    ax.set_title("CP6: deficit pre-training damages depth >= 2, never depth 1")
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.93))
    style.save(fig, "fig_critical_periods_completion")


if __name__ == "__main__":
    main()
