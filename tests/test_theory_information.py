"""Closed forms of the information area: identities, limits and domain errors (float64)."""

import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.datasets import all_bit_patterns, load_mat_task, twelve_bit_task
from sims.information import random_joint_covariance
from theory import information as th


@given(st.sampled_from([(1, 1), (2, 1), (3, 2), (4, 3)]), st.integers(0, 10_000))
def test_gaussian_ib_curve_matches_the_parametric_solution_with_slope_one_over_beta(dims, seed):
    cov = random_joint_covariance(*dims, seed)
    critical = th.gaussian_ib_critical_betas(*cov)
    assert np.all(np.diff(critical) >= 0) and np.all(critical >= 1)
    finite = critical[np.isfinite(critical)]
    betas = np.concatenate([1.01 * finite, 1.7 * finite, [5 * finite.max()]])
    i_tx, i_ty = th.gaussian_ib(betas, *cov)
    np.testing.assert_allclose(th.gaussian_ib_curve(i_tx, *cov), i_ty, atol=1e-12)
    step = 1e-5
    slope = th.gaussian_ib_curve(i_tx + step, *cov) - th.gaussian_ib_curve(i_tx - step, *cov)
    np.testing.assert_allclose(slope / (2 * step), 1 / betas, atol=1e-6)
    # Data processing: I(T;Y) below I(X;Y) and approaching it as beta grows.
    joint = np.block([[cov[0], cov[1]], [cov[1].T, cov[2]]])
    i_xy = th.gaussian_mutual_information(joint, dims[0])
    assert np.all(i_ty <= i_xy + 1e-12)
    assert th.gaussian_ib(1e9, *cov)[1] == pytest.approx(i_xy, abs=1e-6)
    assert th.gaussian_ib(0.999 * finite.min(), *cov) == (0.0, 0.0)


def test_gaussian_ib_scalar_case_in_closed_form():
    rho = 0.6
    (beta_c,) = th.gaussian_ib_critical_betas([[1.0]], [[rho]], [[1.0]])
    assert beta_c == pytest.approx(1 / rho**2)
    i_tx, i_ty = th.gaussian_ib(10.0, [[1.0]], [[rho]], [[1.0]], base=np.e)
    lam = 1 - rho**2
    assert i_tx == pytest.approx(0.5 * np.log(9 * (1 - lam) / lam))
    assert i_ty == pytest.approx(0.5 * np.log(9 / (10 * lam)))


@given(st.floats(0.01, 0.45), st.floats(1.05, 50.0))
def test_binary_ib_point_lies_on_the_mrs_gerber_curve(p, factor):
    beta = factor * th.binary_ib_critical_beta(p)
    i_tx, i_ty = th.binary_ib_point(beta, p)
    assert 0 < i_tx <= 1
    assert i_ty == pytest.approx(float(th.binary_ib_curve(i_tx, p)), abs=1e-12)
    assert i_ty <= 1 - float(th.binary_entropy(p)) + 1e-12


def test_binary_ib_curve_endpoints():
    assert th.binary_ib_curve(0.0, 0.2) == pytest.approx(0.0, abs=1e-15)
    assert th.binary_ib_curve(1.0, 0.2) == pytest.approx(1 - th.binary_entropy(0.2))


@given(st.integers(0, 1000))
def test_pairwise_bounds_bracket_the_quadrature_entropy_in_one_dimension(seed):
    rng = np.random.default_rng(seed)
    means, variance = rng.standard_normal(7), rng.uniform(0.01, 1.0)
    lower, upper = th.pairwise_entropy_bounds(means, variance)
    exact = th.gaussian_mixture_entropy_1d(means, variance)
    assert lower <= exact + 1e-9 and exact <= upper + 1e-9


