"""The agreement report: every claim of the registry checked at its default parameters.

    python -m sims.report [--thorough] [--only DL1,DL2] [--out results]

writes ``results/agreement.csv`` and ``results/agreement.md`` (one row per claim: claim,
area, source, statement, predicted, observed, error, tolerance, passed, seconds, params)
and exits non-zero when a claim fails, after writing both files. Outcomes are cached like
any simulation (:mod:`sims.cache`), so a second run only re-reads them; ``seconds`` is the
time the check took when it was computed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from sims import registry
from sims.cache import ROOT, cached

COLUMNS = [
    "claim", "id", "area", "source", "statement", "predicted", "observed", "error",
    "tolerance", "passed", "seconds", "params", "closed_form", "simulation", "error_model",
    "measured", "notes",
]


@cached
def evaluate(*, label: str, params: dict) -> dict:
    """Run one claim's check with these parameters; the row of the report (cached)."""
    claim = registry.get(label)
    start = time.perf_counter()
    outcome = claim.run(**params)
    seconds = time.perf_counter() - start
    notes = "; ".join(f"{name}: {why}" for name, _, why in outcome.parts)
    return {
        "claim": claim.label, "id": claim.id, "area": claim.area, "source": claim.source,
        "statement": claim.statement, "predicted": outcome.predicted,
        "observed": outcome.observed, "error": outcome.error, "tolerance": outcome.tolerance,
        "passed": outcome.passed, "seconds": round(seconds, 2),
        "params": json.dumps(params, sort_keys=True), "closed_form": claim.closed_form_name,
        "simulation": claim.simulation, "error_model": claim.error_model,
        "measured": claim.measured, "notes": notes,
    }


def build(*, thorough: bool = False, only: list[str] | None = None) -> pd.DataFrame:
    claims = registry.all_claims()
    if only:
        claims = {label: registry.get(label) for label in only}
    rows = []
    for claim in tqdm(claims.values(), desc="claims", unit="claim", disable=None):
        params = {**claim.defaults, **(claim.thorough if thorough else {})}
        rows.append(evaluate(label=claim.label, params=params))
    return pd.DataFrame(rows, columns=COLUMNS)


def to_markdown(frame: pd.DataFrame, *, thorough: bool) -> str:
    passed = int(frame["passed"].sum())
    lines = [
        "# Agreement report",
        "",
        f"{passed} of {len(frame)} claims pass at their "
        f"{'thorough' if thorough else 'default'} parameters. "
        "Regenerate with `make report` (`make check` for the thorough tier).",
        "",
        "| claim | statement | predicted | observed | error | tolerance | passed | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        mark = "yes" if row.passed else "**NO**"
        lines.append(
            f"| {row.claim} `{row.id}` | {row.statement} | {row.predicted:.6g} | "
            f"{row.observed:.6g} | {row.error:.3g} | {row.tolerance:.3g} | {mark} | "
            f"{row.seconds:.1f} |"
        )
    lines += ["", "## Details", ""]
    for row in frame.itertuples():
        lines += [
            f"### {row.claim} `{row.id}`",
            "",
            f"- source: {row.source}",
            f"- closed form: `{row.closed_form}`; simulation: `{row.simulation}`",
            f"- measured: {row.measured}",
            f"- error model: {row.error_model}",
            f"- parameters: `{row.params}`",
        ]
        if row.notes:
            lines.append(f"- parts: {row.notes}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--thorough", action="store_true", help="use each claim's thorough params")
    parser.add_argument("--only", default="", help="comma-separated claim labels")
    parser.add_argument("--out", default=str(ROOT / "results"), help="output folder")
    args = parser.parse_args(argv)
    frame = build(thorough=args.thorough, only=[s for s in args.only.split(",") if s])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "_thorough" if args.thorough else ""
    frame.to_csv(out / f"agreement{suffix}.csv", index=False)
    (out / f"agreement{suffix}.md").write_text(to_markdown(frame, thorough=args.thorough))
    for row in frame.itertuples():
        status = "pass" if row.passed else "FAIL"
        print(f"{status}  {row.claim:5s} {row.id:45s} error={row.error:.3g} "
              f"tol={row.tolerance:.3g}  {row.seconds:.1f}s")
    print(f"wrote {out / f'agreement{suffix}.md'}")
    return 0 if frame["passed"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
