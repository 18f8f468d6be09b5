"""pyflakes-level checks (undefined names, unused imports, syntax) over the whole tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.skipif(not RUFF.exists() and shutil.which("ruff") is None, reason="ruff is not installed")
def test_no_undefined_names_or_unused_imports():
    ruff = str(RUFF) if RUFF.exists() else "ruff"
    result = subprocess.run([ruff, "check", "--no-cache", "schemas", "connectors", "pipeline", "tests"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