@given(st.integers(0, 1000), st.sampled_from([1, 2, 3]))
def test_upper_bounds_at_several_variances_are_the_pairwise_upper_bound_at_each(seed, d):
    rng = np.random.default_rng(seed)
    means, weights = rng.standard_normal((9, d)), rng.dirichlet(np.ones(9))
    variances = 10.0 ** rng.uniform(-3, 1, size=3)
    upper = th.pairwise_entropy_upper_bounds(means, variances, weights=weights, base=np.e)
    expected = [th.pairwise_entropy_bounds(means, v, weights=weights, base=np.e)[1] for v in variances]
    np.testing.assert_allclose(upper, expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("variances", [[], [[0.1]], [0.1, -1.0], [0.1, 1e-320]])
def test_upper_bounds_refuse_bad_variances(variances):
    with pytest.raises(ValueError, match="variance"):
        th.pairwise_entropy_upper_bounds([[0.0], [1.0]], variances)


def test_pairwise_bounds_are_exact_for_one_component_and_for_far_clusters():
    single = 0.5 * np.log2(2 * np.pi * np.e * 0.3)
    assert th.pairwise_entropy_bounds([0.0], 0.3) == pytest.approx((single, single))
    far = th.pairwise_entropy_bounds([0.0, 1e3], 1.0)
    assert far == pytest.approx((0.5 * np.log2(2 * np.pi * np.e) + 1,) * 2)


def test_binned_entropy_of_a_single_unit():
    w = np.array([1e-3, 0.87, 1e5])
    h = th.binned_entropy_single_unit(w)
    assert h[1] == pytest.approx(4.8998, abs=1e-3) and h[2] == pytest.approx(1.0, abs=1e-3)
    assert h[0] == pytest.approx(1.0, abs=1e-9)  # all mass in the two central bins
    # Width binning of ReLU: half the mass in bin 0, the rest spread as w grows.
    relu = th.binned_entropy_single_unit(np.array([1.0, 10.0]), activation="relu", bin_width=0.07)
    assert relu[1] > relu[0] > 1.0


def test_noisy_neuron_information_limits():
    x_values = np.linspace(-1, 1, 8)
    assert th.noisy_neuron_information(0.0, x_values, 0.1) == pytest.approx(0.0, abs=1e-9)
    assert th.noisy_neuron_information(1.0, x_values, 1e-3) == pytest.approx(3.0, abs=1e-6)
    assert th.noisy_neuron_information(1e4, x_values, 1e-3) == pytest.approx(1.0, abs=1e-6)


def test_information_bottleneck_reaches_i_xy_at_large_beta_and_zero_at_small_beta():
    p_xy = np.array([[0.3, 0.05], [0.1, 0.15], [0.05, 0.35]])
    high = th.information_bottleneck(p_xy, 1e4)
    assert high.i_ty == pytest.approx(th.mutual_information(p_xy), abs=1e-9)
    assert np.allclose(high.encoder.sum(1), 1)
    low = th.information_bottleneck(p_xy, 0.5)
    assert low.i_tx == pytest.approx(0.0, abs=1e-9)


def test_majority_vote_example_and_bound():
    gen, information = th.majority_vote_generalisation(5, 0.5, 0.1)
    assert gen == pytest.approx(0.15) and information == pytest.approx(1 - th.binary_entropy(0.1))
    assert gen <= th.xu_raginsky_bound(information, 5, 0.5)
    assert th.majority_vote_generalisation(5, 0.5, 0.5) == pytest.approx((0.0, 0.0), abs=1e-12)


@pytest.mark.parametrize("n, theta, flip", [(1, 0.5, 0.1), (5, 0.3, 0.0), (7, 0.62, 0.25), (3, 0.5, 0.5)])
def test_majority_vote_joint_is_the_table_of_i_s_w(n, theta, flip):
    """The (M, W) table: P(M = 1) the binomial tail, W | M flipped with probability flip, and
    its mutual information the I(S;W) of majority_vote_generalisation."""
    joint = th.majority_vote_joint(n, theta, flip)
    m1 = sum(math.comb(n, k) * theta**k * (1 - theta) ** (n - k) for k in range(n // 2 + 1, n + 1))
    np.testing.assert_allclose(joint.sum(1), [1 - m1, m1], atol=1e-15)
    np.testing.assert_allclose(joint[:, 1] / joint.sum(1), [flip, 1 - flip], atol=1e-15)
    assert th.mutual_information(joint) == pytest.approx(
        th.majority_vote_generalisation(n, theta, flip)[1], abs=1e-12
    )


def test_twelve_bit_task():
    x, y = twelve_bit_task()
    assert x.shape == (4096, 12) and set(np.unique(y)) == {0, 1}
    assert np.array_equal(x, all_bit_patterns(12))
    assert th.entropy(np.bincount(y) / y.size) == pytest.approx(1.0, abs=1e-3)
    weight = x.sum(1)
    assert np.all(y[weight <= 4] == 0) and np.all(y[weight >= 8] == 1)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: th.gaussian_ib(1.0, [[1.0, 2.0], [0.0, 1.0]], [[0.1], [0.1]], [[1.0]]), "cov_x"),
        (lambda: th.gaussian_ib(1.0, [[-1.0]], [[0.1]], [[1.0]]), "cov_x"),
        (lambda: th.gaussian_ib(1.0, [[1.0]], [[0.1, 0.2]], [[1.0]]), "cov_xy"),
        (lambda: th.gaussian_ib(1.0, [[1.0]], [[2.0]], [[1.0]]), "joint"),
        (lambda: th.gaussian_ib(0.0, [[1.0]], [[0.1]], [[1.0]]), "beta"),
        (lambda: th.gaussian_ib_critical_betas([[1.0]], [[0.1]], [[0.0]]), "cov_y"),
        (lambda: th.information_bottleneck([[0.5, 0.6]], 2.0), "p_xy"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], -1.0), "beta"),
        (lambda: th.binned_entropy_single_unit(1.0, n_bins=0), "n_bins"),
        (lambda: th.binned_entropy_single_unit(1.0, bin_width=0.0), "bin_width"),
        (lambda: th.noisy_neuron_information(1.0, [0.0, 1.0], 0.0), "noise_std"),
        (lambda: th.pairwise_entropy_bounds([0.0, 1.0], -1.0), "variance"),
        (lambda: th.binary_ib_point(2.0, 0.7), "p"),
        (lambda: th.majority_vote_generalisation(4, 0.5, 0.1), "n"),
        (lambda: th.xu_raginsky_bound(1.0, 10, 0.0), "subgaussian"),
        (lambda: load_mat_task("/nonexistent.mat"), "path"),
        (lambda: th.information_bottleneck([[0.5, 0.0], [0.0, 0.5]], 2.0, n_clusters=0), "n_clusters"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, max_iter=0), "max_iter"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, max_iter=10**7), "max_iter"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, restarts=10**4), "restarts"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, tol=-1e-3), "tol"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, tol=1.0), "tol"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, seed=-1), "seed"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, n_clusters=10**8), "n_clusters"),
        (lambda: th.information_bottleneck([[0.5, 0.5]], 2.0, n_clusters=3), "n_clusters"),
        (lambda: th.binned_entropy_single_unit(1.0, n_bins=10**7), "n_bins"),
        (lambda: th.binned_entropy_single_unit(1e6, activation="relu", bin_width=1e-3), "bin_width"),
        (lambda: th.binned_entropy_single_unit(np.ones(10**5), n_bins=10**5), "w"),
        (lambda: th.noisy_neuron_information(1.0, [0.0, 1.0], 1e-200), "noise_std"),
        (lambda: th.noisy_neuron_information(1.0, [], 0.1), "x_values"),
        (lambda: th.noisy_neuron_information(1.0, np.linspace(-1, 1, 10**5), 1e-3), "means"),
        (lambda: th.pairwise_entropy_bounds(np.zeros((70_000, 1)), 1.0), "means"),
        (lambda: th.pairwise_entropy_bounds([0.0, 1.0], 1e-320), "variance"),
        (lambda: th.gaussian_mixture_entropy_1d(np.zeros((0,)), 1.0), "means"),
        (lambda: th.majority_vote_generalisation(10**9 + 1, 0.5, 0.1), "n"),
    ],
)
def test_bad_input_raises_value_error_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --- Round-off: information quantities never leave their exact range -------------------


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_mutual_information_of_an_independent_pair_is_never_negative(a, b):
    p_xy = np.outer([a, 1 - a], [b, 1 - b])
    value = th.mutual_information(p_xy)
    assert 0.0 <= value <= 1e-12
    assert 0.0 <= th.entropy(p_xy) <= 2.0


