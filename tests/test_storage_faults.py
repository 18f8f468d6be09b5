"""A database curate must not write to is refused in one line and left untouched; a storage
error in the middle of a command is one line too, and what was stored before stays."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

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


def test_a_damaged_page_past_the_checked_size_is_one_line_when_a_command_reads_it(run, replay, tmp_path, monkeypatch):
    # a database past QUICK_CHECK_MAX_BYTES has only its header and schema read before each
    # command (a page check would cost ~1 ms a MB every time); the damage still shows, as one line
    db = tmp_path / "curate.db"
    assert run("ingest", "2512.07461", CURATE_DB=str(db)).exit_code == 0
    _corrupt_item_table(db)
    before = db.read_bytes()
    monkeypatch.setattr(preflight, "QUICK_CHECK_MAX_BYTES", 1)
    result = run("ingest", "2511.13945", CURATE_DB=str(db))
    assert result.exit_code == 1
    assert _one_line(result.stderr).startswith(f"error: the database {db} (CURATE_DB) is damaged")
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


# ---- another program's file, an empty one, a missing one: the same rule for every command

CREATES = {  # commands that start a database: they create curate's schema in a missing or empty file
    "ingest": ["ingest", "2512.07461"],
    "run": ["run"],
    "db upgrade": ["db", "upgrade"],
}
NEEDS_DATA = {  # commands that need what is stored: they refuse a missing or empty database
    "list": ["list"],
    "show": ["show", "arxiv:2512.07461"],
    "search": ["search", "mixture"],
    "export": ["export", "--output", "-", "--format", "json"],
    "annotate": ["annotate", "{draft}"],
    "mark": ["mark", "--status", "rejected", "arxiv:2512.07461"],
    "publish": ["publish", "1"],
    "blurb": ["blurb"],
    "db current": ["db", "current"],
    "db copy": ["db", "copy", "--to", "{target}"],
    "serve": ["serve", "--port", "0"],  # its page's format is missing (command_env): were the database let
    # through, serve would stop at that instead of serving for ever
}
EVERY = {**CREATES, "run --dry-run": ["run", "--dry-run"], **NEEDS_DATA}


@pytest.fixture
def command_env(curate, env, tmp_path):
    """A sources file with no feeds, a model name (blurb checks the store before the model),
    and a real draft for annotate, all outside the folder under test."""
    from pipeline.store import Store

    aside = tmp_path / "aside"
    aside.mkdir()
    (aside / "sources.toml").write_text("feeds = []\n")
    Store(str(aside / "curate.db"))
    draft = curate("export", "--output", "-", "--format", "json", extra_env={"CURATE_DB": str(aside / "curate.db")})
    assert draft.returncode == 0, draft.stderr
    (aside / "issue-1.json").write_text(draft.stdout)
    return aside, {"CURATE_SOURCES": str(aside / "sources.toml"), "CURATE_LLM_MODEL": "not-a-model"}


def _env(command: str, extra: dict[str, str], db) -> dict[str, str]:
    """`extra` and CURATE_DB; for serve also a page format that is not there (see NEEDS_DATA)."""
    late = {"CURATE_NEWSLETTER": str(db.parent / "no-such-newsletter.toml")} if command == "serve" else {}
    return {**extra, **late, "CURATE_DB": str(db)}


def _args(args: list[str], aside) -> list[str]:
    return [a.format(draft=aside / "issue-1.json", target=aside / "copy.db") for a in args]


def _state(folder) -> dict[str, tuple[bytes, int]]:
    """Every file of `folder`: its bytes and its modification time in nanoseconds."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("command", EVERY, ids=list(EVERY))
def test_every_command_refuses_another_programs_sqlite_file_untouched(command, curate, command_env, tmp_path):
    aside, extra = command_env
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "x.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.close()
    before = _state(folder)
    result = curate(*_args(EVERY[command], aside), extra_env=_env(command, extra, db))
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr == (
        f"error: the database {db} (CURATE_DB) is not a curate database (it has tables: users, orders); "
        "point CURATE_DB at another file\n"
    )
    assert _state(folder) == before  # the same bytes and mtime, and no -wal, -shm or lock file beside it
    assert not (aside / "copy.db").exists()


def test_another_alembic_programs_file_is_not_taken_for_a_newer_curate(curate, tmp_path):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        conn.execute("CREATE TABLE meta (name TEXT, body TEXT)")  # a table of that name, not curate's
    conn.close()
    result = curate("--db", str(db), "ingest", "2512.07461")
    assert (result.returncode, result.stderr) == (
        2,
        f"error: the database {db} (--db) is not a curate database (it has tables: alembic_version, meta); "
        "point --db at another file\n",
    )


