"""The lock file pins every package that pyproject.toml asks for, and .venv is built from it.

A fresh machine next month must get the same JAX, NumPy and SciPy as today (same seed, same
bytes); `make env` installs requirements.lock, `make lock` refreshes it. These tests fail when
pyproject.toml asks for something the lock no longer satisfies (then run `make lock`).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# The extras that the Makefile's LOCK_FLAGS resolve and `make env` installs.
EXTRAS = ("test", "teach")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


def _pins() -> dict[str, list[tuple[Version, Marker | None]]]:
    """name -> [(version, marker)] from the lock (a package may fork by Python version)."""
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line)
        if match:
            marker = Marker(match["marker"]) if match["marker"] else None
            pins.setdefault(canonicalize_name(match["name"]), []).append((Version(match["version"]), marker))
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in EXTRAS:
        wanted += project["optional-dependencies"][extra]
    return [Requirement(text) for text in wanted]


def test_lock_pins_every_requirement_of_pyproject():
    pins = _pins()
    problems = []
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement} is not in the lock")
            continue
        for version, _ in pins[name]:
            if not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{requirement} not satisfied by the locked {name}=={version}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_lock_excludes_the_miscompiling_jax():
    for version, _ in _pins()["jax"]:
        assert version != Version("0.10.2"), "jax 0.10.2 miscompiles (jax-ml/jax#39103)"


def test_every_pin_is_exact_and_hashed():
    text = LOCK.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    unhashed = [b.split()[0] for b in blocks if b.strip() and "--hash=sha256:" not in b]
    assert not unhashed, f"pins without hashes: {unhashed}"
    assert len(_pins()) >= 40  # the whole transitive closure, not just the direct dependencies


def test_environment_is_the_locked_one():
    """The running .venv has exactly the locked versions (make env installs from the lock)."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip(f"running in {sys.prefix}, not the project's .venv")
    mismatched = []
    for name, entries in _pins().items():
        applicable = [v for v, marker in entries if marker is None or marker.evaluate()]
        if not applicable:
            continue
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            mismatched.append(f"{name} not installed (locked {applicable[0]})")
            continue
        if installed not in applicable:
            mismatched.append(f"{name}: installed {installed}, locked {applicable[0]}")
    assert not mismatched, "run `make env`:\n" + "\n".join(mismatched)