@pytest.mark.parametrize("p", [0.05, 0.1, 0.25, 0.3])
def test_trivial_ib_encoder_has_non_negative_information(p):
    """The reproducer of the round-off crash: the trivial encoder's MI is exactly 0 (it came
    out as -8e-17 bits on some CPUs and binary_ib_curve refused it)."""
    source = th.doubly_symmetric_binary_source(p)
    result = th.information_bottleneck(source, 0.5 * th.binary_ib_critical_beta(p), n_clusters=2, restarts=3)
    assert 0.0 <= result.i_ty <= result.i_tx <= 1e-9
    assert float(th.binary_ib_curve(result.i_tx, p)) >= 0.0


def test_gaussian_quantities_stay_in_range_at_the_edges():
    assert th.gaussian_mutual_information(np.eye(3), 1) == 0.0
    i_tx, i_ty = th.gaussian_ib(np.array([1.0, 2.0, 1e6]), [[1.0]], [[0.0]], [[1.0]])
    assert np.all(i_tx == 0) and np.all(i_ty == 0)
    beta_c = th.gaussian_ib_critical_betas([[1.0]], [[0.6]], [[1.0]])[0]
    just_past = np.nextafter(beta_c, np.inf) * np.array([1.0, 1.0 + 1e-15, 1.0 + 1e-12])
    i_tx, i_ty = th.gaussian_ib(just_past, [[1.0]], [[0.6]], [[1.0]])
    assert np.all(i_tx >= 0) and np.all((0 <= i_ty) & (i_ty <= i_tx))


