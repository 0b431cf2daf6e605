import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Deep linear networks")

with app.setup:
    import marimo as mo
    import numpy as np
    from matplotlib.figure import Figure

    import theory.deep_linear as theory
    from sims import deep_linear as sim
    from sims import map_figure, sweep
    from sims.deep_linear import maps
    from sims.engine import DivergenceError, stack_members
    from sims.linear_networks import product

    WIDTH = 4  # inputs, hidden units and outputs: three modes plus one spare direction
    MAX_STEPS = 100_000
    INITS = {
        "decoupled (balanced)": "decoupled",
        "random Gaussian": "gaussian",
        "random orthogonal": "orthogonal",
    }


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # Deep linear networks: plateaus, then sudden transitions

    A linear network $y = W_D \cdots W_1 x$ trained by gradient descent learns the input-output
    modes of its data one at a time: each mode strength $u_a$ sits on a plateau near its small
    initial value, then jumps to the singular value $s_a$, stronger modes first. From a balanced,
    decoupled start every mode follows $\tau\, du/dt = D\, u^{2-2/D} (s - u)$ exactly
    (Saxe, McClelland & Ganguli 2014, [arXiv:1312.6120](https://arxiv.org/abs/1312.6120),
    eqs. 10-12 for two layers, sec. 2, eq. 15 for depth D; claims DL1-DL3 of this suite).

    Lines: the closed form. Markers: full-batch gradient descent on a network of width 4,
    time $t$ = learning rate $\times$ step.
    """)
    return


@app.cell
def _():
    depth = mo.ui.slider(1, 6, value=2, label="depth D", show_value=True)
    init = mo.ui.dropdown(list(INITS), value="decoupled (balanced)", label="initialisation")
    scale = mo.ui.slider(
        steps=[1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3],
        value=0.01,
        show_value=True,
        label="init scale (u0, or weight std / gain)",
    )
    learning_rate = mo.ui.slider(
        steps=[1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
        value=0.02,
        label="learning rate",
        show_value=True,
    )
    singular_values = mo.ui.array(
        [
            mo.ui.slider(0.25, 3.0, step=0.25, value=v, show_value=True, debounce=True)
            for v in [3.0, 2.0, 1.0]
        ],
        label="singular values s1, s2, s3",
    )
    mo.hstack([mo.vstack([depth, init, scale, learning_rate]), singular_values], justify="start", gap=2)
    return depth, init, learning_rate, scale, singular_values


@app.function
def learning_horizon(s, u0, depth):
    """1.2 x the decoupled theory's time for the slowest mode to cover 98% of its way to s."""
    s = np.asarray(s, dtype=float)
    moving = np.abs(s - u0) > 1e-9
    if not moving.any():
        return 1.0
    times = theory.deep_learning_time(s[moving], u0, s[moving] - 0.02 * (s[moving] - u0), depth)
    return 1.2 * float(np.max(times))


@app.function
def simulate(singular_values, depth, init, scale, learning_rate):
    """Mode strengths u_a(t) of GD and their theory; raises DivergenceError or ValueError."""
    target, u, v = sim.target_with_modes(sorted(singular_values, reverse=True), WIDTH, WIDTH)
    s = np.linalg.svd(target, compute_uv=False)[: len(singular_values)]
    if init == "decoupled":
        u0 = np.full(s.size, scale)
        t_max = learning_horizon(s, scale, depth)
        if t_max / learning_rate > MAX_STEPS:
            raise ValueError(f"{t_max / learning_rate:.0f} steps needed: raise the learning rate")
        run = sim.simulate_decoupled(
            target=target.tolist(),
            u0=scale,
            depth=depth,
            learning_rate=learning_rate,
            t_max=t_max,
            hidden=WIDTH,
        )
        return dict(t=run.t, s=s, u=run.u, u0=u0, exact=True)
    weights = sim.random_init((WIDTH,) * (depth + 1), init, scale)
    start = sim.mode_strengths(product(weights), u, v)
    if depth == 2:  # the effective initial strength of a small random start (DL2; this suite's)
        u0, exact = sim.effective_initial_strengths(weights[0], weights[1], u, v), True
    else:  # no closed form from a random start: the decoupled curve from |u_a(0)| as a guide
        u0, exact = np.maximum(np.abs(start), 1e-6), False
    # Away from the closed form's setting the guide's horizon may be short: run longer.
    t_max = (1.0 if exact else 2.5) * max(learning_horizon(s[k], u0[k], depth) for k in range(s.size))
    if t_max / learning_rate > MAX_STEPS:
        raise ValueError(
            f"{t_max / learning_rate:.0f} steps needed: raise the learning rate or the init scale"
        )
    t, products, _ = sim.run_products(
        stack_members([weights]), target, learning_rate=learning_rate, t_max=t_max
    )
    return dict(t=t, s=s, u=sim.mode_strengths(products[0], u, v), u0=u0, exact=exact)


@app.function
def draw(run, depth):
    fine = np.linspace(0.0, run["t"][-1], 300)
    theory_u = np.stack(
        [theory.deep_mode_strength(fine, s, u0, depth) for s, u0 in zip(run["s"], run["u0"], strict=True)],
        axis=1,
    )
    style = "-" if run["exact"] else "--"
    fig = Figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2, width_ratios=[1.6, 1])
    every = max(len(run["t"]) // 40, 1)
    for k, color in enumerate(["C0", "C1", "C2"][: run["s"].size]):
        left.plot(fine, theory_u[:, k], style, color=color, label=f"s = {run['s'][k]:g}")
        left.plot(run["t"][::every], run["u"][::every, k], "o", mfc="none", color=color)
    left.plot([], [], "o", mfc="none", color="gray", label="gradient descent")
    left.set(
        xlabel="t = learning rate x step",
        ylabel="mode strength u(t)",
        title="each mode: plateau, then a sudden transition",
    )
    left.legend()
    # Time to reach s/2: simulation against the closed form of each mode (DL1, DL2).
    rising = run["u0"] < run["s"] / 2
    predicted = theory.deep_learning_time(run["s"][rising], run["u0"][rising], run["s"][rising] / 2, depth)
    observed = sim.crossing_times(run["t"], run["u"], run["s"] / 2)[rising]
    if rising.any():
        span = np.array([0.0, 1.2 * max(predicted.max(), np.nanmax(observed))])
        right.plot(span, span, style, color="gray", label="simulation = theory")
        for k in np.flatnonzero(rising):
            j = int(np.sum(rising[:k]))
            right.plot(
                predicted[j], observed[j], "o", mfc="none", color=f"C{k}", label=f"s = {run['s'][k]:g}"
            )
    right.set(
        xlabel="theory: time to reach s/2",
        ylabel="gradient descent: time to reach s/2",
        title="time to reach s/2, mode by mode",
    )
    right.legend()
    fig.tight_layout()
    return fig


@app.cell
def _(depth, init, learning_rate, scale, singular_values):
    bound = float(theory.stable_learning_rate(max(singular_values.value), depth.value))
    try:
        run = simulate(
            singular_values.value, depth.value, INITS[init.value], scale.value, learning_rate.value
        )
    except DivergenceError:
        run = None
        message = mo.callout(
            mo.md(
                f"**Gradient descent diverges.** The learning rate {learning_rate.value:g} is above "
                f"the stability bound $2/(D\\, s_{{max}}^{{2-2/D}})$ = {bound:.3g} for D = "
                f"{depth.value}; lower it to see the dynamics."
            ),
            kind="danger",
        )
    except ValueError as error:
        run = None
        message = mo.callout(mo.md(f"**Not simulated:** {error}."), kind="warn")
    else:
        message = mo.md(
            f"Stability bound of the learning rate: {bound:.3g}. "
            + (
                "Lines are exact closed forms."
                if run["exact"]
                else "From a random start at D != 2 there is no closed form: the dashed lines are the "
                "decoupled solution from the same initial strengths, a guide only."
            )
        )
    mo.output.replace(message)
    return (run,)


@app.cell
def _(depth, run):
    draw(run, depth.value) if run is not None else None
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ## Where the closed forms hold: the validity map

    How far do the sliders go before the theory stops describing gradient descent? The suite
    maps it (issue 13). **DL-M1** (decoupled start): the largest deviation of GD from
    the closed form, over the initial strength $u_0/s_{max}$ and the learning rate in units of
    the stability bound $2/(D\, s_{max}^{2-2/D})$. **DL-M2** (Gaussian start, two layers): DL2's
    error of the half-learning times, over the init scale $N_h \sigma^2 / s_{max}$ (weight std
    $\sigma$, hidden width $N_h$) and $N_h$. Blue: within the claim's tolerance; red: beyond it;
    solid line: measured boundary, dashed: predicted. The white circle is your settings.
    """)
    return


@app.function
def map_point(depth, init, scale, learning_rate, singular_values):
    """The sliders on the map of their initialisation: dict(map, panel, marker, note)."""
    s_max = max(singular_values)
    if init == "gaussian":
        if depth != 2:
            note = (
                f"DL-M2 maps DL2, a two-layer result: at depth {depth} a random start has no "
                "closed form, so no point is marked."
            )
            return dict(map="DL-M2", panel={}, marker=None, note=note)
        marker = dict(panel={}, x=WIDTH * scale**2 / s_max, y=WIDTH, label="your settings")
        note = (
            f"The map is DL2's setting ({maps.DL2['n_in']} inputs and outputs, learning rate "
            f"{maps.DL2['learning_rate']:g}, widths from {sweep.get('DL-M2').y.low:g}); your network "
            f"has width {WIDTH} (drawn at the map's edge) and learning rate {learning_rate:g}."
        )
        return dict(map="DL-M2", panel={}, marker=marker, note=note)
    if init == "orthogonal":
        note = (
            "Neither map covers a random orthogonal start (DL-M1: the decoupled start; DL-M2: "
            "Gaussian weights), so no point is marked; DL-M1 is shown."
        )
        panel = map_figure.nearest_panel(sweep.get("DL-M1"), depth=depth)[0]
        return dict(map="DL-M1", panel=panel, marker=None, note=note)
    spec = sweep.get("DL-M1")
    panel, elsewhere = map_figure.nearest_depth_panel(spec, depth)
    bound = float(theory.stable_learning_rate(s_max, depth))
    marker = dict(panel=panel, x=scale / s_max, y=learning_rate / bound, label="your settings")
    note = (
        f"The map trains DL3's modes s = {', '.join(f'{v:g}' for v in maps.M1_SINGULAR_VALUES)}; "
        f"yours enter through s_max = {s_max:g}." + elsewhere
    )
    return dict(map="DL-M1", panel=panel, marker=marker, note=note)


@app.cell
def _(depth, init, learning_rate, scale, singular_values):
    where = map_point(depth.value, INITS[init.value], scale.value, learning_rate.value, singular_values.value)
    compute_map = map_figure.notebook_button(where)
    return compute_map, where


@app.cell
def _(compute_map, where):
    map_figure.notebook_cell(where, compute_map)
    return


if __name__ == "__main__":
    app.run()
