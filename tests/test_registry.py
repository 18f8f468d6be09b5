"""The source registry: a source declared in one place is known everywhere, a fake one included."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from connectors.base import Fetched
from connectors.errors import LinkRefused
from connectors.registry import BareId, Registry, Source, default
from pipeline import links
from pipeline.config import Settings
from pipeline.ingest import Ingest, Status
from pipeline.store import Store
from schemas import Article, Extra, Kind, SectionKey, SourceRef
from tests.replay.server import source_env

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _fake_ref(token: str) -> SourceRef:
    return SourceRef(
        kind=Kind.article, key=f"fake:{token.lower()}", url=f"https://fake.example/item/{token}", connector="fake"
    )


def _fake_owns(url: str) -> SourceRef | None:
    if not url.startswith(("https://fake.example/", "http://fake.example/")):
        return None
    parts = url.split("/")
    if len(parts) < 5 or parts[3] != "item":
        raise LinkRefused(url, "a fake.example page that is not an item")
    return _fake_ref(parts[4])


def _fake_bare(text: str) -> SourceRef | None:
    return _fake_ref(text[5:]) if text.upper().startswith("FAKE-") and text[5:].isalnum() else None


class FakeConnector:
    """Answers every ref with an article, and counts the refs it was given."""

    name = "fake"
    asked: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> FakeConnector:
        return cls()

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        for ref in refs:
            FakeConnector.asked.append(ref.key)
            yield Fetched(ref, record=Article(id=ref.key, url=ref.url, title=f"Fake {ref.key}"))

    def notes(self) -> list[str]:
        return ["fake: all answered"]


FAKE = Source(
    name="fake",
    connector=FakeConnector,
    owns=_fake_owns,
    hosts=("fake.example",),
    bare_id=BareId(
        parse=_fake_bare, pattern=r"(?<![\w-])FAKE-[A-Za-z0-9]+\b", valid=lambda text: _fake_bare(text) is not None
    ),
)


@pytest.fixture
def registry() -> Registry:
    return default().with_source(FAKE)


def test_a_registered_source_owns_its_links_hosts_and_bare_ids(registry):
    assert links.parse("https://fake.example/item/A1", registry).key == "fake:a1"
    assert links.parse("fake.example/item/B2", registry).connector == "fake"  # no scheme
    assert links.parse("FAKE-c3", registry).key == "fake:c3"  # a bare id
    with pytest.raises(LinkRefused, match="not an item"):
        links.parse("https://fake.example/about", registry)
    text = "read fake.example/item/D4, then FAKE-e5 and https://arxiv.org/abs/2512.07461"
    assert links.extract(text, registry) == ["fake.example/item/D4", "FAKE-e5", "https://arxiv.org/abs/2512.07461"]


def test_the_default_registry_does_not_know_the_fake_source():
    assert links.parse("https://fake.example/item/A1").connector == "web"  # the fallback takes it
    with pytest.raises(LinkRefused):
        links.parse("FAKE-c3")
    assert links.extract("see fake.example/item/D4") == []


def test_the_fallback_source_is_asked_last_whatever_is_registered(registry):
    assert [s.name for s in registry.owners()][-1] == "web"
    assert registry.source("fake").owns is _fake_owns


def test_ingest_fetches_through_a_registered_source(settings, registry):
    FakeConnector.asked = []
    store = Store(settings.db)
    report = Ingest(settings, store, registry).run(["FAKE-x1", "fake.example/item/x2", "FAKE-X1"], now=NOW)
    assert [o.status for o in report.outcomes] == [Status.stored, Status.stored]
    assert FakeConnector.asked == ["fake:x1", "fake:x2"]  # one fetch per item, the duplicate id dropped
    assert report.notes == ["fake: all answered"]
    assert store.get("fake:x2").title == "Fake fake:x2"


def test_two_sources_cannot_share_a_name_or_a_kind():
    with pytest.raises(ValueError, match="share a name"):
        default().with_source(Source(name="arxiv"))
    with pytest.raises(ValueError, match="kind paper"):
        default().with_source(Source(name="other", kinds=default().source("arxiv").kinds))


def test_every_kind_has_a_section_and_rules():
    registry = default()
    assert {k: registry.section_of(k) for k in Kind} == {
        Kind.paper: SectionKey.papers,
        Kind.video: SectionKey.videos,
        Kind.playlist: SectionKey.videos,
        Kind.article: SectionKey.reads,
        Kind.repo: SectionKey.tools,
    }
    assert set(registry.refreshed_kinds()) == {Kind.repo, Kind.video, Kind.playlist, Kind.paper}  # papers: upvotes


def test_settings_are_made_of_every_sources_settings_under_their_usual_names(monkeypatch):
    monkeypatch.setenv("CURATE_ARXIV_DELAY", "1.5")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_env")
    monkeypatch.setenv("CURATE_YOUTUBE_API_KEY", "AIza_from_env")
    s = Settings()
    assert s.arxiv_delay == 1.5 and s.web_concurrency == 8
    assert sorted(s.secrets()) == ["AIza_from_env", "ghp_from_env"]
    assert isinstance(s.github_token, SecretStr)


def test_the_replay_environment_points_every_endpoint_setting_at_the_server(replay):
    env = source_env(replay)
    endpoints = [
        name
        for model in default().settings_models()
        for name, info in model.model_fields.items()
        if info.annotation is str and any(type(m).__name__ == "Endpoint" for m in info.metadata)
    ]
    assert endpoints and all(env[f"CURATE_{name.upper()}"].startswith(replay.url) for name in endpoints)
    assert env["CURATE_ARXIV_API_URL"] == f"{replay.url}/api/query"
    assert env["CURATE_ARXIV_DELAY"] == "0"


class FakeEnricher:
    """Adds a figure and a code link to every paper, and counts the batches it was given."""

    kinds = (Kind.paper,)
    refreshes = True
    batches: list[int] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> FakeEnricher:
        return cls()

    def enrich(self, records):
        FakeEnricher.batches.append(len(records))
        return [
            (
                Extra(
                    metrics={"likes": 7},
                    links={"project": "https://example.org/p"},
                    code=["https://github.com/curate-fixtures/moe-capacity"],
                ),
                ["fake: a warning"],
            )
            if r.id == "arxiv:2511.13945"
            else (None, [])
            for r in records
        ]

    def notes(self) -> list[str]:
        return ["fake enricher: done"]


def test_an_enricher_adds_figures_links_and_code_to_another_sources_records(settings, replay):
    from pipeline.metrics import enrich

    FakeEnricher.batches = []
    without_hf = Registry([s for s in default().sources if s.enricher is None])
    registry = without_hf.with_source(Source(name="fakeenricher", enricher=FakeEnricher))
    assert Kind.paper in registry.refreshed_kinds() and Kind.paper not in without_hf.refreshed_kinds()
    store = Store(settings.db)
    report = Ingest(settings, store, registry).run(["2511.13945", "2512.08296"], now=NOW)
    assert [o.status for o in report.outcomes] == [Status.stored, Status.stored]
    assert FakeEnricher.batches == [2]  # one batch for the papers of one arXiv answer
    assert report.outcomes[0].message == "fake: a warning"
    assert [o.item_id for o in report.followed] == ["github:curate-fixtures/moe-capacity"]  # its code, same run
    assert "fake enricher: done" in report.notes
    paper = store.get("arxiv:2511.13945")
    metrics, links_ = enrich(store, [paper], None, NOW)[paper.id]
    assert metrics["likes"] == 7 and metrics["stars"] > 0  # the stars of the code it named
    assert links_["code"] == ["https://github.com/curate-fixtures/moe-capacity"]
    assert links_["code_sources"] == {"https://github.com/curate-fixtures/moe-capacity": "fakeenricher"}
    assert links_["project"] == "https://example.org/p"
    assert store.get("arxiv:2512.08296").record.extras == {}


class FakeFormat:
    def reads(self, url: str) -> bool:
        return url.endswith("/fake/list.json")

    def entries(self, body: bytes, url: str):
        from connectors.feeds import FeedEntry

        return [FeedEntry(link=f"https://arxiv.org/abs/{i}", figures={"score": 1}) for i in json.loads(body)]


def test_a_feed_format_reads_the_feeds_its_source_tells_apart_by_url(replay):
    from connectors import feeds
    from tests.replay.server import Response

    registry = default().with_source(Source(name="fakeformat", feed_format=FakeFormat()))
    replay.fault("/fake/list.json", Response.json(["2512.07461"]))
    with feeds.client(5, allow_private=True) as http:
        got = feeds.read_feed(http, f"{replay.url}/fake/list.json", registry=registry)
    assert got.error is None and [e.link for e in got.entries] == ["https://arxiv.org/abs/2512.07461"]
    replay.fault("/fake/list.json", Response.json(["2512.07461"]))
    with feeds.client(5, allow_private=True) as http:
        plain = feeds.read_feed(http, f"{replay.url}/fake/list.json")  # the default registry: RSS or Atom only
    assert plain.error is not None and "not an RSS or Atom feed" in plain.error.reason


def test_a_source_that_added_to_an_item_adds_its_facts_to_the_details_line():
    from connectors.registry import Text
    from pipeline.draft_markdown import details_line
    from schemas import Annotation, ExportItem

    def facts(item):
        return [Text(f"{item.metrics['likes']} likes")]

    registry = default().with_source(Source(name="fakeenricher", extra_facts=facts))
    item = ExportItem(
        id="arxiv:2511.13945",
        kind=Kind.paper,
        url="https://arxiv.org/abs/2511.13945",
        title="T",
        authors=["A. Author"],
        summary="",
        published=NOW,
        metrics={"likes": 7},
        links={},
        details={"extras": {"fakeenricher": {}}},
        annotation=Annotation(),
    )
    assert details_line(item, registry=registry).endswith("A. Author · 7 likes · 2026-11-24")
    bare = item.model_copy(update={"details": {}})
    assert "likes" not in details_line(bare, registry=registry)  # only on the items it added to
