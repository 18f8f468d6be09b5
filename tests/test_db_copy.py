"""`curate db copy --to URL`: a SQLite database moves into an empty one (PostgreSQL for a team), counts checked."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.store import Store
from tests.conftest import BACKENDS
from tests.draft_records import repo, save

OLD = Path(__file__).parent / "fixtures" / "store" / "curate-0.1.db"


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The database copied into."""
    return request.param


def test_a_0_1_database_moves_whole_into_an_empty_one(curate, tmp_path, db_url):
    source = tmp_path / "old.db"
    shutil.copy(OLD, source)
    result = curate("db", "copy", "--to", db_url, extra_env={"CURATE_DB": str(source)})
    assert result.returncode == 0, result.stderr
    expected = Store(str(source)).counts()
    assert result.stdout.splitlines() == [f"{table}\t{n}" for table, n in expected.items()]
    assert result.stderr.endswith(
        "12 items, 12 metric snapshots, 2 issues, 11 annotations, 2 feeds; every table's count matches\n"
    )
    target = Store(db_url)
    assert target.counts() == expected
    listed = curate("list", "--format", "json", extra_env={"CURATE_DB": str(source)}).stdout
    assert curate("list", "--format", "json", extra_env={"CURATE_DB": db_url}).stdout == listed
    assert [i.id for i in target.search("attention")] == ["arxiv:1706.03762"]
    assert target.last_published().title == "Week one"
    assert target.get("github:curate-fixtures/old-name").id == "github:curatefixtures/new-name"
    save(target, [repo("Fastlib", 900)], datetime.now(UTC))  # new rows follow the copied ones
    assert target.counts()["metric"] == expected["metric"] + 2


def test_a_database_that_holds_anything_is_refused(curate, tmp_path, db_url):
    save(Store(db_url), [repo("Fastlib", 900)])
    source = tmp_path / "old.db"
    shutil.copy(OLD, source)
    result = curate("db", "copy", "--to", db_url, extra_env={"CURATE_DB": str(source)})
    assert result.returncode == 2
    assert result.stderr.startswith("error: the database ") and "is not empty (1 item, 2 metric rows)" in result.stderr
    assert Store(db_url).counts()["item"] == 1
