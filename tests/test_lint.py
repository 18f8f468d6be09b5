"""ruff's lint rules, as pyproject.toml selects them, over the whole tree (`make lint` also runs
the formatter in check mode and mypy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.skipif(not RUFF.exists() and shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_check_passes():
    ruff = str(RUFF) if RUFF.exists() else "ruff"
    result = subprocess.run([ruff, "check", "--no-cache", "schemas", "connectors", "pipeline", "tests"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
