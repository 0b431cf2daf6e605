"""Simulations that check the closed forms in :mod:`theory`.

Importing this package configures JAX once, before any computation: float64 everywhere
(closed-form checks need it), two host CPU devices so that the training engine can shard
an ensemble over both cores of a CI machine, and, when asked, JAX's persistent compilation
cache. Nothing else in the project flips these flags.

JAX's persistent compilation cache is opt-in: ``SIMS_COMPILE_CACHE=1`` keeps XLA's compiled
programs in ``.cache/jax/<key>`` (``make clean`` removes it; ``SIMS_COMPILE_CACHE_DIR`` puts
it elsewhere), so a fresh process skips the compilations an earlier one did. ``<key>`` names
the jax and jaxlib versions, the platform and a digest of the CPU's feature flags: an upgrade,
or a checkout shared with a different machine, starts a fresh directory instead of loading
stale or foreign machine code (JAX's own entry keys hash the program and the compile options
too). It is off by default because ``make bench`` measured XLA compilation at 6 % of a cold
``make figures`` (8 % with tracing and lowering), below the fifth that would pay for it, and
jax 0.10.1 logs a false ~3 kB error for every executable it loads (jax-ml/jax#38445) and on
some CPUs rejects every entry. ``SIMS_NO_CACHE`` does not turn it off: it bypasses cached
*results* so that the code runs, and a cached executable is the program XLA would compile
again from the same code, so it cannot change a number (checked: same bytes either way).
"""

import hashlib
import os
import platform
import sys
from pathlib import Path

# With the compilation cache on, XLA's C++ log stays at FATAL unless TF_CPP_MIN_LOG_LEVEL says
# otherwise: jax 0.10.1 logs two ~3 kB ERROR lines for every executable it loads ("Target
# machine feature +prefer-no-gather is not supported on the host machine"), LLVM tuning
# preferences its check mistakes for instructions (jax-ml/jax#38445, openxla/xla#44565; the
# load succeeds). Keyed on the CPU's flags, the cache only loads code built on this kind of
# machine; errors that matter raise in Python. XLA reads the level when jax is imported.
if os.environ.get("SIMS_COMPILE_CACHE") == "1":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax  # noqa: E402  (after the log level: XLA reads it when it first logs)
import jaxlib  # noqa: E402

_NUM_CPU_DEVICES = int(os.environ.get("SIMS_CPU_DEVICES", min(os.cpu_count() or 1, 2)))
try:
    jax.config.update("jax_num_cpu_devices", _NUM_CPU_DEVICES)
except RuntimeError:
    # The backend was started by someone else first (e.g. a notebook that imported jax and
    # computed): keep whatever device count it has rather than fail.
    pass
jax.config.update("jax_enable_x64", True)


def _cpu_flags() -> str:
    """A digest of the CPU's feature flags (compiled code may use any of them)."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        flags = platform.processor()
    return hashlib.sha256(flags.encode()).hexdigest()[:12]


def compile_cache_dir() -> Path | None:
    """Where the persistent compilation cache lives, or None when it is off (the default)."""
    if os.environ.get("SIMS_COMPILE_CACHE") != "1":
        return None
    if configured := os.environ.get("SIMS_COMPILE_CACHE_DIR"):
        return Path(configured)
    versions = f"jax-{jax.__version__}_jaxlib-{jaxlib.__version__}"
    key = f"{versions}_{sys.platform}-{platform.machine()}-{_cpu_flags()}"
    return Path(__file__).resolve().parent.parent / ".cache" / "jax" / key


_COMPILE_CACHE = compile_cache_dir()
if _COMPILE_CACHE is not None:
    jax.config.update("jax_compilation_cache_dir", str(_COMPILE_CACHE))
    # Cache every program: the suite's many small compilations add up (0.1-2 s each).
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
