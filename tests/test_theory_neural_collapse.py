"""Closed forms of theory.neural_collapse: exact properties, direct minimisation, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

import theory.neural_collapse as nc


@given(st.integers(2, 12), st.integers(0, 3))
def test_simplex_etf_is_unit_centred_equiangular(k, extra):
    etf = nc.simplex_etf(k, k - 1 + extra)
    assert etf.shape == (k - 1 + extra, k)
    np.testing.assert_allclose(etf.T @ etf, k / (k - 1) * (np.eye(k) - 1 / k), atol=1e-13)
    np.testing.assert_allclose(etf.sum(axis=1), 0, atol=1e-13)


def test_simplex_etf_default_dim_is_k():
    assert nc.simplex_etf(5).shape == (5, 5)


def _minimise(objective, size, starts, seed=0):
    rng = np.random.default_rng(seed)
    return min(
        (
            optimize.minimize(
                objective,
                rng.standard_normal(size) * scale,
                jac=True,
                method="L-BFGS-B",
                options=dict(maxiter=50000, gtol=1e-12, ftol=1e-16),
            )
            for scale in np.linspace(0.3, 1.5, starts)
        ),
        key=lambda r: r.fun,
    )


def _deep_objective(n_k, depth, lw, lh):
    """The full deep linear UFM objective (per-sample features) and its gradient."""
    k, d = len(n_k), len(n_k)
    y = np.eye(k)[np.repeat(np.arange(k), n_k)].T
    n = y.shape[1]
    shapes = [(d, d)] * (depth - 1) + [(k, d), (d, n)]

    def split(x):
        out, at = [], 0
        for shape in shapes:
            out.append(x[at : at + shape[0] * shape[1]].reshape(shape))
            at += shape[0] * shape[1]
        return out

    def objective(x):
        *ws, h = split(x)
        acts = [h]
        for w in ws:
            acts.append(w @ acts[-1])
        r = (acts[-1] - y) / n
        value = n / 2 * np.sum(r**2) + lw / 2 * sum(np.sum(w**2) for w in ws) + lh / 2 * np.sum(h**2)
        grads = []
        for i in reversed(range(len(ws))):
            grads.append(r @ acts[i].T + lw * ws[i])
            r = ws[i].T @ r
        return value, np.concatenate([g.ravel() for g in grads[::-1]] + [(r + lh * h).ravel()])

    return objective, sum(a * b for a, b in shapes), split


@pytest.mark.parametrize("depth", [1, 2])
def test_imbalanced_minimizer_matches_direct_minimisation(depth):
    n_k, lw, lh = [12, 6, 3, 1], 2e-3, 3e-3
    objective, size, split = _deep_objective(n_k, depth, lw, lh)
    best = _minimise(objective, size, starts=6)
    *ws, h = split(best.x)
    product = ws[0]
    for w in ws[1:]:
        product = w @ product
    out = nc.imbalanced_deep_linear_minimizer(n_k, depth, lw, lh)
    s, n = out["layer_singular_values"], np.asarray(n_k)
    theory_value = np.sum((np.sqrt(lw / lh) * s ** (depth + 1) - np.sqrt(n)) ** 2) / (2 * n.sum()) + (
        depth + 1
    ) * lw / 2 * np.sum(s**2)
    assert best.fun >= theory_value - 1e-12  # nothing found below the claimed global minimum
    np.testing.assert_allclose(np.linalg.norm(product, axis=1), out["classifier_row_norms"], rtol=1e-5)


@given(
    st.sampled_from([2, 3, 4, 6]),
    st.floats(5.0, 200.0),
    st.floats(1e-3, 5e-2),
    st.floats(1e-3, 5e-2),
)
def test_collapse_threshold_is_where_the_nonzero_point_stops_winning(depth, total, lw, lh):
    n_star = nc.minority_collapse_threshold(total, depth, lw, lh)
    r = np.sqrt(lw / lh)
    for n, wins in ((n_star * 1.001, True), (n_star * 0.999, False)):

        def f(s, n=n):
            return (r * s ** (depth + 1) - np.sqrt(n)) ** 2 / (2 * total) + (depth + 1) * lw / 2 * s**2

        top = (np.sqrt(n) / r) ** (1 / (depth + 1))
        grid = np.linspace(0, top, 20001)
        assert (f(grid[1:]).min() < f(0.0)) == wins


def test_imbalanced_minimizer_zero_below_threshold_and_local_window():
    n_k, lw = np.array([20.0, 10, 5, 2, 1]), 1e-2
    out = nc.imbalanced_deep_linear_minimizer(n_k, 3, lw, lw)
    threshold = nc.minority_collapse_threshold(n_k.sum(), 3, lw, lw)
    np.testing.assert_array_equal(out["classifier_row_norms"] > 0, n_k > threshold)
    assert out["local_row_norms"][-1] > 0 == out["classifier_row_norms"][-1]  # local only


def test_ce_norms_match_direct_minimisation():
    k, n, d, lw, lh = 4, 2, 4, 5e-3, 8e-3
    y = np.repeat(np.arange(k), n)

    def objective(x):
        w, h = x[: k * d].reshape(k, d), x[k * d :].reshape(k * n, d)
        z = h @ w.T
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - np.eye(k)[y]) / (k * n)
        value = -np.mean(np.log(p[np.arange(k * n), y])) + lw / 2 * np.sum(w**2) + lh / 2 * np.sum(h**2)
        return value, np.concatenate([(g.T @ h + lw * w).ravel(), (g @ w + lh * h).ravel()])

    best = _minimise(objective, k * d + k * n * d, starts=4)
    out = nc.ce_unconstrained_features_norms(k, n, lw, lh)
    np.testing.assert_allclose(
        np.linalg.norm(best.x[: k * d].reshape(k, d), axis=1), out["classifier_norm"], rtol=1e-6
    )
    np.testing.assert_allclose(
        np.linalg.norm(best.x[k * d :].reshape(k * n, d), axis=1), out["feature_norm"], rtol=1e-6
    )


def test_regularisation_strong_enough_collapses_everything():
    assert nc.ce_unconstrained_features_norms(4, 25, 0.1, 0.1)["classifier_norm"] == 0.0
    assert nc.mse_unconstrained_features_norms(4, 25, 0.1, 0.1)["feature_norm"] == 0.0


def test_mse_bias_free_is_depth_one_imbalanced_case():
    balanced = nc.mse_unconstrained_features_norms(3, 4, 1e-2, 2e-2, bias=False)
    deep = nc.imbalanced_deep_linear_minimizer([4, 4, 4], 1, 1e-2, 2e-2)
    np.testing.assert_allclose(deep["classifier_row_norms"], balanced["classifier_norm"], rtol=1e-12)
    np.testing.assert_allclose(deep["feature_mean_norms_sq"], balanced["feature_norm"] ** 2, rtol=1e-12)


def test_minority_cosine_balanced_is_etf():
    assert nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3) == pytest.approx(-1 / 3, abs=1e-7)


@given(st.sampled_from([(30, 4, 3), (50, 8, 5)]), st.floats(0.0, 1.0), st.integers(0, 2**16))
def test_central_path_decomposition_is_exact(shape, weight_decay, seed):
    n, d, k = shape
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    h, w, b = rng.standard_normal((n, d)), rng.standard_normal((k, d)), rng.standard_normal(k)
    terms = nc.mse_central_path_decomposition(h, labels, w, b, weight_decay=weight_decay)
    total = terms["nc1"] + terms["nc23"] + terms["reg"] + terms["perp"]
    assert total == pytest.approx(terms["loss"], rel=1e-10)
    # on the central path the deviation term vanishes
    assert min(terms.values()) >= 0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: nc.simplex_etf(1), "num_classes"),
        (lambda: nc.simplex_etf(4, 2), "dim"),
        (lambda: nc.ce_unconstrained_features_norms(3, 2, 0.0, 1e-2), "lambda_w"),
        (lambda: nc.mse_unconstrained_features_norms(3, 0, 1e-2, 1e-2), "n_per_class"),
        (lambda: nc.imbalanced_deep_linear_minimizer([3, 0], 2, 1e-2, 1e-2), "n_per_class"),
        (lambda: nc.imbalanced_deep_linear_minimizer([3, 1], 0, 1e-2, 1e-2), "depth"),
        (lambda: nc.imbalanced_deep_linear_minimizer([3, 1], 2, 1e-2, -1.0), "lambda_h"),
        (lambda: nc.nc1_isotropic_noise(0.1, 0.0, 3), "radius"),
        (lambda: nc.one_hot(np.array([0, 1, 3]), 3), "labels"),
        (lambda: nc.one_hot(np.array([0, 0, 2]), 3), "labels"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_minority_cosine_is_nan_when_minority_classifiers_vanish():
    """5 + 5 classes, n_minority = 10, R = 30, lambda = 5e-3: the minority rows of the global
    minimiser are zero; seeds 0-2 used to return -0.18, 0.51, -0.63 (solver noise)."""
    for seed in range(3):
        assert np.isnan(nc.imbalanced_ce_minority_cosine(300, 10, 5, 5, 5e-3, 5e-3, seed=seed))


def test_minority_cosine_certificate_rejects_non_finite(monkeypatch):
    monkeypatch.setattr(
        nc, "_penalised_factor_solve", lambda fit, rows, mu, rng, restarts: np.full((4, 4), np.nan)
    )
    with pytest.raises(RuntimeError, match="certified"):
        nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3)


def test_minority_cosine_unchanged_where_defined():
    """NC5's defaults: the minority classifiers are non-zero and the cosine is a number."""
    values = [nc.imbalanced_ce_minority_cosine(r, 1, 3, 3, 5e-3, 5e-3) for r in (1, 10, 100)]
    assert values[0] == pytest.approx(-0.2, abs=1e-7)
    assert -1 < values[0] < values[1] < values[2] <= 1


