"""Migration 0006: web ids curate 0.1 kept unencoded move to the id this curate gives the same link.

Starts from the database curate 0.1 made (tests/fixtures/store/curate-0.1.db) with web items
added as 0.1 wrote them: ids with non-ASCII paths, an IDN host, `<>`, a raw space, each with
what names it (annotations, an issue's list, aliases, a dropped feed link, a postponed link).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Fetched
from pipeline.links import parse
from pipeline.store import AnnotationRow, Store, SuggestionRow
from schemas import Article, ItemStatus
from tests.conftest import BACKENDS

MIGRATION = importlib.import_module("pipeline.migrations.versions.0006_web_ids")
OLD = Path(__file__).parent / "fixtures" / "store" / "curate-0.1.db"
NOTES = "feeds/blog/notes.atom"  # a feed of the 0.1 database (its state row carries the 0.1 replay's port)
SEEN = "2026-11-30 19:12:45.000000"  # as 0.1 wrote times: after issue 1, so the items are in issue 2's draft


def legacy(site: str) -> dict[str, str]:
    """0.1 ids (as 0.1 stored them) → the id this curate gives their link; a raw space has none."""
    return {
        f"web:{site}/café": f"web:{site}/caf%C3%A9",
        f"web:{site}/résumé": f"web:{site}/r%C3%A9sum%C3%A9",
        f"web:{site}/naïve": f"web:{site}/na%C3%AFve",
        "web:https://bücher.example/neu": "web:https://xn--bcher-kva.example/neu",
        "web:https://example.org/say<hi>": "web:https://example.org/say%3Chi%3E",
        f"web:{site}/a b": f"web:{site}/a b",
    }


def add_0_1_items(path: Path, site: str) -> None:
    """Web items, with what names them, written into a 0.1 database the way 0.1 wrote them."""
    cafe, resume, naive, books, angle, space = legacy(site)
    with sqlite3.connect(path) as conn:
        (template,) = conn.execute("SELECT record FROM item WHERE kind = 'article'").fetchone()
        (notes,) = conn.execute("SELECT url FROM feed_state WHERE url LIKE ?", (f"%{NOTES}",)).fetchone()
        rows = [
            (cafe, "Coffee notes", "shortlisted"),
            (resume, "A curriculum of one", "published"),
            (naive, "Naive bayes, kindly", "shortlisted"),
            (books, "Neue Bücher", "rejected"),
            (angle, "Say hi", "candidate"),
            (space, "Spaced out", "shortlisted"),
        ]
        for item_id, title, status in rows:
            url = item_id.removeprefix("web:")
            record = {**json.loads(template), "id": item_id, "url": url, "title": title, "final_url": url}
            conn.execute(
                "INSERT INTO item VALUES (?, 'article', ?, ?, ?, ?, ?, 1, ?, '<html></html>', ?)",
                (item_id, url, title, status, SEEN, SEEN, json.dumps(record), json.dumps(["Reading notes"])),
            )
        conn.executemany(
            "INSERT INTO annotation VALUES (?, ?, 'reads', ?, 1, ?)",
            [
                (1, resume, 2, "An old favourite."),
                (2, cafe, 1, "Read it with a coffee."),
                (2, naive, 2, "Kind to beginners."),
                (2, space, 3, "Mind the gap."),
            ],
        )
        (ids,) = conn.execute("SELECT item_ids FROM issue WHERE number = 1").fetchone()
        conn.execute("UPDATE issue SET item_ids = ? WHERE number = 1", (json.dumps([*json.loads(ids), resume]),))
        # the link the editor pasted led to the café page, which named itself
        conn.execute("INSERT INTO alias VALUES (?, ?)", ("web:https://example.org/crème", cafe))
        conn.execute(
            "INSERT INTO feed_dropped VALUES (?, ?, ?, 'not found (HTTP 404)', ?)",
            (notes, f"web:{site}/thé", f"{site}/thé", SEEN),
        )
        conn.execute(
            "INSERT INTO pending VALUES (?, ?, 'the site asked to slow down', NULL, ?)",
            (f"web:{site}/über", f"{site}/über", SEEN),
        )


@pytest.fixture
def old_db(tmp_path: Path, replay) -> Path:
    path = tmp_path / "curate.db"
    shutil.copy(OLD, path)
    add_0_1_items(path, f"{replay.url}/site/plain")
    return path


def upgrade_to(db: str, revision: str) -> None:
    """Migrate `db` as far as `revision` only: the database a curate of that revision left."""
    from alembic import command

    from pipeline.store import BASELINE, _alembic_config

    store = Store(db, upgrade=False)
    start = store.current()
    with store._write() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        config = _alembic_config(conn)
        if start == BASELINE:
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)
    store.engine.dispose()


def env_drafts(curate) -> str:
    return curate.env["CURATE_DRAFTS_DIR"]


def rows(path: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def test_a_0_1_database_moves_its_web_items_to_the_ids_of_their_links(old_db, replay):
    site = f"{replay.url}/site/plain"
    ids = legacy(site)
    cafe, resume, naive, books, angle, space = ids
    before = rows(old_db, "SELECT count(*) FROM item")[0][0]

    store = Store(str(old_db))

    assert store.count() == before
    assert store.existing(ids) == {space}  # the raw space is left as it was
    assert store.existing(ids.values()) == set(ids.values())
    assert {old: store.resolve([old])[old] for old in ids} == ids
    for old, new in ids.items():
        item = store.get(old)
        assert (item.id, item.record.id, item.url, item.record.url) == (new, new, new[4:], new[4:])
    statuses = {i.id: i.status for i in store.items()}
    assert [statuses[ids[k]] for k in (cafe, resume, books, angle)] == [
        "shortlisted",
        "published",
        "rejected",
        "candidate",
    ]
    notes = {(n, i): a.blurb for n in (1, 2) for i, a in store.annotations(n).items()}
    assert notes[(2, ids[cafe])] == "Read it with a coffee." and notes[(1, ids[resume])] == "An old favourite."
    assert notes[(2, space)] == "Mind the gap." and not {cafe, resume, naive} & {i for _, i in notes}
    assert store.issue(1).item_ids[-1] == ids[resume] and store.featured()[ids[resume]] == [1]
    assert store.resolve(["web:https://example.org/crème", "web:https://example.org/cr%C3%A8me"]) == {
        "web:https://example.org/crème": ids[cafe],
        "web:https://example.org/cr%C3%A8me": ids[cafe],  # the same pasted link, as this curate keys it
    }
    assert [i.id for i in store.search("coffee")] == [ids[cafe]]
    assert rows(old_db, "SELECT id FROM item_search WHERE id IN (?, ?)", cafe, naive) == []
    assert [p.id for p in store.pending()] == ["youtube:video:Ee9nB1dIs4X", f"web:{site}/%C3%BCber"]
    assert {i for (i,) in rows(old_db, "SELECT id FROM feed_dropped")} == {f"web:{site}/th%C3%A9"}
    assert rows(old_db, "PRAGMA foreign_key_check") == []


def test_ingesting_the_same_link_after_upgrading_refreshes_the_old_item(old_db, replay, curate):
    site = f"{replay.url}/site/plain"
    ids = legacy(site)
    cafe, *_, space = ids
    env = {"CURATE_DB": str(old_db), "CURATE_MAX_AGE": "0s"}

    result = curate("ingest", f"{site}/café", extra_env=env)

    assert result.returncode == 0, result.stderr
    assert [row.split("\t")[:3] for row in result.stdout.splitlines()] == [
        ["stored", ids[cafe], "article"],
        ["stored", f"web:{site}/%C3%BCber", "article"],  # the link 0.1 postponed, retried under its new key
    ]
    store = Store(str(old_db))
    assert store.count() == rows(Path(OLD), "SELECT count(*) FROM item")[0][0] + len(ids) + 1
    assert [p.id for p in store.pending()] == ["youtube:video:Ee9nB1dIs4X"]
    item = store.get(cafe)
    assert (item.id, item.fetch_count, item.status, item.title) == (
        ids[cafe],
        2,
        ItemStatus.shortlisted,
        "Plain page caf%C3%A9",
    )
    assert item.first_seen == datetime(2026, 11, 30, 19, 12, 45, tzinfo=UTC)
    shown = json.loads(curate("show", cafe, extra_env=env).stdout)  # the 0.1 id, as an old draft has it
    assert shown["id"] == ids[cafe]
    draft = json.loads(curate("export", "--format", "json", "--output", "-", extra_env=env).stdout)
    exported = {i["id"]: i for s in draft["sections"] for i in s["items"]}
    assert exported[ids[cafe]]["annotation"]["blurb"] == "Read it with a coffee."
    assert exported[space]["annotation"]["blurb"] == "Mind the gap."  # the id left as it was works on


def test_an_id_left_as_it_was_is_still_shown_listed_and_exported(old_db, replay, curate):
    space = f"web:{replay.url}/site/plain/a b"
    env = {"CURATE_DB": str(old_db)}
    Store(str(old_db))
    shown = curate("show", space, extra_env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == "Spaced out"
    listed = curate("list", "--format", "json", extra_env=env)
    assert space in {json.loads(line)["id"] for line in listed.stdout.splitlines()}
    exported = curate("export", extra_env=env)
    assert exported.returncode == 0, exported.stderr
    draft = Path(env_drafts(curate)) / "issue-2.md"
    assert "Spaced out" in draft.read_text(encoding="utf-8")
    draft.write_text(
        draft.read_text(encoding="utf-8").replace("Mind the gap.", "Mind the gap, twice."), encoding="utf-8"
    )
    annotated = curate("annotate", str(draft), extra_env=env)
    assert annotated.returncode == 0, annotated.stderr
    assert Store(str(old_db)).annotations(2)[space].blurb == "Mind the gap, twice."


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_item_ingested_again_before_the_fix_is_merged_into_one(tmp_path, replay, db_url, backend):
    """Upgraded by a curate without 0006, the same link ingested again: two items, merged now."""
    site = f"{replay.url}/site/plain"
    ids = legacy(site)
    cafe, _, naive, *_ = ids
    source = tmp_path / "old.db"
    shutil.copy(OLD, source)
    add_0_1_items(source, site)
    upgrade_to(str(source), "0005")
    if backend == "postgresql":  # moved there by `curate db copy` while at 0005
        upgrade_to(db_url, "0005")
        Store(str(source), upgrade=False).copy_to(Store(db_url, upgrade=False))
    else:
        db_url = str(source)
    at_0005 = Store(db_url, upgrade=False)
    later = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    ref = parse(f"{site}/naïve")
    assert ref.key == ids[naive]
    record = Article(id=ref.key, url=ref.url, title="Naive Bayes, kindly (second edition)", site_name="Plain")
    at_0005.save([Fetched(ref, record=record, payload="<html>new</html>")], now=later, source="ingest")
    with at_0005.issue_work(2) as work:  # the export after it put the new item in the draft, unannotated
        work.annotate(AnnotationRow(issue=2, item_id=ids[naive], section="reads", position=4, blurb=""))
    at_0005.save_suggestion(
        SuggestionRow(key="k1", subject=naive, model="m", text="A model's blurb.", drafted_at=later)
    )
    assert at_0005.existing([naive, ids[naive]]) == {naive, ids[naive]}
    at_0005.engine.dispose()

    store = Store(db_url)

    assert store.existing([naive, ids[naive], cafe, ids[cafe]]) == {ids[naive], ids[cafe]}
    item = store.get(naive)
    assert (item.id, item.title, item.fetch_count, item.status) == (
        ids[naive],
        "Naive Bayes, kindly (second edition)",  # the newer record
        2,
        ItemStatus.shortlisted,  # the editor's, from before the upgrade
    )
    assert item.first_seen == datetime(2026, 11, 30, 19, 12, 45, tzinfo=UTC)
    assert item.sources == ["Reading notes", "ingest"]
    assert store.payload(naive) == "<html>new</html>"
    note = store.annotations(2)[ids[naive]]
    assert (note.blurb, note.position) == ("Kind to beginners.", 2)  # the older's: the editor wrote it
    assert [s.text for s in store.suggestions_of([ids[naive]])[ids[naive]]] == ["A model's blurb."]
    assert [i.id for i in store.search("bayes")] == [ids[naive]]
    assert store.aliases()[naive] == ids[naive]
    assert store.get(cafe).id == ids[cafe]
    resume = next(k for k in ids if "sum" in k)
    assert store.issue(1).item_ids[-1] == ids[resume]
    assert store.annotations(1)[ids[resume]].blurb == "An old favourite."
    assert [i.id for i in store.search("coffee")] == [ids[cafe]]
    assert Store.head() == store.current()


# what curate 0.1 kept after `https://<host>/`: any text but white space, controls, a fragment and
# the `<>` a paste is trimmed of (0.1 dropped fragments too)
paths = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="#<>\x85\xa0"),
    max_size=30,
)


@given(
    host=st.sampled_from(["example.org", "bücher.example", "münchen.example:8080", "127.0.0.1:5000", "[::1]"]),
    path=paths,
)
def test_a_0_1_web_id_moves_to_the_key_the_same_link_has_now(host, path):
    link = f"https://{host}/{path}"
    new_id = MIGRATION.rekeyed(f"web:{link}")
    assert new_id == parse(link).key  # ingesting the link finds the moved item
    assert MIGRATION.rekeyed(new_id) == new_id  # and the next upgrade leaves it be
    assert new_id.isascii() and not any(c.isspace() for c in new_id)


@given(before=paths, after=paths)
def test_a_0_1_web_id_with_a_raw_space_is_left_as_it_is(before, after):
    assert MIGRATION.rekeyed(f"web:https://example.org/{before} {after}") is None
