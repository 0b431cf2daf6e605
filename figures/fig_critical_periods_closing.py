"""Per-feature closing times (claim CP4), the claim's own run at its default parameters: the
deficit onset at which a deficit of length 1/sigma leaves half the damage of an onset-0
deficit, for the four distinct singular values of the paper's hierarchical task (sqrt 15,
sqrt 7, sqrt 3, 1), D = 2, k0 = 0.01 sigma. Line: theory.critical_periods.closing_time
(exactly proportional to 1/sigma); markers: GD at the smaller of the claim's two learning
rates, grid interpolation bias removed. Strong features close first.
"""

import numpy as np
import style

from sims import registry
from sims.critical_periods import simulated_closing_times


def main():
    style.use()
    claim = registry.get("CP4")
    params = claim.params()
    run = claim.simulate().runs[0]
    sigmas, epsilon, duration = np.array(params["sigmas"]), params["epsilon"], params["duration"]
    observed = simulated_closing_times(
        run, sigmas=sigmas, epsilon=epsilon, duration=duration, onsets=params["onsets"]
    )
    fine = np.linspace(0.95 / sigmas.max(), 1.05, 50)  # 1/sigma
    predicted = [claim.closed_form(1 / x, 2, epsilon / x, duration * x) for x in fine]
    fig, ax = style.plt.subplots()
    style.theory_line(ax, fine, predicted, color=style.PALETTE[0], label=r"theory $t_c(\sigma)$")
    style.sim_markers(
        ax,
        1.0 / sigmas,
        observed,
        color=style.PALETTE[1],
        label=f"GD (lr = {run.learning_rate:g}), hierarchy's singular values",
    )
    ax.set_xlim(0.0, 1.1)
    ax.set_ylim(0.0, None)
    ax.set_xlabel(r"$1/\sigma_\alpha$")
    ax.set_ylabel(r"closing time $t_c$ of the critical period")
    ax.set_title("CP4: each feature's critical period closes at a time proportional to 1/sigma")
    ax.legend()
    style.save(fig, "fig_critical_periods_closing")


if __name__ == "__main__":
    main()
