import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Rank collapse")

with app.setup:
    import marimo as mo
    import numpy as np
    from matplotlib.figure import Figure
    from scipy.special import softmax

    import theory.rank_collapse as theory
    from sims import map_figure
    from sims import rank_collapse as sim

    TOKENS = 8
    PURE_WIDTH, SKIP_WIDTH = 16, 128  # as in claims RC1 and RC2


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # Rank collapse: attention without skip connections loses its tokens

    A stack of pure softmax self-attention layers (no skip connection, no MLP) pulls every token
    onto the same vector: the distance $r_l$ of the tokens from the nearest rank-1 matrix
    contracts *cubically* per layer, $r_{l+1} \le (4\gamma\beta/\sqrt{d})\, r_l^3$, i.e. doubly
    exponentially in depth (Dong, Cordonnier & Loukas 2021,
    [arXiv:2103.03404](https://arxiv.org/abs/2103.03404), Thm 2.2; claim RC1). A skip connection
    $x_{l+1} = x_l + \alpha\, \mathrm{SA}(x_l)$ keeps the centred tokens intact and only grows
    their mean, by $(1 + \alpha^2)$ per layer: $\alpha = 1$ still collapses them relative to
    their norm, $\alpha = 1/\sqrt{L}$ does not (Noci et al. 2022,
    [arXiv:2206.03126](https://arxiv.org/abs/2206.03126); claim RC2).

    Lines: theory. Markers: the median over random networks (8 tokens; width 16 without skip,
    128 with skip, where attention is uniform as in the closed form).
    """)
    return


@app.cell
def _():
    depth = mo.ui.slider(3, 48, value=12, label="depth L", show_value=True, debounce=True)
    skip = mo.ui.switch(value=False, label="skip connections")
    alpha = mo.ui.slider(0.0, 1.0, step=0.05, value=1.0, label="residual scale alpha", show_value=True)
    noci = mo.ui.checkbox(value=False, label="alpha = 1/sqrt(L)")
    mo.hstack([depth, skip, alpha, noci], justify="start", gap=2)
    return alpha, depth, noci, skip


@app.function
def token_layers(*, depth, alpha, skip, width, seed=0):
    """One network's tokens at every layer, (depth + 1, tokens, width).

    The layers of sims.rank_collapse (which records only summaries): pure softmax attention
    with fresh N(0, 1/width) weights, or a skip connection around uniform attention.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, width)) + rng.standard_normal((TOKENS, width))
    layers = [x]
    for _ in range(depth):
        if skip:
            w = rng.standard_normal((width, width)) / np.sqrt(width)
            x = x + alpha * (x.mean(axis=0) @ w)[None, :]
        else:
            w_qk, w_v = rng.standard_normal((2, width, width)) / np.sqrt(width)
            x = softmax(x @ w_qk @ x.T / np.sqrt(width), axis=1) @ x @ w_v
        layers.append(x)
    return np.stack(layers)


@app.function
def residual_curves(depth, skip, alpha):
    """(layers, simulated median, theory layers, theory values, y label) for the chosen model."""
    layers = np.arange(depth + 1)
    if skip:
        run = sim.simulate_skip_attention(
            tokens=TOKENS, width=SKIP_WIDTH, depth=depth, alphas=[alpha], seeds=128
        )
        growth = theory.skip_attention_mean_growth(alpha, layers)
        predicted = sim.predicted_token_ratio(growth, (TOKENS - 1) * SKIP_WIDTH, SKIP_WIDTH / TOKENS, TOKENS)
        return (
            layers,
            np.median(run.ratio[0], axis=0),
            layers,
            predicted,
            r"$\|x - 1\bar{x}^\top\|_F \,/\, \|x\|_F$",
        )
    run = sim.simulate_pure_attention(
        tokens=TOKENS, width=PURE_WIDTH, depth=depth, seeds=16, start_residual=[1.0, 1.0]
    )
    observed = np.median(run.residual[:, :-1] / run.scale, axis=0)
    # Dong et al.'s bound on layer l + 1 from the measured layer l, relative to ||x_{l+1}||
    bound = theory.attention_residual_bound(
        run.residual[:, :-2], gamma=run.gamma[:, :-1], beta=run.beta[:, :-1], d_qk=PURE_WIDTH
    )
    return (
        layers[:-1],
        observed,
        layers[1:-1],
        np.median(bound / run.scale[:, 1:], axis=0),
        r"$\|x - 1\bar{x}^\top\|_{1,\infty} \,/\, \|x\|_{1,\infty}$",
    )


@app.function
def draw(depth, skip, alpha):
    layers, observed, theory_layers, predicted, label = residual_curves(depth, skip, alpha)
    fig = Figure(figsize=(12, 4.2))
    grid = fig.add_gridspec(2, 4, width_ratios=[2.2, 1, 1, 0.01])
    ax = fig.add_subplot(grid[:, 0])
    ax.plot(
        theory_layers,
        np.minimum(predicted, 10.0),
        "-",
        color="C0",
        label=r"theory: mean grows by $(1 + \alpha^2)^l$" if skip else "Dong et al. bound (from layer l - 1)",
    )
    ax.plot(layers, observed, "o", mfc="none", color="C1", label="simulation (median)")
    ax.axhline(sim.EPS, color="0.5", ls=":", lw=1)
    ax.text(layers[-1], 2 * sim.EPS, "float64 rounding", ha="right", fontsize=8, color="0.4")
    ax.set(
        yscale="log",
        ylim=(1e-17, 10),
        xlabel="layer l",
        ylabel=label,
        title=rf"skip connections, $\alpha$ = {alpha:.3g}" if skip else "pure attention",
    )
    ax.legend(loc="best")
    tokens = token_layers(depth=depth, alpha=alpha, skip=skip, width=SKIP_WIDTH if skip else PURE_WIDTH)
    shown = sorted({0, depth // 3, 2 * depth // 3, depth})
    for k, layer in enumerate(shown):
        panel = fig.add_subplot(grid[k // 2, 1 + k % 2])
        x = tokens[layer] / np.sqrt(np.mean(np.sum(tokens[layer] ** 2, axis=1)))
        mean = x.mean(axis=0)
        axis_1 = mean / np.linalg.norm(mean)
        spread = np.linalg.svd(x - mean, full_matrices=False)[2][0]
        # re-orthogonalised: once the tokens agree to rounding, their spread is pure noise
        axis_2 = spread - (spread @ axis_1) * axis_1
        axis_2 /= np.linalg.norm(axis_2)
        panel.scatter(x @ axis_1, x @ axis_2, s=18, color="C2")
        panel.plot([0], [0], "+", color="0.5")
        panel.set(
            xlim=(-0.6, 1.6),
            ylim=(-1.1, 1.1),
            xticks=[],
            yticks=[],
            aspect="equal",
            title=f"tokens at layer {layer}",
        )
    fig.text(
        0.62,
        0.01,
        "+ origin; axes: token mean direction (x), main spread (y); unit = rms token norm",
        ha="center",
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


@app.cell
def _(alpha, depth, noci, skip):
    scale = 1.0 / np.sqrt(depth.value) if noci.value else alpha.value
    draw(depth.value, skip.value, scale)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ## Where the cubic law holds: the validity map

    **RC-M2** maps claim RC1 for one layer of pure softmax attention (8 tokens, width 16, as
    here): does the residual contract as $r_1 \propto r_0^3$? Axes: the layer's input residual
    $r_0 = \|X - 1\bar{x}^\top\|_{1,\infty}$ and the attention gain $g$ ($W_{QK}$ entries
    $N(0, g^2/d)$; this notebook's layers have $g = 1$). Blue: the measured exponent is 3
    within the claim's 4 standard errors; red: it is not; dashed: where Dong et al.'s bound
    stops contracting (a worst case: the law holds far beyond it). Every layer of the stack
    above is one point of this map; the slider picks which (the white circle: its input, the
    median over the notebook's networks). RC-M1 maps ReLU networks' Jacobians, which this
    notebook does not have.
    """)
    return


@app.cell
def _(depth):
    layer = mo.ui.slider(1, depth.value, value=1, label="layer l shown on the map", show_value=True)
    mo.output.replace(layer)
    return (layer,)


@app.function
def map_point(layer, skip):
    """Layer ``layer`` of the pure-attention stack on RC-M2: dict(map, panel, marker, note)."""
    if skip:
        note = (
            "RC-M2 maps pure softmax attention; with skip connections this notebook's layers "
            "attend uniformly, a model the map does not cover, so no point is marked."
        )
        return dict(map="RC-M2", panel={}, marker=None, note=note)
    run = sim.simulate_pure_attention(
        tokens=TOKENS, width=PURE_WIDTH, depth=layer, seeds=16, start_residual=[1.0, 1.0]
    )
    residual = float(np.median(run.residual[:, layer - 1]))
    source = "the tokens fed to the stack" if layer == 1 else "what the layers before it left"
    note = f"Layer {layer}'s input has the residual r = {residual:.2g} ({source})."
    if residual < sim.ROUNDING_FLOOR * float(np.median(run.scale[:, layer - 1])):
        note += " That is float64 rounding: nothing is left to contract, so no point is marked."
        return dict(map="RC-M2", panel={}, marker=None, note=note)
    marker = dict(panel={}, x=residual, y=1.0, label=f"layer {layer}'s input")
    return dict(map="RC-M2", panel={}, marker=marker, note=note)


@app.cell
def _(layer, skip):
    where = map_point(layer.value, skip.value)
    compute_map = map_figure.notebook_button(where)
    return compute_map, where


@app.cell
def _(compute_map, where):
    map_figure.notebook_cell(where, compute_map)
    return


if __name__ == "__main__":
    app.run()
