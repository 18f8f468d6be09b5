"""The scheduled run: reading feeds, the sources file, `curate run` end to end, the lock, kills."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors import feeds
from connectors.errors import BadPayload, NotFound, RateLimited, Refused, Unavailable
from connectors.feeds import entries_from_bytes, link_of_entry, read_feed
from pipeline.config import Settings
from pipeline.ingest import Status
from pipeline.schedule import AlreadyRunning, FeedSource, ScheduledRun, SourcesError, load_sources, run_lock
from pipeline.store import Store
from tests.conftest import BACKENDS, CURATE, ROOT, corpus_file
from tests.replay.server import Response, fixture_bytes


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test here runs on SQLite and on PostgreSQL."""
    return request.param


ARXIV_FEED = "feeds/arxiv_rss_cs.LG+cs.CL.xml"
TODAY_IDS = ["2512.07461", "2512.01234", "2511.13945", "1706.03762", "2512.08296"]


def entries(fixture: str, url: str = "https://feeds.example.org/feed"):
    return entries_from_bytes(fixture_bytes(fixture), url)


# ---- entries → links (pure: fixture bytes straight into the parser)


def test_arxiv_rss_entries_link_to_abs_pages_with_announce_types_and_clean_abstracts():
    got = entries(ARXIV_FEED)
    assert [e.link for e in got] == [f"https://arxiv.org/abs/{i}" for i in TODAY_IDS]
    assert [e.announce_type for e in got] == ["new", "new", "cross", "replace", "replace-cross"]
    assert got[2].categories == ("cs.AI", "cs.IR", "cs.CL")
    assert got[0].summary.startswith("Expert layers with a fixed capacity")  # "arXiv:… Announce Type: …" dropped
    assert got[4].title == "0"


def test_youtube_channel_entries_become_watch_links():
    got = entries("feeds/youtube_channel_feed.xml")
    assert [e.link for e in got] == [
        "https://www.youtube.com/watch?v=bC2dE4fG6hI",
        "https://www.youtube.com/watch?v=aB3dE5fG7hJ",
    ]
    assert got[0].summary.startswith("Several attention heads side by side")


def test_a_short_in_a_channel_feed_becomes_its_watch_link():
    # channel feeds list Shorts with a /shorts/ link; the video id is what counts
    entry = {"yt_videoid": "c3PdT0uYw_E", "link": "https://www.youtube.com/shorts/c3PdT0uYw_E", "title": "60 s #shorts"}
    assert link_of_entry(entry) == "https://www.youtube.com/watch?v=c3PdT0uYw_E"


def test_release_entries_point_at_the_repository():
    got = entries("feeds/github_releases.atom")
    assert {e.link for e in got} == {"https://github.com/curate-fixtures/moe-capacity"}
    assert got[0].title == "v0.3.0: long-context checkpoints"


def test_blog_entries_keep_their_link_and_relative_links_resolve_against_the_feed():
    got = entries("feeds/blog_rss2.xml", url="https://blog.example.org/rss.xml")
    assert [e.link for e in got] == [
        "https://blog.example.org/posts/benchmark-saturation/?utm_source=rss&utm_medium=feed",
        "https://blog.example.org/posts/agent-unit-tests/",
        "https://www.youtube.com/@fieldnotes",
    ]
    assert got[0].summary == "Once the best models pass 90%, the remaining items are mostly label noise ."
    assert got[1].categories == ("agents",)


def test_an_html_page_is_not_a_feed():
    with pytest.raises(BadPayload) as caught:
        entries_from_bytes(fixture_bytes("feeds/not_a_feed.html"), "https://x.example/feed", "text/html; charset=utf-8")
    assert not caught.value.retryable
    assert "an HTML page, not an RSS or Atom feed" in caught.value.reason


def test_an_empty_listing_is_a_feed_with_no_entries():
    weekend = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>cs.LG updates on arXiv.org</title></channel></rss>"
    )
    assert entries_from_bytes(weekend, "https://rss.arxiv.org/rss/cs.LG") == []


FEED_BODY = fixture_bytes(ARXIV_FEED)
CUT = FEED_BODY.index(b"</item>") + len(b"</item>") + 30  # 30 bytes into the second entry
TODAY_LINKS = [f"https://arxiv.org/abs/{i}" for i in TODAY_IDS]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (FEED_BODY[:CUT], "not well-formed XML (no element found at line 31, column 19)"),
        (b"\n\n  " + FEED_BODY[:CUT], "not well-formed XML (no element found at line 33, column 19)"),
        (FEED_BODY[:CUT].replace(b"Expert layers", b"Expert&nbsp;layers"), "(no element found at line 31, column 19)"),
        (
            FEED_BODY.replace(b"Expert layers", b"Expert\x0blayers"),
            "(not well-formed (invalid token) at line 21, column 17)",
        ),
        (FEED_BODY.replace(b"</title>", b"</titel>", 3), "(mismatched tag at line "),
        (b"\xef\xbb\xbf\r\n" + FEED_BODY[:CUT], "not well-formed XML (no element found at line 32, column 19)"),
    ],
    ids=[
        "cut off",
        "cut off after blank lines",
        "cut off after an html entity",
        "control character",
        "mismatched tag",
        "cut off after a byte-order mark and a line break",
    ],
)
def test_a_feed_that_is_not_well_formed_xml_gives_no_entries(body, reason):
    # feedparser's forgiving parser would hand back the first entry and half of the second
    with pytest.raises(Unavailable) as caught:
        entries_from_bytes(body, "https://rss.arxiv.org/rss/cs.LG")
    assert caught.value.retryable
    assert reason in caught.value.reason
    assert caught.value.reason.endswith("; nothing was taken from it, and the next run reads it again in full")


