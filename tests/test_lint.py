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
    result = subprocess.run(
        [ruff, "check", "--no-cache", "schemas", "connectors", "pipeline", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_license_is_an_spdx_expression_setuptools_reads_without_a_warning():
    """A `license = { text = ... }` table makes setuptools 77+ print a deprecation warning on every
    install; the SPDX string form (PEP 639) needs setuptools 77 or later to build."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    [setuptools] = [Requirement(r) for r in project["build-system"]["requires"] if Requirement(r).name == "setuptools"]
    assert "76.9" not in setuptools.specifier and "77.0" in setuptools.specifier
    assert not any("License ::" in c for c in project["project"].get("classifiers", []))  # setuptools refuses both
