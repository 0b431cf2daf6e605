"""The teaching notebooks (``notebooks/*.py``, marimo apps) run as scripts and are served.

Fast tier: every notebook runs top to bottom as a plain script (headless, default slider
values; the five run at once, each in its own process), and ``marimo run notebooks`` serves
every notebook's page on a free loopback port. Slow tier (``make check``), where Chromium is
installed: a headless browser renders one notebook through the server and the screenshot is
saved into results/.
"""

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    path.stem
    for path in (ROOT / "notebooks").glob("*.py")
    if re.search(r"^app = marimo\.App\(", path.read_text(), re.MULTILINE)
)
SCRIPT_TIMEOUT = 300


def _load(name):
    """A helper script of notebooks/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "notebooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


browser = _load("browser")


def test_every_area_has_a_notebook():
    assert NOTEBOOKS == sorted(
        ["critical_periods", "deep_linear", "information", "neural_collapse", "rank_collapse"]
    )


@pytest.fixture(scope="module")
def script_runs():
    """Run every notebook as a script, all at once: {name: (exit code, output, seconds)}."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    started = {
        name: (
            time.perf_counter(),
            subprocess.Popen(
                [sys.executable, str(ROOT / "notebooks" / f"{name}.py")],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for name in NOTEBOOKS
    }
    runs = {}
    for name, (start, process) in started.items():
        try:
            output, _ = process.communicate(timeout=SCRIPT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0] + f"\n(killed after {SCRIPT_TIMEOUT} s)"
        runs[name] = (process.returncode, output, time.perf_counter() - start)
    return runs


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_as_a_script(script_runs, name):
    code, output, seconds = script_runs[name]
    print(f"{name}: {seconds:.1f} s")
    assert code == 0, f"{name}.py failed:\n{output[-4000:]}"


def test_marimo_run_serves_every_notebook():
    with browser.marimo_server() as url:
        assert '"mode": "gallery"' in browser.get(url)[1]  # the index of notebooks
        for name in NOTEBOOKS:
            status, page = browser.get(f"{url}/?file={name}.py")
            assert status == 200, f"{name}.py: HTTP {status}"
            assert f"{name}.py" in page
        assert browser.get(f"{url}/?file=no_such_notebook.py")[0] == 404


def test_neural_collapse_marker_matches_the_maps_slowest_rate():
    """The neural-collapse notebook marks its balanced run on NC-M1 at the map's learning rate
    with the same learning rate x weight decay x steps. That is the same convergence where the
    slowest rate of GD at the minimiser per unit weight decay, mu_min / lambda, is the same for
    the notebook's problem (3 classes of N_MINORITY, d = 3) and the map's (4 of 5, d = 4) at the
    same K c: so at every slider value. Near the collapse it is not (CE at K c = 0.7: 0.70 vs
    0.50), so wider sliders would need the rates themselves."""
    notebook = _load("neural_collapse")
    from sims.neural_collapse import maps

    shape = (3, notebook.N_MINORITY, 3)

    def rates(loss, collapse):
        run = maps.curvatures(loss, False, collapse, shape=shape)[1] / maps.weight_decay(collapse, shape)
        return run, maps.curvatures(loss, False, collapse)[1] / maps.weight_decay(collapse)

    for loss in ("ce", "mse"):
        collapse = [notebook.balanced_point(loss, lam)["marker"]["y"] for lam in notebook.WEIGHT_DECAYS]
        run, on_map = rates(loss, collapse)
        assert run == pytest.approx(on_map, rel=1e-6), loss
    run, on_map = rates("ce", 0.7)
    assert abs(run[0] / on_map[0] - 1) > 0.2


needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")


@pytest.mark.slow
@needs_chromium
def test_headless_browser_renders_a_notebook():
    out = ROOT / "results" / "notebook_rank_collapse.png"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    with browser.marimo_server() as url:
        browser.screenshot(f"{url}/?file=rank_collapse.py", out, ready=browser.rendered("Rank collapse"))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000, "the screenshot is (nearly) blank"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.slow
@needs_chromium
def test_static_html_export_renders_offline(tmp_path):
    """What `make teach-html` writes renders with no network: frontend included."""
    export_html = _load("export_html")
    export_html.copy_frontend(tmp_path)
    page = export_html.export(ROOT / "notebooks" / "rank_collapse.py", tmp_path)
    assert "cdn.jsdelivr.net/npm/@marimo-team" not in page.read_text()
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            browser.screenshot(
                f"http://127.0.0.1:{server.server_port}/{page.name}",
                tmp_path / "static.png",
                ready=browser.rendered("Rank collapse"),
            )
        finally:
            server.shutdown()
    assert (tmp_path / "static.png").stat().st_size > 20_000