# --- Extreme valid input: right answers, bounded work -----------------------------------


@pytest.mark.parametrize("offset", [0.0, 1e4, 1e8, 1e12])
def test_pairwise_bounds_are_translation_invariant(offset):
    """Offset 1e8 gave an upper bound of 1.928 bits, below the true entropy 2.146."""
    means = np.array([[0.0], [1.0], [2.0]])
    exact = th.gaussian_mixture_entropy_1d(means[:, 0] + offset, 0.5)
    lower, upper = th.pairwise_entropy_bounds(means + offset, 0.5)
    reference = th.pairwise_entropy_bounds(means, 0.5)
    assert exact == pytest.approx(2.145873532872, abs=1e-9)
    assert (lower, upper) == pytest.approx(reference, abs=1e-12)
    assert lower <= exact <= upper
    lower, upper = th.pairwise_entropy_bounds(np.array([[0.0], [1e300]]), 0.5)
    assert np.isfinite(lower) and upper == pytest.approx(lower)  # far apart: exact, 1 bit + h(N)


def test_gaussian_ib_tiny_correlation_is_consistent_everywhere():
    """cov_xy = 1e-7: beta_c = 1 / (1 - lambda) = 1e14; it came out inf while gaussian_ib
    at beta = 1e15 treated the direction as active."""
    cov = ([[1.0]], [[1e-7]], [[1.0]])
    (beta_c,) = th.gaussian_ib_critical_betas(*cov)
    assert beta_c == pytest.approx(1e14, rel=1e-12)
    assert th.gaussian_ib(0.99 * beta_c, *cov) == (0.0, 0.0)
    i_tx, i_ty = th.gaussian_ib(10 * beta_c, *cov)
    assert i_tx > 0 and 0 < i_ty <= -0.5 * np.log1p(-1e-14) / np.log(2)
    assert float(th.gaussian_ib_curve(i_tx, *cov)) == pytest.approx(float(i_ty), rel=1e-9)


def test_gaussian_ib_curve_without_information_is_zero():
    """cov_xy = 0 raised IndexError; no direction informs on Y, so the curve is 0."""
    assert float(th.gaussian_ib_curve(0.5, [[1.0]], [[0.0]], [[1.0]])) == 0.0
    assert np.all(th.gaussian_ib_curve([0.0, 3.0], np.eye(2), np.zeros((2, 1)), [[2.0]]) == 0)
    assert np.all(np.isinf(th.gaussian_ib_critical_betas([[1.0]], [[0.0]], [[1.0]])))


@pytest.mark.parametrize("noise_std", [1e-3, 1e-6, 1e-8, 1e-12, 1e-150])
def test_noisy_neuron_at_tiny_noise_is_fast_and_exact(noise_std):
    """1e-8 raised MemoryError (a 1.6e9-point grid) and 1e-6 took 38 s: separated centres at
    tiny noise carry log2(#inputs) bits."""
    start = time.perf_counter()
    value = th.noisy_neuron_information(1.0, [-1.0, 0.0, 1.0], noise_std)
    assert value == pytest.approx(np.log2(3), abs=1e-12)
    assert time.perf_counter() - start < 1.0


def test_noisy_neuron_merges_identical_centres_and_clusters():
    assert th.noisy_neuron_information(0.0, [-1.0, 0.0, 1.0], 1e-9) == 0.0
    saturated = th.noisy_neuron_information(1e4, np.linspace(-1, 1, 8), 1e-10)
    assert saturated == pytest.approx(1.0, abs=1e-12)


def test_information_bottleneck_iterations_are_bounded():
    start = time.perf_counter()
    result = th.information_bottleneck([[0.4, 0.1], [0.1, 0.4]], 1.7, restarts=1, tol=0.0, max_iter=50)
    assert not result.converged and len(result.lagrangian) == 51
    assert time.perf_counter() - start < 1.0
    # n_clusters = 0 used to mean |X| silently; None still does.
    assert th.information_bottleneck([[0.5, 0.0], [0.0, 0.5]], 5.0).encoder.shape == (2, 2)