@pytest.mark.parametrize(
    "body",
    [
        b"\n\n  " + FEED_BODY,
        FEED_BODY.replace(b"Expert layers", b"Expert&nbsp;layers&eacute;"),
        FEED_BODY.replace(b"encoding='UTF-8'", b"encoding='us-ascii'"),
        b"\xef\xbb\xbf\r\n" + FEED_BODY,
        b"\xef\xbb\xbf\xef\xbb\xbf\n \t\r\n\xef\xbb\xbf" + FEED_BODY,
        b"\xef\xbb\xbf" + FEED_BODY,
    ],
    ids=[
        "blank lines before <?xml",
        "html entities",
        "charset other than declared",
        "a byte-order mark and CRLF before <?xml",
        "byte-order marks and whitespace before <?xml",
        "one byte-order mark",
    ],
)
def test_harmless_xml_slips_still_give_every_entry(body):
    assert [e.link for e in entries_from_bytes(body, "https://rss.arxiv.org/rss/cs.LG")] == TODAY_LINKS


def test_recorded_truncated_feed_is_malformed_and_recorded_leading_blank_lines_are_not():
    with pytest.raises(Unavailable) as caught:
        entries_from_bytes(corpus_file("feeds/feedrs_rss2_truncated_invalid.xml").read_bytes(), "https://x.example/rss")
    assert "not well-formed XML" in caught.value.reason and "no element found" in caught.value.reason
    assert (
        len(
            entries_from_bytes(
                corpus_file("feeds/capyreader_rss2_leading_blank_lines.xml").read_bytes(), "https://x.example/rss"
            )
        )
        == 10
    )
    assert (
        len(
            entries_from_bytes(
                corpus_file("youtube/feedjira_youtube_channel_feed_2015.xml").read_bytes(),
                "https://www.youtube.com/feeds/videos.xml?channel_id=x",
            )
        )
        == 15
    )


def test_an_arxiv_author_feed_gives_each_paper_s_abs_page():
    # what curate ingest https://arxiv.org/a/<id> says to add instead: https://arxiv.org/a/<id>.atom2
    got = entries("feeds/arxiv_author_atom2.xml", "https://arxiv.org/a/fixtures_c_1.atom2")
    assert [e.link for e in got] == ["https://arxiv.org/abs/2512.07461", "https://arxiv.org/abs/math/9811037"]
    assert link_of_entry({"link": "https://arxiv.org/list/cs.LG/new"}) == "https://arxiv.org/list/cs.LG/new"


def test_a_feedburner_entry_is_its_original_post_not_the_proxy_link():
    (entry,) = entries("feeds/feedburner_rss2_origlink.xml")
    assert entry.link == "https://northwind.example/blog/sharding-a-vector-index"
    assert entry.title == "Sharding a vector index without downtime"
    proxied = {"link": "http://feedproxy.google.com/~r/x/~3/y/post", "feedburner_origlink": "javascript:alert(1)"}
    assert link_of_entry(proxied) == proxied["link"]  # an origLink that is no web link is not taken


def test_an_arxiv_entry_whose_link_holds_no_valid_id_falls_back_to_its_guid():
    entry = {
        "arxiv_announce_type": "new",
        "link": "https://arxiv.org/abs/2513.0001",
        "id": "oai:arXiv.org:2512.07461v1",
    }
    assert link_of_entry(entry) == "https://arxiv.org/abs/2512.07461"
    assert link_of_entry({"id": "oai:arXiv.org:math.GT/0309136v2"}) == "https://arxiv.org/abs/math/0309136"


def test_recorded_arxiv_listing_gives_abs_links_for_every_announce_type():
    got = entries_from_bytes(
        corpus_file("feeds/rssfeedsjl_arxiv_rss_quant-ph_2025-04-28.xml").read_bytes(),
        "https://rss.arxiv.org/rss/quant-ph",
    )
    counts = {t: sum(1 for e in got if e.announce_type == t) for t in ("new", "cross", "replace", "replace-cross")}
    assert counts == {"new": 40, "cross": 10, "replace": 22, "replace-cross": 9}
    assert all(e.link.startswith("https://arxiv.org/abs/") and "v" not in e.link.rsplit("/", 1)[1] for e in got)
    assert not any(e.summary.startswith("arXiv:") for e in got)


def test_recorded_youtube_channel_feed_gives_watch_links():
    got = entries_from_bytes(
        corpus_file("youtube/capyreader_youtube_channel_feed_2025.xml").read_bytes(),
        "https://www.youtube.com/feeds/videos.xml?channel_id=x",
    )
    assert got and all(e.link.startswith("https://www.youtube.com/watch?v=") for e in got)


# ---- filters


def feed(**filters) -> FeedSource:
    return FeedSource(name="f", url="https://rss.arxiv.org/rss/cs.LG", **filters)


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        ({}, TODAY_IDS),
        ({"announce_types": ["new"]}, ["2512.07461", "2512.01234"]),
        ({"announce_types": ["new", "cross"]}, ["2512.07461", "2512.01234", "2511.13945"]),
        ({"categories": ["cs.ai"]}, ["2511.13945"]),
        ({"keywords": ["EXPERT", "benchmark"]}, ["2512.07461", "2511.13945"]),
        ({"regex": r"\battention\b"}, ["1706.03762"]),
        ({"max_per_run": 2}, ["2512.07461", "2512.01234"]),
        ({"categories": ["cs.LG"], "announce_types": ["replace", "replace-cross"]}, ["1706.03762", "2512.08296"]),
    ],
    ids=[
        "none",
        "new only",
        "new and cross",
        "category any case",
        "keywords any case",
        "regex",
        "cap",
        "filters combine",
    ],
)
def test_feed_filters_keep_matching_entries_in_feed_order(filters, kept):
    chosen = feed(**filters).select(entries(ARXIV_FEED))
    assert [e.link.rsplit("/", 1)[1] for e in chosen] == kept


