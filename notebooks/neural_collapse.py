import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Neural collapse")

with app.setup:
    import functools

    import marimo as mo
    import numpy as np
    from matplotlib.figure import Figure
    from scipy.linalg import orthogonal_procrustes

    import theory.neural_collapse as theory
    from sims import map_figure, sweep
    from sims import neural_collapse as sim
    from sims.neural_collapse import maps

    N_MINORITY, RATIOS = 2, [1, 2, 4, 8, 16, 32, 64]  # classes 1 and 2 have 2 samples, class 0 has R x 2
    EPOCHS = 4000
    RUNS = {"ce": (0.5, EPOCHS), "mse": (0.1, 5 * EPOCHS)}  # (learning rate, GD steps) per loss
    MSE_INIT_SCALE = 1.2  # the MSE run's large aligned start: each layer's gain (NC4's)
    LOSSES = {"cross-entropy (simplex ETF)": "ce", "MSE, no bias (orthogonal frame)": "mse"}
    WEIGHT_DECAYS = [2e-3, 5e-3, 1e-2, 2e-2]  # the slider's (balanced_point's marker holds for these)


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # Neural collapse: class means and classifiers snap onto a frame

    Trained past zero error, the last-layer features of each class collapse to their class mean,
    and means and classifier rows line up in a rigid geometry (Papyan, Han & Donoho 2020,
    [arXiv:2008.08186](https://arxiv.org/abs/2008.08186)). In the unconstrained-features model
    with weight decay $\lambda$ this is exact: cross-entropy gives a simplex ETF (Zhu et al. 2021,
    [arXiv:2105.02375](https://arxiv.org/abs/2105.02375)) whose minority classifiers merge as the
    imbalance ratio $R$ grows (Fang et al. 2021, *minority collapse*); the bias-free MSE loss
    through $L$ linear layers gives an orthogonal frame with closed-form norms, where small
    classes drop to zero (Dang et al. 2023, [arXiv:2301.00437](https://arxiv.org/abs/2301.00437);
    claims NC2, NC4, NC5).

    Three classes: class 0 has $2R$ samples, classes 1 and 2 have 2. Dashed lines and
    horizontal lines: theory. Markers and arrows: gradient descent (cross-entropy: one layer).
    """)
    return


@app.cell
def _():
    loss = mo.ui.radio(list(LOSSES), value="cross-entropy (simplex ETF)", label="loss")
    ratio = mo.ui.slider(steps=RATIOS, value=1, label="imbalance ratio R", show_value=True)
    weight_decay = mo.ui.slider(
        steps=WEIGHT_DECAYS,
        value=5e-3,
        show_value=True,
        label="weight decay lambda (features and weights)",
    )
    depth = mo.ui.slider(1, 4, value=1, label="depth L (MSE)", show_value=True)
    mo.hstack([loss, mo.vstack([ratio, weight_decay, depth])], justify="start", gap=2)
    return depth, loss, ratio, weight_decay


@app.function
@functools.lru_cache(maxsize=64)
def minority_cosine(ratio, weight_decay):
    return theory.imbalanced_ce_minority_cosine(
        ratio * N_MINORITY, N_MINORITY, 1, 2, weight_decay, weight_decay
    )


@app.function
def simulate(loss, ratio, weight_decay, depth):
    """The run, the member to show, and the theory of the chosen model."""
    sizes = [ratio * N_MINORITY, N_MINORITY, N_MINORITY]
    if loss == "ce":
        # R_max is always a second member: every ratio then shares one array shape (one compile)
        run = sim.simulate_minority_collapse(
            ratios=[ratio, RATIOS[-1]],
            n_minority=N_MINORITY,
            num_majority=1,
            num_minority=2,
            dim=3,
            lambda_w=weight_decay,
            lambda_h=weight_decay,
            learning_rate=RUNS["ce"][0],
            epochs=RUNS["ce"][1],
        )
        expected = dict(cosine=minority_cosine(ratio, weight_decay))
        if ratio == 1:
            expected["frame"] = (
                theory.ce_unconstrained_features_norms(3, N_MINORITY, weight_decay, weight_decay)[
                    "classifier_norm"
                ]
                * theory.simplex_etf(3).T
            )
        return run, 0, expected
    run, best = sim.simulate_imbalanced_depth(
        class_sizes=sizes,
        depth=depth,
        lambda_w=weight_decay,
        lambda_h=weight_decay,
        learning_rate=RUNS["mse"][0],
        epochs=RUNS["mse"][1],
        init_scale=MSE_INIT_SCALE,
    )
    minimiser = theory.imbalanced_deep_linear_minimizer(sizes, depth, weight_decay, weight_decay)
    rows = minimiser["classifier_row_norms"]
    return run, best, dict(row_norms=rows, frame=np.diag(rows))


@app.function
def class_means(run, member, record):
    """(3, d) class means of the features in use (sim.class_geometry keeps only their norms)."""
    mask = slice(None) if run.mask is None else run.mask[member]
    features, labels = run.features[member, record][mask], run.labels[mask]
    return np.stack([features[labels == k].mean(axis=0) for k in range(3)])


@app.function
def draw(loss, run, member, expected):
    records = range(len(run.epochs))
    geometry = [sim.class_geometry(run, member=member, record=r) for r in records]
    means = np.stack([class_means(run, member, r) for r in records])
    classifiers = run.classifier[member]
    epochs = np.maximum(run.epochs, 1)
    fig = Figure(figsize=(13, 4.2))
    frame = fig.add_subplot(1, 3, 1, projection="3d")
    classifier = classifiers[-1]
    # Everything in the basis of the trained classifier's singular vectors: an ETF then lies
    # in the first two coordinates, an orthogonal frame along the three axes.
    basis = np.linalg.svd(classifier)[2].T
    if "frame" in expected:  # the theory's frame, rotated onto the trained one
        rotation = orthogonal_procrustes(expected["frame"], classifier)[0]
        for row in expected["frame"] @ rotation @ basis:
            frame.plot(*np.stack([np.zeros(3), row]).T, "x--", color="k", lw=1.2, markevery=[1])
    reach = 1.1 * np.linalg.norm(classifier, axis=1).max()
    for k, row in enumerate(classifier):
        if np.linalg.norm(row) < 1e-3 * reach:
            continue  # a class that collapsed to zero: nothing to draw
        frame.quiver(0, 0, 0, *(row @ basis), color=f"C{k}", arrow_length_ratio=0.1)
        size = np.linalg.norm(means[:, k], axis=1, keepdims=True)
        path = means[:, k] @ basis * np.linalg.norm(row) / np.maximum(size, 1e-12)
        frame.plot(*path.T, ".", color=f"C{k}", ms=3, alpha=0.5)
    frame.set(xlim=(-reach, reach), ylim=(-reach, reach), zlim=(-reach, reach))
    frame.set_box_aspect((1, 1, 1))
    frame.view_init(*((90, -90) if loss == "ce" else (20, 35)))  # an ETF is planar: from above
    frame.tick_params(labelsize=7)
    if loss == "ce":
        frame.set_zticks([])
    frame.set_title(
        "classifier rows (arrows), class means (dots, rescaled)\nover training, theory frame (dashed)",
        fontsize=9,
    )
    tracked = fig.add_subplot(1, 3, 2)
    if loss == "ce":
        w_1, w_2 = classifiers[:, 1], classifiers[:, 2]
        cos = np.sum(w_1 * w_2, axis=1) / np.linalg.norm(w_1, axis=1) / np.linalg.norm(w_2, axis=1)
        tracked.axhline(expected["cosine"], color="C1", label="theory (convex program)")
        tracked.plot(epochs, cos, "o", mfc="none", color="C1", label="gradient descent")
        tracked.set(
            ylabel="cos(w_1, w_2) of the minority classes", ylim=(-0.6, 1.0), title="minority collapse"
        )
    else:
        for k in range(3):
            tracked.axhline(expected["row_norms"][k], color=f"C{k}")
            tracked.plot(
                epochs,
                [g["row_norms"][k] for g in geometry],
                "o",
                mfc="none",
                color=f"C{k}",
                label=f"class {k} ({int(run.labels.tolist().count(k))})",
            )
        zero = [k for k in range(3) if expected["row_norms"][k] == 0]
        tracked.set(
            ylabel="classifier row norm ||w_k||",
            title="norms: lines theory, o GD" + (f"; classes {zero} collapse to 0" if zero else ""),
        )
    tracked.set(xscale="log", xlabel="epoch")
    tracked.legend(fontsize=8)
    metrics = fig.add_subplot(1, 3, 3)
    if loss == "ce":
        for name in ["nc1", "equinorm", "equiangularity", "self_duality"]:
            metrics.plot(epochs, [max(g["metrics"][name], 1e-16) for g in geometry], label=name)
    else:
        live = np.flatnonzero(expected["row_norms"] > 0)
        if live.size < 3:
            metrics.text(
                0.5,
                0.5,
                "classes at zero: the metrics, which compare\nK non-zero class means, do not apply",
                ha="center",
                transform=metrics.transAxes,
            )
        else:  # orthogonal frame: the class means' cosines vanish
            metrics.plot(epochs, [max(g["metrics"]["nc1"], 1e-16) for g in geometry], label="nc1")
            off = ~np.eye(live.size, dtype=bool)
            metrics.plot(
                epochs,
                [np.abs(g["cosines"][np.ix_(live, live)][off]).max() for g in geometry],
                label="max |cos(h_k, h_l)|",
            )
    metrics.set(
        xscale="log", yscale="log", xlabel="epoch", ylim=(1e-12, 10), title="collapse metrics (Papyan et al.)"
    )
    if metrics.lines:
        metrics.legend(fontsize=8)
    fig.tight_layout()
    return fig


@app.cell
def _(depth, loss, ratio, weight_decay):
    _loss = LOSSES[loss.value]
    _run, _member, _expected = simulate(_loss, ratio.value, weight_decay.value, depth.value)
    draw(_loss, _run, _member, _expected)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ## Where the closed forms hold: the validity maps

    **NC-M1** (balanced classes, one layer): does a fixed budget of gradient-descent steps
    reach NC2/NC3's closed-form minimiser (to a relative $10^{-8}$)? Axes: the learning rate
    and the collapse parameter $Kc = K\sqrt{n \lambda_W \lambda_H}$ ($K$ classes of $n$;
    the frame collapses at $Kc = 1$). **NC-M2** (MSE, depth $L \ge 2$, imbalanced): does GD
    from a large start land on the largest-root minimum (NC4)? Axes: the minority's size over
    the collapse threshold, $n_K/n^*$, and its initial output $u_0$. Blue: the claim holds;
    red: it fails; solid: measured boundary, dashed: predicted. The white circle is your
    settings; which map depends on the loss, $R$ and $L$.
    """)
    return


@app.function
def balanced_point(loss, weight_decay):
    """The balanced run (R = 1, one layer) on NC-M1: dict(map, panel, marker, note)."""
    learning_rate, steps = RUNS[loss]
    collapse = 3 * float(np.sqrt(N_MINORITY)) * weight_decay  # K c for 3 classes of N_MINORITY
    # GD converges at a rate ~ learning rate x mu_min, mu_min / weight decay a function of K c
    # that is the same for this run's problem and the map's at WEIGHT_DECAYS (K c <= 0.085;
    # tests/test_notebooks.py), not near the collapse: the map's learning rate with this run's
    # learning rate x weight decay x steps has the same convergence.
    x = learning_rate * steps * weight_decay / (maps.BUDGET_STEPS * float(maps.weight_decay(collapse)))
    marker = dict(panel=dict(loss=loss, bias=False), x=x, y=collapse, label="your settings")
    note = (
        f"The map runs {maps.BALANCED['num_classes']} classes of {maps.BALANCED['n_per_class']} for "
        f"{maps.BUDGET_STEPS} GD steps; your run (3 classes of {N_MINORITY}, {steps} steps at learning "
        f"rate {learning_rate:g}) is marked at the learning rate {x:.2g}, which gives the same learning "
        "rate x weight decay x steps (GD converges at a rate ~ learning rate x weight decay)."
    )
    return dict(map="NC-M1", panel=marker["panel"], marker=marker, note=note)


@app.function
def basin_point(ratio, weight_decay, depth):
    """The MSE run at depth >= 2 on NC-M2: dict(map, panel, marker, note)."""
    spec = sweep.get("NC-M2")
    panel, elsewhere = map_figure.nearest_depth_panel(spec, depth)
    total = (ratio + 2) * N_MINORITY
    threshold = float(theory.minority_collapse_threshold(total, depth, weight_decay, weight_decay))
    start = MSE_INIT_SCALE ** (depth + 1) / float(np.sqrt(N_MINORITY))  # u0 = s0^(L+1) / sqrt(n_K)
    marker = dict(panel=panel, x=N_MINORITY / threshold, y=start, label="your settings")
    note = (
        "The map follows GD from the start where every class is large (NC4's classes "
        f"{', '.join(str(n) for n in maps.CLASS_SIZES)}); the figure above shows the best of three starts."
        + elsewhere
    )
    return dict(map="NC-M2", panel=panel, marker=marker, note=note)


@app.function
def map_point(loss, ratio, weight_decay, depth):
    """The sliders on the map that covers them, or the nearest map without a point."""
    if ratio == 1 and (loss == "ce" or depth == 1):
        return balanced_point(loss, weight_decay)
    if loss == "mse" and depth >= 2:
        return basin_point(ratio, weight_decay, depth)
    why = (
        "no map covers the cross-entropy model's minority collapse (R > 1)"
        if loss == "ce"
        else "NC-M2 starts at depth 2 (at depth 1 no class has a saddle to stop at)"
    )
    note = f"NC-M1 maps balanced classes only (R = 1), and {why}, so no point is marked."
    return dict(map="NC-M1", panel=dict(loss=loss, bias=False), marker=None, note=note)


@app.cell
def _(depth, loss, ratio, weight_decay):
    where = map_point(LOSSES[loss.value], ratio.value, weight_decay.value, depth.value)
    compute_map = map_figure.notebook_button(where)
    return compute_map, where


@app.cell
def _(compute_map, where):
    map_figure.notebook_cell(where, compute_map)
    return


if __name__ == "__main__":
    app.run()
