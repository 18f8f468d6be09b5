"""A database curate must not write to is refused in one line and left untouched; a storage
error in the middle of a command is one line too, and what was stored before stays."""

from __future__ import annotations

import sqlite3

import pytest

from pipeline import preflight
from pipeline.store import SCHEMA_VERSION


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text and "sqlalchemy" not in text.lower()
    return lines[0]


def test_a_newer_schema_is_refused_before_any_table_or_journal_mode_changes(run, env, tmp_path):
    db = tmp_path / "newer.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = run("ingest", "2512.07461", CURATE_DB=str(db))
    assert result.exit_code == 2
    assert f"schema version {SCHEMA_VERSION + 1}, newer than this curate understands ({SCHEMA_VERSION})" in _one_line(
        result.stderr
    )
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["meta"]


def _corrupt_item_table(db) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the WAL into the file, so the bytes below are the data
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'item'").fetchone()[0]
    conn.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\x0d" + b"\xff" * 40)  # a leaf page whose cell count and offsets point nowhere


def test_a_damaged_database_is_refused_and_not_written(run, replay, tmp_path):
    db = tmp_path / "curate.db"
    assert run("ingest", "2512.07461", CURATE_DB=str(db)).exit_code == 0
    _corrupt_item_table(db)
    before = db.read_bytes()
    result = run("ingest", "2511.13945", CURATE_DB=str(db))
    assert result.exit_code == 2
    assert "is damaged" in _one_line(result.stderr) and "curate wrote nothing" in result.stderr
    assert db.read_bytes() == before


def test_a_read_only_database_is_one_line_and_keeps_what_it_had(run, replay, tmp_path):
    db = tmp_path / "curate.db"
    assert run("ingest", "2512.07461", CURATE_DB=str(db)).exit_code == 0
    result = run("ingest", "2511.13945", CURATE_DB=f"sqlite:///file:{db}?mode=ro&uri=true")
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: the database sqlite:///file") and last.endswith(
        "curate.db?mode=ro&uri=true (CURATE_DB) is read-only: give curate write access to the file and its folder, "
        "or point CURATE_DB elsewhere; what was stored before is kept"
    )
    assert "Traceback" not in result.stderr and "sqlalchemy" not in result.stderr.lower()
    ids = {r[0] for r in sqlite3.connect(db).execute("SELECT id FROM item")}
    assert "arxiv:2512.07461" in ids and "arxiv:2511.13945" not in ids


@pytest.mark.parametrize(
    "message, said",
    [
        ("attempt to write a readonly database", "is read-only"),
        ("database is locked", "is locked by another program"),
        ("database or disk is full", "the disk is full"),
        ("database disk image is malformed", "is damaged"),
        ("file is not a database", "is not a SQLite database"),
    ],
)
def test_each_storage_error_has_its_own_line(message, said):
    line = preflight.describe(sqlite3.OperationalError(message), "data/curate.db")
    assert line is not None and line.startswith("the database data/curate.db (CURATE_DB) ") and said in line
