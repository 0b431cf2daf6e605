"""NC metrics during training (claims NC2, NC3, NC7).

Left: the cross-entropy and MSE (with bias) unconstrained-features models trained by GD
(the runs NC2 and NC3 check, ``registry.get(label).simulate()``): NC1, equinorm,
equiangularity and self-duality fall to round-off as the run reaches the closed-form simplex
ETF. Middle: a ReLU MLP on a balanced subset of
scikit-learn's digits (NC7's own run: MSE, weight decay, Adam; mean over seeds); dotted
lines mark each seed's first epoch of zero training error, where its terminal phase begins
and the metrics keep falling. Right: RMS deviation of the MLP's centred class-mean cosines
from those of three frames: the simplex ETF (NC7's closed form) and two wrong frames (NC7's
perturbations), which the class means do not approach.
"""

import numpy as np
import style

from sims import registry
from sims.neural_collapse import frame_deviation, nc_metrics, seed_records, terminal_phase

METRICS = ("nc1", "equinorm", "equiangularity", "self_duality")


def ufm_curves(run):
    """The NC metrics of member 0 at every record of a UFM run."""
    rows = [nc_metrics(run.features[0, r], run.labels, run.classifier[0, r]) for r in range(len(run.epochs))]
    return {m: np.array([row[m] for row in rows]) for m in METRICS}


def main():
    style.use()
    fig, (left, middle, right) = style.plt.subplots(1, 3, figsize=(15.0, 4.4), layout="constrained")
    ufm_runs = {"CE": registry.get("NC2").simulate(), "MSE": registry.get("NC3").simulate().with_bias}
    for (loss, run), marker in zip(ufm_runs.items(), "os", strict=True):
        curves = ufm_curves(run)
        for i, metric in enumerate(METRICS):
            style.sim_markers(
                left,
                run.epochs[1:],
                curves[metric][1:] + 1e-300,
                color=style.PALETTE[i],
                marker=marker,
                label=f"{metric} ({loss})",
            )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_ylim(1e-17, 1e2)
    left.set_xlabel("GD step")
    left.set_title("Unconstrained features (theory: 0 at the ETF)")
    left.legend(ncol=2, fontsize=6)

    nc7 = registry.get("NC7")
    run = nc7.simulate()
    epochs = run.epochs
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
        middle.axvline(start, color="grey", ls=":", lw=1, label="zero training error" if j == 0 else None)
    middle.set_xscale("log")
    middle.set_yscale("symlog", linthresh=1e-3)
    middle.set_ylim(0, 10)
    middle.set_xlabel("epoch (full batch, Adam)")
    middle.set_title("MLP on digits (terminal phase right of dotted lines)")
    middle.legend(fontsize=6)

    frames = {"simplex ETF (theory)": nc7.closed_form, **nc7.perturbations}
    for i, (name, frame) in enumerate(frames.items()):
        deviation = frame_deviation(run.means, frame(10)).mean(axis=0)
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
