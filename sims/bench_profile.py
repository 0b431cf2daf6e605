"""Where the training time goes (issue 15): XLA's own kernels of a training slice, from JAX's
profiler, in a fresh process (the kernel trace needs an XLA flag set before jax starts), and
how an epoch's time grows with the members a device trains.

Two slices: IB4's training at its defaults (:func:`sims.bench.ib4_training_rows`' set-up) for
PROFILE_EPOCHS epochs, and the engine's tiny deep linear benchmark (full-batch GD, one step an
epoch) for TINY_EPOCHS. Every XLA:CPU kernel the trace shows is classed by how often it ran:
once per optimiser step on each device (forward, backward, update, batch gather) or once per
epoch (the epoch's permutation: random bits and a sort). Per device and epoch the table gives
the number of kernels run, their traced time by kind (matmuls split into those XLA hands to
YNNPACK and its own dot emitter's), and the epoch's untraced wall time. The trace's own
overhead inflates the traced times (~0.1-0.5 us per kernel); the untraced time is a separate
run of the same slice.

Whether those kernels are bound by their dispatch or by their own work is read off
:func:`scaling_rows`: IB4's training on one device with 1, 3 and 12 members (the same
kernels, each doing 1, 3 or 12 members' work). Were dispatch the cost, the time per
member-epoch would fall about as 1/members; where it stays flat, the kernels' arithmetic and
memory traffic set the time, and fewer kernels cannot help.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sims.cache import ROOT

PROFILE_EPOCHS = 20
TINY_EPOCHS = 200
CASES = ("ib4", "engine:deep_linear_tiny")

PROFILE = """
import collections, glob, gzip, json, sys, tempfile, time
import jax, numpy as np
import sims
from sims import bench, engine
case, epochs = sys.argv[1], int(sys.argv[2])
if case == "ib4":
    run, members, _, x, _, d = bench.ib4_training(epochs, np.array([0, epochs]))
    steps = len(x) // d["batch_size"]
else:
    widths, activation, samples, _ = bench.CASES[case]
    x, y, init = bench.make_problem(widths, samples, bench.SEEDS)
    members, steps = engine.ensemble(range(bench.SEEDS), learning_rate=1e-3), 1
    def run():
        engine.train(bench.LOSSES[activation], init, (x, y), members=members, epochs=epochs,
                     record_every=epochs)
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
                      steps=steps, total=total, count=count)))
"""


SCALING_MEMBERS = (1, 3, 12)
SCALING_EPOCHS = 40

SCALING = """
import json, sys
import numpy as np
import sims
from sims import bench
epochs = int(sys.argv[1])
found = {}
for n in map(int, sys.argv[2:]):
    run = bench.ib4_training(epochs, np.array([0, epochs]), seeds=range(n), relu=(0.0,)).run
    run()
    found[n] = bench.best_of(run) / (n * epochs)
print(json.dumps(found))
"""


def _fresh_process(script: str, *args, **env_extra) -> str:
    """The last line a fresh Python running ``script`` with ``args`` printed."""
    env = {
        **os.environ,
        "SIMS_COMPILE_CACHE": "0",
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=ROOT,
        env={**env, **env_extra},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def scaling_rows(members=SCALING_MEMBERS, epochs=SCALING_EPOCHS):
    """Rows ``scaling:ib4``: IB4's training (tanh members, its batch size and Adam) on one CPU
    device, microseconds per member-epoch with each number of ``members``, in a fresh process."""
    found = json.loads(_fresh_process(SCALING, epochs, *members, SIMS_CPU_DEVICES="1"))
    return scaling(found)


def scaling(found: dict) -> list[dict]:
    """The rows of :func:`scaling_rows` from the script's ``{members: seconds per member-epoch}``."""
    rows = [
        dict(
            benchmark="scaling:ib4",
            variant=f"{n} member{'' if int(n) == 1 else 's'} on one device",
            members=int(n),
            microseconds=t * 1e6,
        )
        for n, t in sorted(found.items(), key=lambda item: int(item[0]))
    ]
    print(
        "scaling:ib4: " + ", ".join(f"{r['members']}: {r['microseconds']:.0f} us" for r in rows), flush=True
    )
    return rows


CONTAINERS = ("while", "call", "conditional")  # XLA control flow: their time holds their kernels'