@pytest.mark.parametrize("k", [(2, 2), (3, 2), (5, 5)])
def test_layer_peeled_balanced_is_etf(k):
    ka, kb = k
    assert nc.layer_peeled_minority_cosine(1, ka, kb, 1.0, 5.0) == pytest.approx(-1 / (ka + kb - 1), abs=1e-6)


def test_layer_peeled_threshold_fang_setting():
    """K_A = K_B = 5, E_W = 1, E_H = 5 (Fang et al. Fig. 3): R_0 = 12.1924, the same from
    other solver starts to 1e-6 relative (measured 6e-9 absolute)."""
    r0 = nc.layer_peeled_collapse_threshold(5, 5, 1.0, 5.0)
    assert r0 == pytest.approx(12.19245, rel=1e-5)
    assert nc.layer_peeled_collapse_threshold(5, 5, 1.0, 5.0, seed=3) == pytest.approx(r0, rel=1e-6)
    assert nc.layer_peeled_minority_cosine(1.001 * r0, 5, 5, 1.0, 5.0) == 1.0
    below = nc.layer_peeled_minority_cosine(0.99 * r0, 5, 5, 1.0, 5.0)
    assert 0.9 < below < 0.99  # 1 - cos ~ linear in R_0 - R: 0.962 at 0.99 R_0


