"""The ingest runner: what it stores when links overlap or a source gives less than before."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from pipeline.ingest import Ingest, Status
from pipeline.store import Store
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test here runs on SQLite and on PostgreSQL."""
    return request.param


PLAYLIST = "https://www.youtube.com/playlist?list=PLx7bQz4Ck3mLp9VrT2wYn8Hd5Fa1Gs6Je"
VIDEO = "https://youtu.be/Mw3kR7tYp2Q"


def test_a_refresh_without_the_api_never_replaces_a_complete_record(settings, replay):
    keyed = settings.model_copy(update={"youtube_api_key": SecretStr("AIzaTestKey"), "youtube_retries": 0})
    store = Store(settings.db)
    first = Ingest(keyed, store).run([PLAYLIST, VIDEO])
    assert [o.status for o in first.outcomes] == [Status.stored, Status.stored]
    before = {i.id: i for i in store.items()}

    replay.state["youtube_quota"] = 0  # the key's quota is spent: the connector falls back to oEmbed and feeds
    again = Ingest(keyed, store).run([PLAYLIST, VIDEO], refresh=True)
    assert {o.status for o in again.outcomes} == {Status.fresh}
    assert all("kept the complete record stored earlier" in o.message for o in again.outcomes)
    for item in store.items():
        assert item.record == before[item.id].record
        assert item.record.filled_by == "api" and item.fetched_at == before[item.id].fetched_at


def test_two_links_that_land_on_one_item_are_stored_once_and_said_so(settings, replay):
    site = f"{replay.url}/site"
    report = Ingest(settings, Store(settings.db)).run(
        [f"{site}/blog/continuous_batching", f"{site}/r/3/blog/continuous_batching"]
    )
    assert [o.status for o in report.outcomes] == [Status.stored, Status.fresh]
    assert report.outcomes[1].message == "the same item as an earlier link"
    assert report.outcomes[0].item_id == report.outcomes[1].item_id
    assert Store(settings.db).count() == 1
