"""Run every figure script (figures/fig_*.py) in one process, so JAX starts only once.

    python figures/make_all.py [--force] [substring ...]

With arguments, only the scripts whose name contains one of them. Prints each figure's
wall time; a figure that fails is reported and the run exits non-zero after the others.

A figure whose inputs have not changed since it was drawn is not drawn again (its PNG and SVG
are deterministic bytes): a stamp beside the outputs (figures/out/.stamps/) records the key
of what the figure depends on -- the source of every file in theory/ and sims/ (so any edit
there redraws every figure), the script itself, style.py and this runner, the versions of the
numerical libraries, matplotlib and pandas, and which 12-bit data set the information figures
read -- with the SHA-256 of each output. A missing or changed output, or another key, redraws
it; ``--force`` (or FIGURES_FORCE=1) redraws everything.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import runpy
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import style  # noqa: E402  (figures/ on the path first: the scripts import it the same way)

SUFFIXES = (".png", ".svg")


@functools.cache
def _shared_facts() -> str:
    """Every project source (theory/, sims/), style.py, this runner, the libraries' versions and
    the data set: what every figure depends on (computed once per run)."""
    import matplotlib
    import pandas

    from sims import cache, datasets

    project = [p for package in cache.PACKAGES for p in sorted((cache.ROOT / package).rglob("*.py"))]
    code = cache.code_fingerprint(*project, HERE / "style.py", Path(__file__).resolve())
    facts = [
        code,
        f"matplotlib {matplotlib.__version__}, pandas {pandas.__version__}",
        datasets.default_data_source(),
        os.environ.get("SIMS_IB_DATA", ""),
    ]
    return json.dumps(facts)


def figure_key(script: Path) -> str:
    """The hash of everything ``script``'s output depends on (see the module docstring): a
    figure script imports only style and the project's packages, all in the shared facts."""
    return hashlib.sha256(_shared_facts().encode() + script.read_bytes()).hexdigest()


def _outputs(script: Path) -> list[Path]:
    return [style.OUT / f"{script.stem}{suffix}" for suffix in SUFFIXES]


def _digests(script: Path) -> dict[str, str] | None:
    paths = _outputs(script)
    if not all(p.is_file() for p in paths):
        return None
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _stamp(script: Path) -> Path:
    return style.OUT / ".stamps" / f"{script.stem}.json"


def up_to_date(script: Path, key: str) -> bool:
    """The stamp holds ``key`` and the outputs are the bytes it recorded."""
    try:
        stamp = json.loads(_stamp(script).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("key") == key and stamp.get("outputs") == _digests(script)


def record(script: Path, key: str) -> None:
    outputs = _digests(script)
    if outputs is None:  # the script saved under another name: never treated as up to date
        return
    path = _stamp(script)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key, "outputs": outputs}, indent=1, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    force = "--force" in argv or os.environ.get("FIGURES_FORCE") == "1"
    words = [a for a in argv if a != "--force"]
    scripts = sorted(HERE.glob("fig_*.py"))
    if words:
        scripts = [s for s in scripts if any(word in s.stem for word in words)]
    failed = []
    for script in scripts:
        start = time.perf_counter()
        key = figure_key(script)
        if not force and up_to_date(script, key):
            print(f"{script.stem}: {time.perf_counter() - start:.1f}s (up to date)", flush=True)
            continue
        _stamp(script).unlink(missing_ok=True)
        try:
            runpy.run_path(str(script), run_name="__main__")
            record(script, key)
        except Exception:
            traceback.print_exc()
            failed.append(script.stem)
        print(f"{script.stem}: {time.perf_counter() - start:.1f}s", flush=True)
    if failed:
        print(f"failed figures: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