def test_layer_peeled_cosine_matches_direct_constrained_minimisation():
    """A direct L-BFGS minimisation of the per-class layer-peeled model (W, H free, the
    constraints by a normalisation that makes them active) reaches no lower loss and the
    same minority cosine, below R_0."""
    ka, kb, ew, eh, ratio = 2, 2, 1.0, 2.0, 2.0
    k = ka + kb
    weights = np.array([ratio] * ka + [1.0] * kb)
    weights = weights / weights.sum()

    def objective(x):
        w, h = x[: k * k].reshape(k, k), x[k * k :].reshape(k, k)
        w = w * np.sqrt(k * ew) / np.linalg.norm(w)
        h = h * np.sqrt(k * eh) / np.linalg.norm(h)
        z = h @ w.T
        z = z - z.max(1, keepdims=True)
        return -np.sum(weights * (np.diag(z) - np.log(np.exp(z).sum(1))))

    rng = np.random.default_rng(0)
    best = min(
        (
            optimize.minimize(
                objective, rng.standard_normal(2 * k * k), method="BFGS", options=dict(gtol=1e-10)
            )
            for _ in range(4)
        ),
        key=lambda r: r.fun,
    )
    w = best.x[: k * k].reshape(k, k)
    cos = w[ka] @ w[ka + 1] / np.linalg.norm(w[ka]) / np.linalg.norm(w[ka + 1])
    assert nc.layer_peeled_minority_cosine(ratio, ka, kb, ew, eh) == pytest.approx(cos, abs=1e-5)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3, restarts=0), "restarts"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3, restarts=True), "restarts"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3, seed=-1), "seed"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, 5e-3, 5e-3, seed=1.5), "seed"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 0, 2, 5e-3, 5e-3), "num_majority"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 1, 5e-3, 5e-3), "num_minority"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 500, 5e-3, 5e-3), "num_minority"),
        (lambda: nc.imbalanced_ce_minority_cosine(True, 2, 2, 2, 5e-3, 5e-3), "n_majority"),
        (lambda: nc.imbalanced_ce_minority_cosine(2, 2, 2, 2, np.nan, 5e-3), "lambda_w"),
        (lambda: nc.layer_peeled_minority_cosine(0.5, 2, 2, 1.0, 1.0), "ratio"),
        (lambda: nc.layer_peeled_minority_cosine(2, 2, 2, 0.0, 1.0), "energy_w"),
        (lambda: nc.layer_peeled_minority_cosine(2, 2, 2, 1.0, np.inf), "energy_h"),
        (lambda: nc.layer_peeled_minority_cosine(2, 2, 2, 1.0, 1.0, seed=True), "seed"),
        (lambda: nc.layer_peeled_minority_cosine(2, 0, 2, 1.0, 1.0), "num_majority"),
        (lambda: nc.layer_peeled_collapse_threshold(2, 2, 1.0, 1.0, xtol=0.0), "xtol"),
        (lambda: nc.layer_peeled_collapse_threshold(2, 2, 1.0, 1.0, xtol=1.0), "xtol"),
        (lambda: nc.layer_peeled_collapse_threshold(2, 1, 1.0, 1.0), "num_minority"),
        (lambda: nc.mse_unconstrained_features_norms(3, 2, 1e-2, 1e-2, bias=1), "bias"),
        (lambda: nc.ce_unconstrained_features_norms(3, 2, True, 1e-2), "lambda_w"),
        (lambda: nc.simplex_etf(10**6), "num_classes"),
        (lambda: nc.simplex_etf(True), "num_classes"),
        (lambda: nc.minority_collapse_threshold(100, 10**6, 1e-3, 1e-3), "depth"),
        (lambda: nc.imbalanced_deep_linear_minimizer([3, 1], 2, 1e-2, True), "lambda_h"),
        (
            lambda: nc.mse_central_path_decomposition(
                np.full((4, 2), np.nan), np.array([0, 1, 0, 1]), np.ones((2, 2)), np.zeros(2)
            ),
            "features",
        ),
        (
            lambda: nc.mse_central_path_decomposition(
                np.ones((4, 2)), np.array([0, 1, 0, 1]), np.ones((2, 2)), np.zeros(2), weight_decay=-1.0
            ),
            "weight_decay",
        ),
        (lambda: nc.one_hot(np.array([0, 1]), 10**5), "num_classes"),
    ],
)
def test_more_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("tiny", [2.2e-313, 5e-324, 1e-300])
def test_ufm_norms_with_a_subnormal_weight_decay(tiny):
    """n lambda_h / lambda_w overflowed (classifier_norm inf, an 'invalid value' warning) while
    the norms are finite; and c^2 = n lambda_w lambda_h underflowed. Checked against the
    defining relations: ||w|| ||h|| = product, ||w|| / ||h|| = sqrt(n lambda_h / lambda_w)."""
    k, n, lh = 4, 5, 5e-3
    log_ratio = 0.5 * (np.log(n) + np.log(lh) - np.log(tiny))
    ce = nc.ce_unconstrained_features_norms(k, n, tiny, lh)
    log_c = 0.5 * (np.log(n) + np.log(tiny) + np.log(lh))
    assert ce["product"] == pytest.approx(-(k - 1) / k * log_c, rel=1e-12)
    mse = nc.mse_unconstrained_features_norms(k, n, tiny, lh)
    for out, product in ((ce, ce["product"]), (mse, (k - 1) / k)):
        w, h = out["classifier_norm"], out["feature_norm"]
        assert np.isfinite([w, h]).all()
        assert np.log(w) + np.log(h) == pytest.approx(np.log(product), abs=1e-12)
        assert np.log(w) - np.log(h) == pytest.approx(log_ratio, rel=1e-13)
    swapped = nc.ce_unconstrained_features_norms(k, n, lh, tiny)
    assert np.isfinite(list(swapped.values())).all()


