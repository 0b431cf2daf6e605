"""Closed forms of theory.rank_collapse against independent computations (float64, tight)."""

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import theory.rank_collapse as theory


def _expected_half_log(variance, k):
    """E[1/2 ln(variance chi^2_k)] by quadrature against the chi^2 density."""
    value, _ = integrate.quad(lambda x: np.log(x) * stats.chi2.pdf(x, k), 0, np.inf, limit=200)
    return 0.5 * (np.log(variance) + value)


@pytest.mark.parametrize("n, variance", [(1, 1.0), (3, None), (5, 0.7)])
def test_lyapunov_matches_chi_square_quadrature(n, variance):
    exponents = theory.gaussian_product_lyapunov(n, variance=variance)
    v = 1.0 / n if variance is None else variance
    expected = [_expected_half_log(v, n - i + 1) for i in range(1, n + 1)]
    np.testing.assert_allclose(exponents, expected, rtol=0, atol=1e-9)


@given(st.integers(1, 60), st.floats(1e-3, 1e3))
def test_lyapunov_descending_and_shifted_by_variance(n, variance):
    base = theory.gaussian_product_lyapunov(n, variance=1.0)
    scaled = theory.gaussian_product_lyapunov(n, variance=variance)
    assert np.all(np.diff(base) < 0)
    np.testing.assert_allclose(scaled - base, 0.5 * np.log(variance), atol=1e-12)


def test_lyapunov_top_exponent_vanishes_for_large_n():
    # lambda_1 = 1/2 [ln(2/n) + digamma(n/2)] = -1/(2n) + O(1/n^2)
    n = 10_000
    assert abs(theory.gaussian_product_lyapunov(n)[0] + 1 / (2 * n)) < 1e-7


@given(st.floats(0.0, 1.0), st.integers(1, 200))
def test_eigenvalue_fraction_is_a_distribution(r, depth):
    value = theory.product_eigenvalue_fraction(r, depth)
    assert 0.0 <= value <= 1.0
    assert theory.product_eigenvalue_fraction(1.0, depth) == 1.0
    assert theory.product_eigenvalue_fraction(r, depth + 1) >= value - 1e-15


def test_eigenvalue_fraction_circular_law_and_disk_numbers():
    assert theory.product_eigenvalue_fraction(0.3, 1) == pytest.approx(0.09, abs=1e-15)
    assert theory.product_eigenvalue_fraction(0.05, 5) == pytest.approx(0.3017, abs=1e-4)
    assert theory.product_eigenvalue_fraction(0.05, 100) == pytest.approx(0.9418, abs=1e-4)


def _square_fraction_cartesian(a, depth):
    """The product law's density |z|^{2/M - 2} / (pi M) on the unit disk integrated over the
    square |x|, |y| < a: the inscribed disk's r^{2/M}, plus the rest of the square (where the
    density is bounded) in Cartesian coordinates, one quadrant times 4."""

    def density(y, x):
        return (x * x + y * y) ** (1.0 / depth - 1.0) / (np.pi * depth)

    rest, _ = integrate.dblquad(
        density,
        0.0,
        min(a, 1.0),
        lambda x: np.sqrt(max(a * a - x * x, 0.0)),
        lambda x: min(a, np.sqrt(max(1 - x * x, 0.0))),
        epsabs=1e-11,
        epsrel=1e-9,
    )
    return min(a, 1.0) ** (2.0 / depth) + 4 * rest


@pytest.mark.parametrize("a, depth", [(0.05, 1), (0.05, 5), (0.3, 2), (0.5, 3), (0.8, 1), (0.9, 4)])
def test_square_fraction_matches_cartesian_integral(a, depth):
    expected = _square_fraction_cartesian(a, depth)
    assert theory.product_eigenvalue_square_fraction(a, depth) == pytest.approx(expected, rel=1e-6)


def test_square_fraction_circular_law_and_saxe_numbers():
    """Depth 1 is the circular law (uniform on the disk): area (2a)^2 / pi. Saxe et al. 2014
    (fig. 6) report 32 % and 94 % in the bin at the origin at depths 5 and 100."""
    assert theory.product_eigenvalue_square_fraction(0.3, 1) == pytest.approx(0.36 / np.pi, abs=1e-12)
    assert theory.product_eigenvalue_square_fraction(0.05, 5) == pytest.approx(0.3155, abs=1e-4)
    assert theory.product_eigenvalue_square_fraction(0.05, 100) == pytest.approx(0.9439, abs=1e-4)
    assert theory.product_eigenvalue_square_fraction([1.0, 2.0], 3) == pytest.approx(1.0)


