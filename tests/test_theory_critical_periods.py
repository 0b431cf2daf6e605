"""Closed forms of the critical-period area against exact solutions, the ODE and each other."""

import doctest

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import theory.critical_periods as cp


def logistic(t, target, start):
    """Solution of dK/dt = 2 K (target - K) from K(0) = start."""
    return target / (1.0 + (target / start - 1.0) * np.exp(-2.0 * target * t))


def depth2_exact(t, sigma, k0, start, end):
    """K_a, K_b for D = 2 piecewise: symmetric logistic, logistic on sigma - K_b, frozen ratio."""
    # before the deficit each pathway follows dK/dt = 4 K (sigma/2 - K): logistic at time 2t
    k_start = logistic(2 * start, sigma / 2, k0)
    k_a_end = logistic(end - start, sigma - k_start, k_start)
    ratio = k_a_end / k_start
    total = logistic(np.maximum(t - end, 0), sigma, k_a_end + k_start)
    k_a = np.where(
        t < start,
        logistic(2 * t, sigma / 2, k0),
        np.where(t < end, logistic(t - start, sigma - k_start, k_start), total * ratio / (1 + ratio)),
    )
    k_b = np.where(t < start, logistic(2 * t, sigma / 2, k0), np.where(t < end, k_start, total / (1 + ratio)))
    return k_a, k_b


def depth1_exact(t, sigma, k0, start, end):
    """D = 1: dK/dt = Omega is linear; the difference K_a - K_b is frozen after the deficit."""
    k_start = sigma / 2 + (k0 - sigma / 2) * np.exp(-2 * start)
    k_a_end = (sigma - k_start) + (2 * k_start - sigma) * np.exp(-(end - start))
    omega = (sigma - k_a_end - k_start) * np.exp(-2 * np.maximum(t - end, 0))
    gap = k_a_end - k_start
    k_a = np.where(
        t < start,
        sigma / 2 + (k0 - sigma / 2) * np.exp(-2 * t),
        np.where(
            t < end,
            (sigma - k_start) + (2 * k_start - sigma) * np.exp(-(t - start)),
            (sigma - omega + gap) / 2,
        ),
    )
    k_b = np.where(
        t < start,
        sigma / 2 + (k0 - sigma / 2) * np.exp(-2 * t),
        np.where(t < end, k_start, (sigma - omega - gap) / 2),
    )
    return k_a, k_b


def test_doctests():
    assert doctest.testmod(cp).failed == 0


@pytest.mark.parametrize("depth, exact", [(1, depth1_exact), (2, depth2_exact)])
@pytest.mark.parametrize(
    "sigma, k0, start, end",
    [(2.0, 1e-3, 0.5, 1.7), (1.0, 0.01, 0.0, 3.0), (3.0, 0.2, 1.0, 1.0), (1.0, 0.6, 0.2, 2.0)],
)
def test_pathway_strengths_exact_for_depth_1_and_2(depth, exact, sigma, k0, start, end):
    t = np.linspace(0.0, 12.0, 241)
    k_a, k_b = cp.pathway_strengths(t, sigma, depth, k0, start, end)
    e_a, e_b = exact(t, sigma, k0, start, end)
    assert np.max(np.abs(k_a - e_a) / e_a) < 1e-9
    assert np.max(np.abs(k_b - e_b) / e_b) < 1e-9


def test_pathway_strengths_broadcasts_and_orders_any_t():
    t = np.array([[3.0, 0.0], [0.7, 3.0]])
    k_a, k_b = cp.pathway_strengths(t, 1.0, 3, 0.05, 0.5, 1.0)
    assert k_a.shape == k_b.shape == (2, 2)
    assert k_a[0, 0] == k_a[1, 1] and k_a[0, 1] == pytest.approx(0.05, rel=1e-14)
    single = cp.pathway_strengths(0.7, 1.0, 3, 0.05, 0.5, 1.0)
    assert single[0] == pytest.approx(k_a[1, 0], rel=1e-10)


def test_deficit_freezes_pathway_b():
    t = np.linspace(0.4, 1.0, 7)
    _, k_b = cp.pathway_strengths(t, 1.0, 4, 0.05, 0.4, 1.1)
    assert np.ptp(k_b) == 0.0


