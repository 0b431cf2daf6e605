import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Information bottleneck")

with app.setup:
    import functools

    import marimo as mo
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    import theory.information as theory
    from sims import information as sim
    from sims import map_figure

    COVARIANCE = sim.random_joint_covariance(3, 3, 3)  # critical betas 1.74, 3.63, 7.37
    # A shorter, full-batch version of claim IB4's run (which uses minibatches and 8000 epochs)
    PLANE = dict(
        seeds=[0],
        activations=["tanh", "relu"],
        epochs=1000,
        log_points=30,
        learning_rate=5e-3,
        batch_size=None,
    )
    # n_bins -> index of the equal-bins schemes (not the 29-cell "30 edges" one)
    BINS = {scheme[1]: k for k, scheme in enumerate(sim.SCHEMES) if scheme[1] and not scheme[5]}
    FIXED_WIDTH = next(k for k, scheme in enumerate(sim.SCHEMES) if scheme[4])


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # The information bottleneck: exact curve, and what binning makes of it

    The information bottleneck compresses $X$ into $T$ keeping what predicts $Y$: minimise
    $I(T;X) - \beta I(T;Y)$. For jointly Gaussian variables the optimum is known exactly: the
    eigen-directions of $\Sigma_{x|y}\Sigma_x^{-1}$ switch on one by one at the critical
    trade-offs $\beta_i^c = 1/(1-\lambda_i)$, tracing a concave curve of slope $1/\beta$
    (Tishby, Pereira & Bialek 1999; Chechik et al. 2005, JMLR 6:165; claim IB1).

    Whether trained networks *compress* is another matter: the binned $I(X;T)$ of a tanh layer
    falls late in training, that of a ReLU layer does not, and the effect depends on the
    estimator (Shwartz-Ziv & Tishby 2017, [arXiv:1703.00810](https://arxiv.org/abs/1703.00810);
    Saxe et al. 2018, ICLR; claim IB4).
    """)
    return


@app.cell
def _():
    beta = mo.ui.slider(
        steps=[1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30],
        value=5,
        label="beta",
        show_value=True,
    )
    mo.output.replace(beta)
    return (beta,)


@app.function
@functools.lru_cache(maxsize=64)
def optimised_encoder(beta):
    """(I(T;X), I(T;Y)) in bits of the best linear Gaussian encoder found by L-BFGS."""
    return sim.brute_force_gaussian_ib(beta, *COVARIANCE)[:2]


@app.function
def draw_gaussian_ib(beta):
    critical = theory.gaussian_ib_critical_betas(*COVARIANCE)
    corners = theory.gaussian_ib(critical * (1 + 1e-9), *COVARIANCE)
    top = float(theory.gaussian_ib(60.0, *COVARIANCE)[0])
    i_tx = np.linspace(0.0, top, 300)
    here = theory.gaussian_ib(beta, *COVARIANCE)
    found = optimised_encoder(beta)
    fig = Figure(figsize=(11, 4))
    curve, by_beta = fig.subplots(1, 2)
    curve.plot(
        i_tx, theory.gaussian_ib_curve(i_tx, *COVARIANCE), "-", color="C0", label="information curve (theory)"
    )
    curve.plot(*corners, "k|", ms=14, mew=2, label="critical points beta_i^c")
    tangent = np.array([-1.0, 1.0]) + here[0]
    curve.plot(
        tangent, here[1] + (tangent - here[0]) / beta, ":", color="C3", label=f"slope 1/beta = {1 / beta:.3g}"
    )
    curve.plot(*found, "o", mfc="none", color="C3", ms=9, label="optimised encoder")
    curve.set(
        xlabel="I(T;X) (bits)",
        ylabel="I(T;Y) (bits)",
        title=f"beta = {beta:g}: {int(np.sum(beta > critical))} directions encoded",
    )
    curve.legend(loc="lower right")
    betas = np.geomspace(1.0, 60.0, 400)
    for k, name in enumerate(["I(T;X)", "I(T;Y)"]):
        by_beta.plot(betas, theory.gaussian_ib(betas, *COVARIANCE)[k], "-", color=f"C{k}", label=name)
        by_beta.plot([beta], [found[k]], "o", mfc="none", color=f"C{k}", ms=9)
    for value in critical:
        by_beta.axvline(value, color="0.5", ls=":", lw=1)
    by_beta.axvline(beta, color="C3", lw=1)
    by_beta.set(
        xscale="log",
        xlabel="beta",
        ylabel="bits",
        title="lines: theory; o: optimised encoder; dotted: beta_i^c",
    )
    by_beta.legend()
    fig.tight_layout()
    return fig


@app.cell
def _(beta):
    draw_gaussian_ib(beta.value)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ## The information plane of a trained network

    A 12-10-7-5-4-3-2 network trained (Adam, full batch) on the 12-bit task of Shwartz-Ziv &
    Tishby; each curve is one layer, from the first (right) to the softmax output (left), coloured
    by epoch. The estimator bins every unit's activation; the bin count is the slider. Lines: the
    bounds $I(X;T) \le H(X) = 12$ bits and $I(T;Y) \le H(Y)$.
    """)
    return


