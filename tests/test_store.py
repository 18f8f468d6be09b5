"""The store on SQLite and PostgreSQL: idempotent upserts, freshness, snapshots, aliases, versions,
concurrency, search."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.base import Fetched
from connectors.errors import Deferred, NotFound
from pipeline.links import parse
from pipeline.store import SCHEMA_VERSION, Store, StoreError
from schemas import Article, ItemStatus, Kind, Paper, Repo
from tests.conftest import BACKENDS

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def paper(arxiv_id: str = "2512.07461", title: str = "A paper", version: int = 1) -> Fetched:
    ref = parse(arxiv_id)
    record = Paper(id=ref.key, url=ref.url, title=title, arxiv_id=arxiv_id, version=version, authors=["A"])
    return Fetched(ref, record=record, payload="<entry/>")


def repo(text: str, stars: int, full_name: str | None = None) -> Fetched:
    ref = parse(text)
    owner, name = (full_name or ref.url.removeprefix("https://github.com/")).split("/")
    record = Repo(
        id=f"github:{owner.lower()}/{name.lower()}",
        url=f"https://github.com/{owner}/{name}",
        title=f"{owner}/{name}",
        full_name=f"{owner}/{name}",
        owner=owner,
        name=name,
        stars=stars,
    )
    return Fetched(ref, record=record, payload={"stargazers_count": stars})


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def store(db_url):
    return Store(db_url)


def test_ingesting_the_same_link_twice_keeps_one_row_and_its_first_seen(store):
    store.save([paper(title="First title")], now=T0)
    store.save([paper(title="Revised title", version=2)], now=T0 + timedelta(days=2))
    (item,) = store.items()
    assert item.title == "Revised title" and item.record.version == 2
    assert item.first_seen == T0
    assert item.fetched_at == T0 + timedelta(days=2)
    assert item.fetch_count == 2


def test_a_record_fetched_within_max_age_is_fresh(store):
    store.save([paper()], now=T0)
    assert store.fresh(["arxiv:2512.07461", "arxiv:2511.13945"], timedelta(hours=24), T0 + timedelta(hours=23)) == {
        "arxiv:2512.07461"
    }
    assert store.fresh(["arxiv:2512.07461"], timedelta(hours=24), T0 + timedelta(hours=25)) == set()


def test_raw_payload_is_kept_beside_the_record(store):
    store.save([paper(), repo("github.com/o/n", 5)], now=T0)
    assert store.payload("arxiv:2512.07461") == "<entry/>"
    assert store.payload("github:o/n") == '{"stargazers_count": 5}'


def test_every_fetch_writes_a_metric_snapshot_with_its_time(store):
    store.save([repo("github.com/o/n", 10)], now=T0)
    store.save([repo("github.com/o/n", 25)], now=T0 + timedelta(days=1))
    assert store.metrics("github:o/n", "stars") == [(T0, 10.0), (T0 + timedelta(days=1), 25.0)]


def test_a_renamed_record_is_stored_under_its_new_id_and_the_old_id_points_to_it(store):
    store.save([repo("github.com/old-owner/tool", 3, full_name="NewOwner/Tool")], now=T0)
    assert [i.id for i in store.items()] == ["github:newowner/tool"]
    assert store.get("github:old-owner/tool").id == "github:newowner/tool"
    assert store.fresh(["github:old-owner/tool"], timedelta(hours=1), T0) == {"github:old-owner/tool"}


def test_deferred_links_wait_in_pending_until_stored(store):
    ref = parse("github.com/o/later")
    store.save([Fetched(ref, error=Deferred(ref, "rate limit spent", until=T0 + timedelta(hours=1)))], now=T0)
    assert [(p.id, p.url) for p in store.pending()] == [("github:o/later", "https://github.com/o/later")]
    store.save([repo("github.com/o/later", 1)], now=T0 + timedelta(hours=2))
    assert store.pending() == []


def test_failed_links_store_nothing_and_keep_what_was_there(store):
    store.save([paper()], now=T0)
    ref = parse("2512.07461")
    store.save([Fetched(ref, error=NotFound(ref, "gone"))], now=T0 + timedelta(days=1))
    (item,) = store.items()
    assert item.title == "A paper" and item.fetched_at == T0


def test_status_changes_name_unknown_ids(store):
    store.save([paper()], now=T0)
    store.set_status(["arxiv:2512.07461"], ItemStatus.shortlisted)
    assert store.get("arxiv:2512.07461").status == ItemStatus.shortlisted
    with pytest.raises(KeyError, match="arxiv:2511.13945"):
        store.set_status(["arxiv:2512.07461", "arxiv:2511.13945"], ItemStatus.rejected)
    assert store.get("arxiv:2512.07461").status == ItemStatus.shortlisted


@pytest.mark.parametrize("backend", ["sqlite"])
def test_database_runs_in_wal_mode_with_a_busy_timeout(store, tmp_path):
    store.save([paper()], now=T0)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_a_database_from_a_newer_curate_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "curate.db"
    Store(str(path))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer than this curate understands"):
        Store(str(path))


def test_two_processes_writing_at_once_both_succeed(db_url):
    db = db_url
    Store(db)
    script = (
        "import sys\nfrom datetime import datetime, timezone\nfrom tests.test_store import paper\n"
        "from pipeline.store import Store\ns = Store(sys.argv[1])\n"
        "for n in range(int(sys.argv[2]), int(sys.argv[2]) + 60):\n"
        "    s.save([paper(f'2512.{n:05d}')], now=datetime.now(timezone.utc))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), str(start)]) for start in (0, 1000)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert Store(db).count() == 120


def test_items_can_be_narrowed_to_a_draft_window_in_the_query(store):
    store.save([paper("2512.00001", title="Old")], now=T0)
    store.save([paper("2512.00002", title="Old but annotated")], now=T0)
    store.save(
        [paper("2512.00003", title="New"), paper("2512.00004", title="New, rejected")], now=T0 + timedelta(days=8)
    )
    store.set_status(["arxiv:2512.00004"], ItemStatus.rejected)
    window = store.items(statuses=[ItemStatus.candidate], since=T0 + timedelta(days=7), also=["arxiv:2512.00002"])
    assert [i.title for i in window] == ["New", "Old but annotated"]
    assert len(store.items()) == 4


def test_titles_of_many_ids_follow_aliases_and_skip_unknown_ones(store):
    store.save([repo("github.com/old/name", 3, full_name="New/Name")], now=T0)
    assert store.titles(["github:old/name", "github:new/name", "github:no/such"]) == {
        "github:old/name": ("github:new/name", "New/Name"),
        "github:new/name": ("github:new/name", "New/Name"),
    }


def test_metric_changes_for_some_ids_match_those_for_all(store):
    for day, stars in enumerate((10, 15, 40)):
        store.save([repo("github.com/o/a", stars), repo("github.com/o/b", stars * 2)], now=T0 + timedelta(days=day))
    since, until = T0 + timedelta(days=1), T0 + timedelta(days=2)
    everything = store.metric_changes("stars", since, until)
    assert everything == {"github:o/a": (40.0, 15.0), "github:o/b": (80.0, 30.0)}
    assert store.metric_changes("stars", since, until, ids=["github:o/b", "github:x/y"]) == {"github:o/b": (80.0, 30.0)}


def test_freshness_is_answered_for_every_id_of_a_very_long_list(store):
    # more ids than SQLite's default limit of bound parameters (32,766; some builds allow more)
    store.save([paper("2512.00001"), paper("2512.00002"), paper("2512.00003")], now=T0)
    ids = [f"web:https://example.com/{i}" for i in range(40_000)]
    ids[0:0], ids[20_000:20_000], ids[-1:-1] = ["arxiv:2512.00001"], ["arxiv:2512.00002"], ["arxiv:2512.00003"]
    assert store.fresh(ids, timedelta(hours=24), T0 + timedelta(hours=1)) == {
        "arxiv:2512.00001",
        "arxiv:2512.00002",
        "arxiv:2512.00003",
    }


def test_two_processes_storing_the_same_new_links_at_once_both_succeed(db_url):
    db = db_url
    Store(db)
    script = (
        "import sys\nfrom datetime import datetime, timezone\nfrom tests.test_store import paper\n"
        "from pipeline.store import Store\ns = Store(sys.argv[1])\n"
        "for n in range(40):\n"
        "    s.save([paper(f'2512.{n:05d}'), paper(f'2512.{n + 100:05d}')], now=datetime.now(timezone.utc))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db)], stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0], [p.stderr.read() for p in procs]
    store = Store(db)
    assert store.count() == 80
    assert {item.fetch_count for item in store.items()} == {2}


def test_a_postponed_link_that_then_fails_for_good_leaves_the_queue(store):
    ref = parse("github.com/o/gone")
    store.save([Fetched(ref, error=Deferred(ref, "rate limit spent"))], now=T0)
    store.save([Fetched(ref, error=NotFound(ref, "not found on GitHub"))], now=T0 + timedelta(hours=2))
    assert store.pending() == []


# ---- search


def article(slug: str, title: str, summary: str = "", author: str | None = None) -> Fetched:
    ref = parse(f"https://example.com/{slug}")
    record = Article(
        id=ref.key,
        url=ref.url,
        title=title,
        description=summary,
        authors=[author] if author else [],
        site_name="Example",
    )
    return Fetched(ref, record=record, payload="<html/>")


def test_search_finds_words_in_title_authors_and_text_title_first(store):
    store.save(
        [
            article("a", "Sharding a vector index", "How we split the embeddings."),
            article("b", "Notes from the week", "Mostly about a vector index we sharded.", author="Ada Lovelace"),
            article("c", "Unrelated", "Nothing here."),
            paper("2512.00001", title="Attention is what you need"),
        ],
        now=T0,
    )
    assert [i.id for i in store.search("vector index sharding")] == [
        "web:https://example.com/a",
        "web:https://example.com/b",
    ]  # stemmed: sharded ~ sharding
    assert [i.id for i in store.search("lovelace")] == ["web:https://example.com/b"]
    assert [i.id for i in store.search("attention")] == ["arxiv:2512.00001"]
    assert store.search("vector index nowhere") == []  # every word must be there
    assert store.search('"vector" (index* -- ;') != []  # FTS5 and tsquery syntax is only words
    assert store.search("  ...  ") == []


def test_search_narrows_by_kind_status_and_first_seen(store):
    store.save([article("a", "Mixture of experts, explained")], now=T0)
    store.save([paper("2512.00001", title="Sparse mixture of experts")], now=T0 + timedelta(days=3))
    assert [i.id for i in store.search("experts", kind=Kind.paper)] == ["arxiv:2512.00001"]
    assert [i.id for i in store.search("experts", since=T0 + timedelta(days=1))] == ["arxiv:2512.00001"]
    store.set_status(["arxiv:2512.00001"], ItemStatus.rejected)
    assert [i.id for i in store.search("experts", status=ItemStatus.candidate)] == ["web:https://example.com/a"]
    assert len(store.search("experts", limit=1)) == 1


def test_search_sees_a_record_as_last_stored(store):
    store.save([paper("2512.00001", title="Old words")], now=T0)
    store.save([paper("2512.00001", title="New title")], now=T0 + timedelta(hours=1))
    assert store.search("old") == []
    assert [i.title for i in store.search("new title")] == ["New title"]


def test_counts_and_times_are_stored_as_integers_and_utc(store):
    store.save([repo("github.com/o/a", 812)], now=datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=1))))
    [(at, stars)] = store.metrics("github:o/a", "stars")
    assert (at, stars, type(stars)) == (T0, 812, int)
    assert store.get("github:o/a").first_seen == T0


def test_the_schema_revisions_read_without_alembic_are_alembics():
    # every command reads the migrations' `revision = "…"` lines itself instead of loading Alembic
    from alembic.script import ScriptDirectory

    from pipeline.store import MIGRATIONS, _revision_chain

    scripts = ScriptDirectory(str(MIGRATIONS))
    assert _revision_chain() == {s.revision: s.down_revision for s in scripts.walk_revisions()}
    assert Store.head() == scripts.get_current_head()


def test_opening_a_database_at_the_newest_schema_loads_no_migration_tool(tmp_path):
    db = tmp_path / "curate.db"
    Store(str(db))  # created and migrated
    code = (
        "import sys\nfrom pipeline.store import Store\n"
        f"Store({str(db)!r})\nprint(sorted(m for m in ('alembic', 'mako') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
