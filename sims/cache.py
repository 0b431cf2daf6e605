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


@functools.cache
def code_fingerprint(area: str | None = None) -> str:
    """A hash of the source of ``theory`` and ``sims``, leaving out areas other than ``area``."""
    others = {f"{a}.py" for a in AREAS if a != area}
    digest = hashlib.sha256()
    for package in ("theory", "sims"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name in others:
                continue
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        return _canonical(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float):
        return repr(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot use {type(value).__name__} in a cache key: {value!r}")


def key_for(name: str, kwargs: dict) -> str:
    """The cache key of a call: name, canonical JSON of the arguments, and the code hash."""
    module = name.split(".")[1] if name.startswith("sims.") else None
    area = module if module in AREAS else None
    text = json.dumps([name, _canonical(kwargs), code_fingerprint(area)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached(function: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``function(**kwargs)`` on disk; positional arguments are not allowed."""
    name = f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(**kwargs):
        if os.environ.get("SIMS_NO_CACHE") == "1":
            return function(**kwargs)
        # Defaults filled in, so that passing a default explicitly or leaving it out share an entry.
        bound = signature.bind(**kwargs)
        bound.apply_defaults()
        kwargs = bound.arguments
        path = cache_dir() / name / f"{key_for(name, kwargs)}.pkl"
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