def test_central_path_decomposition_beyond_float64_is_refused():
    """weight_decay = 1.4e308 made weight_decay/2 ||W||^2 overflow (a RuntimeWarning)."""
    features = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 1.1]])
    labels, classifier, bias = np.array([0, 0, 1, 1]), np.array([[1.0, -0.5], [-0.5, 1.0]]), np.zeros(2)
    for weight_decay in (1.4381545078898528e308, 7.190772539449264e307):
        with pytest.raises(ValueError, match="weight_decay"):
            nc.mse_central_path_decomposition(features, labels, classifier, bias, weight_decay=weight_decay)
    terms = nc.mse_central_path_decomposition(features, labels, classifier, bias, weight_decay=1e300)
    assert terms["loss"] == pytest.approx(
        terms["nc1"] + terms["nc23"] + terms["reg"] + terms["perp"], rel=1e-12
    )


def test_imbalanced_minimizer_with_extreme_weight_decays():
    """lambda_w / lambda_h overflowed (NaN and 'invalid value' warnings for lambda_h = 1e-320
    or lambda_w = 1.8e308); solved in u = r s^{L+1} / sqrt(n_k) with the decays in logs."""
    out = nc.imbalanced_deep_linear_minimizer([10, 1], 1, 0.1, 1e-320)
    # L = 1: r s^2 = sqrt(n_k) - N lambda_w / r, r = sqrt(lambda_w / lambda_h) = 3.16e159
    log_r = 0.5 * (np.log(0.1) - np.log(1e-320))
    expected = np.exp(0.5 * (np.log(np.sqrt([10.0, 1.0]) - 11 * 0.1 * np.exp(-log_r)) - log_r))
    np.testing.assert_allclose(out["layer_singular_values"], expected, rtol=1e-13)
    np.testing.assert_allclose(
        out["feature_mean_norms_sq"], np.exp(2 * log_r + 2 * np.log(expected) - np.log([10, 1])), rtol=1e-12
    )
    collapsed = nc.imbalanced_deep_linear_minimizer([10, 1], 1, 1.7976931348623157e308, 0.1)
    assert all(np.all(v == 0) for v in collapsed.values())
