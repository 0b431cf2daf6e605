"""Depth in deep linear networks: the end-to-end dynamics and the low-rank bias (claim RC6,
its own run).

Left: factorised GD on a balanced depth-3 linear network (4 x 4, 32 samples) against the
gradient flow of the end-to-end matrix under Arora et al.'s preconditioned update (RC6's
closed form, integrated): relative distance ||W_GD(t) - W_flow(t)||_F / ||W(0)||_F at
learning rates lr and 2 lr (markers). The distance doubles with lr (line: twice the distance at
lr; Euler's O(lr) error), which is what RC6 checks.
Right: deep matrix factorisation W_N ... W_1 (N = 1..4) of a rank-1, 16 x 16 matrix from 96
observed entries, full-batch GD from near-zero init (factors 0.1 x N(0, 1/16)), as in Arora
et al. 2019. Markers: effective rank (Roy & Vetterli 2007) of the learned matrix for each of 3
tasks; line: the rank of the ground truth (1). Depth 1 fills the unobserved entries with ~0
(high effective rank); depth >= 2 finds the low-rank completion.
"""

import numpy as np
import style
from matplotlib import pyplot as plt

from sims import registry
from sims.rank_collapse import end_to_end_flow


def main():
    style.use()
    claim = registry.get("RC6")
    params = claim.params()
    run = claim.simulate()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.0))

    gd = run.gd
    flow = end_to_end_flow(claim.closed_form, gd.init, gd.sigma_xx, gd.sigma_yx, params["depth"], gd.t)
    distances = np.linalg.norm(gd.products - flow, axis=(2, 3)) / np.linalg.norm(gd.init)
    for k, (lr, distance) in enumerate(zip(gd.learning_rates, distances, strict=True)):
        style.sim_markers(
            left, gd.t[1:], distance[1:], color=style.PALETTE[k], label=f"GD, lr = {lr:g} (sim)"
        )
    style.theory_line(
        left, gd.t[1:], 2 * distances[0, 1:], color=style.PALETTE[1], label="O(lr): twice the distance at lr"
    )
    left.set_yscale("log")
    left.set_xlabel("time t = lr x step")
    left.set_ylabel("||W_GD(t) - W_flow(t)||_F / ||W(0)||_F")
    left.set_title(f"end-to-end flow, depth {params['depth']}: error ~ lr")
    left.legend()

    completion = run.completion
    depths = completion.depths
    for seed in range(completion.effective_rank.shape[1]):
        style.sim_markers(
            right,
            depths,
            completion.effective_rank[:, seed],
            color=style.PALETTE[0],
            label="learned matrix (sim)" if seed == 0 else None,
        )
    style.theory_line(
        right,
        depths,
        np.full(depths.size, params["completion"]["rank"]),
        color=style.PALETTE[1],
        label="rank of the ground truth",
    )
    right.set_xticks(depths)
    right.set_xlabel("depth N of the factorisation")
    right.set_ylabel("effective rank")
    right.set_title(f"matrix completion; worst final loss {completion.loss.max():.1g}")
    right.legend()
    fig.suptitle("RC6: depth preconditions the end-to-end dynamics and lowers the rank")
    fig.tight_layout()
    style.save(fig, "fig_rank_collapse_completion")


if __name__ == "__main__":
    main()
