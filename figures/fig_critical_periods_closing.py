"""Per-feature closing times (claim CP4): the deficit onset at which a deficit of length
1/sigma leaves half the damage of an onset-0 deficit, for the four distinct singular values
of the paper's hierarchical task (sqrt 15, sqrt 7, sqrt 3, 1), D = 2, k0 = 0.01 sigma.
Line: theory.critical_periods.closing_time (exactly proportional to 1/sigma); markers: GD
(lr = 0.005), grid interpolation bias removed. Strong features close first.
"""

import numpy as np
import style

import theory.critical_periods as theory
from sims.critical_periods import closing_times_simulated

SIGMAS = [15**0.5, 7**0.5, 3**0.5, 1.0]
EPSILON, DURATION = 0.01, 1.0


def main():
    style.use()
    observed = closing_times_simulated(sigmas=SIGMAS, epsilon=EPSILON, duration=DURATION,
                                       onsets=np.linspace(0.0, 4.0, 33).tolist(),
                                       learning_rate=0.005)
    inverse = np.linspace(0.0, 1.05, 50)
    slope = theory.closing_time(1.0, 2, EPSILON, DURATION)
    fig, ax = style.plt.subplots()
    style.theory_line(ax, inverse, slope * inverse, color=style.PALETTE[0],
                      label=rf"theory $t_c = {slope:.3f}/\sigma$")
    style.sim_markers(ax, 1.0 / np.array(SIGMAS), observed, color=style.PALETTE[1],
                      label="GD, hierarchy's singular values")
    ax.set_xlabel(r"$1/\sigma_\alpha$")
    ax.set_ylabel(r"closing time $t_c$ of the critical period")
    ax.set_title("Each feature's critical period closes at a time proportional to 1/sigma")
    ax.legend()
    style.save(fig, "fig_critical_periods_closing")


if __name__ == "__main__":
    main()
