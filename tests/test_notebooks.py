"""The teaching notebooks (``notebooks/*.py``, marimo apps) run as scripts and are served.

Fast tier: every notebook runs top to bottom as a plain script (headless, default slider
values; the five run at once, each in its own process), and ``marimo run notebooks`` serves
every notebook's page on a free loopback port. Slow tier (``make check``), where Chromium is
installed: a headless browser renders one notebook through the server and the screenshot is
saved into results/.
"""

import base64
import contextlib
import functools
import http.server
import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(path.stem for path in (ROOT / "notebooks").glob("*.py")
                   if re.search(r"^app = marimo\.App\(", path.read_text(), re.MULTILINE))
SCRIPT_TIMEOUT = 300


def test_every_area_has_a_notebook():
    assert NOTEBOOKS == sorted(
        ["critical_periods", "deep_linear", "information", "neural_collapse", "rank_collapse"])


@pytest.fixture(scope="module")
def script_runs():
    """Run every notebook as a script, all at once: {name: (exit code, output, seconds)}."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    started = {
        name: (time.perf_counter(), subprocess.Popen(
            [sys.executable, str(ROOT / "notebooks" / f"{name}.py")], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url):
    """(status, body) of a GET; status 0 while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


@contextlib.contextmanager
def marimo_server(timeout=90.0):
    """``marimo run notebooks`` on a free loopback port; yields its URL, always stops it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "marimo", "run", str(ROOT / "notebooks"), "--headless",
         "--host", "127.0.0.1", "--port", str(port), "--no-token"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while _get(url)[0] != 200:
            if server.poll() is not None:
                raise RuntimeError(f"marimo run exited: {server.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"marimo run did not serve {url} within {timeout} s")
            time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()


def test_marimo_run_serves_every_notebook():
    with marimo_server() as url:
        assert '"mode": "gallery"' in _get(url)[1]  # the index of notebooks
        for name in NOTEBOOKS:
            status, page = _get(f"{url}/?file={name}.py")
            assert status == 200, f"{name}.py: HTTP {status}"
            assert f"{name}.py" in page
        assert _get(f"{url}/?file=no_such_notebook.py")[0] == 404


def screenshot(url, out, *, ready, timeout=120.0, window=(1200, 900)):
    """Load ``url`` in headless Chromium, wait until the JS expression ``ready`` is true, and
    save a PNG screenshot to ``out``. Every host but 127.0.0.1 is unreachable. Uses the
    DevTools protocol: the page's kernel computes in real time, which Chromium's
    --virtual-time-budget does not wait for."""
    from websockets.sync.client import connect  # installed with marimo

    port = _free_port()
    browser = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size={},{}".format(*window), "--remote-debugging-address=127.0.0.1",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no network but loopback
         f"--remote-debugging-port={port}", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while (status := _get(f"http://127.0.0.1:{port}/json/list"))[0] != 200:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium's DevTools endpoint did not answer")
            time.sleep(0.25)
        page = next(t for t in json.loads(status[1]) if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=2**27) as devtools:
            calls = itertools.count(1)

            def call(method, **params):
                number = next(calls)
                devtools.send(json.dumps({"id": number, "method": method, "params": params}))
                while (reply := json.loads(devtools.recv())).get("id") != number:
                    pass
                return reply["result"]

            while not call("Runtime.evaluate", expression=ready)["result"].get("value"):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not render within {timeout} s")
                time.sleep(0.5)
            time.sleep(1.0)  # let the last output paint
            out.write_bytes(base64.b64decode(call("Page.captureScreenshot", format="png")["data"]))
    finally:
        browser.terminate()
        browser.wait(timeout=15)


RENDERED = ("document.body.innerText.includes({heading!r}) && "
            "document.querySelectorAll('img[src^=\"data:image/png\"]').length > 0")


needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Chromium is not installed")


@pytest.mark.slow
@needs_chromium
def test_headless_browser_renders_a_notebook():
    out = ROOT / "results" / "notebook_rank_collapse.png"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    with marimo_server() as url:
        screenshot(f"{url}/?file=rank_collapse.py", out,
                   ready=RENDERED.format(heading="Rank collapse"))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000, "the screenshot is (nearly) blank"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.slow
@needs_chromium
def test_static_html_export_renders_offline(tmp_path):
    """What `make teach-html` writes renders with no network: frontend included."""
    spec = importlib.util.spec_from_file_location("export_html", ROOT / "notebooks/export_html.py")
    export_html = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_html)
    export_html.copy_frontend(tmp_path)
    page = export_html.export(ROOT / "notebooks" / "rank_collapse.py", tmp_path)
    assert "cdn.jsdelivr.net/npm/@marimo-team" not in page.read_text()
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            screenshot(f"http://127.0.0.1:{server.server_port}/{page.name}",
                       tmp_path / "static.png", ready=RENDERED.format(heading="Rank collapse"))
        finally:
            server.shutdown()
    assert (tmp_path / "static.png").stat().st_size > 20_000