def test_depth2_final_share_derivation_with_sympy():
    s, k, T, t, sigma = sp.symbols("s k T t sigma", positive=True)
    k_a = s / (1 + (s / k - 1) * sp.exp(-2 * s * t))
    assert sp.simplify(sp.diff(k_a, t) - 2 * k_a * (s - k_a)) == 0  # logistic on s = sigma - k0
    share = 1 / (1 + k_a.subs({t: T, s: sigma - k}) / k)  # frozen ratio K_a(T) / k0
    closed = (k + (sigma - 2 * k) * sp.exp(-2 * (sigma - k) * T)) / (
        sigma + (sigma - 2 * k) * sp.exp(-2 * (sigma - k) * T)
    )
    assert sp.simplify(share - closed) == 0


@pytest.mark.parametrize(
    "sigma, k0, duration", [(2.0, 1e-3, 0.5), (1.0, 0.3, 2.0), (5.0, 0.01, 0.1), (1.0, 0.7, 1.0)]
)
def test_depth2_final_share_matches_ode(sigma, k0, duration):
    closed = cp.depth2_final_share(sigma, k0, duration)
    assert closed == pytest.approx(cp.final_share(sigma, 2, k0, 0.0, duration), rel=1e-10)
    _, k_b = cp.pathway_strengths(np.array([duration + 40.0 / sigma]), sigma, 2, k0, 0.0, duration)
    assert closed == pytest.approx(k_b[0] / sigma, rel=1e-9)


@pytest.mark.parametrize("depth", [1, 3, 4, 8])
def test_final_share_matches_long_ode(depth):
    share = cp.final_share(1.0, depth, 0.05, 0.5, 2.0)
    _, k_b = cp.pathway_strengths(np.array([400.0]), 1.0, depth, 0.05, 0.5, 2.0)
    assert share == pytest.approx(k_b[0], rel=1e-9)


FEATURE = dict(sigma=st.floats(0.5, 4.0), k0_fraction=st.floats(0.005, 0.2))


@given(sigma=st.floats(1.0, 4.0), k0_fraction=st.floats(0.005, 0.2), length=st.floats(0.2, 1.0))
def test_share_falls_with_depth(sigma, k0_fraction, length):
    """Holds for early deficits shorter than ~1/sigma on features with sigma >= 1 (see below)."""
    shares = [cp.final_share(sigma, d, k0_fraction * sigma, 0.0, length / sigma) for d in range(1, 9)]
    assert np.all(np.diff(shares) < 0), shares


@pytest.mark.parametrize(
    "sigma, k0, length, shallower_hurt_more",
    [
        (0.5, 0.0625, 2.0, (1, 2)),  # weak feature: deeper pathways are slower (t ~ sigma^{2/D-2})
        (1.0, 0.02, 2.0, (2, 3)),  # long deficit: D = 2 is already fully deprived (share ~ k0)
    ],
)
def test_share_not_monotone_in_depth_outside_that_regime(sigma, k0, length, shallower_hurt_more):
    shallow, deep = (cp.final_share(sigma, d, k0, 0.0, length) for d in shallower_hurt_more)
    assert shallow < deep


@given(**FEATURE, depth=st.sampled_from([1, 2, 3, 5, 8]), length=st.floats(0.1, 2.0))
def test_share_falls_with_length_and_rises_with_onset(sigma, k0_fraction, depth, length):
    k0 = k0_fraction * sigma
    lengths = np.array([length, 1.5 * length]) / sigma
    assert np.diff(cp.final_share(sigma, depth, k0, 0.0, lengths)) < 0
    onsets = np.array([0.0, 0.3, 0.6]) / sigma
    assert np.all(np.diff(cp.final_share(sigma, depth, k0, onsets, onsets + length / sigma)) > 0)


@given(**FEATURE, depth=st.sampled_from([1, 2, 3, 5, 8]))
def test_late_deficit_has_no_effect(sigma, k0_fraction, depth):
    k0 = k0_fraction * sigma
    learned = 60.0 / sigma ** (2 - 2 / depth) + k0 ** (2 / depth - 1) / sigma
    assert cp.final_share(sigma, depth, k0, learned, learned + 5.0) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_closing_time_scales_as_sigma_power(depth):
    exponent = 2 - 2 / depth
    times = [cp.closing_time(s, depth, 0.01 * s, 1.0 / s**exponent) * s**exponent for s in (1.0, 2.0, 4.0)]
    assert np.ptp(times) < 1e-8 * times[0]


def test_closing_time_at_the_level():
    t_c = cp.closing_time(1.0, 2, 0.01, 1.0)
    damage = 0.5 - cp.final_share(1.0, 2, 0.01, np.array([0.0, t_c]), np.array([1.0, t_c + 1]))
    assert damage[1] == pytest.approx(0.5 * damage[0], rel=1e-9)