@given(st.floats(0.0, 0.7), st.integers(1, 200))
def test_square_fraction_between_inscribed_and_circumscribed_disks(a, depth):
    value = theory.product_eigenvalue_square_fraction(a, depth)
    inner = theory.product_eigenvalue_fraction(a, depth)
    # the disk of radius a sqrt(2), whose fraction is (a sqrt 2)^{2/M}: in logs, since a * sqrt(2)
    # rounds for a subnormal a (5e-324 * sqrt(2) is 5e-324)
    with np.errstate(divide="ignore"):
        outer = min(1.0, float(np.exp(2.0 / depth * (np.log(a) + 0.5 * np.log(2.0)))))
    assert inner - 1e-12 <= value <= outer + 1e-12


def _relu_map_by_quadrature(c):
    """E[relu(u) relu(v)] / E[relu(u)^2] for unit-variance (u, v) with correlation c.

    Conditioning on u: v = c u + s z, and E[relu(m + s z)] = m Phi(m/s) + s phi(m/s).
    """
    s = np.sqrt(1 - c**2)

    def integrand(u):
        m = c * u
        return stats.norm.pdf(u) * u * (m * stats.norm.cdf(m / s) + s * stats.norm.pdf(m / s))

    value, _ = integrate.quad(integrand, 0, np.inf, epsabs=1e-13, epsrel=1e-12)
    return value / 0.5


@pytest.mark.parametrize("c", [-0.9, -0.3, 0.0, 0.4, 0.95])
def test_relu_map_matches_gaussian_quadrature(c):
    assert theory.relu_correlation_map(c) == pytest.approx(_relu_map_by_quadrature(c), abs=1e-10)


@given(st.floats(-1.0, 1.0), st.integers(1, 30))
def test_relu_correlation_iterates_the_map(c0, depth):
    c = c0
    for _ in range(depth):
        c = theory.relu_correlation_map(c)
    assert theory.relu_correlation(c0, depth) == pytest.approx(float(c), abs=1e-12)
    assert theory.relu_correlation(c0, depth) >= c0 - 1e-12  # the map only raises c


def test_relu_correlation_broadcasts():
    values = theory.relu_correlation(np.array([[0.0], [0.5]]), np.array([1, 2, 3]))
    assert values.shape == (2, 3)
    assert values[0, 0] == pytest.approx(1 / np.pi, abs=1e-15)
    assert theory.relu_correlation(1.0, 5) == 1.0


def test_relu_decorrelation_asymptote_is_approached_at_rate_log_l_over_l():
    def relative_error(depth):
        c = theory.relu_correlation(0.0, depth)
        return abs((1 - c) / theory.relu_decorrelation_asymptote(depth) - 1)

    assert relative_error(10_000) < 0.01
    assert relative_error(1_000) / relative_error(10_000) > 5


@pytest.mark.parametrize(
    "weights, nonlinearity, per_layer",
    [
        ("gaussian", "relu", 2.0),
        ("orthogonal", "relu", 1.0),
        ("gaussian", "linear", 1.0),
        ("orthogonal", "linear", 0.0),
    ],
)
def test_jacobian_variance_per_layer(weights, nonlinearity, per_layer):
    value = theory.jacobian_spectrum_variance(7, weights=weights, nonlinearity=nonlinearity)
    assert value == pytest.approx(7 * per_layer, abs=1e-15)


def test_jacobian_variance_linear_gaussian_is_fuss_catalan():
    # product of L Gaussian N(0, 1/n) matrices: m2 of W W^T-type product = Fuss-Catalan
    # number C_L(2) = L + 1, so the variance is L
    for depth in range(1, 6):
        assert (
            theory.jacobian_spectrum_variance(depth, weights="gaussian", nonlinearity="linear")
            == depth + 1 - 1
        )


def test_end_to_end_update_matches_factor_gradient_flow():
    rng = np.random.default_rng(0)
    depth, size = 3, 4
    bases = [np.linalg.qr(rng.standard_normal((size, size)))[0] for _ in range(depth + 1)]
    scale = rng.uniform(0.5, 2.0, size) ** (1 / depth)
    factors = [(bases[j + 1] * scale) @ bases[j].T for j in range(depth)]
    gradient = rng.standard_normal((size, size))
    # dW/dt = sum_j (W_N..W_{j+1}) dW_j/dt (W_{j-1}..W_1), dW_j/dt = -(later)^T grad (earlier)^T
    direct = np.zeros((size, size))
    for j in range(depth):
        later = functools.reduce(np.matmul, factors[j + 1 :][::-1], np.eye(size))
        earlier = functools.reduce(np.matmul, factors[:j][::-1], np.eye(size))
        direct += later @ later.T @ gradient @ earlier.T @ earlier
    product = functools.reduce(np.matmul, factors[::-1])
    update = theory.end_to_end_update(product, gradient, depth=depth)
    np.testing.assert_allclose(update, direct, atol=1e-12)
    np.testing.assert_allclose(theory.end_to_end_update(product, gradient, depth=1), gradient)


