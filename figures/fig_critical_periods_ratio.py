"""The two pathways during and after a deficit on pathway b (claims CP1, CP5), each panel the
claim's own run at its default parameters (the smaller of its two learning rates).

Left (CP1): the hierarchical task, D = 2, k0 = 0.05, deficit [0.3, 0.8) (shaded): the
strengths K_a (circles) and K_b (squares) of the modes with distinct singular values; lines
theory.critical_periods.pathway_strengths. Right (CP5): one scalar feature (sigma = 1), deficit
[0, 1), the ratio K_a/K_b at each checked depth; lines from the same closed form. After the
deficit the ratio relaxes for D = 1 (the difference K_a - K_b is kept), is frozen for D = 2,
and grows for D >= 3.
"""

import numpy as np
import style

from sims import registry
from sims.critical_periods import CP3_WINDOWS


def pathways_panel(ax):
    cp1 = registry.get("CP1")
    params = cp1.params()
    run = cp1.simulate().runs[0]
    sigma = run.sigma[0]
    fine = np.linspace(0.0, params["t_max"], 400)
    modes = np.unique(np.round(sigma, 12), return_index=True)[1][::-1]  # distinct, largest first
    for color, mode in zip(style.PALETTE, modes, strict=False):
        k_a, k_b = cp1.closed_form(fine, sigma[mode], params["depth"], params["k0"], *params["window"])
        style.theory_line(ax, fine, k_a, color=color, label=rf"$\sigma = {sigma[mode]:.2f}$")
        style.theory_line(ax, fine, k_b, color=color)
        style.sim_markers(ax, run.t[::3], run.K_a[0, ::3, mode], color=color)
        style.sim_markers(ax, run.t[::3], run.K_b[0, ::3, mode], color=color, marker="s")
    ax.axvspan(*params["window"], color="grey", alpha=0.15, label="deficit on b")
    ax.set_xlabel("time t = lr x step")
    ax.set_ylabel(r"pathway strengths $K_a$ (circles), $K_b$ (squares)")
    ax.set_title(f"CP1: hierarchical task, D = {params['depth']}, lr = {run.learning_rate:g}")
    ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.53), ncol=2)


def ratio_panel(ax, *, horizon=8.0):
    cp5 = registry.get("CP5")
    params = cp5.params()
    window = CP3_WINDOWS["early"]
    member = list(CP3_WINDOWS).index("early")
    fine = np.linspace(0.0, horizon, 400)
    for color, pair in zip(style.PALETTE, cp5.simulate(), strict=False):
        run = pair.runs[0]
        k_a, k_b = registry.get("CP1").closed_form(fine, 1.0, run.depth, params["k0"], *window)
        style.theory_line(ax, fine, k_a / k_b, color=color, label=f"D = {run.depth}")
        shown = run.t <= horizon
        ratio = run.K_a[member, :, 0] / run.K_b[member, :, 0]
        style.sim_markers(ax, run.t[shown][::4], ratio[shown][::4], color=color)
    ax.axvspan(*window, color="grey", alpha=0.15, label="deficit on b")
    ax.set_yscale("log")
    ax.set_xlabel("time t = lr x step")
    ax.set_ylabel(r"$K_a / K_b$")
    ax.set_title(
        f"CP5: sigma = 1, lr = {params['learning_rate']:g}: relaxes (D=1), frozen (D=2), grows (D>2)"
    )
    ax.legend()


def main():
    style.use()
    fig, (left, right) = style.plt.subplots(1, 2, figsize=(12.0, 4.4))
    pathways_panel(left)
    ratio_panel(right)
    fig.suptitle("Two pathways competing after a deficit (lines theory, markers GD)")
    fig.tight_layout()
    style.save(fig, "fig_critical_periods_ratio")


if __name__ == "__main__":
    main()
