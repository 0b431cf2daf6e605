"""Rank collapse in attention stacks (claims RC1, RC2).

Distance of the tokens from their nearest rank-1 matrix, ||x - 1 mean^T||_F / ||x||_F,
against depth (log scale). Pure softmax attention (no skip, no MLP; 8 tokens, width 16,
random tokens) falls doubly exponentially to rounding within a few layers (Dong et al.
2021). With skip connections and uniform attention the centred tokens are preserved and only
the mean grows, by (1 + alpha^2) per layer: alpha = 1 collapses the ratio like 2^{-l/2},
while alpha = 1/sqrt(48) keeps the tokens apart at depth 48 (Noci et al. 2022). Lines: the
closed form of the mean growth; markers: median over seeds.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

import theory.rank_collapse as theory
from sims import rank_collapse as sims

TOKENS, WIDTH, DEPTH = 8, 128, 48


def main():
    style.use()
    fig, ax = plt.subplots()
    pure = sims.simulate_pure_attention(tokens=8, width=16, depth=8, seeds=16,
                                        start_residual=[1.0, 1.0])
    ratio = np.median(pure["residual"][:, :-1] / pure["scale"], axis=0)
    style.sim_markers(ax, np.arange(ratio.size), ratio, color=style.PALETTE[1],
                      label="pure attention (sim)", marker="s")
    alphas = [1.0, 1.0 / np.sqrt(DEPTH)]
    skip = sims.simulate_skip_attention(tokens=TOKENS, width=WIDTH, depth=DEPTH, alphas=alphas,
                                        seeds=256)
    layers = np.arange(DEPTH + 1)
    for k, (alpha, name) in enumerate(zip(alphas, ["1", "1/sqrt(48)"], strict=True)):
        color = style.PALETTE[2 * k]
        growth = theory.skip_attention_mean_growth(alpha, layers)
        predicted = sims.predicted_token_ratio(growth, (TOKENS - 1) * WIDTH, WIDTH / TOKENS,
                                               TOKENS)
        style.theory_line(ax, layers, predicted, color=color,
                          label=f"skip, alpha = {name}: (1 + alpha^2)^l growth")
        style.sim_markers(ax, layers[::3], np.median(skip["ratio"][k], axis=0)[::3],
                          color=color, label=f"skip, alpha = {name} (sim)")
    ax.axhline(sims.EPS, color="0.5", linestyle=":", linewidth=1)
    ax.text(DEPTH, 3 * sims.EPS, "float64 rounding", ha="right", fontsize=8, color="0.4")
    ax.set_yscale("log")
    ax.set_xlabel("layer l")
    ax.set_ylabel("||x - 1 mean^T||_F / ||x||_F")
    ax.set_title("Attention loses rank without skip connections")
    ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.4))
    style.save(fig, "fig_rank_collapse_attention")


if __name__ == "__main__":
    main()