@given(st.floats(1e-6, 1.0), st.floats(0.1, 2.0), st.floats(0.1, 5.0), st.sampled_from([4, 16]))
def test_attention_bound_is_cubic(residual, gamma, beta, d_qk):
    one = theory.attention_residual_bound(residual, gamma=gamma, beta=beta, d_qk=d_qk)
    two = theory.attention_residual_bound(2 * residual, gamma=gamma, beta=beta, d_qk=d_qk)
    assert two / one == pytest.approx(8.0, rel=1e-12)
    assert one == pytest.approx(4 * gamma * beta / np.sqrt(d_qk) * residual**3, rel=1e-12)


@given(st.floats(0.0, 3.0), st.integers(0, 100))
def test_skip_growth(alpha, depth):
    value = theory.skip_attention_mean_growth(alpha, depth)
    assert value == pytest.approx((1 + alpha**2) ** depth, rel=1e-12)
    if depth:
        assert theory.skip_attention_mean_growth(1 / np.sqrt(depth), depth) <= np.e


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: theory.gaussian_product_lyapunov(0), "n"),
        (lambda: theory.gaussian_product_lyapunov(-3), "n"),
        (lambda: theory.gaussian_product_lyapunov(2.5), "n"),
        (lambda: theory.gaussian_product_lyapunov(4, variance=0.0), "variance"),
        (lambda: theory.gaussian_product_lyapunov(4, variance=-1.0), "variance"),
        (lambda: theory.product_eigenvalue_fraction(0.5, 0), "depth"),
        (lambda: theory.product_eigenvalue_fraction(1.1, 3), "r"),
        (lambda: theory.product_eigenvalue_fraction(-0.1, 3), "r"),
        (lambda: theory.relu_correlation(1.2, 3), "c0"),
        (lambda: theory.relu_correlation(-1.01, 3), "c0"),
        (lambda: theory.relu_correlation(0.5, 0), "depth"),
        (lambda: theory.relu_correlation(0.5, 2.5), "depth"),
        (lambda: theory.relu_decorrelation_asymptote(0), "depth"),
        (lambda: theory.jacobian_spectrum_variance(-1), "depth"),
        (lambda: theory.jacobian_spectrum_variance(3, weights="uniform"), "weights"),
        (lambda: theory.jacobian_spectrum_variance(3, nonlinearity="tanh"), "nonlinearity"),
        (lambda: theory.attention_residual_bound(-1.0, gamma=1, beta=1, d_qk=4), "residual"),
        (lambda: theory.attention_residual_bound(1.0, gamma=0, beta=1, d_qk=4), "gamma"),
        (lambda: theory.skip_attention_mean_growth(-0.1, 3), "alpha"),
        (lambda: theory.end_to_end_update(np.eye(2), np.eye(2), depth=0), "depth"),
        (lambda: theory.end_to_end_update(np.eye(2), np.eye(3), depth=2), "gradient"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_lyapunov_for_a_variance_whose_double_overflows():
    """ln(2 variance) is ln 2 + ln variance there (2 * 9e307 overflowed: the exponents were inf)."""
    variance = 8.98846567431158e307
    exponents = theory.gaussian_product_lyapunov(4, variance=variance)
    shift = exponents - theory.gaussian_product_lyapunov(4, variance=1.0)
    np.testing.assert_allclose(shift, 0.5 * np.log(variance), rtol=1e-14)


def test_jacobian_variance_beyond_float64_is_refused():
    """2L overflowed with a RuntimeWarning for depth = 9e307 (Gaussian ReLU)."""
    depth = 8.98846567431158e307
    with pytest.raises(ValueError, match="depth"):
        theory.jacobian_spectrum_variance(depth, weights="gaussian", nonlinearity="relu")
    assert theory.jacobian_spectrum_variance(depth, weights="orthogonal", nonlinearity="relu") == depth


@pytest.mark.parametrize("half_side", [1e-320, 5e-324])
def test_square_fraction_at_a_subnormal_half_side(half_side):
    """a / cos(theta) lost its digits and quad warned (IntegrationWarning) for a = 1e-320:
    a^{2/M} factors out, P = (4/pi) a^{2/M} int_0^{pi/4} sec^{2/M}."""
    for depth in (100.0, 5.0):
        exponent = 2.0 / depth
        tail, _ = integrate.quad(lambda theta, e=exponent: np.cos(theta) ** -e, 0.0, np.pi / 4, epsrel=1e-13)
        expected = 4.0 / np.pi * np.exp(exponent * np.log(half_side)) * tail
        assert theory.product_eigenvalue_square_fraction(half_side, depth) == pytest.approx(
            expected, rel=1e-12
        )
    assert theory.product_eigenvalue_square_fraction(half_side, 1e-300) == 0.0