def kind(name: str) -> str:
    """The kind of an XLA:CPU kernel from its name (XLA names fusions after their ops)."""
    if "sort" in name:
        return "sort (the permutation)"
    if "gather" in name:
        return "gather (the minibatch)"
    if name.startswith("ynn_fusion"):
        return "matmul (YNNPACK)"
    if name.startswith("dot"):
        return "matmul (XLA's dot emitter)"
    return "elementwise and reductions"


def anatomy_rows(case: str = "ib4", epochs: int | None = None):
    """Rows ``anatomy:<case>`` per device and epoch: kernels and traced microseconds of each kind
    in the optimiser steps and in the rest of the epoch, and the untraced wall time of an epoch."""
    if case not in CASES:
        raise ValueError(f"case must be one of {CASES}, got {case!r}")
    epochs = epochs or (PROFILE_EPOCHS if case == "ib4" else TINY_EPOCHS)
    flags = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true").strip()
    found = _fresh_process(PROFILE, case, epochs, XLA_FLAGS=flags)
    rows = anatomy(json.loads(found), case, epochs)
    print(f"anatomy:{case}: {rows[-1]['microseconds']:.0f} us per epoch", flush=True)
    return rows


def anatomy(found: dict, case: str, epochs: int) -> list[dict]:
    """The rows of :func:`anatomy_rows` from the profile script's output ``found``: the wall
    seconds, devices, steps an epoch, and each traced name's total microseconds and count."""
    per_epoch = found["devices"] * epochs  # how often an epoch's kernel runs, over all devices
    steps = found["steps"]

    def row(part, names, runs):  # runs: how often each of names runs in an epoch
        return dict(
            benchmark=f"anatomy:{case}",
            variant=part,
            kernels=len(names) * runs,
            microseconds=sum(found["total"][n] for n in names) / per_epoch,
        )

    count = found["count"]
    leaves = [n for n in count if not n.startswith(CONTAINERS)]
    in_steps = [n for n in leaves if count[n] == per_epoch * steps]
    where = "in the step" if steps == 1 else f"in the {steps} steps"
    rows = [
        row(f"{where}: {part}", [n for n in in_steps if kind(n) == part], steps)
        for part in sorted({kind(n) for n in in_steps})
    ]
    if steps > 1:  # minibatches: the epoch's permutation runs once an epoch, outside the steps
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
            benchmark=f"anatomy:{case}",
            variant="an epoch's untraced wall time",
            kernels=sum(r["kernels"] for r in rows),
            microseconds=found["wall"] / epochs * 1e6,
        )
    )
    return rows


TITLES = {
    "ib4": f"IB4's training: an epoch (16 Adam steps) on one device, {PROFILE_EPOCHS} epochs traced",
    "engine:deep_linear_tiny": (
        f"the engine's tiny benchmark (engine.matmul): a GD step on one device, {TINY_EPOCHS} traced"
    ),
}


def to_markdown(frame) -> list[str]:
    lines = []
    for case in CASES:
        part = frame[frame["benchmark"] == f"anatomy:{case}"]
        if not len(part):
            continue
        epoch = part.iloc[-1]
        lines += [
            "",
            f"### Where the time goes, {TITLES[case]}",
            "",
            "| part of an epoch | kernels run | traced us |",
            "|---|---|---|",
            *(f"| {r.variant} | {r.kernels:.0f} | {r.microseconds:.0f} |" for r in part.itertuples()),
            "",
            f"{epoch.microseconds / epoch.kernels:.1f} us of wall time per kernel run.",
        ]
    scaled = frame[frame["benchmark"] == "scaling:ib4"]
    if len(scaled):
        alone = scaled["microseconds"].iloc[0]
        lines += [
            "",
            f"### Dispatch or work: IB4's training on one device, {SCALING_EPOCHS} epochs",
            "",
            "The same kernels, each doing more members' work: were their dispatch the cost, the time "
            "per member-epoch would fall about as 1/members.",
            "",
            "| members | us per member-epoch | x the time of one member alone |",
            "|---|---|---|",
            *(
                f"| {r.members:.0f} | {r.microseconds:.0f} | {r.microseconds / alone:.2f} |"
                for r in scaled.itertuples()
            ),
        ]
    return lines
