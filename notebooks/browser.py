"""Serve the teaching notebooks and screenshot them in headless Chromium.

    python notebooks/browser.py [out_dir]     # the README's screenshots (make teach-screenshots)

Used by tests/test_notebooks.py too. ``marimo_server`` runs ``marimo run notebooks`` on a free
loopback port; ``screenshot`` drives Chromium through the DevTools protocol (the page's kernel
computes in real time, which Chromium's --virtual-time-budget does not wait for). Every host
but 127.0.0.1 is unreachable from the browser.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent


def rendered(heading: str, plots: int = 1) -> str:
    """JavaScript that is true once the page shows ``heading`` and ``plots`` matplotlib plots
    (a cell still computing shows a spinner, not its plot)."""
    return (
        f"document.body.innerText.includes({heading!r}) && "
        "document.querySelectorAll('img[src^=\"data:image/png\"]').length >= "
        f"{plots}"
    )


# README screenshots: (file name, notebook, heading, plots on the page, heading to scroll to).
SHOTS = (
    ("deep_linear.png", "deep_linear", "Deep linear networks", 1, None),
    ("rank_collapse.png", "rank_collapse", "Rank collapse", 1, None),
    ("critical_periods.png", "critical_periods", "Critical learning periods", 1, None),
    ("neural_collapse.png", "neural_collapse", "Neural collapse", 1, None),
    ("information.png", "information", "The information bottleneck", 2, None),
    (
        "information_plane.png",
        "information",
        "The information bottleneck",
        2,
        "The information plane of a trained network",
    ),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url):
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
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "marimo",
            "run",
            str(NOTEBOOKS),
            "--headless",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-token",
        ],
        cwd=NOTEBOOKS.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while get(url)[0] != 200:
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


def screenshot(url, out, *, ready, scroll_to=None, timeout=120.0, window=(1200, 900)):
    """Load ``url`` in headless Chromium, wait until the JS expression ``ready`` is true,
    optionally scroll the first element whose text is ``scroll_to`` to the top, and save a
    PNG screenshot to ``out``."""
    from websockets.sync.client import connect  # installed with marimo

    if shutil.which("chromium") is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    port = free_port()
    browser = subprocess.Popen(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size={},{}".format(*window),
            "--remote-debugging-address=127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no network but loopback
            f"--remote-debugging-port={port}",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while (status := get(f"http://127.0.0.1:{port}/json/list"))[0] != 200:
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
            if scroll_to is not None:
                found = call(
                    "Runtime.evaluate",
                    expression=(
                        "(() => { const e = [...document.querySelectorAll('h1, h2, h3')].find("
                        f"h => h.innerText.trim() === {scroll_to!r}); "
                        "if (e) { e.scrollIntoView(); } return Boolean(e); })()"
                    ),
                )
                if not found["result"].get("value"):
                    raise LookupError(f"no heading {scroll_to!r} on {url}")
                time.sleep(0.5)
            out.write_bytes(base64.b64decode(call("Page.captureScreenshot", format="png")["data"]))
    finally:
        browser.terminate()
        browser.wait(timeout=15)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with marimo_server() as url:
        for name, notebook, heading, plots, scroll_to in SHOTS:
            screenshot(
                f"{url}/?file={notebook}.py", out / name, ready=rendered(heading, plots), scroll_to=scroll_to
            )
            print(f"wrote {out / name}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOKS / "screenshots")
