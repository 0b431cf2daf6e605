"""Figures are a deterministic build: the same code gives the same bytes, PNG and SVG."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render(script, out, cache):
    env = {**os.environ, "FIGURES_OUT": str(out), "SIMS_CACHE_DIR": str(cache)}
    env.pop("SIMS_NO_CACHE", None)
    subprocess.run([sys.executable, str(ROOT / "figures" / script)], env=env, check=True, capture_output=True)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_figure_is_byte_identical_across_runs_and_cache_states(tmp_path):
    cache = tmp_path / "cache"
    cold = render("fig_deep_linear_modes.py", tmp_path / "a", cache)  # simulates, fills cache
    cached = render("fig_deep_linear_modes.py", tmp_path / "b", cache)  # reads the cache
    assert set(cold) == {"fig_deep_linear_modes.png", "fig_deep_linear_modes.svg"}
    assert cold == cached
    assert any((cache).rglob("*.pkl")), "the simulation was not cached"
    assert b"<dc:date>" not in cold["fig_deep_linear_modes.svg"]
