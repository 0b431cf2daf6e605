"""Simulation results cached on disk by a hash of their parameters and of the code.

``@cached`` wraps a function of keyword arguments (JSON-serialisable values) whose result is
picklable (DataFrames, arrays, dicts). The key hashes the function's qualified name, its
arguments and the source of ``theory/`` and ``sims/`` less the *other* areas' modules: a
change to the shared code or to the function's own area invalidates its entries, an edit in
another area does not, and restyling a figure reruns nothing.

Environment:
    SIMS_CACHE_DIR   where entries live (default: ``<repo>/.cache/sims``).
    SIMS_NO_CACHE=1  bypass the cache (the tests set it: they must exercise the code).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    return Path(os.environ.get("SIMS_CACHE_DIR", ROOT / ".cache" / "sims"))


# Area modules (theory/<area>.py, sims/<area>.py) do not import one another.
AREAS = ("deep_linear", "rank_collapse", "critical_periods", "neural_collapse", "information")


def _libraries() -> str:
    """Versions of the numerical libraries a cached result depends on."""
    import jax
    import scipy

    return f"jax {jax.__version__}, numpy {np.__version__}, scipy {scipy.__version__}"


@functools.lru_cache(maxsize=64)
def _hash_files(files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(_libraries().encode())
    for name, _, _ in files:
        digest.update(name.encode())
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _stamped(paths) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of each file: the memo key, so that an edit made while a process
    runs (a notebook kernel) changes the fingerprint without rereading every file each call."""
    out = []
    for path in paths:
        stat = path.stat()
        out.append((str(path.relative_to(ROOT)), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def code_fingerprint(area: str | None = None, extra: tuple[Path, ...] = ()) -> str:
    """A hash of the source of ``theory`` and ``sims`` (leaving out areas other than
    ``area``), of the ``extra`` files (the module of a cached function defined elsewhere)
    and of the versions of jax, numpy and scipy."""
    others = {f"{a}.py" for a in AREAS if a != area}
    paths = [path for package in ("theory", "sims")
             for path in sorted((ROOT / package).rglob("*.py")) if path.name not in others]
    return _hash_files(_stamped(paths + list(extra)))


def _canonical(value: Any) -> Any:
    """JSON-able form of an argument, types tagged where JSON would merge them."""
    if isinstance(value, dict):
        return {"dict": [[_canonical(k), _canonical(v)] for k, v in sorted(value.items())]}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        return _canonical(value.tolist())
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if isinstance(value, float):
        return {"float": repr(value)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot use {type(value).__name__} in a cache key: {value!r}")


def key_for(name: str, kwargs: dict, extra: tuple[Path, ...] = ()) -> str:
    """The cache key of a call: name, canonical JSON of the arguments, and the code hash."""
    module = name.split(".")[1] if name.startswith("sims.") else None
    area = module if module in AREAS else None
    text = json.dumps([name, _canonical(kwargs), code_fingerprint(area, extra)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached(function: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``function(**kwargs)`` on disk; positional arguments are not allowed."""
    name = f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)
    # A cached function defined outside theory/ and sims/ (a figure script) hashes its own file.
    source = Path(inspect.getsourcefile(function)).resolve()
    inside = any(source.is_relative_to(ROOT / package) for package in ("theory", "sims"))
    extra = () if inside or not source.is_relative_to(ROOT) else (source,)

    @functools.wraps(function)
    def wrapper(**kwargs):
        if os.environ.get("SIMS_NO_CACHE") == "1":
            return function(**kwargs)
        # Defaults filled in, so that passing a default explicitly or leaving it out share an entry.
        bound = signature.bind(**kwargs)
        bound.apply_defaults()
        kwargs = bound.arguments
        path = cache_dir() / name / f"{key_for(name, kwargs, extra)}.pkl"
        if path.exists():
            with path.open("rb") as handle:
                return pickle.load(handle)["value"]
        start = time.perf_counter()
        value = function(**kwargs)
        entry = {"value": value, "seconds": time.perf_counter() - start, "kwargs": kwargs}
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so that an interrupted run never leaves a truncated entry.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
        return value

    wrapper.uncached = function
    return wrapper
