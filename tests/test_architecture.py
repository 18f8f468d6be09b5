"""Guards on the shape of the code: imports point one way, `curate --help` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"schemas": set(), "connectors": {"schemas"}, "pipeline": {"connectors", "schemas"}}
HEAVY = (
    "sqlmodel",
    "sqlalchemy",
    "github",
    "googleapiclient",
    "arxiv",
    "feedparser",
    "httpx",
    "requests",
    "extruct",
    "trafilatura",
    "lxml",
    "rich.progress",
    "starlette",
    "uvicorn",
    "jinja2",
    "alembic",
    "mako",
    "psycopg",
    "llm",
    "html5lib",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_imports_point_one_way(package):
    ours = set(LAYERS)
    for path in sorted((ROOT / package).rglob("*.py")):
        backwards = (_imports(path) & ours) - LAYERS[package] - {package}
        assert not backwards, (
            f"{path.relative_to(ROOT)} imports {sorted(backwards)}: only {sorted(LAYERS[package])} allowed"
        )


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["ingest", "--help"], ["export", "--help"], ["serve", "--help"], ["ingest", "--no-such-option"]],
    ids=" ".join,
)
def test_help_imports_no_client_library_or_database_layer(argv):
    code = (
        f"import sys\nsys.argv = ['curate', *{argv!r}]\nfrom pipeline import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:', *[m for m in {HEAVY!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"
