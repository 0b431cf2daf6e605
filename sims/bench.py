"""Benchmarks, measured in one process so that ratios compare like with like.

    python -m sims.bench [--skip-experiments] [--skip-figures] [--skip-ib4] [--skip-maps]

(a) The training engine on two ensembles, against two NumPy implementations of the same
    training (hand-batched over seeds with manual backprop, and a per-seed loop) and against
    the machine's large-matmul throughput measured in this run; the engine trains the networks
    written with :func:`sims.engine.matmul` (the engine's product for layers with samples as
    rows) and once more written with plain ``@`` (variant ``jax_engine_plain_matmul``):
      - tiny deep linear: 64 seeds x 2000 steps, widths 8-16-16-8, 64 samples;
      - medium tanh MLP: 64 seeds x 1000 steps, widths 32-64-64-10, 256 samples.
(b) IB4's training (12-10-7-5-4-3-2, minibatch Adam, tanh and ReLU x 3 seeds) against a
    per-run NumPy replica of the same network and optimiser: a slice of IB4_SLICE_EPOCHS
    epochs of the engine (compiled beforehand) and of the replica, in this process; and where
    an epoch's time goes, kernel by kernel (:mod:`sims.bench_profile`).
(c) The information-plane experiment of claim IB4 (tanh and ReLU, 3 seeds each, 8000 epochs of
    minibatch Adam, binned MI at 150 epochs), uncached in a fresh process with no compilation
    cache: training and MI.
(d) the validity maps (:mod:`sims.bench_maps`): each map cold, all ten warm, DL-M1 by executor.
(e) ``make figures`` (every figure in one process, the agreement report, the maps' summary)
    cold (empty simulation and compilation caches), with the compilation cache the cold run
    filled but no simulation cache, and cached (unchanged figures are not redrawn); with each
    figure's time and the seconds JAX spent tracing, lowering and compiling (jax.monitoring's
    compile events).

Writes results/bench.csv (benchmark, variant, seconds, seed_steps_per_s, gflops,
ratio_to_numpy_batched) and results/bench.md, with the load average (2-core machines here are
shared). Timings are best-of-3 wall-clock seconds for (a) and (b) and single runs for (c) to
(e); nothing is asserted: these machines are shared and noisy.
"""

from __future__ import annotations

# isort: off
import sims  # noqa: F401  (before jax: it sets XLA's log level, which jax reads on import)

# isort: on
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import pandas as pd

from sims import bench_maps, bench_profile, engine
from sims.cache import ROOT

SEEDS = 64
CASES = {
    # name: (widths, activation, samples, steps)
    "engine:deep_linear_tiny": ((8, 16, 16, 8), "linear", 64, 2000),
    "engine:tanh_mlp_medium": ((32, 64, 64, 10), "tanh", 256, 1000),
}


def _forward(weights, x, activation, mul=engine.matmul):
    h = x
    for k, w in enumerate(weights):
        h = mul(h, w)
        if activation == "tanh" and k < len(weights) - 1:
            h = jnp.tanh(h)
    return h


def mlp_loss(activation, mul=engine.matmul):
    """The benchmark's squared loss of the ``activation`` network, its products ``mul``."""

    def loss(weights, batch, hyper):
        x, y = batch
        return 0.5 * jnp.mean(jnp.sum((_forward(weights, x, activation, mul) - y) ** 2, axis=1))

    return loss


# The networks written with engine.matmul, and with plain ``@`` (the variant
# jax_engine_plain_matmul: what the engine does for a loss that does not use engine.matmul).
# Made once: the engine's compiled programs are cached by loss function.
LOSSES = {activation: mlp_loss(activation) for activation in ("linear", "tanh")}
PLAIN_LOSSES = {activation: mlp_loss(activation, jnp.matmul) for activation in ("linear", "tanh")}


def flops_per_step(widths, samples):
    """Forward 2 P n_in n_out per layer, backward twice that: 6 P sum n_in n_out."""
    return 6 * samples * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def make_problem(widths, samples, seeds, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, widths[0]))
    y = rng.standard_normal((samples, widths[-1]))
    weights = tuple(
        rng.standard_normal((seeds, a, b)) / np.sqrt(a) for a, b in zip(widths[:-1], widths[1:], strict=True)
    )
    return x, y, weights


