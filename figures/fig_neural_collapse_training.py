"""NC metrics during training (claims NC2, NC3, NC7).

Left: the cross-entropy and MSE (with bias) unconstrained-features models trained by GD
(defaults of NC2/NC3): NC1, equinorm, equiangularity and self-duality fall to round-off as
the run reaches the closed-form simplex ETF. Middle: a ReLU MLP on a balanced subset of
scikit-learn's digits (defaults of NC7: MSE, weight decay, Adam; mean over seeds); dotted
lines mark each seed's first epoch of zero training error, where its terminal phase begins
and the metrics keep falling. Right: RMS deviation of the MLP's centred class-mean cosines
from those of three frames: the simplex ETF (the closed form) and two wrong frames (NC7's
perturbations), which the class means do not approach.
"""

import numpy as np
import style

import theory.neural_collapse as theory
from sims import registry
from sims.neural_collapse import (
    cross_polytope,
    frame_deviation,
    nc_metrics,
    orthogonal_frame,
    seed_records,
    simulate_balanced_ufm,
    simulate_digits_mlp,
    terminal_phase,
)

METRICS = ("nc1", "equinorm", "equiangularity", "self_duality")
FRAMES = {
    "simplex ETF (theory)": theory.simplex_etf,
    "orthogonal frame": orthogonal_frame,
    "cross-polytope": cross_polytope,
}


def ufm_curves(loss, params, bias):
    run = simulate_balanced_ufm(
        loss=loss,
        num_classes=params["num_classes"],
        n_per_class=params["n_per_class"],
        dim=params.get("dim", params["num_classes"]),
        lambda_w=params["lambda_w"],
        lambda_h=params["lambda_h"],
        learning_rate=params["learning_rate"],
        epochs=params["epochs"],
        bias=bias,
    )
    rows = [
        nc_metrics(run["features"][0, r], run["labels"], run["classifier"][0, r])
        for r in range(len(run["epochs"]))
    ]
    return run["epochs"], {m: np.array([row[m] for row in rows]) for m in METRICS}


def main():
    style.use()
    fig, (left, middle, right) = style.plt.subplots(1, 3, figsize=(15.0, 4.4), layout="constrained")
    for loss, label, bias, marker in (("ce", "NC2", False, "o"), ("mse", "NC3", True, "s")):
        epochs, curves = ufm_curves(loss, registry.get(label).defaults, bias)
        for i, metric in enumerate(METRICS):
            style.sim_markers(
                left,
                epochs[1:],
                curves[metric][1:] + 1e-300,
                color=style.PALETTE[i],
                marker=marker,
                label=f"{metric} ({loss.upper()})",
            )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_ylim(1e-17, 1e2)
    left.set_xlabel("GD step")
    left.set_title("Unconstrained features (theory: 0 at the ETF)")
    left.legend(ncol=2, fontsize=6)

    run = simulate_digits_mlp(**registry.get("NC7").defaults)
    epochs = run["epochs"]
    curves = {m: seed_records(run, m) for m in (*METRICS, "ncc_mismatch", "train_error")}
    if any(np.isnan(v).any() for v in curves.values()):
        raise RuntimeError("digits MLP diverged: not plotted")
    colors = [*style.PALETTE[: len(METRICS) + 1], style.PALETTE[-1]]
    for (metric, values), color in zip(curves.items(), colors, strict=True):
        style.sim_markers(
            middle,
            epochs[1:],
            values.mean(axis=0)[1:],
            color=color,
            marker="s" if metric == "train_error" else "o",
            label=metric,
        )
    starts = terminal_phase(run)
    for j, start in enumerate([] if starts is None else epochs[starts]):
        middle.axvline(
            start, color="grey", ls=":", lw=1, label="zero training error" if j == 0 else None
        )
    middle.set_xscale("log")
    middle.set_yscale("symlog", linthresh=1e-3)
    middle.set_ylim(0, 10)
    middle.set_xlabel("epoch (full batch, Adam)")
    middle.set_title("MLP on digits (terminal phase right of dotted lines)")
    middle.legend(fontsize=6)

    for i, (name, frame) in enumerate(FRAMES.items()):
        deviation = frame_deviation(run["means"], frame(10)).mean(axis=0)
        style.sim_markers(right, epochs[1:], deviation[1:], color=style.PALETTE[i], label=name)
    for start in [] if starts is None else epochs[starts]:
        right.axvline(start, color="grey", ls=":", lw=1)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("epoch (full batch, Adam)")
    right.set_ylabel("RMS deviation of the class-mean cosines")
    right.set_title("Distance to frames (MLP on digits)")
    right.legend(fontsize=7)
    style.save(fig, "fig_neural_collapse_training")


if __name__ == "__main__":
    main()
