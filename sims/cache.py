"""Simulation results cached on disk by a hash of their parameters and of the code they run.

``@cached`` wraps a function of keyword arguments (JSON-serialisable values) whose result is
picklable (DataFrames, arrays, dicts). The key hashes the function's qualified name, its
arguments, the versions of jax, numpy, scipy, sympy and mpmath (the symbolic claims'
derivations are cached too), and the source of every project file the
function's module imports, transitively (its *scope*): its own file, the area's closed forms
and simulations, and the shared machinery (engine, registry, cache, data). A change to any of
them invalidates the entry; an edit to an area the module never imports does not, and
restyling a figure reruns nothing. The scope is read from the import statements, so it holds
for a function defined anywhere (a figure script, the report). A function whose result also
depends on code chosen by its arguments (the report runs the claim named by ``label``) says
so with ``depends``: ``@cached(depends=lambda label, **_: [file of that claim])``.

Environment:
    SIMS_CACHE_DIR   where entries live (default: ``<repo>/.cache/sims``).
    SIMS_NO_CACHE=1  bypass the cache (the tests set it: they must exercise the code).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    return Path(os.environ.get("SIMS_CACHE_DIR", ROOT / ".cache" / "sims"))


PACKAGES = ("theory", "sims")


def _libraries() -> str:
    """Versions of the numerical libraries a cached result depends on."""
    import jax
    import mpmath
    import scipy
    import sympy

    return (
        f"jax {jax.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"sympy {sympy.__version__}, mpmath {mpmath.__version__}"
    )


def _module_file(module: str) -> Path | None:
    """The project file of a dotted module name (``sims.engine`` -> sims/engine.py), if any."""
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = ROOT.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> set[Path]:
    """Project files imported by the file at ``path`` (any import statement, even in a function).

    ``import a.b.c`` and ``from a.b.c import f`` depend on ``a/b/c.py`` and on the top-level
    package's ``__init__`` (``sims/__init__.py`` sets float64), not on ``a/b/__init__.py``: an
    area package's ``__init__`` imports its claims, and a simulation must not depend on the
    comparisons that use it. ``from a.b import f`` where ``f`` is no module depends on
    ``a/b/__init__.py`` (or ``a/b.py``), where ``f`` lives.
    """
    tree = ast.parse(path.read_bytes(), filename=str(path))
    inside = path.is_relative_to(ROOT)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]) if inside else ""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            modules = [
                f"{base}.{alias.name}"
                for alias in node.names
                if _module_file(f"{base}.{alias.name}") is not None
            ]
            # `from sims import engine` names a module; `from sims.cache import cached` a symbol
            # of the module `sims.cache`.
            names += modules if len(modules) == len(node.names) else [base, *modules]
    found = set()
    for name in names:
        for module in (name.split(".")[0], name):
            file = _module_file(module)
            if file is not None:
                found.add(file)
    return found


@functools.lru_cache(maxsize=256)
def _closure(roots: tuple[Path, ...], stamps: tuple[tuple[str, int, int], ...]) -> tuple[Path, ...]:
    """Every project file reachable from ``roots`` by imports (``stamps`` keys the memo, so that
    an edit made while a process runs -- a notebook kernel -- is seen)."""
    seen: set[Path] = set()
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [p for p in _imports(path) if p not in seen]
    return tuple(sorted(seen))


def _stamped(paths) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of each file: the memo key, so that an edit made while a process
    runs changes the fingerprint without rereading every file each call."""
    out = []
    for path in paths:
        stat = path.stat()
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _hash_files(files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(_libraries().encode())
    for name, _, _ in files:
        path = Path(name)
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def scope(*roots: Path) -> tuple[Path, ...]:
    """The files whose source a result computed by code in ``roots`` depends on: the roots and
    every project file they import, transitively."""
    project = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    roots = tuple(sorted({Path(r).resolve() for r in roots}))
    return _closure(roots, _stamped([*project, *roots]))


def code_fingerprint(*roots: Path) -> str:
    """A hash of the source of ``scope(*roots)`` and of the numerical libraries' versions."""
    return _hash_files(_stamped(scope(*roots)))


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


def key_for(name: str, kwargs: dict, roots: tuple[Path, ...]) -> str:
    """The cache key of a call: name, canonical JSON of the arguments, and the code hash of
    everything the files ``roots`` import."""
    text = json.dumps([name, _canonical(kwargs), code_fingerprint(*roots)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached(
    function: Callable[..., Any] | None = None, *, depends: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """Cache ``function(**kwargs)`` on disk; positional arguments are not allowed.

    ``depends(**kwargs)`` returns further files (or modules) whose code the result depends on
    beyond the function's own module, e.g. the module of the claim that a report row runs.
    """
    if function is None:
        return functools.partial(cached, depends=depends)
    module = function.__module__
    if module == "__main__":  # `python -m sims.report` and `import sims.report` share entries
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec is not None else module
    name = f"{module}.{function.__qualname__}"
    signature = inspect.signature(function)
    own = Path(inspect.getsourcefile(function)).resolve()

    @functools.wraps(function)
    def wrapper(**kwargs):
        if os.environ.get("SIMS_NO_CACHE") == "1":
            return function(**kwargs)
        # Defaults filled in, so that passing a default explicitly or leaving it out share an entry.
        bound = signature.bind(**kwargs)
        bound.apply_defaults()
        kwargs = bound.arguments
        extra = tuple(_as_path(d) for d in depends(**kwargs)) if depends else ()
        path = cache_dir() / name / f"{key_for(name, kwargs, (own, *extra))}.pkl"
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


def _as_path(dependency) -> Path:
    """A file, or the file of a module or function, as an absolute path. A function counts as
    code of the module it names (``__module__``): a validity map's claim functions are written
    in sims/sweep.py but declared for the map's module, whose code (the map's kernel, its
    closed forms) is what a report row of the map depends on."""
    if isinstance(dependency, (str, Path)):
        return Path(dependency).resolve()
    module = sys.modules.get(getattr(dependency, "__module__", None) or "")
    if module is not None and getattr(module, "__file__", None):
        return Path(module.__file__).resolve()
    return Path(inspect.getsourcefile(dependency)).resolve()
