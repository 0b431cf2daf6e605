"""Benchmarks, measured in one process so that ratios compare like with like.

    python -m sims.bench [--skip-experiments] [--skip-figures]

(a) The training engine on two ensembles, against two NumPy implementations of the same
    training (hand-batched over seeds with manual backprop, and a per-seed loop) and against
    the machine's large-matmul throughput measured in this run:
      - tiny deep linear: 64 seeds x 2000 steps, widths 8-16-16-8, 64 samples;
      - medium tanh MLP: 64 seeds x 1000 steps, widths 32-64-64-10, 256 samples.
(b) The information-plane experiment of claim IB4 (tanh and ReLU, 3 seeds each, 8000 epochs of
    minibatch Adam, binned MI at 150 epochs), uncached in a fresh process: training and MI.
(c) ``make figures`` (every figure in one process, then the agreement report), cold (empty
    simulation cache) and cached, with each figure's time.

Writes results/bench.csv (benchmark, variant, seconds, seed_steps_per_s, gflops,
ratio_to_numpy_batched) and results/bench.md. Timings are best-of-3 wall-clock seconds for
(a) and single runs for (b) and (c); nothing is asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import jax.numpy as jnp
import numpy as np
import pandas as pd

from sims import engine
from sims.cache import ROOT

SEEDS = 64
CASES = {
    # name: (widths, activation, samples, steps)
    "engine:deep_linear_tiny": ((8, 16, 16, 8), "linear", 64, 2000),
    "engine:tanh_mlp_medium": ((32, 64, 64, 10), "tanh", 256, 1000),
}


def _forward(weights, x, activation):
    h = x
    for k, w in enumerate(weights):
        h = h @ w
        if activation == "tanh" and k < len(weights) - 1:
            h = jnp.tanh(h)
    return h


def mlp_loss_linear(weights, batch, hyper):
    x, y = batch
    return 0.5 * jnp.mean(jnp.sum((_forward(weights, x, "linear") - y) ** 2, axis=1))


def mlp_loss_tanh(weights, batch, hyper):
    x, y = batch
    return 0.5 * jnp.mean(jnp.sum((_forward(weights, x, "tanh") - y) ** 2, axis=1))


LOSSES = {"linear": mlp_loss_linear, "tanh": mlp_loss_tanh}


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

    def run_engine():
        engine.train(LOSSES[activation], weights, (x, y), members=members, epochs=steps, record_every=steps)

    run_engine()  # compile once, outside the timing
    # The per-seed loop is slow: time 8 seeds x steps/4 and report its rate.
    few, few_steps = tuple(w[:8] for w in weights), steps // 4
    timings = {
        "jax_engine": (best_of(run_engine), SEEDS * steps),
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

    env = {**os.environ, "SIMS_NO_CACHE": "1"}
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


def figure_rows():
    """``make figures`` as it runs (figures/make_all.py in one process, then the report),
    with an empty simulation cache and again with the cache it filled: the wall time of
    each process and each figure's own time inside make_all."""
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "SIMS_CACHE_DIR": cache, "FIGURES_OUT": out}
        jobs = [
            ("make_all", [sys.executable, str(ROOT / "figures" / "make_all.py")]),
            ("agreement_report", [sys.executable, "-m", "sims.report", "--out", out]),
        ]
        for variant in ("cold", "cached"):
            total = 0.0
            for name, command in jobs:
                start = time.perf_counter()
                done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
                seconds = time.perf_counter() - start
                total += seconds
                if done.returncode:
                    print(done.stderr[-2000:], file=sys.stderr)
                for line in done.stdout.splitlines():
                    if match := re.fullmatch(r"(fig_\w+): ([0-9.]+)s", line):
                        rows.append(
                            dict(benchmark=f"figure:{match[1]}", variant=variant, seconds=float(match[2]))
                        )
                rows.append(dict(benchmark=f"process:{name}", variant=variant, seconds=seconds))
                print(f"{name:20s} {variant:6s} {seconds:7.1f}s", flush=True)
            rows.append(dict(benchmark="process:make_figures", variant=variant, seconds=total))
    return rows


def to_markdown(frame, peak):
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {os.cpu_count()} CPUs; large-matmul (2048^2, float64, NumPy) "
        f"throughput measured in this run: {peak:.1f} GFLOP/s.",
        "",
        "## Training engine (64 seeds)",
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
    experiments = frame[frame["benchmark"].str.startswith("experiment:")]
    if len(experiments):
        lines += [
            "",
            "## Experiments (uncached, fresh process)",
            "",
            "| experiment | part | seconds |",
            "|---|---|---|",
        ]
        for r in experiments.itertuples():
            lines.append(f"| {r.benchmark.removeprefix('experiment:')} | {r.variant} | {r.seconds:.1f} |")
    processes = frame[frame["benchmark"].str.startswith("process:")]
    if len(processes):
        table = processes.pivot(index="benchmark", columns="variant", values="seconds")
        lines += [
            "",
            "## `make figures` (targets: cold <= 300 s, cached <= 30 s on 2 cores)",
            "",
            "| process | cold s | cached s |",
            "|---|---|---|",
        ]
        for name in ("process:make_all", "process:agreement_report", "process:make_figures"):
            row = table.loc[name]
            label = name.removeprefix("process:")
            if label == "make_figures":
                label = "**make figures, total**"
            lines.append(f"| {label} | {row['cold']:.1f} | {row['cached']:.1f} |")
    figures = frame[frame["benchmark"].str.startswith("figure:")]
    if len(figures):
        table = figures.pivot(index="benchmark", columns="variant", values="seconds")
        lines += [
            "",
            "### Each figure inside make_all (the first one also pays JAX's start-up)",
            "",
            "| figure | cold s | cached s |",
            "|---|---|---|",
        ]
        for name, row in table.iterrows():
            lines.append(f"| {name.removeprefix('figure:')} | {row['cold']:.1f} | {row['cached']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="engine and figure benchmarks")
    parser.add_argument("--skip-figures", action="store_true")
    parser.add_argument("--skip-experiments", action="store_true")
    args = parser.parse_args(argv)
    peak = matmul_gflops()
    rows = engine_rows(peak)
    # Measured again after the engine runs: the best of both is the machine's throughput,
    # robust to a neighbour that loaded the machine during one of them.
    peak_after = matmul_gflops()
    for row in rows:
        row["fraction_of_matmul_peak"] *= peak / max(peak, peak_after)
    peak = max(peak, peak_after)
    if not args.skip_experiments:
        rows += experiment_rows()
    if not args.skip_figures:
        rows += figure_rows()
    frame = pd.DataFrame(rows)
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    columns = ["benchmark", "variant", "seconds", "seed_steps_per_s", "gflops", "ratio_to_numpy_batched"]
    frame[columns].to_csv(out / "bench.csv", index=False)
    (out / "bench.md").write_text(to_markdown(frame, peak))
    print((out / "bench.md").read_text())


if __name__ == "__main__":
    main()