# ---- the sources file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_example_sources_file_is_valid():
    feeds = load_sources(ROOT / "data" / "sources.toml")
    assert len(feeds) >= 5
    assert any("rss.arxiv.org" in f.url for f in feeds) and any("releases.atom" in f.url for f in feeds)
    assert any("youtube.com/feeds/videos.xml" in f.url for f in feeds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[feeds]]\nname = "a"\nurl = "https://x.example/feed"\nmax_per_run = \n',
            "not valid TOML: Invalid value (at line 4, column 15)",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "https://x.example/a"\n\n[[feeds]]\nname = "b"\nurl = "https://x.example/b"\n'
            'anounce_types = ["new"]\n',
            ":8: feed #2 ('b'): unknown key 'anounce_types' (known: name, url, keywords",
        ),
        (
            '[[feeds]]\nname = "arXiv"\nurl = "https://rss.arxiv.org/rss/cs.LG"\nannounce_types = ["novel"]\n',
            ":4: feed #1 ('arXiv'): announce_types.0: Input should be 'new', 'cross', 'replace' or 'replace-cross'",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "https://x.example/a"\nregex = "(unclosed"\n',
            ":4: feed #1 ('a'): regex: not a valid regular expression: missing ), unterminated subpattern",
        ),
        ('[[feeds]]\nname = "a"\n', ":1: feed #1 ('a'): 'url' is missing"),
        (
            '[[feeds]]\nname = "a"\nurl = "ftp://x.example/a"\n',
            ":3: feed #1 ('a'): url: 'ftp://x.example/a' is not an http(s) URL",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "https://x.example/a"\n[[feeds]]\nname = "a"\nurl = "https://x.example/b"\n',
            "two feeds have the name 'a'; each needs its own",
        ),
        ('[[feed]]\nname = "a"\nurl = "https://x.example/a"\n', ":1: unknown key 'feed' (known: feeds)"),
    ],
    ids=[
        "toml syntax",
        "unknown key",
        "bad announce type",
        "bad regex",
        "missing url",
        "not http",
        "same name twice",
        "misspelt table",
    ],
)
def test_bad_sources_file_message_names_the_line_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SourcesError) as caught:
        load_sources(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_bad_sources_file_exits_2_with_one_line(curate, env):
    write(Path(env["CURATE_SOURCES"]).parent, '[[feeds]]\nname = "a"\nurl = "https://x.example/a"\nmax_per_run = 0\n')
    result = curate("run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {env['CURATE_SOURCES']}:4: feed #1 ('a'): max_per_run: Input should be greater than or equal to 1"
    ]


def test_missing_sources_file_exits_2_naming_the_setting(curate, env):
    result = curate("run")
    assert result.returncode == 2
    assert "no such file" in result.stderr and "CURATE_SOURCES" in result.stderr
    assert not Path(env["CURATE_DB"]).exists()


# ---- one conditional GET per feed


def test_feed_with_etag_answers_304_to_if_none_match(replay):
    url = f"{replay.url}/rss/cs.LG+cs.CL"
    with feeds.client(5, allow_private=True) as http:
        first = read_feed(http, url)
        second = read_feed(http, url, etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200 and len(first.entries) == 5 and first.etag
    assert second.unchanged and second.entries == [] and second.etag == first.etag
    assert replay.requests[-1].headers["if-none-match"] == first.etag
    assert replay.state["feeds:answers"] == [("/rss/cs.LG+cs.CL", 200), ("/rss/cs.LG+cs.CL", 304)]


def test_feed_with_only_last_modified_answers_304_to_if_modified_since(replay):
    url = f"{replay.url}/feeds/blog/notes.atom"
    with feeds.client(5, allow_private=True) as http:
        first = read_feed(http, url)
        second = read_feed(http, url, etag=first.etag, last_modified=first.last_modified)
    assert first.etag is None and first.last_modified == "Wed, 10 Dec 2025 09:30:00 GMT"
    assert second.unchanged
    assert replay.requests[-1].headers["if-modified-since"] == first.last_modified


@pytest.mark.parametrize(
    ("response", "error_type", "reason"),
    [
        (Response(status=404, body=b"Not Found", content_type="text/plain"), NotFound, "not found (HTTP 404)"),
        (Response(status=410, body=b"", content_type="text/plain"), NotFound, "HTTP 410"),
        (
            Response(status=503, body=b"busy", content_type="text/plain"),
            Unavailable,
            "the feed's server answered HTTP 503",
        ),
        (
            Response(status=429, body=b"", headers={"Retry-After": "120"}, content_type="text/plain"),
            RateLimited,
            "retry after 120 s",
        ),
        (
            Response(body=fixture_bytes(ARXIV_FEED), truncate=400, content_type="application/rss+xml"),
            Unavailable,
            "the answer was cut off",
        ),
        (
            Response(body=fixture_bytes(ARXIV_FEED), delay=0.8, content_type="application/rss+xml"),
            Unavailable,
            "no answer within 0.3 s",
        ),
        (
            Response(body=b'{"error": "gone"}', content_type="application/json"),
            BadPayload,
            "the answer is application/json, not an RSS or Atom feed",
        ),
    ],
    ids=["404", "410", "503", "429", "cut off", "timeout", "json"],
)
def test_feed_failures_become_one_typed_error(replay, response, error_type, reason):
    replay.fault("/rss/", response)
    with feeds.client(0.3, allow_private=True) as http:
        got = read_feed(http, f"{replay.url}/rss/cs.LG+cs.CL", timeout=0.3)
    assert got.error is not None and got.entries == []
    assert type(got.error) is error_type and got.error.url == f"{replay.url}/rss/cs.LG+cs.CL"
    assert reason in got.error.reason


# ---- the lock


def test_second_lock_holder_is_refused_at_once(settings, backend):
    with run_lock(settings, Store(settings.db)) as path:
        with pytest.raises(AlreadyRunning, match="another curate run holds"):
            with run_lock(settings, Store(settings.db)):  # a connection of its own, as another host has
                pass  # pragma: no cover - never reached
        # PostgreSQL: the database's advisory lock, which holds across machines; SQLite: a file beside it
        assert path is None if backend == "postgresql" else path.name == "curate.db.run.lock"
    with run_lock(settings, Store(settings.db)):  # released: the next run goes ahead
        pass


# ---- `curate run` end to end, against the replay server

ARXIV = ("arXiv cs.LG + cs.CL", "/rss/cs.LG+cs.CL")
NOTES = ("Reading notes", "/feeds/blog/notes.atom")
BROKEN = ("Old blog", "/feeds/broken.xml")
RELEASES = ("moe-capacity releases", "/feeds/github/curate-fixtures/moe-capacity/releases.atom")
YOUTUBE = ("Open ML Lectures", "/feeds/youtube/videos.xml?channel_id=UCm1Q8vX3pLr7TzK2nWc9bYd")
ENGINEERING = ("Engineering reads", "/feeds/blog/engineering.atom")


def use_sources(env: dict[str, str], replay, *feeds: tuple[str, str], extra: str = "") -> None:
    text = "".join(f'[[feeds]]\nname = "{name}"\nurl = "{replay.url}{path}"\n{extra}\n' for name, path in feeds)
    Path(env["CURATE_SOURCES"]).write_text(text, encoding="utf-8")


def asked_ids(requests) -> list[str]:
    """Every arXiv id the runs asked the API for, once per time asked."""
    return [i for r in requests if r.path.endswith("/api/query") for i in r.values("id_list")]


def answers(replay, path: str) -> list[int]:
    return [status for p, status in replay.state.get("feeds:answers", []) if p == path]


def draft_of(env: dict[str, str]) -> dict:
    doc = json.loads((Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.json").read_text(encoding="utf-8"))
    doc["issue"].pop("generated_at")
    return doc


def section_ids(doc: dict, key: str) -> list[str]:
    return [item["id"] for section in doc["sections"] if section["key"] == key for item in section["items"]]


def spawn(curate, *args: str) -> subprocess.Popen:
    """Start `curate` without waiting, with the environment `curate(...)` uses."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CURATE_") and k not in ("GITHUB_TOKEN", "YOUTUBE_API_KEY")
    }
    env.update(curate.env, COLUMNS="200")
    return subprocess.Popen(
        [CURATE, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_run_ingests_new_entries_once_then_costs_only_304s_and_writes_the_same_draft(curate, replay, env):
    use_sources(env, replay, ARXIV, NOTES)
    first = curate("run")
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    draft = Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.json"
    assert first.stderr.splitlines() == [f"run: 2 feeds (2 read) · 6 stored · 1 already stored · draft {draft}"]
    assert sorted(asked_ids(replay.requests)) == sorted([*TODAY_IDS, "hep-th/9901001"])
    papers = {f"arxiv:{i}" for i in [*TODAY_IDS, "hep-th/9901001"]}
    assert set(section_ids(draft_of(env), "papers")) == papers
    before, seen = draft_of(env), len(replay.requests)

    second = curate("run")
    assert second.returncode == 0, second.stderr
    assert second.stderr.splitlines() == [f"run: 2 feeds (2 unchanged) · nothing new · draft {draft}"]
    assert [r.path for r in replay.requests[seen:]] == [ARXIV[1], NOTES[1]]  # nothing but the two feeds
    assert answers(replay, ARXIV[1]) == [200, 304] and answers(replay, NOTES[1]) == [200, 304]
    assert draft_of(env) == before
    store = Store(env["CURATE_DB"])
    listed_twice = store.get("arxiv:2512.07461")
    assert listed_twice.sources == ["arXiv cs.LG + cs.CL", "Reading notes"]  # both feeds remembered
    assert listed_twice.fetch_count == 1  # listed twice, fetched once
    assert store.get("arxiv:hep-th/9901001").sources == ["Reading notes"]


def test_a_feed_behind_a_byte_order_mark_and_a_feedburner_feed_give_the_posts_themselves(env, replay):
    from typer.testing import CliRunner

    from pipeline.cli import app

    use_sources(env, replay, ("BOM blog", "/feeds/blog/bom.atom"), ("FeedBurner blog", "/feeds/blog/feedburner.xml"))
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("run: 2 feeds (2 read) · 2 stored · 1 already stored · draft ")
    sharding = f"web:{replay.url}/site/blog/sharding-a-vector-index"
    assert set(section_ids(draft_of(env), "reads")) == {sharding, f"web:{replay.url}/site/~lena/notes/bpe-2.html"}
    assert Store(env["CURATE_DB"]).get(sharding).sources == ["BOM blog", "FeedBurner blog"]
    assert replay.count("/site/proxy") == 0  # the FeedBurner proxy link is never fetched


def test_broken_feed_is_reported_and_the_other_feeds_go_on(curate, replay, env):
    use_sources(env, replay, BROKEN, ARXIV)
    result = curate("run")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"✗ feed Old blog  {replay.url}/feeds/broken.xml: the answer is an HTML page, "
        "not an RSS or Atom feed; check the feed's URL"
    )
    assert lines[1].startswith("run: 2 feeds (1 read, 1 failed) · 5 stored · draft ")
    assert len(lines) == 2
    assert sorted(asked_ids(replay.requests)) == sorted(TODAY_IDS)


def test_a_feed_cut_off_inside_a_whole_answer_fails_keeps_no_etag_and_is_read_in_full_next_run(curate, replay, env):
    # the answer is a 200 with the whole feed's ETag and a body that stops inside the second entry
    use_sources(env, replay, ARXIV)
    replay.state["feeds:cut"] = {ARXIV[1]: CUT}
    first = curate("run")
    assert first.returncode == 1
    lines = first.stderr.splitlines()
    assert lines[0] == (
        f"✗ feed arXiv cs.LG + cs.CL  {replay.url}{ARXIV[1]}: not well-formed XML (no element found "
        "at line 31, column 19), so cut off or broken on the way; nothing was taken from it, and the "
        "next run reads it again in full"
    )
    assert lines[1].startswith("run: 1 feed (1 failed) · nothing new · draft ")
    assert asked_ids(replay.requests) == []
    assert Store(env["CURATE_DB"]).feed_state(f"{replay.url}{ARXIV[1]}").etag is None

    del replay.state["feeds:cut"]
    second = curate("run")
    assert second.returncode == 0, second.stderr
    assert answers(replay, ARXIV[1]) == [200, 200]  # no ETag was sent, so the whole feed came back
    assert "· 5 stored ·" in second.stderr
    assert sorted(asked_ids(replay.requests)) == sorted(TODAY_IDS)


def test_a_video_youtube_does_not_know_is_reported_once_though_the_feed_sends_no_validators(curate, replay, env):
    use_sources(env, replay, YOUTUBE)
    replay.state["feeds:/feeds/youtube/videos.xml"] = "youtube_channel_feed_private_video.xml"
    key = {"YOUTUBE_API_KEY": "test-youtube-key"}
    first = curate("run", extra_env=key)
    assert first.returncode == 1
    assert first.stderr.splitlines()[0] == (
        "✗ https://www.youtube.com/watch?v=qW8eR2tY4uI  video not found on YouTube (removed, private or a wrong id)"
    )
    asked = replay.count("/youtube/v3/videos")

    second = curate("run", extra_env=key)  # the feed answers 200 again, the video still listed
    assert second.returncode == 0, second.stderr
    assert second.stderr.splitlines() == [
        f"run: 1 feed (1 read) · 2 already stored · draft {Path(env['CURATE_DRAFTS_DIR']) / 'issue-1.json'}"
    ]
    assert answers(replay, "/feeds/youtube/videos.xml") == [200, 200]
    assert replay.count("/youtube/v3/videos") == asked  # not asked for again
    feed_url = f"{replay.url}{YOUTUBE[1]}"
    assert Store(env["CURATE_DB"]).feed_dropped(feed_url) == {"youtube:video:qW8eR2tY4uI"}

    del replay.state["feeds:/feeds/youtube/videos.xml"]  # the channel no longer lists it: forgotten
    assert curate("run", extra_env=key).returncode == 0
    assert Store(env["CURATE_DB"]).feed_dropped(feed_url) == set()


def test_dry_run_lists_what_would_be_ingested_and_writes_nothing(curate, replay, env):
    use_sources(env, replay, ARXIV, NOTES, ("Field notes", "/feeds/blog/rss.xml"), YOUTUBE)
    result = curate("run", "--dry-run")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows == [
        *[[f"https://arxiv.org/abs/{i}", "paper", "arXiv cs.LG + cs.CL"] for i in TODAY_IDS],
        ["https://arxiv.org/abs/hep-th/9901001", "paper", "Reading notes"],  # 2512.07461 is listed once
        ["https://blog.example.org/posts/benchmark-saturation/", "article", "Field notes"],  # utm_* dropped
        [f"{replay.url}/posts/agent-unit-tests/", "article", "Field notes"],  # relative to the feed
        ["https://www.youtube.com/watch?v=bC2dE4fG6hI", "video", "Open ML Lectures"],
        ["https://www.youtube.com/watch?v=aB3dE5fG7hJ", "video", "Open ML Lectures"],
    ]
    assert result.stderr.splitlines() == ["dry run: 4 feeds (4 read) · 10 to ingest · 1 skipped"]
    assert not Path(env["CURATE_DB"]).exists()
    assert not Path(env["CURATE_DRAFTS_DIR"]).exists()
    assert {r.path for r in replay.requests} == {ARXIV[1], NOTES[1], "/feeds/blog/rss.xml", "/feeds/youtube/videos.xml"}
    as_json = curate("run", "--dry-run", "--format", "json")
    assert [json.loads(line) for line in as_json.stdout.splitlines()] == [
        {"url": url, "kind": kind, "feed": feed} for url, kind, feed in rows
    ]


def test_dry_run_after_a_run_uses_the_kept_validators_and_lists_nothing(curate, replay, env):
    use_sources(env, replay, ARXIV)
    assert curate("run").returncode == 0
    result = curate("run", "--dry-run")
    assert (result.returncode, result.stdout) == (0, "")
    assert answers(replay, ARXIV[1]) == [200, 304]


def test_verbose_after_the_command_gives_a_line_per_feed_and_per_link(curate, replay, env):
    use_sources(env, replay, ARXIV)
    result = curate("run", "--verbose")  # as `make run ARGS=--verbose` passes it
    assert result.returncode == 0
    assert "feed arXiv cs.LG + cs.CL: 5 entries, 5 selected, 5 new, 0 already stored" in result.stderr
    assert "✓ arxiv:1706.03762  paper  Attention Is All You Need" in result.stderr


def test_global_json_log_format_writes_one_json_record_per_line(curate, replay, env):
    use_sources(env, replay, BROKEN, ARXIV)
    result = curate("--log-format", "json", "run")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(r["level"], r["logger"]) for r in records] == [("error", "curate.run"), ("warning", "curate.run")]
    assert records[0]["message"].startswith("✗ feed Old blog")
    assert records[1]["message"].startswith("run: 2 feeds (1 read, 1 failed) · 5 stored")


@pytest.mark.parametrize("backend", ["sqlite"])  # reads the database file's bytes
def test_feed_requests_carry_no_credentials(curate, replay, env):
    token, key = "ghp_feedTokenThatMustNotLeak0123456789", "AIzaFeedKeyThatMustNotLeak_0123456789"
    use_sources(env, replay, ARXIV, NOTES)
    result = curate("--verbose", "run", extra_env={"GITHUB_TOKEN": token, "YOUTUBE_API_KEY": key})
    assert result.returncode == 0
    feed_requests = [r for r in replay.requests if r.path in (ARXIV[1], NOTES[1])]
    assert len(feed_requests) == 2
    for r in feed_requests:
        assert "authorization" not in r.headers
        assert token not in r.raw_url + str(r.headers) and key not in r.raw_url + str(r.headers)
    assert token not in result.stderr + result.stdout and key not in result.stderr + result.stdout
    assert token.encode() not in Path(env["CURATE_DB"]).read_bytes()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_ingests_once_then_reads_nothing_but_304s(curate, replay, env):
    use_sources(env, replay, ARXIV, NOTES)
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    run_env.update(env)
    first = subprocess.run(["make", "-s", "run"], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "· 6 stored ·" in first.stderr
    second = subprocess.run(["make", "-s", "run"], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "run: 2 feeds (2 unchanged) · nothing new" in second.stderr
    assert len(asked_ids(replay.requests)) == 6


# ---- the run in process (same code as `curate run`, without a process per run)


def run_once(settings: Settings, replay, *feeds: tuple[str, str], extra: str = "", **overrides):
    use_sources({"CURATE_SOURCES": str(settings.sources)}, replay, *feeds, extra=extra)
    s = settings.model_copy(update=overrides)
    return ScheduledRun(s, Store(s.db), load_sources(s.sources)).run()


def stored(report) -> int:
    return sum(1 for f in report.feeds if f.report for o in f.report.outcomes if o.status == Status.stored)


def test_every_kind_of_feed_lands_in_the_draft_once(settings, replay):
    kinds = (ARXIV, NOTES, ENGINEERING, YOUTUBE, RELEASES)
    first = run_once(settings, replay, *kinds, youtube_api_key=SecretStr("test-youtube-key"))
    assert first.ok, [o.message for o in first.failed_links()]
    doc = json.loads(first.draft[0].read_text(encoding="utf-8"))
    assert set(section_ids(doc, "papers")) == {f"arxiv:{i}" for i in [*TODAY_IDS, "hep-th/9901001"]}
    assert set(section_ids(doc, "videos")) == {"youtube:video:bC2dE4fG6hI", "youtube:video:aB3dE5fG7hJ"}
    assert set(section_ids(doc, "reads")) == {
        f"web:{replay.url}/site/blog/sharding-a-vector-index",
        f"web:{replay.url}/site/~lena/notes/bpe-2.html",
    }
    assert section_ids(doc, "tools") == ["github:curate-fixtures/moe-capacity"]
    seen = len(replay.requests)

    second = run_once(settings, replay, *kinds, youtube_api_key=SecretStr("test-youtube-key"))
    assert second.ok and not any(f.new for f in second.feeds)
    assert [f.read.status for f in second.feeds] == [304, 304, 304, 200, 304]  # YouTube sends no validators
    assert {r.path for r in replay.requests[seen:]} == {path.split("?")[0] for _, path in kinds}
    again = json.loads(second.draft[0].read_text(encoding="utf-8"))
    assert [s["items"] for s in again["sections"]] == [s["items"] for s in doc["sections"]]


def test_next_days_listing_fetches_only_the_papers_not_stored_yet(settings, replay):
    replay.state[f"feeds:{ARXIV[1]}"] = "arxiv_rss_cs.LG+cs.CL_previous_day.xml"
    assert run_once(settings, replay, ARXIV).ok
    assert sorted(asked_ids(replay.requests)) == ["1706.03762", "2512.08296"]
    del replay.state[f"feeds:{ARXIV[1]}"]
    seen = len(replay.requests)
    report = run_once(settings, replay, ARXIV)
    assert report.ok
    assert answers(replay, ARXIV[1]) == [200, 200]  # a new listing: new validators, a full answer
    assert sorted(asked_ids(replay.requests[seen:])) == ["2511.13945", "2512.01234", "2512.07461"]
    assert report.feeds[0].known == ["arxiv:1706.03762", "arxiv:2512.08296"]


def test_announce_type_filter_ingests_only_new_submissions(settings, replay):
    report = run_once(settings, replay, ARXIV, extra='announce_types = ["new"]\n')
    assert (report.ok, stored(report)) == (True, 2)
    assert asked_ids(replay.requests) == ["2512.07461", "2512.01234"]


def test_a_link_that_failed_is_retried_next_run_though_its_feed_answers_304(settings, replay):
    replay.fault("/api/query", Response(status=503, body=b"Service Unavailable", content_type="text/plain"))
    first = run_once(settings, replay, ARXIV)
    assert not first.ok and len(first.failed_links()) == 5
    second = run_once(settings, replay, ARXIV)
    assert second.ok and stored(second) == 5
    assert answers(replay, ARXIV[1]) == [200, 304]
    assert Store(settings.db).get("arxiv:2512.01234").sources == ["arXiv cs.LG + cs.CL"]


def test_a_link_that_keeps_failing_is_given_up_after_three_runs(settings, replay):
    replay.fault("/api/query", *[Response(status=503, body=b"busy", content_type="text/plain")] * 4)
    reports = [run_once(settings, replay, ARXIV, extra="max_per_run = 1\n") for _ in range(4)]
    assert [len(r.failed_links()) for r in reports] == [1, 1, 1, 1]
    assert [r.feeds[0].gave_up for r in reports] == [[], [], [], ["https://arxiv.org/abs/2512.07461"]]
    assert Store(settings.db).feed_backlog(f"{replay.url}{ARXIV[1]}") == []
    assert run_once(settings, replay, ARXIV, extra="max_per_run = 1\n").ok
    assert replay.count("/api/query") == 4  # the fifth run asks for nothing


def test_a_link_the_source_does_not_know_is_not_retried(settings, replay):
    from tests.test_arxiv import _synthetic_entry

    # arXiv drops an unknown id silently from an answer that holds the others
    replay.state["arxiv_synthesize"] = lambda arxiv_id: None if arxiv_id == "2512.01234" else _synthetic_entry(arxiv_id)
    first = run_once(settings, replay, ARXIV)
    assert {type(o.error) for o in first.failed_links()} == {NotFound}
    assert run_once(settings, replay, ARXIV).ok
    assert replay.count("/api/query") == 1


def test_a_link_given_up_on_is_not_tried_again_though_its_feed_sends_no_validators(settings, replay):
    key = SecretStr("test-youtube-key")
    replay.fault("/youtube/v3/videos", *[Response(status=503, body=b"busy", content_type="text/plain")] * 4)
    once = dict(extra="max_per_run = 1\n", youtube_api_key=key, youtube_retries=0)
    reports = [run_once(settings, replay, YOUTUBE, **once) for _ in range(4)]
    assert [r.feeds[0].gave_up for r in reports] == [[], [], [], ["https://www.youtube.com/watch?v=bC2dE4fG6hI"]]
    asked = replay.count("/youtube/v3/videos")
    fifth = run_once(settings, replay, YOUTUBE, **once)
    assert fifth.ok and fifth.feeds[0].read.status == 200
    assert fifth.feeds[0].dropped == ["youtube:video:bC2dE4fG6hI"] and fifth.feeds[0].new == []
    assert replay.count("/youtube/v3/videos") == asked


def test_a_feed_on_a_loopback_address_is_refused_unless_private_hosts_are_allowed(settings, replay):
    report = run_once(settings, replay, ARXIV, allow_private_hosts=False)
    assert not report.ok
    error = report.feeds[0].read.error
    assert type(error) is Refused and not error.retryable
    assert error.reason == "refused: 127.0.0.1 is a loopback address (CURATE_ALLOW_PRIVATE_HOSTS=true allows it)"
    assert replay.requests == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/feeds/go/to-metadata.xml", "refused: 169.254.169.254 is a link-local address"),
        ("/feeds/go/to-loopback.xml", "refused: 127.0.0.1 is a loopback address"),
        ("/feeds/go/to-file.xml", "refused: Request URL has an unsupported protocol 'file://'"),
    ],
    ids=["cloud metadata", "loopback", "file"],
)
def test_a_public_feed_that_redirects_to_a_private_address_is_refused_on_that_hop(replay, path, reason):
    from tests.test_web import PUBLIC_IP, FakeNetwork, fake_dns

    network = FakeNetwork(replay)
    with feeds.client(
        5, allow_private=False, resolver=fake_dns({"feeds.example": [PUBLIC_IP]}), network=network
    ) as http:
        got = read_feed(http, f"http://feeds.example{path}", timeout=5)
    assert isinstance(got.error, Refused) and got.error.reason.startswith(reason)
    assert replay.count(re.escape(path)) == 1 and replay.count("/rss/") == 0  # the first hop went out, the second never
    assert network.dialled == [(PUBLIC_IP, 80)]


def test_a_redirected_feed_is_read_and_answers_304_when_private_hosts_are_allowed(replay):
    with feeds.client(5, allow_private=True) as http:
        first = read_feed(http, f"{replay.url}/feeds/go/to-loopback.xml")
        second = read_feed(http, f"{replay.url}/feeds/go/to-loopback.xml", etag=first.etag)
    assert [e.link for e in first.entries] == TODAY_LINKS and first.warnings == []  # a 302 is no move to report
    assert second.unchanged
    assert answers(replay, "/rss/cs.LG+cs.CL") == [200, 304]


def test_feeds_are_read_without_the_proxy_the_environment_names(settings, replay, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    use_sources({"CURATE_SOURCES": str(settings.sources)}, replay, ARXIV)
    report = ScheduledRun(settings, Store(settings.db), load_sources(settings.sources)).run(dry_run=True)
    assert report.ok and len(report.feeds[0].new) == 5


def test_items_with_old_figures_are_refreshed(settings, replay):
    repo = "/repos/curate-fixtures/moe-capacity"
    first = run_once(settings, replay, RELEASES)
    assert first.ok and stored(first) == 1  # two releases, one repository
    replay.state["github_stars"] = {"curate-fixtures/moe-capacity": 9999}
    young = run_once(settings, replay, RELEASES)  # figures younger than refresh_age: left alone
    assert young.refreshed is None and replay.count(repo) == 1
    old = run_once(settings, replay, RELEASES, refresh_age=timedelta(0))
    assert [o.item_id for o in old.refreshed.outcomes] == ["github:curate-fixtures/moe-capacity"]
    assert replay.count(repo) == 2
    assert Store(settings.db).get("github:curate-fixtures/moe-capacity").record.stars == 9999


def test_the_refresh_reads_only_stale_items_of_kinds_whose_figures_move(settings, replay):
    from pipeline.store import ItemRow

    assert run_once(settings, replay, RELEASES).ok
    store = Store(settings.db)
    with store.session() as session:  # an article whose stored record this curate cannot read: never loaded here
        old = datetime(2020, 1, 1, tzinfo=UTC)
        session.add(
            ItemRow(
                id="web:https://example.org/a",
                kind="article",
                url="https://example.org/a",
                title="?",
                first_seen=old,
                fetched_at=old,
                record={"kind": "article"},
                sources=[],
            )
        )
        session.commit()
    s = settings.model_copy(update={"refresh_age": timedelta(0)})
    report = ScheduledRun(s, store, load_sources(s.sources)).run(dry_run=True)
    assert [item.id for item in report.stale] == ["github:curate-fixtures/moe-capacity"]


def test_videos_are_refreshed_in_one_batch(settings, replay):
    key = SecretStr("test-youtube-key")
    assert run_once(settings, replay, YOUTUBE, youtube_api_key=key).ok
    assert replay.count("/youtube/v3/videos") == 1
    old = run_once(settings, replay, YOUTUBE, youtube_api_key=key, refresh_age=timedelta(0))
    assert sorted(o.item_id for o in old.refreshed.outcomes) == [
        "youtube:video:aB3dE5fG7hJ",
        "youtube:video:bC2dE4fG6hI",
    ]
    assert replay.count("/youtube/v3/videos") == 2  # two videos, one request


# ---- cron safety: one run at a time, and a kill at any point


def test_two_runs_started_together_only_one_works(curate, replay, env, backend):
    use_sources(env, replay, ARXIV)
    gate, arrived = threading.Event(), threading.Event()
    replay.state["feeds:gates"], replay.state["feeds:arrived"] = {ARXIV[1]: gate}, {ARXIV[1]: arrived}
    first = spawn(curate, "run")
    try:
        # the first run holds the lock and waits on the feed: however long a process takes to
        # start on a loaded machine, the second run starts only once the first got there
        assert arrived.wait(120), "the first run never asked for the feed"
        second = curate("run")
    finally:
        gate.set()
        out, err = first.communicate(timeout=60)
    assert second.returncode == 75
    lock = (
        "this database's run lock"
        if backend == "postgresql"
        else Path(env["CURATE_DB"]).with_name("curate.db.run.lock")
    )
    assert second.stderr.splitlines() == [f"! another curate run holds {lock}; this one did nothing"]
    assert first.returncode == 0, err
    assert replay.count(re.escape(ARXIV[1])) == 1  # the second run read no feed
    assert sorted(asked_ids(replay.requests)) == sorted(TODAY_IDS)


def _fetch_counts(env: dict[str, str]) -> dict[str, int]:
    store = Store(env["CURATE_DB"])
    return {item.id: item.fetch_count for item in store.items()}


def test_run_killed_between_feeds_resumes_without_fetching_any_paper_twice(curate, replay, env):
    use_sources(env, replay, ARXIV, NOTES)
    gate, arrived = threading.Event(), threading.Event()
    replay.state["feeds:gates"], replay.state["feeds:arrived"] = {NOTES[1]: gate}, {NOTES[1]: arrived}
    killed = spawn(curate, "run")
    try:
        assert arrived.wait(120), (
            "the run never asked for the blog feed"
        )  # the arXiv feed is done, the blog feed in flight
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
    finally:
        gate.set()
    assert killed.returncode == -signal.SIGKILL
    assert sorted(asked_ids(replay.requests)) == sorted(TODAY_IDS)

    again = curate("run")
    assert again.returncode == 0, again.stderr
    assert sorted(asked_ids(replay.requests)) == sorted([*TODAY_IDS, "hep-th/9901001"])  # each id asked once
    assert answers(replay, ARXIV[1]) == [200, 304]  # its ETag was kept once its papers were stored
    counts = _fetch_counts(env)
    papers = {k: v for k, v in counts.items() if k.startswith("arxiv:")}
    assert papers == {f"arxiv:{i}": 1 for i in [*TODAY_IDS, "hep-th/9901001"]}


def test_run_killed_while_papers_are_fetched_stores_each_once_on_the_next_run(curate, replay, env):
    use_sources(env, replay, ARXIV)
    gate, asked = threading.Event(), threading.Event()

    def slow_entry(arxiv_id: str) -> str:
        asked.set()
        gate.wait(120)  # a bound only so a broken test cannot hang the suite
        return fixture_bytes(f"arxiv/entries/{arxiv_id.replace('/', '_')}.xml").decode("utf-8")

    replay.state["arxiv_synthesize"] = slow_entry
    killed = spawn(curate, "run")
    try:
        assert asked.wait(120), "the run never asked arXiv for the papers"
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
    finally:
        gate.set()
        del replay.state["arxiv_synthesize"]
    assert _fetch_counts(env) == {}
    assert Store(env["CURATE_DB"]).feed_state(f"{replay.url}{ARXIV[1]}") is None  # no ETag kept for lost papers

    again = curate("run")
    assert again.returncode == 0, again.stderr
    assert answers(replay, ARXIV[1]) == [200, 200]  # read in full again, so no paper is lost
    assert "· 5 stored ·" in again.stderr
    papers = {k: v for k, v in _fetch_counts(env).items() if k.startswith("arxiv:")}
    assert papers == {f"arxiv:{i}": 1 for i in TODAY_IDS}


def test_a_quiet_run_still_says_when_the_youtube_quota_is_spent(curate, replay, env):
    use_sources(env, replay, YOUTUBE)
    replay.state["youtube_quota"] = 0
    result = curate("run", extra_env={"YOUTUBE_API_KEY": "test-youtube-key"})
    warnings = [line for line in result.stderr.splitlines() if line.startswith("! YouTube quota used up")]
    assert len(warnings) == 1 and "filled without the API" in warnings[0]
    assert "quota units spent" not in result.stderr  # routine figures stay for --verbose


def test_ctrl_c_during_a_run_exits_130_at_once_with_one_line_and_frees_the_lock(curate, replay, env):
    """The installed command, interrupted while a connector thread waits on a page that never comes."""
    use_sources(env, replay, ENGINEERING)
    # the feed's second page is held by the server for as long as the test wants; the first answers at once
    gate, arrived = threading.Event(), threading.Event()
    replay.fault(
        "/site/~lena/", Response(hold=gate, arrived=arrived, content_type="text/html", body="<title>late</title>")
    )
    slow = curate.env | {"CURATE_HTTP_TIMEOUT": "60"}  # the held request must not time out first
    proc = spawn(type(curate)(slow), "run", "--verbose")
    try:
        for line in proc.stderr:  # waits for the first page's line: its batch is committed
            if line.startswith("✓ "):
                stored = line
                break
        else:
            pytest.fail("the run stored nothing before it ended")
        assert arrived.wait(120), "the run never asked for the held page"
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate(timeout=20)  # at once: the held request is not waited for
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest and "connector failed" not in rest and "Aborted" not in rest, rest
    assert rest.strip().splitlines()[-1] == "interrupted: 1 stored, draft not exported"
    assert rest.count("interrupted") == 1 and "run:" not in rest and stdout == ""
    first = stored.split()[1]
    assert [i.id for i in Store(env["CURATE_DB"]).items()] == [first]  # what was stored stays

    again = curate("run")
    assert again.returncode == 0, again.stderr  # not 75: the interrupted run let go of the lock
    assert "· 1 stored ·" in again.stderr and "· 1 already stored ·" in again.stderr, again.stderr
    assert len(Store(env["CURATE_DB"]).items()) == 2
    assert (Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.json").exists()
