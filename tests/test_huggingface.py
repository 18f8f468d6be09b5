"""Hugging Face Papers: upvotes, the community's code and project links on arXiv papers, and the
daily papers list as a feed. Against the replay server (`tests/replay/routes_huggingface.py`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.errors import BadPayload
from connectors.huggingface import (
    ANONYMOUS_LIMIT,
    TOKEN_LIMIT,
    WORKERS,
    HuggingFacePapers,
    Pace,
    entries_from_daily,
    extra_from_paper,
)
from pipeline import draft
from pipeline.ingest import ENRICH_AHEAD, Ingest, Status
from pipeline.schedule import ScheduledRun, load_sources
from pipeline.store import Store
from tests.conftest import corpus_file
from tests.replay.routes_github import synthetic_repo
from tests.replay.server import Response
from tests.test_arxiv import _synthetic_entry

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "huggingface"
NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
NO_CODE = "2601.00001"  # its abstract names no code; on the Hub, people linked a repository
REPO = "https://github.com/curate-fixtures/attention-only"


def _paper(arxiv_id: str) -> dict:
    return json.loads((FIXTURES / "papers" / f"{arxiv_id}.json").read_text(encoding="utf-8"))


def _hub_requests(replay) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in replay.requests if r.path.startswith("/api/papers/")]


# ---- the payloads


def test_a_paper_page_gives_upvotes_code_project_and_keywords():
    extra = extra_from_paper(_paper(NO_CODE))
    assert extra.metrics == {"upvotes": 97}
    assert extra.code == [REPO]
    assert extra.links == {"project": "https://curate-fixtures.github.io/attention-only/"}
    assert extra.data["ai_keywords"][:2] == ["attention mechanism", "long documents"]


def test_absent_keys_add_nothing():
    extra = extra_from_paper(_paper("2511.13945"))  # no githubRepo, no projectPage
    assert (extra.metrics, extra.code, extra.links) == ({"upvotes": 15}, [], {})
    assert set(extra.data) == {"upvotes", "ai_keywords"}


def test_recorded_daily_lists_read_as_feed_entries_with_their_upvotes():
    for name in ("aiweeklyradar_daily_papers_limit25_2026-07-13.json", "sotawhat_daily_papers_limit30_2026-06-12.json"):
        body = corpus_file(f"hf/{name}").read_bytes()
        items = json.loads(body)
        entries = entries_from_daily(body, "https://huggingface.co/api/daily_papers")
        assert [e.link for e in entries] == [f"https://arxiv.org/abs/{i['paper']['id']}" for i in items]
        assert [e.figures["upvotes"] for e in entries] == [i["paper"]["upvotes"] for i in items]
        assert all(e.title and e.summary for e in entries)
        # every recorded paper object reads: the code link where the Hub has one, none where it has not
        extras = [extra_from_paper(i["paper"]) for i in items]
        assert [bool(x.code) for x in extras] == ["githubRepo" in i["paper"] for i in items]


def test_a_daily_list_that_is_not_a_list_is_a_bad_answer():
    with pytest.raises(BadPayload, match="not a list of daily papers"):
        entries_from_daily(b'{"error": "Invalid date"}', "https://huggingface.co/api/daily_papers")
    with pytest.raises(BadPayload, match="not JSON"):
        entries_from_daily(b"<html>", "https://huggingface.co/api/daily_papers")


# ---- pacing


def test_the_pace_waits_out_the_window_once_the_limit_is_reached():
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pace = Pace(limit=3, window=300, clock=lambda: clock[0], sleep=sleep)
    for t in (0, 10, 20):
        clock[0] = t
        pace.wait()
    assert slept == []
    clock[0] = 30
    pace.wait()  # a 4th within 300 s of the 1st: wait until the 1st leaves the window
    assert slept == [270] and clock[0] == 300
    clock[0] = 311
    pace.wait()  # the 2nd (t=10) has left the window
    assert slept == [270]


def test_the_limit_is_the_hubs_with_or_without_a_token():
    assert HuggingFacePapers("https://huggingface.co").pace.limit == ANONYMOUS_LIMIT == 500
    assert HuggingFacePapers("https://huggingface.co", token=SecretStr("hf_x")).pace.limit == TOKEN_LIMIT == 1000


# ---- in a run


@pytest.fixture
def synthetic(replay):
    replay.state["arxiv_synthesize"] = _synthetic_entry  # `About <id>.`: no code in the abstract
    replay.state["github_synthesize"] = lambda owner, name: synthetic_repo(owner, name, stars=4321)
    return replay


def test_a_paper_whose_abstract_names_no_code_shows_the_hubs_repository_its_stars_and_upvotes(settings, synthetic):
    store = Store(settings.db)
    report = Ingest(settings, store).run([NO_CODE], now=NOW)
    assert [o.status for o in report.outcomes] == [Status.stored]
    assert [(o.item_id, o.status) for o in report.followed] == [
        ("github:curate-fixtures/attention-only", Status.stored)
    ]

    prepared = draft.prepare(store, NOW)
    [paper] = [i for s in prepared.doc.sections if s.key == "papers" for i in s.items]
    assert paper.metrics["upvotes"] == 97 and paper.metrics["stars"] == 4321
    assert paper.links["code"] == [REPO]
    assert paper.links["code_sources"] == {REPO: "huggingface"}
    assert paper.links["repo"] == REPO and paper.links["project"] == "https://curate-fixtures.github.io/attention-only/"
    assert paper.details["extras"]["huggingface"]["data"]["ai_keywords"][0] == "attention mechanism"
    markdown = prepared.to_markdown()
    assert f"[GitHub]({REPO}) ★ 4,321" in markdown and "▲ 97 upvotes" in markdown


def test_code_the_abstract_names_keeps_its_source_and_the_hub_adds_upvotes(settings, synthetic):
    named = "https://github.com/curate-fixtures/expert-capacity"
    synthetic.state["arxiv_synthesize"] = lambda i: _synthetic_entry(i).replace(
        "<summary>", f"<summary>Code: {named}. "
    )
    store = Store(settings.db)
    assert Ingest(settings, store).run(["2601.00002"], now=NOW).ok
    [paper] = [i for s in draft.prepare(store, NOW).doc.sections for i in s.items if i.id == "arxiv:2601.00002"]
    assert paper.links["code"] == [named]  # the Hub names the same repository: one link
    assert paper.links["code_sources"] == {named: "abstract"}
    assert (
        paper.metrics["upvotes"] == 42
        and paper.links["project"] == "https://curate-fixtures.github.io/expert-capacity/"
    )


def test_a_paper_the_hub_does_not_know_is_normal(settings, replay):
    report = Ingest(settings, Store(settings.db)).run(["2512.08296"], now=NOW)
    assert report.ok and report.outcomes[0].message == "" and report.notes == []
    assert _hub_requests(replay) == ["2512.08296"]  # asked once, answered 404
    assert Store(settings.db).get("arxiv:2512.08296").record.extras == {}


def test_a_failing_hub_is_a_warning_never_a_failed_paper(settings, replay):
    replay.fault("/api/papers/", Response(status=503, body=b"busy", content_type="text/plain"))
    report = Ingest(settings, Store(settings.db)).run(["2511.13945"], now=NOW)
    assert report.ok and report.outcomes[0].status == Status.stored
    assert report.outcomes[0].message == "Hugging Face Papers not read: Hugging Face answered HTTP 503; try again later"


def test_a_rate_limited_hub_is_not_asked_again_in_the_run(settings, synthetic):
    replay = synthetic
    replay.fault(
        "/api/papers/", Response(status=429, body=b"", headers={"Retry-After": "300"}, content_type="text/plain")
    )
    report = Ingest(settings, Store(settings.db)).run([f"2601.{n:05d}" for n in range(1, 61)], now=NOW)
    assert report.ok and len(report.outcomes) == 60
    # only the lookups already under way when the 429 came (at most WORKERS a batch, ENRICH_AHEAD
    # batches at once); none of the other papers is asked for
    assert len(_hub_requests(replay)) <= WORKERS * ENRICH_AHEAD < 60
    assert any("Hugging Face Papers stopped for this run" in note for note in report.notes)


def test_hf_token_is_sent_and_never_shown(settings, replay, curate, env):
    replay.state["hf_token"] = "hf_secretTokenThatMustNotLeak0123"
    keyed = settings.model_copy(update={"hf_token": SecretStr("hf_secretTokenThatMustNotLeak0123")})
    assert keyed.secrets() == ["hf_secretTokenThatMustNotLeak0123"]
    assert Ingest(keyed, Store(keyed.db)).run(["2511.13945"], now=NOW).ok
    assert Store(keyed.db).get("arxiv:2511.13945").record.extras["huggingface"].metrics == {"upvotes": 15}
    result = curate("--verbose", "ingest", "2512.07461", extra_env={"HF_TOKEN": "hf_secretTokenThatMustNotLeak0123"})
    assert result.returncode == 0, result.stderr
    assert "hf_secretTokenThatMustNotLeak0123" not in result.stdout + result.stderr
    assert "hf_secretTokenThatMustNotLeak0123" not in Path(env["CURATE_DB"]).read_bytes().decode("latin-1")


def test_a_refused_token_stops_the_hub_for_the_run_and_says_so(settings, replay):
    replay.state["hf_token"] = "hf_theRightOne"
    keyed = settings.model_copy(update={"hf_token": SecretStr("hf_aWrongOne")})
    report = Ingest(keyed, Store(keyed.db)).run(["2511.13945"], now=NOW)
    assert report.ok
    assert any("refused HF_TOKEN" in note for note in report.notes)


def test_upvotes_are_read_again_when_the_run_refreshes_old_figures(settings, replay):
    store = Store(settings.db)
    assert Ingest(settings, store).run(["2511.13945"], now=NOW).ok
    replay.state["hf_upvotes"] = {"2511.13945": 60}
    (Path(settings.sources)).write_text("", encoding="utf-8")
    s = settings.model_copy(update={"refresh_age": timedelta(0)})
    report = ScheduledRun(s, store, load_sources(s.sources)).run(now=NOW + timedelta(hours=1))
    assert [o.item_id for o in report.refreshed.outcomes] == ["arxiv:2511.13945"]
    assert store.get("arxiv:2511.13945").record.extras["huggingface"].metrics == {"upvotes": 60}


# ---- the daily papers list as a feed


def test_the_daily_papers_feed_keeps_papers_with_enough_upvotes(settings, replay):
    Path(settings.sources).write_text(
        f'[[feeds]]\nname = "HF daily papers"\nurl = "{replay.url}/api/daily_papers"\nmin_upvotes = 10\n',
        encoding="utf-8",
    )
    store = Store(settings.db)
    report = ScheduledRun(settings, store, load_sources(settings.sources)).run(now=NOW)
    feed = report.feeds[0]
    assert report.ok and (feed.listed, feed.selected) == (3, 2)  # the item without an arXiv id is skipped
    assert sorted(o.item_id for o in feed.report.outcomes) == ["arxiv:2511.13945", "arxiv:2512.07461"]
    assert store.get("arxiv:2512.07461").sources == ["HF daily papers"]
    again = ScheduledRun(settings, store, load_sources(settings.sources)).run(now=NOW + timedelta(minutes=5))
    assert again.feeds[0].read.unchanged  # the ETag kept: one 304


def test_min_upvotes_is_a_known_key_of_a_feeds_table(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[feeds]]\nname = "HF"\nurl = "https://huggingface.co/api/daily_papers"\nmin_upvotes = 5\n', encoding="utf-8"
    )
    assert load_sources(path)[0].min_upvotes == 5
    path.write_text(
        '[[feeds]]\nname = "HF"\nurl = "https://huggingface.co/api/daily_papers"\nmin_upvotes = -1\n', encoding="utf-8"
    )
    with pytest.raises(Exception, match="min_upvotes"):
        load_sources(path)
