"""Closed forms of theory.deep_linear: tight float64 checks against ODE solves and SVDs."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import theory.deep_linear as dl

strengths = st.floats(0.2, 5.0)
fractions = st.floats(1e-4, 0.9)


def solve_depth_ode(s, u0, depth, times):
    """tau du/dt = D u^{2-2/D} (s - u) to 1e-13 relative, the reference for the closed forms."""
    sol = solve_ivp(
        lambda t, u: depth * u ** (2 - 2 / depth) * (s - u),
        (0, times[-1]),
        [u0],
        t_eval=times,
        rtol=1e-13,
        atol=1e-300,
        method="DOP853",
    )
    return sol.y[0]


@given(
    s=strengths,
    fraction=st.floats(1e-4, 3.0).filter(lambda f: abs(f - 1) > 1e-3),
    depth=st.sampled_from([1, 2, 3, 4, 5, 8]),
)
def test_deep_mode_strength_solves_its_ode(s, fraction, depth):
    u0 = fraction * s
    times = np.linspace(0, 4.0 / (s ** (2 - 2 / depth)), 9)
    np.testing.assert_allclose(
        dl.deep_mode_strength(times, s, u0, depth), solve_depth_ode(s, u0, depth, times), rtol=1e-9
    )


@given(s=strengths, fraction=fractions, t=st.floats(0, 20))
def test_depth_two_is_saxe_eq_12(s, fraction, t):
    np.testing.assert_allclose(
        dl.deep_mode_strength(t, s, fraction * s, 2), dl.mode_strength(t, s, fraction * s), rtol=1e-14
    )


@given(s=strengths, fraction=fractions, level=st.floats(0.05, 0.95), depth=st.sampled_from([1, 2, 3, 6]))
def test_learning_time_inverts_strength(s, fraction, level, depth):
    u0 = fraction * s
    u_final = u0 + level * (s - u0)
    t = dl.deep_learning_time(s, u0, u_final, depth)
    np.testing.assert_allclose(dl.deep_mode_strength(t, s, u0, depth), u_final, rtol=1e-10)


def test_mode_strength_limits_and_no_overflow():
    assert dl.mode_strength(0.0, 2.0, 1e-3) == pytest.approx(1e-3, rel=1e-15)
    with np.errstate(over="raise"):
        assert dl.mode_strength(1e6, 2.0, 1e-12) == 2.0
        assert dl.mode_strength(1e6, 2.0, 5.0) == 2.0
    decaying = dl.mode_strength(np.linspace(0, 5, 50), 1.0, 3.0)
    assert np.all(np.diff(decaying) < 0) and np.all(decaying > 1.0)


def test_mode_strength_broadcasts():
    u = dl.mode_strength(np.linspace(0, 1, 7)[:, None], np.array([1.0, 2.0, 3.0]), 0.01)
    assert u.shape == (7, 3)


def test_learning_time_matches_eq_13():
    s, u0, uf = 2.0, 1e-3, 1.0
    assert dl.learning_time(s, u0, uf) == pytest.approx(np.log(uf * (s - u0) / (u0 * (s - uf))) / (2 * s))


def test_stability_bound_is_where_gd_stops_converging():
    # GD on 1/2 (s - prod a)^2 near the balanced minimum converges just below the bound and
    # never settles just above it (it oscillates or runs away).
    s, depth = 1.5, 3
    bound = float(dl.stable_learning_rate(s, depth))

    def final_gap(lr):
        a = np.full(depth, s ** (1 / depth)) * (1 + 1e-6)
        for _ in range(3000):
            u = np.prod(a)
            a = a + lr * (s - u) * u / a
            if not np.all(np.isfinite(a)) or abs(np.prod(a) - s) > 1:
                return np.inf
        return abs(np.prod(a) - s)

    assert final_gap(0.95 * bound) < 1e-8
    assert final_gap(1.05 * bound) > 1e-3


@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_hierarchy_singular_values_match_svd(levels):
    from sims.deep_linear import hierarchy_features

    values, counts = dl.hierarchy_singular_values(levels)
    assert counts.sum() == 2**levels
    numeric = np.linalg.svd(hierarchy_features(levels), compute_uv=False)
    np.testing.assert_allclose(np.repeat(values, counts), numeric, rtol=1e-13)


def _saddle_start(lam, w1, w2, target):
    """A square lambda = 0 start whose det(W2 W1) has the wrong sign: on a saddle's stable
    manifold (theory.lambda_balanced_product's docstring)."""
    square = w1.shape[0] == w1.shape[1] == w2.shape[0]
    return lam == 0 and square and np.linalg.det(w2 @ w1) * np.linalg.det(target) < 0


def _accepted(t, w1, w2, target):
    try:
        dl.lambda_balanced_product(np.array([t]), w1, w2, target)
    except ValueError:
        return False
    return True


def test_lambda_balanced_saddle_start_refuses_round_off_times():
    """N1 = N2 = N3, lambda = 0, det(W2 W1) > 0 > det(Sigma_yx): the exact flow stays at the
    saddle (det cannot change sign); the ODE solvers and the closed form left it at t ~ 20-40
    at times set by round-off (DOP853 at rtol 1e-12 and 1e-13 differed by 8e-3 at t = 40).
    Half of random square lambda = 0 starts are such starts (200 seeds: 50.5 %)."""
    from sims.deep_linear import lambda_balanced_init

    w1, w2 = lambda_balanced_init(3, 3, 3, 0.0, 0.4, seed=3)
    target = np.random.default_rng(4).standard_normal((3, 3))
    assert np.linalg.det(w2 @ w1) > 0 > np.linalg.det(target)
    # The bound, ln(1e-8 / max(overlap, eps)) / (2 max|eig F|) = 3.77 here, moves a little with
    # the round-off of the overlap (1.6e-16 here); t = 2 is inside it for any overlap < 1e-12.
    with pytest.raises(ValueError, match=r"t must be in \[0, [\d.]+\] for this start"):
        dl.lambda_balanced_product(np.array([1.0, 40.0]), w1, w2, target)
    early = dl.lambda_balanced_product(np.array([2.0]), w1, w2, target)[0]
    assert np.all(np.isfinite(early))
    # The same start with the target's sign flipped (det > 0 both): every time is accepted.
    assert np.all(np.isfinite(dl.lambda_balanced_product(np.array([40.0]), w1, w2, -target)))


@given(
    lam=st.sampled_from([-1.0, -0.3, 0.0, 0.5, 2.0]),
    seed=st.integers(0, 10_000),
    shapes=st.sampled_from([(4, 3, 5), (5, 3, 4), (3, 3, 3), (6, 2, 6)]),
)
def test_lambda_balanced_product_matches_ode(lam, seed, shapes):
    from sims.deep_linear import lambda_balanced_init

    n_in, hidden, n_out = shapes
    w1, w2 = lambda_balanced_init(n_in, hidden, n_out, lam, 0.4, seed=seed)
    target = np.random.default_rng(seed + 1).standard_normal((n_out, n_in))

    def rhs(t, y):
        a = y[: hidden * n_in].reshape(hidden, n_in)
        b = y[hidden * n_in :].reshape(n_out, hidden)
        error = target - b @ a
        return np.concatenate([(b.T @ error).ravel(), (error @ a.T).ravel()])

    times = np.array([0.0, 0.3, 1.0, 3.0, 12.0, 40.0])
    if _saddle_start(lam, w1, w2, target):
        # Within round-off of a saddle the flow never leaves: later times are refused, earlier
        # ones must still agree with the ODE.
        with pytest.raises(ValueError, match="within round-off of a saddle"):
            dl.lambda_balanced_product(times, w1, w2, target)
        times = np.array([t for t in times if _accepted(t, w1, w2, target)])
        assert times.size >= 3  # 0, 0.3 and 1 at least: the bound is ~ln(1e8)/(2 max|eig F|)
    sol = solve_ivp(
        rhs,
        (0, times[-1]),
        np.concatenate([w1.ravel(), w2.ravel()]),
        t_eval=times,
        rtol=1e-12,
        atol=1e-14,
        method="DOP853",
    )
    expected = np.stack(
        [
            sol.y[hidden * n_in :, k].reshape(n_out, hidden) @ sol.y[: hidden * n_in, k].reshape(hidden, n_in)
            for k in range(times.size)
        ]
    )
    np.testing.assert_allclose(
        dl.lambda_balanced_product(times, w1, w2, target), expected, atol=1e-8 * np.abs(target).max()
    )


def test_lambda_balanced_rejects_unbalanced_start():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="lambda-balanced"):
        dl.lambda_balanced_product(
            1.0, rng.standard_normal((3, 4)), rng.standard_normal((4, 3)), rng.standard_normal((4, 4))
        )
    with pytest.raises(ValueError, match="shapes"):
        dl.lambda_balanced_product(1.0, np.eye(3), np.eye(3), np.eye(4))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: dl.mode_strength(1.0, 0.0, 0.1), "s"),
        (lambda: dl.mode_strength(1.0, -1.0, 0.1), "s"),
        (lambda: dl.mode_strength(1.0, 1.0, 0.0), "u0"),
        (lambda: dl.mode_strength(-1.0, 1.0, 0.1), "t"),
        (lambda: dl.mode_strength(np.nan, 1.0, 0.1), "t"),
        (lambda: dl.mode_strength(1.0, np.inf, 0.1), "s"),
        (lambda: dl.mode_strength(1.0, 1.0, 0.1, tau=0.0), "tau"),
        (lambda: dl.deep_mode_strength(1.0, 1.0, 0.1, 0), "depth"),
        (lambda: dl.deep_mode_strength(1.0, 1.0, 0.1, 2.5), "depth"),
        (lambda: dl.learning_time(1.0, 0.1, 1.5), "u_final"),
        (lambda: dl.deep_learning_time(1.0, 0.1, 0.05, 3), "u_final"),
        (lambda: dl.hierarchy_singular_values(0), "levels"),
        (lambda: dl.stable_learning_rate(-1.0, 2), "s"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_mode_strength_from_subnormal_start():
    """s/u0 overflows for a subnormal u0: eq. 12 is evaluated in logs there (was NaN / 0)."""
    assert dl.mode_strength(200.0, 2.0, 1e-310) == 2.0
    assert dl.mode_strength(0.0, 2.0, 1e-320) == 1e-320
    assert dl.mode_strength(1.0, 2.0, 1e-310) == pytest.approx(1e-310 * np.exp(4.0), rel=1e-3)
    assert dl.mode_strength(0.0, 1e-300, 1e300) == pytest.approx(1e300, rel=1e-13)
    # the learning time from a subnormal start: ln(s/u0) / (2s) to the rounding of u0
    assert dl.learning_time(2.0, 1e-310, 1.0) == pytest.approx((np.log(2.0) - np.log(1e-310)) / 4.0, rel=1e-6)


@pytest.mark.parametrize("bad", ["3", True, 3.5, 1e30, [3, 4]])
def test_depth_must_be_an_integer(bad):
    with pytest.raises(ValueError, match="^depth must be an integer in"):
        dl.deep_mode_strength(1.0, 2.0, 0.1, bad)


def test_lambda_balanced_product_bounded_work_at_large_t():
    """Steps of |f| h = 256 in the QR form: t = 1e6 (1e6 time constants) costs ~4e3 steps
    and agrees with t = 1e2 (converged); absurd t is refused instead of marching."""
    from sims.deep_linear import lambda_balanced_init

    w1, w2 = lambda_balanced_init(3, 2, 4, 0.3, 0.5, seed=0)
    target = np.random.default_rng(1).standard_normal((4, 3))
    late = dl.lambda_balanced_product([1e2, 1e6], w1, w2, target)
    np.testing.assert_allclose(late[1], late[0], rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="^t must be in"):
        dl.lambda_balanced_product(1e12, w1, w2, target)
    with pytest.raises(ValueError, match="^w1 must be a 2-d array"):
        dl.lambda_balanced_product(1.0, w1[0], w2, target)


def test_lambda_balanced_product_at_a_subnormal_time():
    """t = 1e-320: 2f / (1 - e^{-2fh}) ~ 1/h overflowed (a RuntimeWarning) and G ~ h lost its
    digits (W2 W1 off by 6e-8 at t = 1e-320, its last entry 0 at 5e-324)."""
    w1 = np.array([[0.3, 0.1, 0.0], [0.0, 0.2, 0.1]])
    values, vectors = np.linalg.eigh(w1 @ w1.T + 0.1 * np.eye(2))
    w2 = np.vstack([(vectors * np.sqrt(values)) @ vectors.T, np.zeros((1, 2))])
    target = np.diag([1.0, 0.5, 0.2])
    out = dl.lambda_balanced_product([5e-324, 1e-320, 1e-310, 0.0], w1, w2, target)
    np.testing.assert_allclose(out, np.broadcast_to(w2 @ w1, out.shape), rtol=0, atol=1e-15)


def test_symbolic_functions_refuse_bad_numbers_before_importing_sympy():
    """The first SymPy import takes 1-10 s (the fuzz's 5 s limit ran out on a refusal)."""
    code = (
        "import sys, theory.deep_linear as dl\n"
        "for call in (lambda: dl.symbolic_learning_time(-5e-324, 0.5, 1.0, 1.0),\n"
        "             lambda: dl.symbolic_mode_strength(1.0, 2.0, 0.5, '3'),\n"
        "             lambda: dl.symbolic_linear_strength(-1.0, 2.0, 0.5, 1.0)):\n"
        "    try:\n"
        "        call()\n"
        "    except ValueError:\n"
        "        pass\n"
        "assert 'sympy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
