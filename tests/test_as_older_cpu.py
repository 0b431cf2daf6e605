"""tests/as_older_cpu.py, the runner of ``make check-older-cpu``: which variables it sets."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("as_older_cpu", Path(__file__).with_name("as_older_cpu.py"))
as_older_cpu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(as_older_cpu)

DISPATCHED = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]


def test_off_x86_the_command_runs_unchanged():
    assert as_older_cpu.older_cpu_environment("aarch64", {"ASIMD": True}, ["ASIMDHP"]) is None


def test_only_the_targets_this_cpu_supports_are_switched_off(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    features = {"X86_V3": True, "X86_V4": True, "AVX512_ICL": True, "AVX512_SPR": False}
    env = as_older_cpu.older_cpu_environment("x86_64", features, DISPATCHED)
    assert env["NPY_DISABLE_CPU_FEATURES"] == "X86_V3 X86_V4 AVX512_ICL"
    assert env["XLA_FLAGS"] == "--xla_cpu_max_isa=SSE4_2"
    assert env["OPENBLAS_CORETYPE"] == "Nehalem"
    assert env["SIMS_CACHE_DIR"].endswith(str(Path(".cache") / "older_cpu" / "sims"))
    # a CPU at NumPy's baseline: nothing of NumPy's to switch off; other XLA flags are kept
    monkeypatch.setenv("XLA_FLAGS", "--xla_foo=1")
    env = as_older_cpu.older_cpu_environment("AMD64", {"X86_V3": False}, DISPATCHED)
    assert "NPY_DISABLE_CPU_FEATURES" not in env
    assert env["XLA_FLAGS"] == "--xla_foo=1 --xla_cpu_max_isa=SSE4_2"
