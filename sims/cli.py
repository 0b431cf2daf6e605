"""The command line for researchers: ``theory-suite`` (or ``python -m sims.cli``).

    theory-suite claims                         list every claim (and map) with its statement
    theory-suite check DL1 learning_rate=2e-3   one claim at your own parameters; exit 1 if it fails
    theory-suite map DL-M1 [--resolution 24] [--scheduler tcp://host:8786 | --local-cluster 2]
    theory-suite maps                           every map, results/maps/*.csv and results/validity.md
    theory-suite report [--only DL1 ...]        the agreement report (results/agreement.*)

Values in ``key=value`` are read as JSON where they parse (numbers, lists, true/false) and
as strings otherwise. A map on a cluster: ``--scheduler`` connects to a running Dask
scheduler (e.g. one started by dask-jobqueue on SLURM, see the README); ``--local-cluster N``
starts N local worker processes. Either way the points are the same numbers as in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"parameters are key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        overrides[key] = _value(value)
    return overrides


@contextlib.contextmanager
def dask_executor(scheduler: str | None = None, local_workers: int = 0):
    """A ``concurrent.futures`` executor on Dask distributed: connected to ``scheduler`` or
    on a LocalCluster of ``local_workers`` processes (spawned, one thread and one JAX CPU
    device each: SIMS_CPU_DEVICES=1 and a single-threaded XLA through Dask's pre-spawn
    environment). Yields None when neither is asked for (the sweep then runs in-process)."""
    if not scheduler and not local_workers:
        yield None
        return
    import dask
    from distributed import Client, LocalCluster

    # One device and one XLA thread per worker: the workers share the host's cores, and Eigen's
    # intra-op threads made two workers contend (DL-M1: the map's run 8.2 -> 7.6 s on 2 cores).
    single = {"SIMS_CPU_DEVICES": "1", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"}
    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in single.items()}):
        if scheduler:
            client = Client(scheduler)
            cluster = None
        else:
            cluster = LocalCluster(
                n_workers=local_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            client = Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="theory-suite", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("claims", help="list every claim")
    check = commands.add_parser("check", help="check one claim at your parameters")
    check.add_argument("label", help="claim label (DL1) or id (deep_linear.mode_trajectory)")
    check.add_argument("params", nargs="*", help="key=value overrides of the claim's defaults")
    check.add_argument("--tier", default="defaults", choices=["defaults", "quick", "thorough"])
    one = commands.add_parser("map", help="run one validity map")
    one.add_argument("name")
    one.add_argument("--resolution", type=int, default=None, help="points per axis")
    one.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    one.add_argument("--local-cluster", type=int, default=0, metavar="N", help="start N local Dask workers")
    one.add_argument("--results", type=Path, default=None, help="results folder (default: results/)")
    every = commands.add_parser("maps", help="run every validity map, write results/validity.md")
    every.add_argument("--resolution", type=int, default=None)
    every.add_argument("--scheduler", default=None)
    every.add_argument("--local-cluster", type=int, default=0, metavar="N")
    every.add_argument("--results", type=Path, default=None, help="results folder (default: results/)")
    report = commands.add_parser("report", help="the agreement report")
    report.add_argument("--only", nargs="*", default=None)
    args, extra = parser.parse_known_args(argv)
    # check's key=value pairs may also follow its options (check DL1 --tier quick lr=0.1)
    if extra and args.command == "check" and all("=" in e and not e.startswith("-") for e in extra):
        args.params, extra = [*args.params, *extra], []
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _run(args)
    except ValueError as error:  # bad input (a label, a map, a parameter): say which, no traceback
        parser.exit(2, f"theory-suite {args.command}: {error}\n")


def _run(args) -> int:
    from sims import registry

    if args.command == "claims":
        for label, claim in registry.all_claims().items():
            print(f"{label:7s} {claim.id:45s} {claim.statement}")
        return 0
    if args.command == "check":
        claim = registry.get(args.label)
        params = claim.params(args.tier, **_overrides(args.params))
        unknown = sorted(set(params) - set(claim.defaults))
        if unknown:
            raise SystemExit(
                f"{claim.label} has no parameter {unknown}; its parameters: {sorted(claim.defaults)}"
            )
        outcome = claim.run(**params)
        print(f"{claim.label} {claim.id}: {'PASS' if outcome.passed else 'FAIL'}")
        print(f"  {claim.statement}")
        print(f"  params: {json.dumps(params, default=str)}")
        for comparison in outcome.comparisons:
            print(f"  {'ok  ' if comparison.passed else 'FAIL'} {comparison.describe()}")
        for condition in outcome.conditions:
            print(f"  {'ok  ' if condition.passed else 'FAIL'} {condition.name}: {condition.why}")
        return 0 if outcome.passed else 1
    if args.command in ("map", "maps"):
        import pandas as pd

        from sims import sweep, validity

        results = args.results or sweep.RESULTS

        with dask_executor(args.scheduler, args.local_cluster) as executor:
            if args.command == "maps":
                table = validity.validity_report(
                    resolution=args.resolution, executor=executor, progress=True, results=results
                )
            else:
                spec = sweep.get(args.name)
                start = time.perf_counter()
                frame = sweep.run(spec, args.resolution, executor=executor, progress=True)
                path = validity.write_csv(spec, frame, results)
                table = pd.DataFrame([validity.summary_row(spec, frame, time.perf_counter() - start)])
                print(f"wrote {path}")
        print(table.to_string(index=False))
        # A map whose disagreement is a documented finding is a result, not a failure.
        return 0 if bool((table["boundary_passed"] | table["finding"]).all()) else 1
    if args.command == "report":
        from sims import report as report_module

        return report_module.main(["--only", ",".join(args.only)] if args.only else [])
    return 2


if __name__ == "__main__":
    sys.exit(main())
