import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Critical learning periods")

with app.setup:
    import marimo as mo
    import numpy as np
    from matplotlib.figure import Figure

    import theory.critical_periods as theory
    from sims import map_figure, sweep
    from sims.critical_periods import scalar_feature

    SIGMA, K0 = 1.0, 0.05  # the feature's singular value and each pathway's initial share
    LEARNING_RATE, T_MAX = 0.01, 40.0
    ONSETS = np.linspace(0.0, 5.0, 11)  # the simulated onsets of the right-hand curve


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # Critical learning periods in a deep linear network

    Two linear pathways $a$ and $b$ of depth $D$ add their outputs and learn one feature of
    singular value $\sigma$ together. Blocking pathway $b$ for a while (a *deficit*) early in
    training lets $a$ take the feature; afterwards the pathways compete through
    $dK_p/dt = D K_p^{2-2/D} (\sigma - K_a - K_b)$ and $b$ never recovers its half: the damage is
    permanent, larger for deeper networks and longer deficits, and vanishes for a deficit that
    starts after the feature is learned (Kleinman, Achille & Soatto, ICLR 2024,
    [arXiv:2308.12221](https://arxiv.org/abs/2308.12221); claims CP1-CP5).

    Lines: the closed-form dynamics and final share. Markers: gradient descent on the two-pathway
    network ($\sigma = 1$, $k_0 = 0.05$, learning rate 0.01).
    """)
    return


@app.cell
def _():
    onset = mo.ui.slider(0.0, 5.0, step=0.25, value=0.5, label="deficit onset", show_value=True)
    length = mo.ui.slider(0.0, 4.0, step=0.25, value=1.0, label="deficit length", show_value=True)
    depth = mo.ui.slider(1, 8, value=2, label="depth D", show_value=True, debounce=True)
    mo.hstack([onset, length, depth], justify="start", gap=2)
    return depth, length, onset


@app.function
def simulate(depth, onset, length):
    """GD on the two pathways for every onset in ONSETS and for the chosen one (last member)."""
    windows = [[float(o), float(o) + length] for o in ONSETS] + [[onset, onset + length]]
    return scalar_feature(depth=depth, k0=K0, learning_rate=LEARNING_RATE, t_max=T_MAX, windows=windows)


@app.function
def draw(run, depth, onset, length):
    fig = Figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    horizon = min(T_MAX, max(8.0, onset + length + 6.0))
    fine = np.linspace(0.0, horizon, 300)
    k_a, k_b = theory.pathway_strengths(fine, SIGMA, depth, K0, onset, onset + length)
    shown = run.t <= horizon
    every = max(int(shown.sum()) // 40, 1)
    for simulated, line, color, label in (
        (run.K_a, k_a, "C0", "pathway a"),
        (run.K_b, k_b, "C3", "pathway b (deprived)"),
    ):
        left.plot(fine, line, "-", color=color, label=label)
        left.plot(run.t[shown][::every], simulated[-1, shown, 0][::every], "o", mfc="none", color=color)
    if length > 0:
        left.axvspan(onset, onset + length, color="0.5", alpha=0.2, label="deficit on b")
    left.set(
        xlabel="t = learning rate x step",
        ylabel=r"pathway singular value $K_a$, $K_b$",
        title="the two pathways during training",
    )
    left.legend()
    onsets = np.linspace(0.0, 5.0, 26)
    right.plot(
        onsets, theory.final_share(SIGMA, depth, K0, onsets, onsets + length), "-", color="C3", label="theory"
    )
    right.plot(ONSETS, run.K_b[:-1, -1, 0] / SIGMA, "o", mfc="none", color="C3", label="gradient descent")
    right.plot([onset], [run.K_b[-1, -1, 0] / SIGMA], "o", color="C3", ms=8, label="this deficit")
    right.axhline(0.5, color="0.5", ls=":", lw=1)
    right.text(5.0, 0.51, "no deficit", ha="right", va="bottom", fontsize=8, color="0.4")
    right.set(
        xlabel=f"deficit onset (length {length:g})",
        ylim=(0.0, 0.55),
        ylabel=r"final share $K_b(\infty)/\sigma$ of the deprived pathway",
        title=f"the critical period, D = {depth}",
    )
    right.legend(loc="lower right")
    fig.tight_layout()
    return fig


@app.cell
def _(depth, length, onset):
    _run = simulate(depth.value, onset.value, length.value)
    draw(_run, depth.value, onset.value, length.value)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ## Where the closed forms hold: the validity map

    **CP-M1** maps claim CP3 (the final share after a deficit, to first order in the learning
    rate) over the learning rate $\times\, \sigma^{2-2/D}$ and the initial strength
    $k_0/\sigma$: blue where GD's share agrees with the closed form within the claim's
    tolerance, red where it does not; dashed: the predicted edge, where GD stops converging to
    the state the theory predicts. The white circle is this notebook's run (learning rate 0.01,
    $k_0 = 0.05$) at your depth. CP-M2 maps random (unaligned) starts, which this notebook does
    not use.
    """)
    return


@app.function
def map_point(depth):
    """This notebook's run on CP-M1 at the depth slider: dict(map, panel, marker, note)."""
    spec = sweep.get("CP-M1")
    panel, elsewhere = map_figure.nearest_depth_panel(spec, depth)
    marker = dict(
        panel=panel, x=LEARNING_RATE * SIGMA ** (2 - 2 / depth), y=K0 / SIGMA, label="this notebook's run"
    )
    note = "The map scores CP3's own deficit windows, not your onset and length." + elsewhere
    return dict(map="CP-M1", panel=panel, marker=marker, note=note)


@app.cell
def _(depth):
    where = map_point(depth.value)
    compute_map = map_figure.notebook_button(where)
    return compute_map, where


@app.cell
def _(compute_map, where):
    map_figure.notebook_cell(where, compute_map)
    return


if __name__ == "__main__":
    app.run()
