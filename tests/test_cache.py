"""The simulation cache: keyed by arguments and code, isolated between areas, atomic."""

import functools
import pickle

import numpy as np
import pytest

from sims import cache

calls = []


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


def test_keys_depend_on_arguments_and_area_code():
    assert cache.key_for("sims.deep_linear.f", {"a": 1}) != cache.key_for("sims.deep_linear.f", {"a": 2})
    assert cache.key_for("sims.deep_linear.f", {"a": 1.0}) != cache.key_for("sims.deep_linear.f", {"a": 1})
    # each area's key leaves out the other areas' modules, so their edits do not invalidate it
    assert cache.code_fingerprint("deep_linear") != cache.code_fingerprint("information")


def test_unhashable_argument_is_rejected():
    with pytest.raises(TypeError, match="cache key"):
        cache.key_for("sims.x.f", {"a": object()})


def test_keys_tell_types_apart_that_json_would_merge():
    key = functools.partial(cache.key_for, "sims.deep_linear.f")
    assert key({"a": "1.0"}) != key({"a": 1.0})
    assert key({"a": {1: 2}}) != key({"a": {"1": 2}})
    assert key({"a": np.float64(0.1)}) == key({"a": 0.1})


def test_a_cached_function_outside_sims_hashes_its_own_file():
    script = cache.ROOT / "figures" / "_cache_probe_tmp.py"
    try:
        script.write_text("X = 1\n")
        before = cache.key_for("figures.f", {}, (script,))
        script.write_text("X = 22\n")  # another size: the memo is keyed on (mtime, size)
        assert cache.key_for("figures.f", {}, (script,)) != before
    finally:
        script.unlink(missing_ok=True)
