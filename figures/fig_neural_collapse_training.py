"""NC metrics during training (claims NC2, NC3, NC7).

Left: the cross-entropy and MSE (with bias) unconstrained-features models trained by GD
(defaults of NC2/NC3): NC1, equinorm, equiangularity and self-duality fall to round-off as
the run reaches the closed-form simplex ETF. Right: a ReLU MLP on scikit-learn's digits
(defaults of NC7, mean over seeds); the dotted line marks the first epoch with zero training
error, after which the terminal phase begins and the metrics keep falling.
"""

import numpy as np
import style

from sims import registry
from sims.neural_collapse import nc_metrics, simulate_digits_mlp, simulate_ufm

METRICS = ("nc1", "equinorm", "equiangularity", "self_duality")


def ufm_curves(loss, params, bias):
    run = simulate_ufm(
        loss=loss,
        class_sizes=[params["n_per_class"]] * params["num_classes"],
        dim=params.get("dim", params["num_classes"]),
        depth=1,
        lambda_w=params["lambda_w"],
        lambda_h=params["lambda_h"],
        learning_rate=params["learning_rate"],
        epochs=params["epochs"],
        init_scale=0.3,
        bias=bias,
    )
    rows = [
        nc_metrics(run["features"][0, r], run["labels"], run["classifier"][0, r])
        for r in range(len(run["epochs"]))
    ]
    return run["epochs"], {m: np.array([row[m] for row in rows]) for m in METRICS}


def main():
    style.use()
    fig, (left, right) = style.plt.subplots(1, 2, figsize=(10.0, 4.2))
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

    params = registry.get("NC7").defaults
    run = simulate_digits_mlp(
        **{
            k: params[k]
            for k in ("widths", "weight_decay", "learning_rate", "epochs", "seeds", "optimizer")
        }
    )
    mean = run["frame"].groupby("epoch").mean(numeric_only=True)
    if mean.isna().any().any():
        raise RuntimeError("digits MLP diverged: not plotted")
    for i, metric in enumerate(METRICS + ("ncc_mismatch", "train_error")):
        values = mean[metric].to_numpy()
        style.sim_markers(right, mean.index[1:], values[1:], color=style.PALETTE[i], label=metric)
    zero = mean.index[mean["train_error"] == 0]
    if zero.size:
        right.axvline(zero[0], color="grey", ls=":", lw=1, label="zero training error")
    right.set_xscale("log")
    right.set_yscale("symlog", linthresh=1e-3)
    right.set_ylim(0, 10)
    right.set_xlabel("epoch (full batch)")
    right.set_title("MLP on sklearn digits (terminal phase right of dotted line)")
    right.legend(fontsize=6)
    style.save(fig, "fig_neural_collapse_training")


if __name__ == "__main__":
    main()