@pytest.mark.parametrize("command", NEEDS_DATA, ids=list(NEEDS_DATA))
def test_commands_that_need_data_refuse_an_empty_or_missing_database_creating_nothing(
    command, curate, command_env, tmp_path
):
    aside, extra = command_env
    folder = tmp_path / "data"
    folder.mkdir()
    empty = folder / "empty.db"
    empty.write_bytes(b"")
    before = _state(folder)
    result = curate(*_args(NEEDS_DATA[command], aside), extra_env=_env(command, extra, empty))
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr == (
        f"error: the database {empty} (CURATE_DB) is empty; curate ingest or curate run creates its tables\n"
    )
    assert _state(folder) == before
    missing = folder / "typo" / "curat.db"
    result = curate(*_args(NEEDS_DATA[command], aside), extra_env=_env(command, extra, missing))
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr == f"error: no database at {missing} (CURATE_DB); curate ingest or curate run creates it\n"
    assert _state(folder) == before and not (aside / "copy.db").exists()


@pytest.mark.parametrize("command", CREATES, ids=list(CREATES))
@pytest.mark.parametrize("start", ["empty", "missing"])
def test_ingest_run_and_db_upgrade_start_a_database_in_an_empty_or_missing_file(
    command, start, curate, command_env, replay, tmp_path
):
    aside, extra = command_env
    db = tmp_path / "data" / "new.db"
    if start == "empty":
        db.parent.mkdir()
        db.write_bytes(b"")
    result = curate(*CREATES[command], extra_env={**extra, "CURATE_DB": str(db)})
    assert result.returncode == 0, result.stderr
    from pipeline.store import Store

    assert curate("db", "current", extra_env={"CURATE_DB": str(db)}).stdout == f"{Store.head()} (head)\n"


def test_a_dry_run_on_an_empty_file_adds_no_tables(curate, command_env, tmp_path):
    aside, extra = command_env
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = curate("run", "--dry-run", extra_env={**extra, "CURATE_DB": str(empty)})
    assert result.returncode == 0, result.stderr
    assert empty.read_bytes() == b""


def test_db_copy_refuses_another_programs_file_as_its_target(curate, env, tmp_path):
    from pipeline.store import Store

    Store(env["CURATE_DB"])
    target = tmp_path / "theirs.db"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    before, names = (target.read_bytes(), target.stat().st_mtime_ns), sorted(p.name for p in tmp_path.iterdir())
    result = curate("db", "copy", "--to", str(target))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: the database {target} (--to) is not a curate database (it has a table: notes); "
        "point --to at another file\n"
    )
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no -wal or -shm beside it


@pytest.mark.parametrize("backend", ["postgresql"])
def test_on_a_server_the_commands_that_need_data_refuse_an_empty_schema(curate, env, replay):
    from pipeline.store import _shown

    said = (
        f"error: the database {_shown(env['CURATE_DB'])} (CURATE_DB) has no curate tables; "
        "curate ingest or curate run creates them\n"
    )
    for args in (["mark", "--status", "rejected", "arxiv:2512.07461"], ["list"], ["db", "current"]):
        result = curate(*args)
        assert (result.returncode, result.stderr) == (2, said), args
    assert curate("ingest", "2512.07461").returncode == 0
    assert curate("mark", "--status", "rejected", "arxiv:2512.07461").returncode == 0


def test_a_dry_run_on_an_older_schema_asks_for_the_upgrade_it_must_not_make(curate, command_env, tmp_path):
    from pipeline.store import Store

    aside, extra = command_env
    old = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "store" / "curate-0.1.db", old)  # revision 0001
    with sqlite3.connect(old) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # as 0.1 left every database it opened
    conn.close()
    before = old.read_bytes(), old.stat().st_mtime_ns
    result = curate("run", "--dry-run", extra_env={**extra, "CURATE_DB": str(old)})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: the database {old} (CURATE_DB) is at schema revision 0001, older than this curate's "
        f"{Store.head()}; --dry-run writes nothing, so run `curate db upgrade` first\n"
    )
    assert (old.read_bytes(), old.stat().st_mtime_ns) == before


def test_ctrl_c_in_any_command_is_one_line_and_exit_130(run, env, monkeypatch):
    from pipeline import draft
    from pipeline.store import Store

    Store(env["CURATE_DB"])

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(draft, "prepare", interrupted)
    result = run("export")
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "interrupted\n")
