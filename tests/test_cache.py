"""The simulation cache: keyed by arguments and by the code a result depends on, atomic."""

import functools
import inspect
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sims import cache, registry

calls = []
HERE = Path(__file__).resolve()


@cache.cached
def square(*, x, power=2):
    calls.append(x)
    return np.asarray(x) ** power


def test_cache_hits_on_same_arguments_and_misses_on_new(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SIMS_NO_CACHE", raising=False)
    calls.clear()
    assert square(x=3) == 9 and square(x=3) == 9 and square(x=3, power=2) == 9
    assert square(x=4.0) == 16
    assert calls == [3, 4.0]
    entries = list(tmp_path.rglob("*.pkl"))
    assert len(entries) == 2
    assert "seconds" in pickle.loads(entries[0].read_bytes())


def test_no_cache_bypasses(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMS_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SIMS_NO_CACHE", "1")
    calls.clear()
    square(x=2), square(x=2)
    assert calls == [2, 2] and not list(tmp_path.rglob("*.pkl"))


def _rel(paths):
    return {str(p.relative_to(cache.ROOT)) for p in paths}


def _module_of(label: str) -> Path:
    """The file that defines claim ``label``'s comparison (or single check)."""
    return Path(inspect.getsourcefile(registry.get(label).check)).resolve()


def _simulation_of(label: str) -> Path:
    claim = registry.get(label)
    return Path(inspect.getsourcefile(claim.simulate_function or claim.check)).resolve()


def test_scope_is_what_the_module_imports():
    claims = _rel(cache.scope(_module_of("NC2")))
    # its closed forms, its simulations, the shared machinery, and nothing of the other areas
    assert {
        "theory/neural_collapse.py",
        "theory/_validate.py",
        "sims/engine.py",
        "sims/registry.py",
        "sims/outcomes.py",
        "sims/cache.py",
        "sims/__init__.py",
    } <= claims
    assert _rel([_simulation_of("NC2")]) <= claims
    assert not any(
        name.startswith(("theory/information", "sims/information", "theory/deep_linear")) for name in claims
    )
    # a simulation does not depend on the comparisons that use it (editing a comparison or a
    # perturbation reruns no simulation), though importing it runs its package's __init__
    simulation = _rel(cache.scope(_simulation_of("NC2")))
    assert _rel([_module_of("NC2")]).isdisjoint(simulation)
    assert "sims/registry.py" not in simulation
    # the report's own module does not import the areas: a row adds its claim's module
    assert "theory/deep_linear.py" not in _rel(cache.scope(cache.ROOT / "sims" / "report.py"))


def test_a_maps_report_row_depends_on_the_maps_code_and_its_closed_forms():
    """A map's claim functions are written in sims/sweep.py for the map's module: its report row
    must depend on the map's kernel and closed forms (it was keyed by sweep.py's imports only,
    so an edit to theory/information.py left IB-M2's row stale)."""
    from sims import report, sweep

    sweep.all_maps()
    (dependency,) = report._claim_module(label="IB-M2")
    assert _rel([cache._as_path(dependency)]) == {"sims/information/maps.py"}
    assert {"theory/information.py", "sims/sweep.py"} <= _rel(cache.scope(cache._as_path(dependency)))


def test_a_function_outside_the_packages_is_scoped_by_its_imports():
    assert {"tests/test_cache.py", "sims/cache.py"} <= _rel(cache.scope(HERE))


def test_keys_depend_on_arguments_and_code():
    root = (_module_of("DL1"),)
    key = functools.partial(cache.key_for, "sims.deep_linear.f")
    assert key({"a": 1}, root) != key({"a": 2}, root)
    assert key({"a": 1.0}, root) != key({"a": 1}, root)
    assert key({"a": 1}, root) != key({"a": 1}, (_module_of("IB1"),))


def test_unhashable_argument_is_rejected():
    with pytest.raises(TypeError, match="cache key"):
        cache.key_for("sims.x.f", {"a": object()}, (HERE,))


def test_keys_tell_types_apart_that_json_would_merge():
    key = functools.partial(cache.key_for, "sims.deep_linear.f", roots=(HERE,))
    assert key({"a": "1.0"}) != key({"a": 1.0})
    assert key({"a": {1: 2}}) != key({"a": {"1": 2}})
    assert key({"a": np.float64(0.1)}) == key({"a": 0.1})


def _copy_tree(tmp_path) -> Path:
    tree = tmp_path / "p"
    for package in cache.PACKAGES:
        shutil.copytree(cache.ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_an_edit_anywhere_in_scope_changes_the_key_and_elsewhere_does_not(tmp_path, monkeypatch):
    tree = _copy_tree(tmp_path)
    claim_module = _module_of("DL1").relative_to(cache.ROOT)
    monkeypatch.setattr(cache, "ROOT", tree)
    roots = (tree / "sims" / "report.py", tree / claim_module)  # a DL1 report row
    before = cache.key_for("sims.report.evaluate", {"label": "DL1"}, roots)
    # another area: same key
    info = tree / "theory" / "information.py"
    info.write_text(info.read_text() + "\n# an edit in another area\n")
    assert cache.key_for("sims.report.evaluate", {"label": "DL1"}, roots) == before
    for edited in (
        "theory/deep_linear.py",
        "theory/_validate.py",
        "sims/engine.py",
        "sims/registry.py",
        "sims/outcomes.py",
        "sims/linear_networks.py",
    ):
        path = tree / edited
        original = path.read_text()
        path.write_text(original + "\n# an edit\n")
        assert cache.key_for("sims.report.evaluate", {"label": "DL1"}, roots) != before, edited
        path.write_text(original)


def _report(tree: Path, cache_dir: Path, label: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree), "SIMS_CACHE_DIR": str(cache_dir)}
    env.pop("SIMS_NO_CACHE", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sims, sys; assert sims.__file__.startswith(sys.argv[1]);"
            " from sims import report; sys.exit(report.main(sys.argv[2:]))",
            str(tree),
            "--only",
            label,
            "--out",
            str(tree / "results"),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_report_recomputes_and_fails_after_a_closed_form_is_edited(tmp_path):
    """The bug this guards against: the report's rows were cached without the code of their
    claims, so `--only DL1` kept printing a pass from the cache after mode_strength broke."""
    tree = _copy_tree(tmp_path)
    cache_dir = tmp_path / "cache"
    first = _report(tree, cache_dir, "DL1")
    assert first.returncode == 0 and "pass  DL1" in first.stdout, first.stdout + first.stderr
    closed_form = tree / "theory" / "deep_linear.py"
    text = closed_form.read_text()
    # u(t) with the exponent 2st halved to st, as the module's own definition of mode_strength
    closed_form.write_text(
        text
        + (
            "\n_exact_mode_strength = mode_strength\n\n\n"
            "def mode_strength(t, s, u0, *, tau=1.0):\n"
            "    return _exact_mode_strength(0.5 * np.asarray(t, dtype=float), s, u0, tau=tau)\n"
        )
    )
    second = _report(tree, cache_dir, "DL1")
    assert second.returncode == 1 and "FAIL  DL1" in second.stdout, second.stdout + second.stderr
    closed_form.write_text(text)  # undone: the first entry is found again
    third = _report(tree, cache_dir, "DL1")
    assert third.returncode == 0 and "pass  DL1" in third.stdout
