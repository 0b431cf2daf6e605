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


def make_all(out, cache, *arguments):
    env = {**os.environ, "FIGURES_OUT": str(out), "SIMS_CACHE_DIR": str(cache)}
    env.pop("SIMS_NO_CACHE", None)
    env.pop("FIGURES_FORCE", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "figures" / "make_all.py"), *arguments],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return [line for line in done.stdout.splitlines() if line.startswith("fig_")]


def test_make_all_redraws_a_figure_only_when_its_output_or_inputs_changed(tmp_path):
    out, cache, name = tmp_path / "out", tmp_path / "cache", "fig_deep_linear_modes"
    (first,) = make_all(out, cache, name)
    assert not first.endswith("(up to date)")
    drawn = (out / f"{name}.png").read_bytes()
    (second,) = make_all(out, cache, name)
    assert second.endswith("(up to date)")
    (out / f"{name}.png").write_bytes(drawn[:-1])  # an output that is not what was drawn
    (third,) = make_all(out, cache, name)
    assert not third.endswith("(up to date)") and (out / f"{name}.png").read_bytes() == drawn
    (fourth,) = make_all(out, cache, "--force", name)  # nothing changed, redrawn on request
    assert not fourth.endswith("(up to date)")
