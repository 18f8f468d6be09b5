"""Checks a database passes before curate writes anything to it, and storage errors in one line.

`check` runs before any table is created or the journal mode is changed: it reads, never
writes, so a database curate must refuse (a newer schema, a damaged file, another program's
file) is left exactly as it was. `describe` turns a driver's storage error (read-only, locked, full, damaged)
into one line a user can act on. Both take plain values, so a migration path can call them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import Any


class PreflightError(Exception):
    """The database must not be written to; the message (one line) says why and what to do."""


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL, None for any other database or an in-memory one."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


QUICK_CHECK_MAX_BYTES = 32_000_000
"""Largest SQLite file whose every page `check` reads (quick_check) before each command.

quick_check reads every page: about 0.9 ms a MB here (0.7 s for an 800 MB archive, many
seconds when the file is not in the page cache), so at most ~30 ms a command. A newsletter's
database passes 32 MB within weeks; past it only the header and schema are read, and a
damaged page is reported when a command reads it (one line, exit 1, nothing written)."""


def check(
    url: str,
    newest: int,
    shown: str,
    *,
    meta_table: str = "meta",
    version_key: str = "schema_version",
    revisions: Collection[str] | None = None,
    create: bool = True,
) -> None:
    """Refuse a database curate must not write to, reading only.

    For an existing SQLite file: `PRAGMA quick_check` must answer `ok` (SQLite's check of
    pages, records and indexes: https://sqlite.org/pragma.html#pragma_quick_check; run on a
    file up to QUICK_CHECK_MAX_BYTES, a bigger one has its header and schema read); a file
    with tables must be curate's (see `_is_curate`), whatever the command, so curate never
    adds its tables to another program's file; the schema version in `meta_table` must be at
    most `newest`, and its Alembic revision (when it has one) one of `revisions`, those this
    curate has migrations for. A missing file, or one without tables (0 bytes), passes when
    the command may `create` the schema there (ingest, run, db upgrade) and is refused when
    it needs what is stored. The file is opened read-only (`mode=ro`), so the check creates
    nothing and leaves the journal mode alone. Another database (PostgreSQL through
    SQLAlchemy) passes here; the store checks its tables itself. What the setting itself may
    be: not empty (`CURATE_DB=` in a .env would name the working directory), and a SQLite path
    not a folder. Raises PreflightError with one line naming CURATE_DB.
    """
    path = _file_of(url, shown)
    if path is None:
        return
    if not path.exists():
        if create:
            return
        raise PreflightError(f"no database at {path} (CURATE_DB); curate ingest or curate run creates it")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise PreflightError(describe(exc, shown) or f"cannot open the database {shown} (CURATE_DB): {exc}") from None
    try:
        # past the limit only the header and schema are read below (QUICK_CHECK_MAX_BYTES says why)
        checked = path.stat().st_size <= QUICK_CHECK_MAX_BYTES
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")] if checked else ["ok"]
        if problems != ["ok"]:
            lines = [line.strip() for p in problems for line in str(p).splitlines()]
            first = next((line for line in lines if line and not line.startswith("***")), "quick_check failed")
            raise PreflightError(
                f"the database {shown} (CURATE_DB) is damaged ({first}); curate wrote nothing. "
                "Restore it from a backup, or try `sqlite3 <file> .recover`"
            )
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
                "ORDER BY rowid"
            )
        ]
        if not tables:
            if create:
                return
            raise PreflightError(
                f"the database {shown} (CURATE_DB) is empty; curate ingest or curate run creates its tables"
            )
        if not _is_curate(conn, tables, meta_table, version_key, revisions):
            raise PreflightError(
                f"the database {shown} (CURATE_DB) is not a curate database ({_holding(tables)}); "
                "point CURATE_DB at another file"
            )
        if meta_table in tables:
            row = conn.execute(f'SELECT value FROM "{meta_table}" WHERE key = ?', (version_key,)).fetchone()
            if row is not None and _int(row[0]) > newest:
                raise PreflightError(
                    f"the database {shown} has schema version {row[0]}, newer than this curate understands "
                    f"({newest}): upgrade curate, or point CURATE_DB at another database"
                )
        if revisions is not None and "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if row is not None and row[0] not in revisions:
                raise PreflightError(
                    f"the database {shown} has schema revision {row[0]}, newer than this curate understands: "
                    "upgrade curate, or point CURATE_DB at another database"
                )
    except sqlite3.Error as exc:
        raise PreflightError(describe(exc, shown) or f"cannot read the database {shown} (CURATE_DB): {exc}") from None
    finally:
        conn.close()


def _file_of(url: str, shown: str) -> Path | None:
    """The SQLite file `url` names (None for another database), after refusing a setting that
    cannot be a database: an empty one, or a folder."""
    if not url.strip():
        raise PreflightError("CURATE_DB is empty; set it to a file path or a database URL")
    path = sqlite_path(url)
    if path is not None and path.is_dir():  # SQLite opens a folder and fails reading it: "disk I/O error"
        raise PreflightError(f"the database {shown} (CURATE_DB) is a folder, not a database file")
    return path


def _is_curate(
    conn: sqlite3.Connection,
    tables: list[str],
    meta_table: str,
    version_key: str,
    revisions: Collection[str] | None,
) -> bool:
    """Whether a SQLite file with `tables` is curate's: its meta table holds a schema version
    (every curate database has one, 0.1's included), or its `alembic_version` holds a revision
    curate has a migration for (another program's Alembic revision does not count)."""
    try:
        if (
            meta_table in tables
            and conn.execute(f'SELECT 1 FROM "{meta_table}" WHERE key = ?', (version_key,)).fetchone()
        ):
            return True
    except sqlite3.OperationalError as exc:
        if "no such column" not in str(exc):
            raise
        # another program's table of that name
    if revisions is None or "alembic_version" not in tables:
        return False
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such column" not in str(exc):
            raise
        return False
    return row is not None and row[0] in revisions


def _holding(tables: list[str], shown: int = 5) -> str:
    """`it has tables: users, orders`, the first `shown` names in the order they were made, one line."""
    names = [name if name.isprintable() else repr(name) for name in tables[:shown]]
    more = f" and {len(tables) - shown} more" if len(tables) > shown else ""
    return f"it has {'a table' if len(tables) == 1 else 'tables'}: {', '.join(names)}{more}"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1 << 30  # a version curate cannot read is not one it understands


_KINDS = (
    # (words in SQLite's message, what the user sees after "the database X (CURATE_DB) ")
    ("readonly", "is read-only: give curate write access to the file and its folder, or point CURATE_DB elsewhere"),
    ("read-only", "is read-only: give curate write access to the file and its folder, or point CURATE_DB elsewhere"),
    ("locked", "is locked by another program that kept it busy for over 10 s; try again when it is done"),
    ("busy", "is locked by another program that kept it busy for over 10 s; try again when it is done"),
    ("full", "could not grow: the disk is full; free space and run again"),
    ("disk i/o", "could not be read or written (a disk I/O error); check the disk"),
    ("malformed", "is damaged; restore it from a backup, or try `sqlite3 <file> .recover`"),
    ("not a database", "is not a SQLite database (file is not a database); point CURATE_DB at a database file"),
    ("unable to open", "cannot be opened: check that the file and its folder exist and are readable"),
)


def describe(exc: BaseException, shown: str) -> str | None:
    """One line for a storage error (a DB-API error, or SQLAlchemy's wrapper of one), None when
    it is not one curate knows."""
    orig = getattr(exc, "orig", None) or exc
    if not isinstance(orig, Exception) or "Error" not in type(orig).__name__:
        return None
    text = str(orig).lower()
    for words, said in _KINDS:
        if words in text:
            return f"the database {shown} (CURATE_DB) {said}"
    return None