@app.cell
def _():
    bins = mo.ui.slider(steps=sorted(BINS), value=30, label="bins on [-1, 1]", show_value=True)
    relu_width = mo.ui.checkbox(value=False, label="ReLU: unbounded bins of width 0.07 instead")
    mo.hstack([bins, relu_width], justify="start", gap=2)
    return bins, relu_width


@app.cell
def _():
    with mo.status.spinner(title="Training the two networks (once; cached afterwards)"):
        plane = sim.simulate_information_plane(**PLANE)
    return (plane,)


@app.function
def draw_plane(plane, n_bins, relu_width):
    if not np.all(np.isfinite(plane["loss"])):
        return mo.callout("A training run diverged: nothing to plot.", kind="danger")
    relu = plane["members"]["relu"].to_numpy() > 0.5
    epochs = np.maximum(plane["epochs"], 1)
    norm = LogNorm(vmin=1, vmax=epochs.max())
    fig = Figure(figsize=(12, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    panels = [
        ("tanh", np.flatnonzero(~relu)[0], BINS[n_bins]),
        ("ReLU", np.flatnonzero(relu)[0], FIXED_WIDTH if relu_width else BINS[n_bins]),
    ]
    for ax, (name, member, scheme) in zip(axes, panels, strict=True):
        info = plane["information"][member, :, :, scheme, :]
        for layer in range(info.shape[1]):
            ax.plot(info[:, layer, 0], info[:, layer, 1], "-", color="0.85", lw=0.8, zorder=1)
            points = ax.scatter(
                info[:, layer, 0], info[:, layer, 1], c=epochs, norm=norm, s=12, cmap="viridis", zorder=2
            )
            ax.annotate(
                f"L{layer + 1}", info[-1, layer], fontsize=7, xytext=(3, -9), textcoords="offset points"
            )
        ax.axhline(plane["h_y"], color="k", lw=1)
        ax.axvline(12.0, color="k", lw=1)
        last = info[:, 4, 0]  # the last hidden layer's I(X;T)
        ax.set(
            xlabel="I(X;T) (bits)",
            xlim=(0, 12.5),
            ylim=(0, 1.05 * plane["h_y"]),
            title=f"{name}, {sim.SCHEMES[scheme][0]}\nL5 ends at "
            f"{last[-1] / last.max():.0%} of its peak I(X;T)",
        )
    axes[0].set_ylabel("I(T;Y) (bits)")
    fig.colorbar(points, ax=axes, label="epoch")
    return fig


@app.cell
def _(bins, plane, relu_width):
    draw_plane(plane, bins.value, relu_width.value)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ## Near a transition: the validity map of the iterative algorithm

    **IB-M2** maps claim IB2: the iterative IB algorithm (Tishby et al.'s self-consistent
    equations) on a binary source reaches the closed form within IB2's tolerance only after
    enough iterations, and near the transition $\beta_0$ it needs many more (critical slowing
    down). Axes: the distance $|\ln(\beta/\beta_0)|$ to the transition and the iteration
    budget; one panel below $\beta_0$, one above (shown: the side of your $\beta$). Blue:
    within tolerance; red: not yet. IB-M1 (the binned entropy of one unit from $n$ samples)
    has no point here either: the information plane bins the task's 4096 inputs, its whole
    input distribution, so it has no sampling bias for that map to measure.
    """)
    return


@app.function
def map_point(beta):
    """The beta slider against IB-M2 (a distance to the nearest critical beta; no point)."""
    critical = theory.gaussian_ib_critical_betas(*COVARIANCE)
    nearest = float(critical[np.argmin(np.abs(np.log(beta / critical)))])
    side = "below" if beta < nearest else "above"
    distance = abs(float(np.log(beta / nearest)))
    note = (
        "IB-M2 maps the iterative algorithm on a binary source; the Gaussian IB above is solved by "
        "L-BFGS, with no iteration budget, so no point is marked. Your beta is at |ln(beta/beta_c)| "
        f"= {distance:.2g} {side} its nearest critical beta_c = {nearest:.3g}: the map's column at "
        f"{distance:.2g} shows how many iterations the algorithm needs on its source that far from "
        "the transition."
    )
    return dict(map="IB-M2", panel=dict(side=side), marker=None, note=note)


@app.cell
def _(beta):
    where = map_point(beta.value)
    compute_map = map_figure.notebook_button(where)
    return compute_map, where


@app.cell
def _(compute_map, where):
    map_figure.notebook_cell(where, compute_map)
    return


if __name__ == "__main__":
    app.run()
