"""The rank-collapse claims RC1-RC7: each a simulation of :mod:`.models` (RC7: the derivation of
:mod:`.derivations`) and a cheap comparison with its closed form, and the wrong closed forms
that each comparison must reject."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.stats import norm

import theory.rank_collapse as theory
from sims import outcomes
from sims.outcomes import Outcome
from sims.rank_collapse import models
from sims.rank_collapse.measures import (
    EPS,
    ROUNDING_FLOOR,
    fit_slope,
    origin_bin_fraction,
    predicted_token_ratio,
)
from sims.rank_collapse.models import WIDTH_EXPANSION, jacobian_variance_width_bias
from sims.registry import claim
from theory._validate import integer_at_least

# Family-wise false-alarm rate for checks that compare many Monte-Carlo estimates at once.
FAMILY_ALPHA = 1e-4
MAX_ESTIMATES = 10**15  # a family of estimates far beyond any run (the threshold is 9.1 there)


def z_threshold(count: int) -> float:
    """Two-sided Bonferroni z threshold for ``count`` estimates at FAMILY_ALPHA (>= 4)."""
    count = integer_at_least("count", count, 1, MAX_ESTIMATES)
    return max(4.0, float(norm.isf(FAMILY_ALPHA / (2 * count))))


# ----------------------------------------------------------------------------- RC1 attention


def _wrong_attention_exponent(exponent):
    def bound(residual, *, gamma, beta, d_qk):
        scale = theory.attention_residual_bound(1.0, gamma=gamma, beta=beta, d_qk=d_qk)
        return scale * np.asarray(residual, dtype=np.float64) ** exponent

    bound.__doc__ = f"Perturbation: residual^3 -> residual^{exponent}."
    return bound


@claim(
    "RC1",
    "rank_collapse.pure_attention",
    simulate=models.simulate_pure_attention,
    source="Dong, Cordonnier & Loukas 2021, arXiv:2103.03404, Theorem 2.2",
    statement="Pure softmax self-attention (no skip, no MLP) contracts the residual from the "
    "nearest rank-1 matrix cubically per layer, log r_{l+1} ~ 3 log r_l (doubly "
    "exponential in depth) down to machine precision, and Dong et al.'s bound "
    "(4 gamma beta / sqrt(d_qk)) r^3 holds at every resolvable layer.",
    closed_form=theory.attention_residual_bound,
    measured="slope of log r_{l+1} against log r_l over layers with eps <= 0.05 (near-uniform "
    "attention) and r_{l+1} above rounding; parts: measured one-layer residual <= "
    "bound wherever the bound exceeds 1e-12 ||x||",
    error_model="Monte-Carlo: log r_{l+1} = 3 log r_l + log C_l with C_l iid over layers and "
    "seeds; tolerance 4 standard errors of the regression slope",
    defaults=dict(tokens=8, width=16, depth=6, seeds=120, start_residual=[1e-3, 1e-1]),
    quick=dict(),  # the defaults take ~0.2 s
    perturbations={
        "r^3 -> r^2": _wrong_attention_exponent(2.0),
        "r^3 -> r^4": _wrong_attention_exponent(4.0),
    },
    figures=("fig_rank_collapse_attention",),
    thorough=dict(seeds=600, depth=8),
)
def compare_pure_attention(closed_form, run, *, width, **_) -> Outcome:
    r_in, r_out = run.residual[:, :-1], run.residual[:, 1:]
    bound = closed_form(r_in, gamma=run.gamma, beta=run.beta, d_qk=width)
    floor = ROUNDING_FLOOR * run.scale
    resolvable = bound > floor
    violations = resolvable & (run.candidate > bound)
    tightness = run.candidate[resolvable] / bound[resolvable]
    # d log(bound) / d log(r) of the closed form: the predicted contraction exponent
    probe = closed_form(np.array([1e-4, 1e-2]), gamma=1.0, beta=1.0, d_qk=width)
    exponent = float(np.log(probe[1] / probe[0]) / np.log(100.0))
    cubic = (run.eps <= 0.05) & (r_out > 1e3 * floor)
    slope, stderr = fit_slope(np.log(r_in[cubic]), np.log(r_out[cubic]))
    final = run.residual[:, -1] / run.scale[:, -1]
    return Outcome(
        (
            outcomes.z_score(
                "contraction exponent d log r_{l+1} / d log r_l",
                exponent,
                slope,
                stderr,
                tolerance=4.0,
                note=f"{int(cubic.sum())} layer pairs",
            ),
        ),
        (
            outcomes.condition(
                "bound holds",
                not violations.any(),
                f"{int(violations.sum())} of {int(resolvable.sum())} resolvable "
                f"layers exceed the bound; worst measured/bound "
                f"{np.max(tightness):.3g}",
            ),
            outcomes.condition(
                "reaches rounding",
                bool(np.all(final < 1e3 * ROUNDING_FLOOR)),
                f"largest final residual / ||x|| = {np.max(final):.3g}",
            ),
            outcomes.condition(
                "enough pairs", cubic.sum() >= 20, f"{int(cubic.sum())} layer pairs in the fit"
            ),
        ),
        {"pairs": int(cubic.sum()), "stderr": stderr},
    )


# ----------------------------------------------------------------------------- RC2 skip


def _wrong_skip_power(alpha, depth):
    """Perturbation: (1 + alpha^2)^L -> (1 + alpha)^L."""
    return theory.skip_attention_mean_growth(np.sqrt(alpha), depth)


def _wrong_skip_depth(alpha, depth):
    """Perturbation: (1 + alpha^2)^L -> (1 + alpha^2)^(L/2)."""
    return theory.skip_attention_mean_growth(alpha, np.asarray(depth) / 2)


@claim(
    "RC2",
    "rank_collapse.skip_connections",
    simulate=models.simulate_skip_connections,
    source="Dong et al. 2021, arXiv:2103.03404, sec. 3 (skip connections); Noci et al. 2022, "
    "arXiv:2206.03126 (residual scaling 1/sqrt(L))",
    statement="With uniform attention and residual branch scale alpha, the expected squared "
    "norm of the token mean grows by (1 + alpha^2)^L while the centred tokens are "
    "unchanged; at depth "
    "48, alpha = 1/sqrt(L) keeps the tokens apart and alpha = 1 collapses them.",
    closed_form=theory.skip_attention_mean_growth,
    measured="z-score of the seed-mean of ||mean_L||^2 / ||mean_0||^2 against the closed form "
    "per alpha; parts: centred part unchanged to rounding, token ratio "
    "||x - 1 mean^T|| / ||x|| within a factor 2 of the closed-form value",
    error_model="Monte-Carlo over seeds, O(1/sqrt(seeds)): |mean - theory| <= 4 standard "
    "errors; the growth is a product of L iid factors of mean 1 + alpha^2 and "
    "relative variance ~ (4 alpha^2 + 2 alpha^4) / (d (1 + alpha^2)^2), so "
    "width 128 keeps the relative spread at depth 48 below 1",
    defaults=dict(tokens=8, width=128, depth=48, seeds=256),
    quick=dict(),  # the defaults take ~0.3 s
    perturbations={
        "(1+a^2)^L -> (1+a)^L": _wrong_skip_power,
        "(1+a^2)^L -> (1+a^2)^(L/2)": _wrong_skip_depth,
    },
    figures=("fig_rank_collapse_attention",),
    thorough=dict(seeds=2048),
)
def compare_skip_connections(closed_form, run, *, tokens, width, depth, seeds) -> Outcome:
    predicted = closed_form(run.alphas, depth)
    mean = run.growth.mean(axis=1)
    stderr = run.growth.std(axis=1, ddof=1) / np.sqrt(seeds)
    # the expected token ratio at depth from the closed-form growth, with E||centred||^2 =
    # (T - 1) d and E T ||mean_0||^2 = d for iid N(0, 1) tokens
    expected_ratio = predicted_token_ratio(predicted, (tokens - 1) * width, width / tokens, tokens)
    observed_ratio = np.median(run.ratio[:, :, -1], axis=1)
    growth = [
        outcomes.z_score(f"mean growth, alpha={a:.3g}", p, m, s, tolerance=4.0)
        for a, p, m, s in zip(run.alphas, predicted, mean, stderr, strict=True)
    ]
    # within a factor 2: |ln observed - ln expected| <= ln 2
    ratio = [
        outcomes.absolute(
            f"ln token ratio, alpha={a:.3g}",
            np.log(e),
            np.log(o),
            np.log(2.0),
            note=f"median {o:.3g} vs {e:.3g}",
        )
        for a, o, e in zip(run.alphas, observed_ratio, expected_ratio, strict=True)
    ]
    unchanged = outcomes.absolute(
        "centred part change / ||x||",
        0.0,
        run.centred_change.max(),
        100 * depth * EPS,
        note="rounding allows 100 depth eps",
    )
    apart = outcomes.condition(
        "apart vs collapsed",
        observed_ratio[0] > 0.1 and observed_ratio[1] < 1e-3,
        f"alpha=1/sqrt(L): {observed_ratio[0]:.3g}, alpha=1: {observed_ratio[1]:.3g}",
    )
    return Outcome(
        (*growth, *ratio, unchanged), (apart,), {"alphas": run.alphas.tolist(), "stderr": stderr.tolist()}
    )


# ----------------------------------------------------------------------------- RC3 products

# Saxe et al. 2014, fig. 6: histogram bins of width 0.1, so the bin at the origin is the square
# |Re z|, |Im z| < 0.05.
ORIGIN_BIN_HALF_SIDE = 0.05


def _wrong_lyapunov(n, *, variance=None):
    """Perturbation: ln(2 variance) -> ln(variance)."""
    variance = 1.0 / n if variance is None else variance
    return theory.gaussian_product_lyapunov(n, variance=variance / 2)


def _wrong_fraction_exponent(half_side, depth):
    """Perturbation: r^{2/depth} -> r^{1/depth} (in the square's integral)."""
    return theory.product_eigenvalue_square_fraction(half_side, 2 * np.asarray(depth))


@claim(
    "RC3",
    "rank_collapse.random_products",
    simulate=models.simulate_random_products,
    source="Newman 1986 / Cohen & Newman 1984 (Gaussian Lyapunov spectrum); Saxe et al. 2014, "
    "arXiv:1312.6120, fig. 6 (caption: bins of width 0.1); Burda, Janik & Waclaw 2010, "
    "Phys. Rev. E 81, 041132, arXiv:0912.3422 (product eigenvalue law)",
    statement="Lyapunov exponents of products of N(0, 1/n) matrices, measured by QR "
    "accumulation, match 1/2 [ln(2/n) + digamma((n-i+1)/2)]; by the product "
    "eigenvalue law P(|z| < r) = r^{2/depth}, Saxe et al.'s origin bin (a square of "
    "side 0.1) holds 31.6 % at depth 5 and 94.4 % at depth 100 (the paper reports "
    "32 % and 94 % at n = 1000); the effective rank falls with depth for Gaussian "
    "factors and stays n for orthogonal ones.",
    closed_form=(theory.gaussian_product_lyapunov, theory.product_eigenvalue_square_fraction),
    measured="largest |lambda_hat_i - lambda_i| / stderr_i over i; fraction of eigenvalues in "
    "|Re z|, |Im z| < 0.05 at depths 5 and 100; parts: effective rank vs depth",
    error_model="Monte-Carlo: log|R_ii| are exact iid samples of 1/2 ln(variance chi^2_{n-i+1}), "
    "tolerance the Bonferroni z for n exponents at family rate 1e-4; eigenvalue "
    "fraction: 4 standard errors over seeds plus the O(1/n) finite-size bias "
    "(eigenvalue moduli ~ ((k - 1/2)/n)^{depth/2}), bounded by 1/n",
    defaults=dict(
        n=16,
        depth=64,
        seeds=8,
        fraction_n=100,
        fraction_depths=[5, 100],
        fraction_seeds=16,
        rank_n=32,
        rank_depth=64,
        rank_seeds=4,
    ),
    quick=dict(),  # the defaults take ~1 s
    # No "disk instead of square" perturbation: it is not resolvable at this sample size. At
    # depth 5 the disk law gives 0.3017, the square 0.3155; measured 0.3213 (n = 100, 16 seeds)
    # with an allowance of 0.024 (4 s.e. 0.014 + 1/n), so the disk law passes (0.81 of it).
    perturbations={
        "ln(2 var) -> ln(var)": (_wrong_lyapunov, theory.product_eigenvalue_square_fraction),
        "r^(2/M) -> r^(1/M)": (theory.gaussian_product_lyapunov, _wrong_fraction_exponent),
    },
    figures=("fig_rank_collapse_lyapunov", "fig_rank_collapse_effective_rank"),
    thorough=dict(depth=256, seeds=32, fraction_seeds=64, rank_seeds=16),
)
def compare_random_products(closed_form, run, *, n, fraction_n, fraction_seeds, rank_n, **_) -> Outcome:
    lyapunov, fraction = closed_form
    predicted = lyapunov(n)
    observed = run.lyapunov.mean(axis=0)
    stderr = run.lyapunov.std(axis=0, ddof=1) / np.sqrt(run.lyapunov.shape[0])
    worst = int(np.argmax(np.abs(observed - predicted) / stderr))
    exponents = outcomes.z_score(
        f"Lyapunov exponent i={worst + 1} (worst of {n})",
        predicted[worst],
        observed[worst],
        stderr[worst],
        tolerance=z_threshold(n),
    )
    fractions = []
    for m, eigenvalues in zip(run.fraction_depths, run.eigenvalues, strict=True):
        per_seed = origin_bin_fraction(eigenvalues, ORIGIN_BIN_HALF_SIDE)
        allowed = 4 * per_seed.std(ddof=1) / np.sqrt(fraction_seeds) + 1.0 / fraction_n
        fractions.append(
            outcomes.allowance(
                f"origin-bin fraction, depth {m}",
                float(fraction(ORIGIN_BIN_HALF_SIDE, m)),
                per_seed.mean(),
                allowed,
                note="4 s.e. + 1/n",
            )
        )
    gaussian = np.median(run.gaussian_rank, axis=0)
    marks = np.unique(np.geomspace(1, gaussian.size, 7).astype(int)) - 1
    orthogonal = outcomes.absolute("orthogonal effective rank (worst)", rank_n, run.orthogonal_rank, 1e-8)
    falls = outcomes.condition(
        "gaussian effective rank falls",
        bool(np.all(np.diff(gaussian[marks]) < 0)) and gaussian[-1] < rank_n / 4,
        "depths " + ", ".join(f"{m + 1}: {gaussian[m]:.2f}" for m in marks),
    )
    return Outcome((exponents, *fractions, orthogonal), (falls,), {"worst_exponent": worst + 1})


# ----------------------------------------------------------------------------- RC4 Jacobian


def _wrong_moment_ratio(depth, *, weights="gaussian", nonlinearity="relu"):
    """Perturbation: ReLU's mu2 / mu1^2 = 2 -> 1 (treated as linear)."""
    return theory.jacobian_spectrum_variance(depth, weights=weights, nonlinearity="linear")


def _wrong_s1(depth, *, weights="gaussian", nonlinearity="relu"):
    """Perturbation: Gaussian and orthogonal S-transforms swapped."""
    swapped = {"gaussian": "orthogonal", "orthogonal": "gaussian"}[weights]
    return theory.jacobian_spectrum_variance(depth, weights=swapped, nonlinearity=nonlinearity)


def jacobian_width_bias(depths, n, kind) -> np.ndarray:
    """:func:`~sims.rank_collapse.models.jacobian_variance_width_bias` at each of ``depths``:
    RC4 adds it to the closed form and allows a quarter of it for the next order."""
    return np.array([jacobian_variance_width_bias(int(d), n, kind) for d in np.ravel(depths)])


@claim(
    "RC4",
    "rank_collapse.jacobian_spectrum",
    simulate=models.simulate_jacobian_spectrum,
    source="Pennington, Schoenholz & Ganguli 2017, arXiv:1711.04735, eq. 15; 2018, arXiv:1802.09979",
    statement="At criticality the variance of the eigenvalues of J J^T (mean eigenvalue "
    "normalised to 1) grows as L (mu2/mu1^2 - 1 - s1): 2L for ReLU with Gaussian "
    "weights and L for ReLU with orthogonal weights.",
    closed_form=theory.jacobian_spectrum_variance,
    measured="per weight kind and depth, seed-mean of m2/m1^2 - 1 (m_k = tr (J J^T)^k / n) "
    "against the closed form plus the first-order width bias",
    error_model="Monte-Carlo (4 standard errors over seeds) plus the finite-width bias: the "
    "first-order bias delta_1 = 2L(L+1)/n (Gaussian), L(L+3)/(2n) (orthogonal) "
    "is added to the prediction (jacobian_variance_width_bias), the next order "
    "(relative 8L/n <= 1/4, required) allowed as 0.25 delta_1; error reported as "
    "|deviation| / allowance",
    defaults=dict(n=512, depths=[4, 8, 16], seeds=24),
    # inside the width expansion (8L/n = 1/8) at a quarter of the defaults' work (~2 s)
    quick=dict(n=256, depths=[4, 8]),
    perturbations={"mu2/mu1^2 = 2 -> 1": _wrong_moment_ratio, "s1 swapped": _wrong_s1},
    figures=("fig_rank_collapse_jacobian",),
    thorough=dict(seeds=48, depths=[2, 4, 8, 16]),
)
def compare_jacobian_spectrum(closed_form, run, *, n, seeds, **_) -> Outcome:
    comparisons = []
    for kind in ("gaussian", "orthogonal"):
        samples = getattr(run, kind)[:, run.depths - 1]
        bias = jacobian_width_bias(run.depths, n, kind)
        predicted = np.asarray(closed_form(run.depths, weights=kind, nonlinearity="relu")) + bias
        allowed = 4 * samples.std(axis=0, ddof=1) / np.sqrt(seeds) + WIDTH_EXPANSION * bias
        comparisons += [
            outcomes.allowance(f"{kind} L={d}", p, m, a, note="4 s.e. + 0.25 x first-order width bias")
            for d, p, m, a in zip(run.depths, predicted, samples.mean(axis=0), allowed, strict=True)
        ]
    return Outcome(comparisons)


# ----------------------------------------------------------------------------- RC5 ReLU


def _wrong_relu_depth(c0, depth):
    """Perturbation: one layer too many."""
    return theory.relu_correlation(c0, np.asarray(depth) + 1)


def _wrong_relu_map(c0, depth):
    """Perturbation: the map's sqrt(1 - c^2) term halved."""
    c0, depth = np.broadcast_arrays(np.asarray(c0, dtype=np.float64), np.asarray(depth))
    c = c0.copy()
    for step in range(int(depth.max())):
        mapped = (0.5 * np.sqrt(1 - c**2) + (np.pi - np.arccos(c)) * c) / np.pi
        c = np.where(depth > step, mapped, c)
    return c


@claim(
    "RC5",
    "rank_collapse.relu_correlation",
    simulate=models.simulate_relu_correlation,
    source="Cho & Saul 2009 (arc-cosine kernel, degree 1); Poole et al. 2016, arXiv:1606.05340 "
    "(correlation map)",
    statement="In a critical ReLU network (weights N(0, 2/n), no bias) the cosine similarity "
    "of two inputs after l layers follows the iterated arc-cosine map, at width "
    "1000 within O(1/sqrt(width)), and tends to 1 as 1 - c_l ~ 9 pi^2 / (2 l^2).",
    closed_form=theory.relu_correlation,
    measured="worst deviation over layers of the seed-mean cosine similarity from the closed "
    "form, as a fraction of its allowance",
    error_model="O(1/sqrt(width)) fluctuations per network: 4 standard errors over seeds "
    "(Bonferroni over layers) plus an O(depth/width) bias allowance of l/n",
    defaults=dict(n=1000, depth=20, seeds=64, c0=0.2),
    quick=dict(),  # the defaults take ~0.1 s
    perturbations={"depth -> depth + 1": _wrong_relu_depth, "wrong map": _wrong_relu_map},
    figures=("fig_rank_collapse_relu_correlation",),
    thorough=dict(seeds=1024, depth=40),
)
def compare_relu_correlation(closed_form, run, *, n, depth, seeds, c0) -> Outcome:
    layers = np.arange(1, depth + 1)
    predicted = closed_form(c0, layers)
    observed = run.cosines.mean(axis=0)
    stderr = run.cosines.std(axis=0, ddof=1) / np.sqrt(seeds)
    allowed = z_threshold(depth) * stderr + layers / n
    worst = int(np.argmax(np.abs(observed - predicted) / allowed))
    return Outcome(
        (
            outcomes.allowance(
                f"cosine at layer {worst + 1} (worst of {depth})",
                predicted[worst],
                observed[worst],
                allowed[worst],
                note="Bonferroni z s.e. + l/n",
            ),
        ),
        details={"layer": worst + 1, "allowed": float(allowed[worst])},
    )


# ----------------------------------------------------------------------------- RC6 learning


@models.single_blas_thread
def end_to_end_flow(closed_form, init, sigma_xx, sigma_yx, depth, times):
    """Integrate dW/dt = -closed_form(W, W Sigma_xx - Sigma_yx) to times (tight tolerances)."""
    shape = init.shape

    def velocity(_, flat):
        w = flat.reshape(shape)
        return -np.asarray(closed_form(w, w @ sigma_xx - sigma_yx, depth=depth)).ravel()

    solution = solve_ivp(
        velocity, (0.0, times[-1]), init.ravel(), method="DOP853", t_eval=times, rtol=1e-11, atol=1e-13
    )
    return solution.y.T.reshape((len(times),) + shape)


def _wrong_depth(end_to_end, gradient, *, depth):
    """Perturbation: the preconditioner of depth N + 1."""
    return theory.end_to_end_update(end_to_end, gradient, depth=depth + 1)


def _no_preconditioner(end_to_end, gradient, *, depth):
    """Perturbation: no preconditioning, N times the plain gradient."""
    return depth * np.asarray(gradient)


@claim(
    "RC6",
    "rank_collapse.end_to_end_dynamics",
    simulate=models.simulate_end_to_end_dynamics,
    source="Arora, Cohen & Hazan 2018, arXiv:1802.06509, Theorem 1; Arora, Cohen, Hu & Luo "
    "2019, arXiv:1905.13655 (deep matrix factorisation)",
    statement="Factorised GD on a balanced deep linear network moves the end-to-end matrix by "
    "the preconditioned update sum_j (WW^T)^{(j-1)/N} grad (W^TW)^{(N-j)/N} up to "
    "O(lr); in matrix completion the effective rank of the learned matrix falls "
    "with depth 1..4.",
    closed_form=theory.end_to_end_update,
    measured="ratio of max_t ||W_GD(t) - W_flow(t)||_F / ||W(0)||_F at 2 lr and lr, the flow "
    "integrated from the closed form; the error at lr; parts: median effective rank "
    "of the completed matrix for depth 1..4",
    error_model="O(lr) Euler discretisation of the end-to-end flow (balance drifts by O(lr^2) "
    "per step): error(2 lr) / error(lr) = 2 + O(lr), tolerance 0.3; a wrong "
    "preconditioner leaves an lr-independent error (ratio ~ 1)",
    defaults=dict(
        size=4,
        depth=3,
        samples=32,
        learning_rate=2e-3,
        t_max=2.0,
        completion=dict(
            size=16,
            rank=1,
            observed=96,
            depths=[1, 2, 3, 4],
            init_scale=0.1,
            learning_rate=0.2,
            epochs=3000,
            seeds=3,
        ),
    ),
    quick=dict(),  # the defaults take ~2 s, mostly compiling one training step per depth
    perturbations={"depth N -> N + 1": _wrong_depth, "no preconditioning": _no_preconditioner},
    figures=("fig_rank_collapse_completion",),
    thorough=dict(learning_rate=1e-3),
)
def compare_end_to_end_dynamics(closed_form, run, *, depth, learning_rate, **_) -> Outcome:
    gd = run.gd
    flow = end_to_end_flow(closed_form, gd.init, gd.sigma_xx, gd.sigma_yx, depth, gd.t)
    scale = np.linalg.norm(gd.init)
    errors = [float(np.max(np.linalg.norm(p - flow, axis=(1, 2)))) / scale for p in gd.products]
    median_rank = np.median(run.completion.effective_rank, axis=1)
    return Outcome(
        (
            outcomes.first_order("err(2 lr) / err(lr)", errors, gd.learning_rates.tolist(), tolerance=0.3),
            outcomes.absolute("relative error at lr", 0.0, errors[0], 20 * learning_rate, note="<= 20 lr"),
        ),
        (
            outcomes.condition(
                "effective rank falls with depth",
                bool(np.all(np.diff(median_rank) < 0)),
                "depths "
                + ", ".join(f"{d}: {r:.3f}" for d, r in zip(run.completion.depths, median_rank, strict=True))
                + f"; worst final loss {run.completion.loss.max():.2g}",
            ),
        ),
        {"errors": errors, "learning_rates": gd.learning_rates.tolist()},
    )
