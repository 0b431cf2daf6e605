"""Static HTML of every teaching notebook, readable without a network (``make teach-html``).

``marimo export html`` runs a notebook and writes its page with the outputs at the default
slider values, but the page loads marimo's frontend from a CDN. This script points it at a
copy of the same frontend (shipped inside the marimo package) next to the pages, and writes an
index. Browsers load the frontend's JavaScript modules over HTTP only, so serve the folder:

    python notebooks/export_html.py figures/out/teach
    python -m http.server --bind 127.0.0.1 --directory figures/out/teach 8000
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import marimo

NOTEBOOKS = Path(__file__).resolve().parent
APP = re.compile(r"^app = marimo\.App\(", re.MULTILINE)
CDN = re.compile(r"https://cdn\.jsdelivr\.net/npm/@marimo-team/frontend@[^/\"']+/dist/")


def notebooks() -> list[Path]:
    """The marimo notebooks of this folder (this script is not one)."""
    return sorted(p for p in NOTEBOOKS.glob("*.py") if APP.search(p.read_text()))


def export(notebook: Path, out: Path) -> Path:
    """Export one notebook to ``out/<name>.html`` with the frontend read from ``./marimo/``."""
    page = out / f"{notebook.stem}.html"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run(
        [sys.executable, "-m", "marimo", "export", "html", str(notebook), "-o", str(page), "-f"],
        check=True,
        env=env,
    )
    page.write_text(CDN.sub("./marimo/", page.read_text()))
    return page


def copy_frontend(out: Path) -> None:
    """marimo's frontend, as shipped in the installed package, into ``out/marimo/``."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(Path(marimo.__file__).parent / "_static", out / "marimo", dirs_exist_ok=True)


def main(out: Path) -> None:
    copy_frontend(out)
    pages = [export(notebook, out) for notebook in notebooks()]
    items = "\n".join(
        f'<li><a href="{p.name}">{html.escape(p.stem.replace("_", " "))}</a></li>' for p in pages
    )
    (out / "index.html").write_text(
        "<!DOCTYPE html><meta charset='utf-8'><title>Teaching notebooks</title>\n"
        f"<h1>Teaching notebooks</h1>\n<ul>\n{items}\n</ul>\n"
        "<p>Static pages at the default slider values; run <code>make teach</code> for the "
        "live apps.</p>\n"
    )
    print(
        f"wrote {len(pages)} pages and index.html into {out}; to read them offline run\n"
        f"  python -m http.server --bind 127.0.0.1 --directory {out} 8000"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOKS.parent / "figures/out/teach")