def test_information_bottleneck_clusters_up_to_the_cardinality_bound():
    """|X| + 1 clusters are accepted (Witsenhausen & Wyner's bound, attained for some sources);
    more are refused: make check's fuzz drew n_clusters = 1,007,920 for a 2 x 2 source, which
    the old limit (|X| |T| |Y| <= 1e7) accepted and then iterated for minutes."""
    p_xy = [[0.4, 0.1], [0.1, 0.4]]
    assert th.information_bottleneck(p_xy, 1.7, n_clusters=3, restarts=1).encoder.shape == (2, 3)
    for too_many in (4, 1_007_920):
        with pytest.raises(ValueError, match=r"n_clusters must be at most \|X\| \+ 1 = 3"):
            th.information_bottleneck(p_xy, 1.7, n_clusters=too_many)


def test_noisy_neuron_with_w_x_beyond_float64():
    """w x = 2 * 9e307 overflowed (a RuntimeWarning); tanh is +-1 there, the sign kept."""
    big = 8.98846567431158e307
    value = th.noisy_neuron_information(2.0, [big, -big, 1.0], 0.1)
    assert value == pytest.approx(th.noisy_neuron_information(1.0, [50.0, -50.0, 2.0], 0.1), abs=1e-12)


@pytest.mark.parametrize("w", [2.225073858507203e-309, 5e-324])
def test_binned_entropy_at_a_subnormal_weight(w):
    """artanh(v) / w overflowed (a RuntimeWarning): Phi(+-inf) is exactly 0 or 1 there. The
    output ~ w x splits at the bin edge 0 (tanh: 1 bit) or sits in one bin (ReLU)."""
    assert th.binned_entropy_single_unit(w) == 1.0
    assert th.binned_entropy_single_unit(w, activation="relu") == 0.0
    assert th.binned_entropy_single_unit(w, bin_width=0.1) == 1.0


def test_gaussian_ib_critical_beta_beyond_float64_is_inf():
    """1 / (1 - lambda) for a subnormal 1 - lambda overflowed (a RuntimeWarning): that
    direction enters at no float64 beta, so beta^c = inf, like lambda = 1."""
    betas = th.gaussian_ib_critical_betas([[1.0, 0.3], [0.3, 1.0]], [[0.5], [0.2]], [[4.256445671526154e307]])
    assert np.isfinite(betas[0]) and betas[0] > 1e307 and betas[1] == np.inf


def test_gaussian_ib_curve_saturates_at_large_i_tx():
    """x - n/2 logaddexp(lg, 2x/n + ll) lost ~x eps (1e-6 relative at 1e10 nats, 0 at 1e300)
    and overflowed past 9e307: I(T;Y) -> I(X;Y) as I(T;X) -> inf."""
    cov = ([[1.0, 0.3], [0.3, 1.0]], [[0.5], [0.2]], [[1.0]])
    i_xy = th.gaussian_mutual_information(
        np.block([[np.array(cov[0]), np.array(cov[1])], [np.array(cov[1]).T, np.array(cov[2])]]), 2
    )
    curve = th.gaussian_ib_curve([1e3, 1e10, 1e300, 1.7976931348623157e308], *cov)
    np.testing.assert_allclose(curve, i_xy, rtol=1e-13)
    assert th.gaussian_ib(5e-324, *cov) == (0.0, 0.0)  # 1/beta overflowed; no direction active


def test_binned_entropy_range_beyond_float64():
    """high - low = 3.6e308 overflowed in linspace (a RuntimeWarning): edges at quarter scale."""
    assert (
        th.binned_entropy_single_unit(2.0, n_bins=2, low=-1.7976931348623157e308, high=1.7976931348623157e308)
        == 1.0
    )
    assert th.binned_entropy_single_unit(2.0, bin_width=1.5322697890449438e308) == 1.0


@pytest.mark.parametrize("theta", [2.2250738585072014e-308, 1e-307])
def test_majority_vote_at_a_tiny_theta(theta):
    """scipy's binom.pmf raised OverflowError (Boost ibeta_derivative) for theta just above
    the smallest normal float; gen = theta (1 - 2 flip) to first order there."""
    for n in (5, 101):
        gen, information = th.majority_vote_generalisation(n, theta, 0.1)
        assert gen == pytest.approx(0.8 * theta, rel=1e-10) and information == 0.0