@pytest.mark.parametrize("depth", [1, 2, 3, 6])
def test_log_ratio_rate_is_the_derivative_of_the_flow(depth):
    t = np.array([2.0, 2.0 + 1e-5, 2.0 - 1e-5])
    k_a, k_b = cp.pathway_strengths(t, 1.0, depth, 0.05, 0.0, 1.0)
    numeric = (np.log(k_a[1] / k_b[1]) - np.log(k_a[2] / k_b[2])) / 2e-5
    assert cp.log_ratio_rate(k_a[0], k_b[0], 1.0, depth) == pytest.approx(numeric, abs=1e-7)


def test_depth1_completion_error():
    target = np.arange(6.0).reshape(2, 3)
    observed = np.array([[True, False, True], [False, True, True]])
    assert cp.depth1_completion_error(target, np.ones((2, 3)), observed) == 2.0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: cp.pathway_strengths(1.0, 0.0, 2, 0.1, 0, 1), "sigma"),
        (lambda: cp.pathway_strengths(1.0, 1.0, 2, 0.0, 0, 1), "k0"),
        (lambda: cp.pathway_strengths(1.0, 1.0, 2, 1.0, 0, 1), "k0"),
        (lambda: cp.pathway_strengths(1.0, 1.0, 0, 0.1, 0, 1), "depth"),
        (lambda: cp.pathway_strengths(1.0, 1.0, 2, 0.1, 2, 1), "deficit_end"),
        (lambda: cp.pathway_strengths(-1.0, 1.0, 2, 0.1, 0, 1), "t"),
        (lambda: cp.depth2_final_share(-1.0, 0.1, 1.0), "sigma"),
        (lambda: cp.depth2_final_share(1.0, 1.5, 1.0), "k0"),
        (lambda: cp.depth2_final_share(1.0, 0.1, -1.0), "deficit_duration"),
        (lambda: cp.final_share(1.0, 2, 0.1, 2.0, 1.0), "deficit_end"),
        (lambda: cp.closing_time(1.0, 2, 0.1, 1.0, level=1.0), "level"),
        (lambda: cp.log_ratio_rate(0.1, 0.1, 1.0, 0.5), "depth"),
        (lambda: cp.depth1_completion_error([[1.0]], [[0.0]], [[True]]), "observed"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_closing_time_refuses_a_start_that_takes_no_damage(depth):
    """k0 >= sigma/2: the deprived pathway holds its half from the start (this used to hang)."""
    with pytest.raises(ValueError, match="k0 must be in"):
        cp.closing_time(1.0, depth, 0.6, 1.0)


@pytest.mark.parametrize("k0", [1e-8, 1e-20, 1e-100, 1e-300])
def test_final_share_keeps_relative_accuracy_for_tiny_k0(k0):
    """The flow is integrated in ln p: with p itself, atol hid p < 1e-13 and the share from
    k0 = 1e-100 after a deficit of 30 came out 2000x too large."""
    for duration in (1.0, 30.0, 400.0):
        assert cp.final_share(1.0, 2, k0, 0.0, duration) == pytest.approx(
            cp.depth2_final_share(1.0, k0, duration), rel=1e-12
        )


def test_long_windows_cost_no_more_than_short_ones():
    """The flow stops once K_a + K_b = sigma (was 3.4 s for a deficit of length 1e5)."""
    import time

    start = time.perf_counter()
    assert cp.final_share(1.0, 3, 0.01, 0.0, 1e5) == pytest.approx(0.01, rel=1e-12)
    assert cp.final_share(1.0, 3, 0.01, 1e5, 1e5 + 1.0) == pytest.approx(0.5, abs=1e-12)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("sigma", [1e16, 1.75e66, 1e200])
def test_flow_is_exactly_scale_invariant_at_extreme_sigma(depth, sigma):
    """sigma, K -> c sigma, c K with t -> t / c^{2-2/D}. In ln p the flow never stopped for
    sigma >~ 1e16 (the spacing of ln p ~ ln(sigma)/D hid Omega below 1e-14 sigma): the fuzz
    found a hang at sigma = 1.75e66; its steps ~ 1/sigma also fell below the spacing of t."""
    unit = sigma ** -(2 - 2 / depth)
    t = np.array([0.0, 0.3, 1.0, 2.5, 6.0])
    k_a, k_b = cp.pathway_strengths(t * unit, sigma, depth, 0.05 * sigma, 0.5 * unit, 2.0 * unit)
    r_a, r_b = cp.pathway_strengths(t, 1.0, depth, 0.05, 0.5, 2.0)
    np.testing.assert_allclose(k_a / sigma, r_a, rtol=1e-9)
    np.testing.assert_allclose(k_b / sigma, r_b, rtol=1e-9)
    share = cp.final_share(sigma, depth, 0.05 * sigma, 0.5 * unit, 2.0 * unit)
    assert share == pytest.approx(cp.final_share(1.0, depth, 0.05, 0.5, 2.0), rel=1e-9)


def test_depth1_after_a_deficit_from_a_tiny_start():
    """D = 1 is linear and solved in closed form: in ln p its rate 1/p (1e33 for k0/sigma =
    1e-33) put the steps after the deficit below the float64 spacing of t (ValueError)."""
    sigma, k0 = 1e30, 1e-3
    k_a, k_b = cp.pathway_strengths(np.array([0.0, 2.0, 3.0, 4.0]), sigma, 1, k0, 0.0, 3.0)
    # deficit: K_b = k0, Omega = sigma - K_a - k0 decays as e^{-t}; after it, as e^{-2(t - 3)}
    # and each pathway gains half of it
    omega_3 = (sigma - 2 * k0) * np.exp(-3.0)
    expected_a = [k0, sigma - k0 - (sigma - 2 * k0) * np.exp(-2.0), sigma - k0 - omega_3]
    np.testing.assert_allclose(k_a[:3], expected_a, rtol=1e-13)
    np.testing.assert_allclose(k_b[:3], k0, rtol=1e-13)
    gain = omega_3 * -np.expm1(-2.0) / 2
    assert k_a[3] == pytest.approx(sigma - k0 - omega_3 + gain, rel=1e-12)
    assert k_b[3] == pytest.approx(k0 + gain, rel=1e-12)


def test_final_share_below_the_normal_range_without_overflow():
    """1/(1 + K_a/K_b) as a logistic: K_a/K_b = e^{714} overflowed (a RuntimeWarning)."""
    assert cp.final_share(1.7e308, 2, 1e-3, 0.0, 3.0) == pytest.approx(1e-3 / 1.7e308, rel=1e-9)


def test_closing_time_tolerance_follows_the_time_unit():
    """t_c ~ 1e-15 at sigma = 2e15 (D = 2): the absolute xtol of 1e-13 returned 2.0 / sigma
    for 1.887 / sigma; the fuzz's call (k0 = 0.01, deficit 1) hung past sigma ~ 1e16."""
    sigma = 2e15
    t_c = cp.closing_time(sigma, 2, 0.01 * sigma, 1.0 / sigma)
    assert t_c * sigma == pytest.approx(cp.closing_time(1.0, 2, 0.01, 1.0), rel=1e-9)
    t_c = cp.closing_time(sigma, 2, 0.01, 1.0)  # the fuzz's call: k0/sigma = 5e-18
    damage = 0.5 - cp.final_share(sigma, 2, 0.01, np.array([0.0, t_c]), np.array([1.0, t_c + 1.0]))
    assert damage[1] == pytest.approx(0.5 * damage[0], rel=1e-6)


@pytest.mark.parametrize("duration, level", [(1e-20, 0.5), (1e-9, 0.5), (1.0, 1e-14), (1.0, 8e-46)])
def test_closing_time_refuses_a_damage_below_the_flow_resolution(duration, level):
    """level * damage(onset 0) < 1e-8: a deficit of 1e-20 gave 'k0 must be in (0, sigma/2)',
    and level 8e-46 returned the onset where the flow settles (17.97 for any level < 1e-14;
    exact: 1e-14 -> 17.98, 1e-100 -> ~230)."""
    with pytest.raises(ValueError, match="level times the damage at onset 0 must be >= 1e-08"):
        cp.closing_time(1.0, 2, 0.01, duration, level=level)
    assert cp.closing_time(1.0, 2, 0.01, 1.0, level=1e-6) == pytest.approx(8.772170838062769, rel=1e-9)


def test_pathway_strengths_at_the_largest_sigma():
    """K from logs where K/sigma underflows: np.where also evaluated e^{D u + ln sigma} where
    it overflows (a RuntimeWarning at sigma = 1.8e308)."""
    k_a, k_b = cp.pathway_strengths([0.0, 4.0], 1.7976931348623157e308, 2, 1e-3, 0.0, 3.0)
    np.testing.assert_allclose(k_a, [1e-3, 1.7976931348623157e308], rtol=1e-12)
    np.testing.assert_allclose(k_b, 1e-3, rtol=1e-12)