def numpy_batched(weights, x, y, activation, lr, steps):
    """The same GD, batched over seeds with np.matmul and manual backprop."""
    weights = [w.copy() for w in weights]
    n = x.shape[0]
    for _ in range(steps):
        hs = [np.broadcast_to(x, (weights[0].shape[0],) + x.shape)]
        for k, w in enumerate(weights):
            z = hs[-1] @ w
            hs.append(np.tanh(z) if activation == "tanh" and k < len(weights) - 1 else z)
        delta = (hs[-1] - y) / n
        for k in range(len(weights) - 1, -1, -1):
            grad = np.swapaxes(hs[k], 1, 2) @ delta
            if k:
                delta = delta @ np.swapaxes(weights[k], 1, 2)
                if activation == "tanh":
                    delta = delta * (1 - hs[k] ** 2)
            weights[k] -= lr * grad
    return weights


def numpy_per_seed(weights, x, y, activation, lr, steps):
    """The same GD, one seed at a time (the loop a first implementation would write)."""
    return [
        numpy_batched([w[s : s + 1] for w in weights], x, y, activation, lr, steps)
        for s in range(weights[0].shape[0])
    ]


def best_of(function, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(n=2048):
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    seconds = best_of(lambda: a @ b, repeats=5)
    return 2 * n**3 / seconds / 1e9


def engine_rows(peak):
    rows = []
    for name, case in CASES.items():
        rows += time_case(name, *case, peak=peak)
    return rows


def time_case(name, widths, activation, samples, steps, *, peak, lr=1e-3):
    """Rows for one ensemble: the engine, NumPy batched and the per-seed NumPy loop."""
    x, y, weights = make_problem(widths, samples, SEEDS)
    members = engine.ensemble(range(SEEDS), learning_rate=lr)

    def run_engine(losses=LOSSES):
        engine.train(losses[activation], weights, (x, y), members=members, epochs=steps, record_every=steps)

    def run_plain():
        run_engine(PLAIN_LOSSES)

    run_engine()  # compile once, outside the timing
    run_plain()
    # The per-seed loop is slow: time 8 seeds x steps/4 and report its rate.
    few, few_steps = tuple(w[:8] for w in weights), steps // 4
    timings = {
        "jax_engine": (best_of(run_engine), SEEDS * steps),
        "jax_engine_plain_matmul": (best_of(run_plain), SEEDS * steps),
        "numpy_batched": (
            best_of(lambda: numpy_batched(weights, x, y, activation, lr, steps)),
            SEEDS * steps,
        ),
        "numpy_per_seed": (
            best_of(lambda: numpy_per_seed(few, x, y, activation, lr, few_steps), repeats=1),
            8 * few_steps,
        ),
    }
    baseline = timings["numpy_batched"][1] / timings["numpy_batched"][0]
    per_step = flops_per_step(widths, samples)
    rows = []
    for variant, (seconds, seed_steps) in timings.items():
        rate = seed_steps / seconds
        rows.append(
            dict(
                benchmark=name,
                variant=variant,
                seconds=seconds,
                seed_steps_per_s=rate,
                gflops=rate * per_step / 1e9,
                ratio_to_numpy_batched=rate / baseline,
                fraction_of_matmul_peak=rate * per_step / 1e9 / peak,
            )
        )
    return rows


ADAM = engine.ADAM_DEFAULTS
IB4_SLICE_EPOCHS = 300  # engine epochs per timing (x 6 members); the replica runs a third


def numpy_information_plane(flat, x, y_onehot, *, relu, epochs, batch_size, learning_rate, seed):
    """One IB4 run in NumPy: the 12-10-7-5-4-3-2 network (tanh or ReLU), softmax
    cross-entropy, Adam (0.9, 0.999, 1e-8), minibatches of a fresh permutation each epoch.

    The loop a first implementation would write (per layer, manual backprop); returns the
    final flat parameters in the layout of :mod:`sims.information.plane`.
    """
    from sims.information import plane

    b1, b2, eps = (ADAM[k] for k in ("b1", "b2", "eps"))
    params = []
    for (a, b), start in zip(plane._SHAPES, plane._OFFSETS[:-1], strict=True):
        params.append(
            [flat[start : start + a * b].reshape(a, b).copy(), flat[start + a * b : start + a * b + b].copy()]
        )
    m = [[np.zeros_like(w), np.zeros_like(b)] for w, b in params]
    v = [[np.zeros_like(w), np.zeros_like(b)] for w, b in params]
    rng = np.random.default_rng(seed)
    n = len(x)
    count = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for k in range(n // batch_size):
            idx = order[k * batch_size : (k + 1) * batch_size]
            acts, pre = [x[idx]], []
            for i, (w, b) in enumerate(params):
                z = acts[-1] @ w + b
                pre.append(z)
                if i < len(params) - 1:
                    z = np.maximum(z, 0.0) if relu else np.tanh(z)
                acts.append(z)
            p = np.exp(acts[-1] - acts[-1].max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            delta = (p - y_onehot[idx]) / batch_size
            count += 1
            c1, c2 = 1 / (1 - b1**count), 1 / (1 - b2**count)
            for i in range(len(params) - 1, -1, -1):
                grads = (acts[i].T @ delta, delta.sum(axis=0))
                if i:
                    delta = delta @ params[i][0].T
                    if relu:  # jnp.maximum's derivative at a tie is 1/2, as in JAX
                        delta = delta * ((pre[i - 1] > 0) + 0.5 * (pre[i - 1] == 0))
                    else:
                        delta = delta * (1 - acts[i] ** 2)
                for j, g in enumerate(grads):
                    m[i][j] = b1 * m[i][j] + (1 - b1) * g
                    v[i][j] = b2 * v[i][j] + (1 - b2) * g * g
                    params[i][j] -= learning_rate * (m[i][j] * c1) / (np.sqrt(v[i][j] * c2) + eps)
    return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in params])


class IB4Training(NamedTuple):
    run: Callable[[], Any]  # the engine's training, data and parameters prepared beforehand
    members: pd.DataFrame
    init: np.ndarray
    x: np.ndarray
    y_onehot: np.ndarray
    defaults: dict


def ib4_training(epochs, record_epochs, *, seeds=None, relu=(0.0, 1.0)) -> IB4Training:
    """IB4's training at its defaults (data, batch size, Adam at its learning rate; ``seeds``
    defaulting to its own) for ``epochs``, one member per seed and ``relu`` value: the one set-up
    of this benchmark, the kernel trace and the members-per-device scaling."""
    from sims import registry
    from sims.datasets import information_plane_task
    from sims.information import plane

    d = registry.get("IB4").defaults
    x, y = information_plane_task(d["data"])
    x, y_onehot = x.astype(np.float64), np.eye(2)[y]
    seeds = list(d["seeds"] if seeds is None else seeds)
    members = engine.ensemble(seeds, learning_rate=[d["learning_rate"]], relu=list(relu))
    init = plane.initial_parameters(members["seed"])

    def run():
        return engine.train(
            plane._cross_entropy,
            init,
            (x, y_onehot),
            members=members,
            epochs=epochs,
            observe=plane._snapshot,
            optimizer="adam",
            batch_size=d["batch_size"],
            record_epochs=record_epochs,
        )

    return IB4Training(run, members, init, x, y_onehot, d)


def ib4_training_rows(slice_epochs=IB4_SLICE_EPOCHS):
    """IB4's training at its defaults (tanh and ReLU x 3 seeds, batch 256, Adam at 4e-4, 150
    log-spaced records over 8000 epochs, i.e. the same compiled program) for ``slice_epochs``
    epochs, against the NumPy replica, one run at a time, for a third as many epochs per run."""
    from sims import registry

    d = registry.get("IB4").defaults
    schedule = engine.record_schedule(d["epochs"], log_points=d["log_points"])
    # The same number of records as IB4 (the same compiled program), over the slice.
    records = np.unique(np.round(np.linspace(0, slice_epochs, len(schedule))).astype(np.int64))
    run_engine, members, init, x, y_onehot, _ = ib4_training(slice_epochs, records)

    replica_epochs = max(1, slice_epochs // 3)

    def run_replica():
        for flat, relu, seed in zip(init, members["relu"], members["seed"], strict=True):
            numpy_information_plane(
                flat,
                x,
                y_onehot,
                relu=relu > 0.5,
                epochs=replica_epochs,
                batch_size=d["batch_size"],
                learning_rate=d["learning_rate"],
                seed=seed,
            )

    run_engine()  # compile once, outside the timing
    timings = {
        "jax_engine": (best_of(run_engine), len(members) * slice_epochs),
        "numpy_replica_per_run": (best_of(run_replica), len(members) * replica_epochs),
    }
    baseline = timings["numpy_replica_per_run"][1] / timings["numpy_replica_per_run"][0]
    rows = []
    for variant, (seconds, member_epochs) in timings.items():
        rate = member_epochs / seconds
        rows.append(
            dict(
                benchmark="ib4:training",
                variant=variant,
                seconds=seconds,
                member_epochs_per_s=rate,
                ratio_to_numpy_replica=rate / baseline,
            )
        )
        print(f"ib4:training {variant}: {rate:,.0f} member-epochs/s ({rate / baseline:.1f}x)", flush=True)
    return rows


EXPERIMENT = """
import json
from sims import information, registry
d = registry.get("IB4").defaults
run = information.simulate_information_plane(
    seeds=list(d["seeds"]), activations=["tanh", "relu"], epochs=d["epochs"],
    log_points=d["log_points"], learning_rate=d["learning_rate"], batch_size=d["batch_size"])
print(json.dumps(run["seconds"]))
"""


def experiment_rows():
    """IB4's information-plane experiment, uncached, in a fresh process (compile included)."""
    import json

    env = {**os.environ, "SIMS_NO_CACHE": "1", "SIMS_COMPILE_CACHE": "0"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", EXPERIMENT], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    total = time.perf_counter() - start
    training, estimation = json.loads(done.stdout.strip().splitlines()[-1])
    name = "experiment:information_plane"
    print(f"{name}: training {training:.1f}s, MI {estimation:.1f}s, process {total:.1f}s", flush=True)
    return [
        dict(benchmark=name, variant=variant, seconds=seconds)
        for variant, seconds in (
            ("training", training),
            ("mutual_information", estimation),
            ("process", total),
        )
    ]


# Runs a script or module with jax.monitoring's compile events summed, printed at exit.
COMPILE_TIMER = """
import atexit, runpy, sys
import jax.monitoring
EVENTS = {"/jax/core/compile/jaxpr_trace_duration": "trace",
          "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
          "/jax/core/compile/backend_compile_duration": "compile"}
total = dict.fromkeys(EVENTS.values(), 0.0)
def listen(event, seconds, **_):
    if event in EVENTS:
        total[EVENTS[event]] += seconds
jax.monitoring.register_event_duration_secs_listener(listen)
def report():
    print("compile seconds: " + " ".join(f"{k}={v:.3f}" for k, v in total.items()), flush=True)
atexit.register(report)
target, sys.argv = sys.argv[1], sys.argv[1:]
if target.endswith(".py"):
    runpy.run_path(target, run_name="__main__")
else:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""
# cold: empty simulation and compilation caches; warm_compile: the compilation cache that
# cold filled, an empty simulation cache; cached: both filled.
FIGURE_VARIANTS = ("cold", "warm_compile", "cached")


def figure_rows():
    """``make figures`` as it runs (figures/make_all.py in one process, then the report) in
    each of FIGURE_VARIANTS: the wall time of each process, each figure's own time inside
    make_all, and JAX's tracing, lowering and XLA compilation seconds."""
    rows = []
    with (
        tempfile.TemporaryDirectory() as cold_cache,
        tempfile.TemporaryDirectory() as warm_cache,
        tempfile.TemporaryDirectory() as compile_cache,
        tempfile.TemporaryDirectory() as cold_out,
        tempfile.TemporaryDirectory() as warm_out,
    ):
        caches = {"cold": cold_cache, "warm_compile": warm_cache, "cached": warm_cache}
        # cached reuses warm_compile's figures/out: figures whose inputs did not change are not
        # redrawn (figures/make_all.py); the other two draw every figure.
        outs = {"cold": cold_out, "warm_compile": warm_out, "cached": warm_out}
        for variant in FIGURE_VARIANTS:
            out = outs[variant]
            jobs = [
                ("make_all", [str(ROOT / "figures" / "make_all.py")]),
                ("agreement_report", ["sims.report", "--out", out]),
                ("maps_summary", ["sims.cli", "maps", "--results", out]),
            ]
            env = {
                **os.environ,
                "SIMS_CACHE_DIR": caches[variant],
                "SIMS_COMPILE_CACHE": "1",
                "SIMS_COMPILE_CACHE_DIR": compile_cache,
                # jax is imported before sims here: hide jax#38445's false error on each load
                "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
                "FIGURES_OUT": out,
            }
            totals = dict(seconds=0.0, trace=0.0, lower=0.0, compile=0.0)
            for name, command in jobs:
                start = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-c", COMPILE_TIMER, *command],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                seconds = time.perf_counter() - start
                totals["seconds"] += seconds
                if done.returncode:
                    print(done.stderr[-2000:], file=sys.stderr)
                for line in done.stdout.splitlines():
                    if match := re.fullmatch(r"(fig_\w+): ([0-9.]+)s( \(up to date\))?", line):
                        rows.append(
                            dict(benchmark=f"figure:{match[1]}", variant=variant, seconds=float(match[2]))
                        )
                    elif line.startswith("compile seconds: "):
                        for part in line.removeprefix("compile seconds: ").split():
                            key, value = part.split("=")
                            totals[key] += float(value)
                rows.append(dict(benchmark=f"process:{name}", variant=variant, seconds=seconds))
                print(f"{name:20s} {variant:12s} {seconds:7.1f}s", flush=True)
            rows.append(dict(benchmark="process:make_figures", variant=variant, seconds=totals["seconds"]))
            for key in ("trace", "lower", "compile"):
                rows.append(dict(benchmark=f"jax:{key}", variant=variant, seconds=totals[key]))
    return rows


IB4_MEMBER_EPOCHS = 6 * 8000  # the experiment's training: 3 seeds x tanh/ReLU x 8000 epochs
VARIANT_LABELS = {"cold": "cold", "warm_compile": "warm compile cache", "cached": "cached"}


def to_markdown(frame, peak, load=None):
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {os.cpu_count()} CPUs; large-matmul (2048^2, float64, NumPy) "
        f"throughput measured in this run: {peak:.1f} GFLOP/s.",
    ]
    if load is not None:
        lines.append(
            f"Load average (1 min) at the start and the end: {load[0]:.1f}, {load[1]:.1f} "
            "(a shared machine: compare ratios measured in one run, not absolute times)."
        )
    lines += [
        "",
        "## Training engine (64 seeds; targets: at or above 1.9x tiny, 1.65x medium)",
        "",
        "| benchmark | variant | seconds | seed-steps/s | GFLOP/s | x NumPy batched | "
        "fraction of matmul peak |",
        "|---|---|---|---|---|---|---|",
    ]
    engine_part = frame[frame["benchmark"].str.startswith("engine:")]
    for r in engine_part.itertuples():
        lines.append(
            f"| {r.benchmark} | {r.variant} | {r.seconds:.3f} | "
            f"{r.seed_steps_per_s:,.0f} | {r.gflops:.2f} | "
            f"{r.ratio_to_numpy_batched:.2f} | {r.fraction_of_matmul_peak:.3f} |"
        )
    ib4 = frame[frame["benchmark"] == "ib4:training"]
    experiments = frame[frame["benchmark"].str.startswith("experiment:")]
    if len(ib4):
        replica = ib4.loc[ib4["variant"] == "numpy_replica_per_run", "member_epochs_per_s"].iloc[0]
        lines += [
            "",
            "## IB4 training vs a per-run NumPy replica (target >= 15x)",
            "",
            "| variant | seconds | member-epochs/s | x NumPy replica |",
            "|---|---|---|---|",
        ]
        for r in ib4.itertuples():
            rate, ratio = r.member_epochs_per_s, r.ratio_to_numpy_replica
            lines.append(f"| {r.variant} | {r.seconds:.2f} | {rate:,.0f} | {ratio:.1f} |")
        training = experiments[experiments["variant"] == "training"]
        if len(training):
            rate = IB4_MEMBER_EPOCHS / training["seconds"].iloc[0]
            lines.append(
                f"| full experiment, compile included (section below) | {training['seconds'].iloc[0]:.2f} | "
                f"{rate:,.0f} | {rate / replica:.1f} |"
            )
    lines += bench_profile.to_markdown(frame)
    if len(experiments):
        lines += [
            "",
            "## Experiments (uncached, fresh process, no compilation cache)",
            "",
            "| experiment | part | seconds |",
            "|---|---|---|",
        ]
        for r in experiments.itertuples():
            lines.append(f"| {r.benchmark.removeprefix('experiment:')} | {r.variant} | {r.seconds:.1f} |")
    processes = frame[frame["benchmark"].str.startswith("process:")]
    if len(processes):
        table = processes.pivot(index="benchmark", columns="variant", values="seconds")
        variants = [v for v in VARIANT_LABELS if v in table.columns]
        lines += [
            "",
            "## `make figures` (targets: cold <= 150 s, cached <= 20 s on 2 cores)",
            "",
            "| process | " + " | ".join(f"{VARIANT_LABELS[v]} s" for v in variants) + " |",
            "|---|" + "---|" * len(variants),
        ]
        names = ["make_all", "agreement_report", "maps_summary", "make_figures"]
        for name in [f"process:{n}" for n in names if f"process:{n}" in table.index]:
            label = name.removeprefix("process:")
            if label == "make_figures":
                label = "**make figures, total**"
            lines.append(f"| {label} | " + " | ".join(f"{table.loc[name, v]:.1f}" for v in variants) + " |")
        compile_rows = frame[frame["benchmark"].str.startswith("jax:")]
        if len(compile_rows):
            jax_time = compile_rows.pivot(index="benchmark", columns="variant", values="seconds")
            total = table.loc["process:make_figures"]
            lines.append(
                "| JAX tracing + lowering | "
                + " | ".join(
                    f"{jax_time.loc['jax:trace', v] + jax_time.loc['jax:lower', v]:.1f}" for v in variants
                )
                + " |"
            )
            lines.append(
                "| XLA compilation (share of the total) | "
                + " | ".join(
                    f"{jax_time.loc['jax:compile', v]:.1f} ({jax_time.loc['jax:compile', v] / total[v]:.0%})"
                    for v in variants
                )
                + " |"
            )
    lines += bench_maps.to_markdown(frame)
    figures = frame[frame["benchmark"].str.startswith("figure:")]
    if len(figures):
        table = figures.pivot(index="benchmark", columns="variant", values="seconds")
        variants = [v for v in VARIANT_LABELS if v in table.columns]
        lines += [
            "",
            "### Each figure inside make_all (the first one also pays JAX's start-up)",
            "",
            "| figure | " + " | ".join(f"{VARIANT_LABELS[v]} s" for v in variants) + " |",
            "|---|" + "---|" * len(variants),
        ]
        for name, row in table.iterrows():
            lines.append(
                f"| {name.removeprefix('figure:')} | " + " | ".join(f"{row[v]:.1f}" for v in variants) + " |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="engine and figure benchmarks")
    parser.add_argument("--skip-figures", action="store_true")
    parser.add_argument("--skip-experiments", action="store_true")
    parser.add_argument("--skip-ib4", action="store_true")
    parser.add_argument("--skip-maps", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "results"), help="where bench.csv and bench.md go")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    peak = matmul_gflops()
    rows = engine_rows(peak)
    # Measured again after the engine runs: the best of both is the machine's throughput,
    # robust to a neighbour that loaded the machine during one of them.
    peak_after = matmul_gflops()
    for row in rows:
        row["fraction_of_matmul_peak"] *= peak / max(peak, peak_after)
    peak = max(peak, peak_after)
    rows += bench_profile.anatomy_rows("engine:deep_linear_tiny")
    if not args.skip_ib4:
        rows += ib4_training_rows()
        rows += bench_profile.anatomy_rows("ib4")
        rows += bench_profile.scaling_rows()
    if not args.skip_experiments:
        rows += experiment_rows()
    if not args.skip_maps:
        rows += bench_maps.map_rows()
    if not args.skip_figures:
        rows += figure_rows()
    frame = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    columns = ["benchmark", "variant", "seconds", "seed_steps_per_s", "gflops", "ratio_to_numpy_batched"]
    extra = ("member_epochs_per_s", "ratio_to_numpy_replica", "points", "points_per_s", "member_steps_per_s")
    extra += ("kernels", "microseconds", "members")
    columns += [c for c in extra if c in frame]
    frame[columns].to_csv(out / "bench.csv", index=False)
    (out / "bench.md").write_text(to_markdown(frame, peak, load=(load_start, os.getloadavg()[0])))
    print((out / "bench.md").read_text())


if __name__ == "__main__":
    main()
