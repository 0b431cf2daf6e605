"""Rank collapse in attention stacks (claims RC1, RC2), each panel the claim's own run.

Left (RC1): pure softmax attention (no skip, no MLP; 8 tokens, width 16, 120 seeds starting at
residuals log-uniform in [1e-3, 1e-1]). Markers: every layer's residual r_{l+1} =
||x_{l+1} - 1 mean^T||_{1,inf} against r_l, filled where the claim fits the slope (eps <= 0.05,
above rounding). Line: Dong et al.'s bound (4 gamma beta / sqrt(d_qk)) r^3 at the median gamma
beta of the fitted layers: slope 3 on log axes, i.e. doubly exponential collapse, down to
float64 rounding (dotted).
Right (RC2): skip connections around uniform attention at depth 48 keep the centred tokens
and grow only their mean, by (1 + alpha^2) per layer: alpha = 1 collapses the ratio
||x - 1 mean^T||_F / ||x||_F like 2^{-l/2}, alpha = 1/sqrt(48) keeps the tokens apart (Noci et
al. 2022). Lines: the ratio from the closed-form growth; markers: median over 256 seeds.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

from sims import registry
from sims.rank_collapse import EPS, ROUNDING_FLOOR, predicted_token_ratio


def pure_attention(ax):
    claim = registry.get("RC1")
    params = claim.params()
    run = claim.simulate()
    r_in, r_out = run.residual[:, :-1], run.residual[:, 1:]
    fitted = (run.eps <= 0.05) & (r_out > 1e3 * ROUNDING_FLOOR * run.scale)
    ax.loglog(
        r_in[~fitted],
        r_out[~fitted],
        "o",
        color="0.6",
        markersize=3,
        markerfacecolor="none",
        label="layer pairs outside the fit (sim)",
    )
    ax.loglog(
        r_in[fitted],
        r_out[fitted],
        "o",
        color=style.PALETTE[1],
        markersize=3,
        label="layer pairs in the slope fit (sim)",
    )
    grid = np.geomspace(1e-5, r_in.max() * 3, 50)
    bound = claim.closed_form(
        grid, gamma=np.median(run.gamma[fitted]), beta=np.median(run.beta[fitted]), d_qk=params["width"]
    )
    style.theory_line(
        ax, grid, bound, color=style.PALETTE[0], label="(4 gamma beta / sqrt(d)) r^3, median gamma beta"
    )
    ax.axhline(EPS * np.median(run.scale), color="0.5", linestyle=":", linewidth=1)
    ax.text(grid[-1], 3 * EPS * np.median(run.scale), "float64 rounding", ha="right", fontsize=8, color="0.4")
    ax.set_xlabel("r_l = ||x_l - 1 mean^T||_{1,inf}")
    ax.set_ylabel("r_{l+1}")
    ax.set_title(f"RC1: pure attention, {params['seeds']} seeds, width {params['width']}")
    ax.legend(loc="upper left", fontsize=7)


def skip_connections(ax):
    claim = registry.get("RC2")
    params = claim.params()
    tokens, width, depth = params["tokens"], params["width"], params["depth"]
    run = claim.simulate()
    layers = np.arange(depth + 1)
    for k, alpha in enumerate(run.alphas):
        color = style.PALETTE[2 * k]
        name = f"1/sqrt({depth})" if k == 0 else f"{alpha:g}"
        growth = claim.closed_form(alpha, layers)
        predicted = predicted_token_ratio(growth, (tokens - 1) * width, width / tokens, tokens)
        style.theory_line(ax, layers, predicted, color=color, label=f"alpha = {name}: (1 + alpha^2)^l growth")
        style.sim_markers(
            ax, layers[::3], np.median(run.ratio[k], axis=0)[::3], color=color, label=f"alpha = {name} (sim)"
        )
    ax.set_yscale("log")
    ax.set_xlabel("layer l")
    ax.set_ylabel("||x - 1 mean^T||_F / ||x||_F")
    ax.set_title(f"RC2: skip connections, uniform attention, {params['seeds']} seeds")
    ax.legend(loc="lower left", fontsize=7)


def main():
    style.use()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.4, 4.2))
    pure_attention(left)
    skip_connections(right)
    fig.suptitle("Attention loses rank without skip connections")
    fig.tight_layout()
    style.save(fig, "fig_rank_collapse_attention")


if __name__ == "__main__":
    main()
