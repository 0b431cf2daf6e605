"""Where IB4's training time goes (issue 15): XLA's own kernels of one training slice, from
JAX's profiler, in a fresh process (the kernel trace needs an XLA flag set before jax starts).

The slice is IB4's training at its defaults (:func:`sims.bench.ib4_training_rows`' set-up) for
PROFILE_EPOCHS epochs. Every XLA:CPU kernel the trace shows is classed by how often it ran:
once per optimiser step on each device (the Adam step: forward, backward, update, batch
gather) or once per epoch (the epoch's permutation: a sort). Per device and step the table
gives the number of kernels, their traced time by kind, and the step's untraced wall time, so
that the time per kernel is visible: a step of many tiny kernels is bound by their dispatch,
not by arithmetic. The trace's own overhead inflates the traced times (~0.1-0.5 us per
kernel); the untraced time is a separate run of the same slice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sims.cache import ROOT

PROFILE_EPOCHS = 20

PROFILE = """
import collections, glob, gzip, json, sys, tempfile, time
import jax, numpy as np
import sims
from sims import engine, registry
from sims.datasets import information_plane_task
from sims.information import plane
epochs = int(sys.argv[1])
d = registry.get("IB4").defaults
x, y = information_plane_task(d["data"])
members = engine.ensemble(list(d["seeds"]), learning_rate=[d["learning_rate"]], relu=[0.0, 1.0])
init = plane.initial_parameters(members["seed"])
def run():
    engine.train(plane._cross_entropy, init, (x.astype(np.float64), np.eye(2)[y]), members=members,
                 epochs=epochs, observe=plane._snapshot, optimizer="adam", batch_size=d["batch_size"],
                 record_epochs=np.array([0, epochs]))
run()
wall = []
for _ in range(3):
    start = time.perf_counter(); run(); wall.append(time.perf_counter() - start)
with tempfile.TemporaryDirectory() as trace:
    jax.profiler.start_trace(trace, create_perfetto_trace=True)
    run()
    jax.profiler.stop_trace()
    events = json.load(gzip.open(glob.glob(f"{trace}/**/*.json.gz", recursive=True)[0]))
events = events["traceEvents"] if isinstance(events, dict) else events
total, count = collections.Counter(), collections.Counter()
for e in events:
    if e.get("ph") == "X" and not e["name"].startswith(("$", "end: ")):
        total[e["name"]] += e.get("dur", 0.0)
        count[e["name"]] += 1
print(json.dumps(dict(wall=min(wall), devices=len(jax.devices()), members=len(members),
                      steps=len(x) // d["batch_size"], total=total, count=count)))
"""


CONTAINERS = ("while", "call", "conditional")  # XLA control flow: their time holds their kernels'


def kind(name: str) -> str:
    """The kind of an XLA:CPU kernel from its name (XLA names fusions after their ops)."""
    if "sort" in name:
        return "sort (the permutation)"
    if "gather" in name:
        return "gather (the minibatch)"
    if name.startswith(("dot", "ynn_fusion")):
        return "matmul"
    return "elementwise and reductions"


def anatomy_rows(epochs: int = PROFILE_EPOCHS):
    """Rows ``ib4:anatomy`` per device and epoch: kernels and traced microseconds of each kind
    in the optimiser steps and in the rest of the epoch, and the untraced wall time of an epoch."""
    env = {
        **os.environ,
        "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true").strip(),
        "SIMS_COMPILE_CACHE": "0",
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROFILE, str(epochs)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    per_epoch = found["devices"] * epochs  # how often an epoch's kernel runs, over all devices
    steps = found["steps"]

    def row(part, names, runs):  # runs: how often each of names runs in an epoch
        return dict(
            benchmark="ib4:anatomy",
            variant=part,
            kernels=len(names) * runs,
            microseconds=sum(found["total"][n] for n in names) / per_epoch,
        )

    count = found["count"]
    leaves = [n for n in count if not n.startswith(CONTAINERS)]
    in_steps = [n for n in leaves if count[n] == per_epoch * steps]
    rows = [
        row(f"in the {steps} steps: {part}", [n for n in in_steps if kind(n) == part], steps)
        for part in sorted({kind(n) for n in in_steps})
    ]
    loops = sorted(
        (n for n in count if n.startswith("while") and count[n] == per_epoch), key=found["total"].get
    )
    once = [n for n in leaves if count[n] == per_epoch]
    # The epoch's largest loop is its scan over the steps; the others (the random bits'
    # threefry rounds) and the epoch's own kernels are the permutation's and bookkeeping.
    rows.append(row("sort (the permutation)", [n for n in once if kind(n).startswith("sort")], 1))
    rest = [n for n in once if not kind(n).startswith("sort")] + loops[:-1]
    rows.append(row("random bits (threefry loop) and bookkeeping", rest, 1))
    rows.append(
        dict(
            benchmark="ib4:anatomy",
            variant="an epoch's untraced wall time",
            kernels=sum(r["kernels"] for r in rows),
            microseconds=found["wall"] / epochs * 1e6,
        )
    )
    print(f"ib4:anatomy: {rows[-1]['microseconds']:.0f} us per epoch and device", flush=True)
    return rows


def to_markdown(frame) -> list[str]:
    part = frame[frame["benchmark"] == "ib4:anatomy"]
    if not len(part):
        return []
    lines = [
        "",
        f"### Where IB4's training time goes: an epoch on one device, {PROFILE_EPOCHS} epochs traced",
        "",
        "| part of an epoch | kernels run | traced us |",
        "|---|---|---|",
    ]
    for r in part.itertuples():
        lines.append(f"| {r.variant} | {r.kernels:.0f} | {r.microseconds:.0f} |")
    epoch = part.iloc[-1]
    lines += [
        "",
        f"{epoch.microseconds / epoch.kernels:.1f} us of wall time per kernel run: the steps' kernels "
        "are tiny (layers of width 2-12 over 256 samples), so their count, not their arithmetic, "
        "sets the time.",
    ]
    return lines
