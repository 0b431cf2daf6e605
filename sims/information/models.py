"""Information-bottleneck simulations: one cached ``simulate_*`` per claim, no closed form
under test inside.

- IB1 Gaussian IB: brute-force and iterative optimisation of a linear Gaussian encoder.
- IB2 discrete IB on the doubly symmetric binary source (the iterative IB algorithm).
- IB3 estimators: Monte Carlo of Gaussian-mixture entropies, of the binned entropy of one
  unit and of a noisy neuron's I(X;T).
- IB4 the information plane of a 12-10-7-5-4-3-2 network on the 12-bit task
  (:mod:`sims.information.plane`).
- IB5 a deep linear teacher-student network, and Monte Carlo of its Gaussian MI.
- IB6 Monte Carlo of a noisy majority vote (the Xu-Raginsky bound).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from scipy import optimize

import sims  # noqa: F401  (float64 and CPU devices before any computation)
from sims import engine
from sims.cache import cached
from sims.information import measures
from theory import information as theory

# ---------------------------------------------------------------------------------------
# IB1: Gaussian information bottleneck


def random_joint_covariance(d_x: int, d_y: int, seed: int):
    """(cov_x, cov_xy, cov_y) of a random SPD joint covariance (Wishart plus a ridge)."""
    rng = np.random.default_rng(seed)
    d = d_x + d_y
    m = rng.standard_normal((d, 2 * d))
    joint = m @ m.T / (2 * d) + 0.1 * np.eye(d)
    return joint[:d_x, :d_x], joint[:d_x, d_x:], joint[d_x:, d_x:]


def brute_force_gaussian_ib(beta, cov_x, cov_xy, cov_y, *, starts=4, seed=0, newton_steps=2):
    """Minimise I(T;X) - beta I(T;Y) over linear encoders T = A X + N(0, I) by L-BFGS.

    L-BFGS stops where the Lagrangian is flat to float64 precision, which leaves the
    informations uncertain by ~sqrt(eps |L| / curvature) (6e-7 bits at beta ~ 300): the
    Lagrangian is stationary there, the informations are not. ``newton_steps`` Newton steps on
    the analytic gradient (central-difference Hessian; the pseudo-inverse handles the rotation
    gauge A -> U A and the inactive directions) then solve grad = 0 to ~1e-10 bits; a step is
    kept only if it lowers the gradient's norm.

    Returns (I(T;X), I(T;Y)) in bits and the eigenvalues of A Sigma_x A^T (the signal to
    noise of each encoded direction) of the best of ``starts`` random initial A.
    """
    d = cov_x.shape[0]
    cov_c = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    eye = np.eye(d)

    def lagrangian(flat):
        a = flat.reshape(d, d)
        gram_x, gram_c = a @ cov_x @ a.T + eye, a @ cov_c @ a.T + eye
        value = (1 - beta) / 2 * np.linalg.slogdet(gram_x)[1] + beta / 2 * np.linalg.slogdet(gram_c)[1]
        grad = (1 - beta) * np.linalg.solve(gram_x, a @ cov_x) + beta * np.linalg.solve(gram_c, a @ cov_c)
        return value, grad.ravel()

    def gradient(flat):
        return lagrangian(flat)[1]

    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        fit = optimize.minimize(
            lagrangian,
            rng.standard_normal(d * d),
            jac=True,
            method="L-BFGS-B",
            options=dict(maxiter=20_000, gtol=1e-11, ftol=1e-16),
        )
        if best is None or fit.fun < best.fun:
            best = fit
    flat = best.x
    for _ in range(newton_steps):
        h = 1e-6 * max(1.0, float(np.abs(flat).max()))
        hessian = np.stack(
            [(gradient(flat + h * e) - gradient(flat - h * e)) / (2 * h) for e in np.eye(flat.size)], axis=1
        )
        current = gradient(flat)
        step = np.linalg.lstsq(hessian, -current, rcond=1e-10)[0]
        if np.linalg.norm(gradient(flat + step)) >= np.linalg.norm(current):
            break
        flat = flat + step
    a = flat.reshape(d, d)
    i_tx, i_ty = measures.encoder_information(a, cov_x, cov_c)
    return i_tx / np.log(2), i_ty / np.log(2), np.linalg.eigvalsh(a @ cov_x @ a.T)


def iterative_gaussian_ib(beta, cov_x, cov_xy, cov_y, *, iterations=3000, seed=0):
    """The iterative Gaussian IB algorithm (Chechik et al. 2005, sec. 6), (I(T;X), I(T;Y)) bits.

    From the Gaussian form of the IB self-consistent equations (T = A X + xi):
        Sigma_xi <- (beta Sigma_{t|y}^{-1} - (beta - 1) Sigma_t^{-1})^{-1}
        A        <- beta Sigma_xi Sigma_{t|y}^{-1} A (I - Sigma_{x|y} Sigma_x^{-1})
    """
    d = cov_x.shape[0]
    cov_c = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    regression = np.eye(d) - cov_c @ np.linalg.inv(cov_x)
    a = np.random.default_rng(seed).standard_normal((d, d))
    noise = np.eye(d)
    for _ in range(iterations):
        cov_t, cov_t_y = a @ cov_x @ a.T + noise, a @ cov_c @ a.T + noise
        prec_t_y = np.linalg.inv(cov_t_y)
        noise = np.linalg.inv(beta * prec_t_y - (beta - 1) * np.linalg.inv(cov_t))
        noise = (noise + noise.T) / 2
        a = beta * noise @ prec_t_y @ a @ regression
        # Whitening the noise leaves every information unchanged and keeps A bounded.
        whiten = np.linalg.inv(np.linalg.cholesky(noise))
        a, noise = whiten @ a, np.eye(d)
    i_tx, i_ty = measures.encoder_information(a, cov_x, cov_c)
    return i_tx / np.log(2), i_ty / np.log(2)


# A direction with beta_c > MAX_BETA carries almost no information about Y: its optimal
# signal to noise ~ beta makes the optimisation ill-conditioned (1e-2 bits off at 1e6).
MAX_BETA = 1e3
# Grid betas keep |ln(beta / beta_c)| >= ln 1.1 from every critical beta: the slowest relaxation,
# ~ln(1.1)^2 = 0.009 per iteration, then reaches 1e-8 bits well within 3000 iterations.
CRITICAL_MARGIN = 1.1


class GaussianIBRun(NamedTuple):
    """IB1: optimised encoders of one joint covariance at each beta of the grid."""

    covariance: tuple[np.ndarray, np.ndarray, np.ndarray]  # (cov_x, cov_xy, cov_y)
    betas: np.ndarray  # (B,)
    brute_force: np.ndarray  # (B, 2): (I(T;X), I(T;Y)) bits, L-BFGS + Newton
    signal_to_noise: np.ndarray  # (B, d_x): eigenvalues of A Sigma_x A^T of that encoder
    iterative: np.ndarray  # (B, 2): the iterative algorithm's (I(T;X), I(T;Y)) bits


@cached
def simulate_gaussian_ib(*, d_x, d_y, seed):
    """Optimise the encoder of a random joint covariance at betas 0.9 and 1.25 beta_i^c of each
    critical beta below MAX_BETA, and 3 max beta_i^c (all directions on), except those within a
    factor CRITICAL_MARGIN of another critical beta.

    The grid is the experiment's design, taken from the exact critical betas of
    :func:`theory.information.gaussian_ib_critical_betas`: the comparison then asks a
    (possibly wrong) closed form how many directions are active at each of these betas, and a
    wrong beta_c miscounts them on one side of a switch-on.
    """
    cov = random_joint_covariance(d_x, d_y, seed)
    critical = theory.gaussian_ib_critical_betas(*cov)
    finite = critical[critical <= MAX_BETA]
    if finite.size == 0:
        raise ValueError(
            f"no critical beta below {MAX_BETA:g}: (d_x, d_y, seed) = ({d_x}, {d_y}, {seed}) gives {critical}"
        )
    betas = np.concatenate([0.9 * finite, 1.25 * finite, [3 * finite.max()]])
    # Leave out a beta within a factor CRITICAL_MARGIN of any critical beta (when two critical
    # betas lie within 25 % of each other, 0.9 or 1.25 of one falls near the other): there the
    # iterative algorithm slows down critically, the encoder relaxing by ~(beta / beta_c)^2 per
    # iteration below beta_c (and ~ln(beta / beta_c)^2 above, cf. map IB-M2), and 3000
    # iterations leave more than 1e-8 bits (d_x = d_y = 3, seed 173: 0.9 x 3.6086 = 0.9985 x
    # 3.2525, 2e-7 bits left).
    bounded = critical[np.isfinite(critical)]  # an uninformative direction: beta_c = inf
    distance = np.min(np.abs(np.log(betas[:, None] / bounded[None, :])), axis=1)
    betas = betas[distance >= np.log(CRITICAL_MARGIN)]
    brute, snr, iterative = [], [], []
    for beta in betas:
        i_tx, i_ty, encoded = brute_force_gaussian_ib(beta, *cov, seed=seed)
        brute.append((i_tx, i_ty))
        snr.append(encoded)
        iterative.append(iterative_gaussian_ib(beta, *cov, seed=seed))
    return GaussianIBRun(cov, betas, np.array(brute), np.array(snr), np.array(iterative))


# ---------------------------------------------------------------------------------------
# IB2: discrete IB on the doubly symmetric binary source

# Iterations per restart: critical slowing down makes beta = 1.05 beta_0 the slowest of the
# default and thorough betas (1428 iterations at p = 0.25, 262 at p = 0.1, 0.2 ms each);
# 5000 leaves 3.5x and caps a non-converging run (a broken update) at ~3 s per beta and
# restart, where the algorithm's default 1e5 took > 300 s over the check.
IB2_MAX_ITER = 5000


class BinaryIBRun(NamedTuple):
    """IB2: the iterative IB algorithm at each beta (arrays over betas)."""

    betas: np.ndarray
    i_tx: np.ndarray  # bits
    i_ty: np.ndarray  # bits
    lagrangian_increase: np.ndarray  # largest increase of the Lagrangian over the iterations
    residual: np.ndarray  # of the self-consistent equations at the fixed point
    converged: np.ndarray  # bool


@cached
def simulate_binary_ib(*, p, beta_factors):
    """Run the iterative IB algorithm (2 clusters, 3 restarts) on the doubly symmetric binary
    source at beta = factor * beta_0, beta_0 = 1/(1-2p)^2 the exact critical beta (the grid
    is the experiment's design; a wrong beta_0 is judged on it)."""
    p_xy = theory.doubly_symmetric_binary_source(p)
    beta_0 = float(theory.binary_ib_critical_beta(p))
    rows = []
    for factor in beta_factors:
        result = theory.information_bottleneck(
            p_xy, factor * beta_0, n_clusters=2, restarts=3, seed=0, max_iter=IB2_MAX_ITER
        )
        rows.append(
            (
                factor * beta_0,
                result.i_tx,
                result.i_ty,
                float(np.max(np.diff(result.lagrangian), initial=0.0)),
                result.residual,
                result.converged,
            )
        )
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    return BinaryIBRun(*columns[:-1], columns[-1].astype(bool))


# ---------------------------------------------------------------------------------------
# IB3: estimators

# (dimension, components, variance) of the Gaussian mixtures whose entropy is estimated.
MIXTURES = ((1, 6, 0.3), (2, 8, 0.2), (4, 8, 0.5))
# Weights w of the single unit f(w x) and its binnings (keyword arguments of bin_indices).
SINGLE_UNIT_WEIGHTS = (0.3, 0.87, 3.0, 30.0)
SINGLE_UNIT_BINNINGS = {"tanh": {}, "relu": dict(bin_width=0.07)}
# The noisy neuron T = tanh(w X) + N(0, 0.1^2), X uniform on 16 points of [-1, 1].
NOISY_WEIGHTS = (1.0, 20.0)
NOISY_STD = 0.1
NOISY_INPUTS = np.linspace(-1.0, 1.0, 16)


class EstimatorRun(NamedTuple):
    """IB3: Monte-Carlo estimates, each (value, standard error) in bits."""

    mixture_means: tuple[np.ndarray, ...]  # one (components, dimension) array per mixture
    mixture_entropy: np.ndarray  # (mixtures, 2)
    binned_entropy: dict[str, np.ndarray]  # activation -> (SINGLE_UNIT_WEIGHTS, 2)
    noisy_information: np.ndarray  # (NOISY_WEIGHTS, 2)


@cached
def simulate_estimators(*, seed, n_samples):
    """Monte Carlo of the three estimators' targets from one random stream: mixture entropies
    (n/4 samples each), the plug-in binned entropy of f(w x), x ~ N(0, 1) (n samples shared by
    every w), and the noisy neuron's I(X;T) (n/4 samples each)."""
    rng = np.random.default_rng(seed)
    means, mixtures = [], []
    for d, n, variance in MIXTURES:
        means.append(rng.standard_normal((n, d)))
        mixtures.append(measures.mixture_entropy_monte_carlo(means[-1], variance, n_samples // 4, rng))
    x = rng.standard_normal(n_samples)
    binned = {}
    for activation, binning in SINGLE_UNIT_BINNINGS.items():
        units = [
            np.tanh(w * x) if activation == "tanh" else np.maximum(w * x, 0.0) for w in SINGLE_UNIT_WEIGHTS
        ]
        binned[activation] = np.array(
            [measures.plug_in_entropy(measures.bin_indices(t, **binning)) for t in units]
        )
    noisy = [
        measures.noisy_neuron_monte_carlo(w, NOISY_INPUTS, NOISY_STD, n_samples // 4, rng)
        for w in NOISY_WEIGHTS
    ]
    return EstimatorRun(tuple(means), np.array(mixtures), binned, np.array(noisy))


# ---------------------------------------------------------------------------------------
# IB5: deep linear teacher-student with noise-added exact Gaussian MI (Saxe et al. 2018, sec. 3)


def _linear_loss(params, batch: engine.Batch, hyper):
    w1, w2 = params
    return 0.5 * jnp.mean((batch.inputs @ w1.T @ w2.T - batch.targets) ** 2)


def _linear_observe(params, data, hyper):
    return {"w1": params[0], "w2": params[1]}


@cached
def simulate_teacher_student(
    *, n_in, n_train, n_hidden, label_noise, init_scale, learning_rate, epochs, log_points, seed
):
    """Full-batch GD of a two-layer linear student y = w2 W1 x on a noisy linear teacher.

    x ~ N(0, I_n_in), y = w0.x + N(0, label_noise^2), w0 ~ N(0, I/n_in). Returns the recorded
    W1 (R, n_hidden, n_in), w2 (R, 1, n_hidden), the teacher w0 and the epochs.
    """
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal(n_in) / np.sqrt(n_in)
    x = rng.standard_normal((n_train, n_in))
    y = x @ teacher[:, None] + label_noise * rng.standard_normal((n_train, 1))
    params = (
        init_scale * rng.standard_normal((1, n_hidden, n_in)) / np.sqrt(n_in),
        init_scale * rng.standard_normal((1, 1, n_hidden)) / np.sqrt(n_hidden),
    )
    run = engine.train(
        _linear_loss,
        params,
        engine.Batch(x, y),
        members=engine.ensemble([seed], learning_rate=learning_rate),
        epochs=epochs,
        observe=_linear_observe,
        record_epochs=engine.record_schedule(epochs, log_points=log_points),
    )
    return dict(
        epochs=run.epochs,
        w1=run.records["w1"][0],
        w2=run.records["w2"][0],
        teacher=teacher,
        loss=run.records["loss"][0],
    )


class TeacherStudentRun(NamedTuple):
    """IB5: the recorded training, and Monte Carlo of the final MIs (value, s.e.) in bits."""

    epochs: np.ndarray
    w1: np.ndarray  # (R, n_hidden, n_in)
    w2: np.ndarray  # (R, 1, n_hidden)
    teacher: np.ndarray  # (n_in,)
    final_input_information: tuple[float, float]  # Monte Carlo I(X;T) at the end
    final_label_information: tuple[float, float]  # Monte Carlo I(T;Y) at the end


@cached
def simulate_linear_no_compression(
    *,
    n_in,
    n_train,
    n_hidden,
    label_noise,
    init_scale,
    learning_rate,
    epochs,
    log_points,
    seed,
    hidden_noise,
    n_samples,
):
    """Train the teacher-student network (:func:`simulate_teacher_student`) and estimate the
    final I(X;T) and I(T;Y) of T = W1 X + N(0, hidden_noise^2 I) by Monte Carlo."""
    run = simulate_teacher_student(
        n_in=n_in,
        n_train=n_train,
        n_hidden=n_hidden,
        label_noise=label_noise,
        init_scale=init_scale,
        learning_rate=learning_rate,
        epochs=epochs,
        log_points=log_points,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    w1 = run["w1"][-1]
    input_information = measures.gaussian_mi_monte_carlo(
        measures.input_hidden_covariance(w1, hidden_noise), n_in, n_samples, rng
    )
    label_information = measures.gaussian_mi_monte_carlo(
        measures.teacher_student_covariance(w1, run["teacher"], label_noise, hidden_noise),
        len(w1),
        n_samples,
        rng,
    )
    return TeacherStudentRun(
        run["epochs"], run["w1"], run["w2"], run["teacher"], input_information, label_information
    )


# ---------------------------------------------------------------------------------------
# IB6: the Xu-Raginsky bound


class MajorityVoteRun(NamedTuple):
    """IB6: Monte-Carlo generalisation gap (with its standard error) and plug-in I(S;W) (bits).

    No standard error of the plug-in MI here: the comparison takes it at the true (M, W)
    table (:func:`sims.information.claims.plug_in_comparison`), since at the drawn one it
    collapses near the stationary point W = M, P(M = 1) = 1/2."""

    gap: float
    gap_se: float
    information: float


@cached
def simulate_majority_vote(*, n, theta, flip, n_datasets, seed):
    """Monte Carlo of the noisy majority vote over ``n_datasets`` training sets.

    W depends on S only through the majority bit M (W = M xor independent noise), so
    I(S;W) = I(M;W), estimated by the plug-in MI of the empirical 2 x 2 table of (M, W)
    (:func:`measures.plug_in_mutual_information`: bias 1/(2 N ln 2) bits).
    """
    rng = np.random.default_rng(seed)
    data = rng.random((n_datasets, n)) < theta
    majority = data.sum(1) > n / 2
    w = majority ^ (rng.random(n_datasets) < flip)
    population = np.where(w, 1 - theta, theta)
    empirical = np.mean(data != w[:, None], axis=1)
    gap = population - empirical
    joint = np.bincount(2 * majority.astype(int) + w.astype(int), minlength=4).reshape(2, 2)
    information = measures.plug_in_mutual_information(joint / n_datasets, n_datasets)[0]
    return MajorityVoteRun(float(gap.mean()), float(gap.std() / np.sqrt(n_datasets)), information)
