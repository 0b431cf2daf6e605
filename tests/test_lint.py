"""The tree passes `make lint`: ruff's checks and ruff's formatting (the README's style)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ["theory", "sims", "figures", "tests", "notebooks"]
RUFF = Path(sys.executable).parent / "ruff"


@pytest.mark.skipif(not RUFF.exists() and shutil.which("ruff") is None, reason="ruff not installed")
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(command):
    ruff = str(RUFF) if RUFF.exists() else shutil.which("ruff")
    result = subprocess.run([ruff, *command, *FOLDERS], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
