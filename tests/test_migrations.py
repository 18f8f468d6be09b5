"""The schema's migrations: a 0.1 database upgrades in place, a newer one is refused untouched."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from pipeline.store import SCHEMA_VERSION, Store, StoreError
from schemas import ItemStatus

OLD = Path(__file__).parent / "fixtures" / "store" / "curate-0.1.db"
"""Made by curate 0.1.0 (commit eb320c9) through tests/make_db_0_1.py: a week an editor had."""

TABLES = ("item", "alias", "metric", "pending", "feed_state", "feed_backlog", "feed_dropped", "issue", "annotation")


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def counts(path: Path) -> dict[str, int]:
    return {t: rows(path, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "curate.db"
    shutil.copy(OLD, path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # as 0.1 left every database it opened
    return path


def test_a_0_1_database_upgrades_in_place_and_keeps_everything(old_db):
    before = counts(old_db)
    old_items = rows(old_db, "SELECT id, kind, url, title, status, fetch_count, record, payload, sources FROM item")
    old_metrics = rows(old_db, "SELECT item_id, name, value FROM metric ORDER BY id")
    old_notes = rows(old_db, "SELECT * FROM annotation ORDER BY issue, item_id")
    first_seen = dict(rows(old_db, "SELECT id, first_seen FROM item"))

    store = Store(str(old_db))

    assert counts(old_db) == before and before["item"] == 12 and before["annotation"] > 0
    assert (
        rows(old_db, "SELECT id, kind, url, title, status, fetch_count, record, payload, sources FROM item")
        == old_items
    )
    assert rows(old_db, "SELECT item_id, name, value FROM metric ORDER BY id") == old_metrics  # 812.0 == 812
    assert rows(old_db, "SELECT * FROM annotation ORDER BY issue, item_id") == old_notes
    assert {t for (t,) in rows(old_db, "SELECT DISTINCT typeof(value) FROM metric")} == {"integer"}
    for item_id, seen in rows(old_db, "SELECT id, first_seen FROM item"):
        assert seen == first_seen[item_id].replace(" ", "T") + "Z"
    assert rows(old_db, "PRAGMA foreign_key_check") == []
    assert {r[2] for r in rows(old_db, "PRAGMA foreign_key_list(annotation)")} == {"item", "issue"}
    assert rows(old_db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert store.current() == Store.head()

    # what the editor had is there, read through the new code
    assert store.get("github:curate-fixtures/old-name").id == "github:curatefixtures/new-name"  # the alias
    published = store.last_published()
    assert (published.number, published.title) == (1, "Week one")
    assert published.published_at.tzinfo is not None
    assert [p.id for p in store.pending()] == ["youtube:video:Ee9nB1dIs4X"]
    assert store.metrics("github:gokumohandas/made-with-ml", "stars")[0][1] == 38_412
    assert [i.id for i in store.search("attention")] == ["arxiv:1706.03762"]
    assert {i.status for i in store.items()} >= {ItemStatus.published, ItemStatus.rejected}


def test_an_upgraded_0_1_database_has_the_shape_of_a_new_one(old_db, tmp_path):
    Store(str(old_db))
    Store(str(tmp_path / "new.db"))
    shape = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    assert rows(old_db, shape) == rows(tmp_path / "new.db", shape)


def test_the_tables_are_what_the_code_declares(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    store = Store(str(tmp_path / "new.db"))
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert [d for d in diff if "item_search" not in str(d) and "alembic_version" not in str(d)] == []


def test_a_read_only_command_leaves_a_0_1_database_as_it_is(old_db, curate):
    before = old_db.read_bytes()
    result = curate("list", extra_env={"CURATE_DB": str(old_db)})
    assert result.returncode == 0, result.stderr
    assert "arxiv:1706.03762" in result.stdout
    assert old_db.read_bytes() == before


def test_a_write_command_upgrades_first_and_db_current_says_where_it_is(old_db, curate):
    env = {"CURATE_DB": str(old_db)}
    assert curate("db", "current", extra_env=env).stdout == "0001 (curate 0.1)\n"
    assert curate("mark", "--status", "rejected", "arxiv:2512.08296", extra_env=env).returncode == 0
    assert curate("db", "current", extra_env=env).stdout == f"{Store.head()} (head)\n"
    again = curate("db", "upgrade", extra_env=env)
    assert again.returncode == 0 and "already at" in again.stderr


def test_a_database_a_newer_curate_migrated_is_refused_before_anything_is_written(tmp_path, curate):
    path = tmp_path / "curate.db"
    Store(str(path))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="schema revision 9999, newer than this curate understands"):
        Store(str(path))
    for args in (["ingest", "2512.07461"], ["list"], ["db", "upgrade"]):
        result = curate(*args, extra_env={"CURATE_DB": str(path)})
        assert result.returncode == 2
        assert result.stderr.startswith("error: the database ") and "newer than this curate" in result.stderr
    assert path.read_bytes() == before


def test_search_on_a_0_1_database_says_how_to_build_the_index_and_changes_nothing(old_db, curate):
    before = old_db.read_bytes()
    result = curate("search", "attention", extra_env={"CURATE_DB": str(old_db)})
    assert result.returncode == 2
    assert (
        result.stderr.startswith("error: the database ")
        and "has no search index yet: curate db upgrade" in result.stderr
    )
    assert old_db.read_bytes() == before
