"""The README keeps up with the code: every setting, every command, the two opening commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from pipeline.cli import app
from pipeline.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    if alias is not None:
        return alias.choices[0]  # type: ignore[union-attr]
    return f"CURATE_{field.upper()}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(field):
    assert f"| `{_env_name(field)}` |" in README


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_and_has_help(command):
    assert f"curate {command}" in README
    assert typer.main.get_command(app).commands[command].help  # type: ignore[attr-defined]


def test_readme_opens_with_the_two_commands():
    opening = README.split("## ", 1)[0]
    assert "make ingest URL=" in opening and "make test" in opening
