"""Run a Python module as an older x86 CPU would round it: ``python tests/as_older_cpu.py pytest -q``.

CI's machine may have another CPU than the one a change was made on, and XLA, OpenBLAS and
NumPy each pick their kernels (vector width, fused multiply-add, summation order) from the CPU
they run on, so the same code rounds differently there. A test or claim that passes only by the
sign of a round-off fails on CI and nowhere else; this runs it here under other rounding first,
as an x86-64 without AVX would (any x86-64-v2 machine): XLA held to SSE4.2
(``--xla_cpu_max_isa``), OpenBLAS to its Nehalem kernels, NumPy's dispatched loops above its
baseline switched off, and a separate simulation cache (``.cache/older_cpu``), so that no
result computed with this CPU's own kernels is reused. ``make check-older-cpu`` (part of
``make check``) runs the fast tier and the agreement report this way.

Not on x86 the command runs as it is, and says so.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def older_cpu_environment(machine: str, features: dict, dispatched: list[str]) -> dict[str, str] | None:
    """The variables that make XLA, OpenBLAS and NumPy round as on an x86-64 without AVX, or
    None off x86. ``features`` and ``dispatched`` are NumPy's ``__cpu_features__`` and
    ``__cpu_dispatch__``: only the dispatched targets this CPU supports are named, as NumPy
    refuses to disable any other."""
    if machine.lower() not in ("x86_64", "amd64"):
        return None
    environment = {
        "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_max_isa=SSE4_2").strip(),
        "OPENBLAS_CORETYPE": "Nehalem",
        "SIMS_CACHE_DIR": str(ROOT / ".cache" / "older_cpu" / "sims"),
    }
    if above_baseline := [name for name in dispatched if features.get(name)]:
        environment["NPY_DISABLE_CPU_FEATURES"] = " ".join(above_baseline)
    return environment


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit("usage: python tests/as_older_cpu.py MODULE [ARGS...]  (e.g. pytest -q)")
    from numpy._core import _multiarray_umath as umath

    extra = older_cpu_environment(platform.machine(), umath.__cpu_features__, list(umath.__cpu_dispatch__))
    if extra is None:
        print(f"as_older_cpu: not x86 ({platform.machine()}); running as it is", flush=True)
        extra = {}
    else:
        print(f"as_older_cpu: {' '.join(f'{k}={v!r}' for k, v in extra.items())}", flush=True)
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env={**os.environ, **extra}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
