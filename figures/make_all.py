"""Run every figure script (figures/fig_*.py) in one process, so JAX starts only once.

    python figures/make_all.py [substring ...]

With arguments, only the scripts whose name contains one of them. Prints each figure's
wall time; a figure that fails is reported and the run exits non-zero after the others.
"""

from __future__ import annotations

import runpy
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    scripts = sorted(HERE.glob("fig_*.py"))
    if argv:
        scripts = [s for s in scripts if any(word in s.stem for word in argv)]
    failed = []
    for script in scripts:
        start = time.perf_counter()
        try:
            runpy.run_path(str(script), run_name="__main__")
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
