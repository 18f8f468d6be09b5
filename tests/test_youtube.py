"""The YouTube connector: records from fixture payloads, quota-frugal batching against the
replay server, the keyless path, quota and key failures, and a key that never leaks."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import feedparser
import pytest
from pydantic import SecretStr

from connectors._youtube_records import (
    playlist_from_api,
    playlist_from_feed,
    seconds_from_iso,
    video_from_item,
    video_from_oembed,
)
from connectors.errors import (
    BadPayload,
    Deferred,
    FetchError,
    LinkRefused,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from connectors.youtube import YouTubeConnector, google_reasons, quota_reset
from pipeline.links import parse
from tests.conftest import corpus_file
from tests.replay.routes_youtube import error, synthesize
from tests.replay.server import FIXTURES, Response

KEY = "AIzaSyTEST-0123456789abcdefghijklmnopq"
PL = "PLx7bQz4Ck3mLp9VrT2wYn8Hd5Fa1Gs6Je"
PL_URL = f"https://www.youtube.com/playlist?list={PL}"
LOOSE = "Mw3kR7tYp2Q"  # a reading-group video, in no playlist
LECTURE_1 = "aB3dE5fG7hJ"  # first video of the playlist
EMBED_OFF = "Ee9nB1dIs4X"  # its owner disabled embedding: oEmbed answers 401
# the playlist in order: (position, id) of the videos that are still available
AVAILABLE = [
    (0, "aB3dE5fG7hJ"),
    (1, "kL9mN1pQ3rS"),
    (2, "tU5vW7xY9zA"),
    (3, "bC2dE4fG6hI"),
    (5, "rS4tU6vW8xY"),
    (6, "zA1bC3dE5fG"),
    (8, "pQ2rS4tU6vW"),
    (9, "xY8zA0bC2dE"),
]
API = "/youtube/v3/"
YT = FIXTURES / "youtube"


def load(relative: str):
    return json.loads((YT / relative).read_text(encoding="utf-8"))


def video_fixture(video_id: str) -> dict:
    return load(f"videos/{video_id}.json")


def playlist_items() -> list[dict]:
    return [item for n in (1, 2, 3) for item in load(f"playlistItems/{PL}/page{n}.json")["items"]]


@pytest.fixture
def connect(settings):
    """A YouTube connector on the replay server: with the test key unless `key=None`."""

    def make(key: str | None = KEY, **overrides) -> YouTubeConnector:
        update = {"youtube_api_key": SecretStr(key) if key else None, "youtube_retries": 0, **overrides}
        return YouTubeConnector.from_settings(settings.model_copy(update=update))

    return make


def fetch(connector: YouTubeConnector, *links: str) -> dict:
    return {f.ref.key: f for f in connector.fetch([parse(link) for link in links])}


# ---- payload → record, on fixture files


def test_video_resource_gives_title_channel_date_duration_and_views():
    video = video_from_item(video_fixture(LECTURE_1))
    assert video.id == f"youtube:video:{LECTURE_1}"
    assert video.url == f"https://www.youtube.com/watch?v={LECTURE_1}"
    assert (video.title, video.channel, video.channel_id) == (
        "Lecture 1: Why attention?",
        "Open ML Lectures",
        "UCm1Q8vX3pLr7TzK2nWc9bYd",
    )
    assert video.published.isoformat() == "2025-09-02T15:00:04+00:00"
    assert (video.duration_seconds, video.views, video.likes) == (48 * 60 + 12, 184223, 5120)
    assert video.thumbnail == f"https://i.ytimg.com/vi/{LECTURE_1}/maxresdefault.jpg"
    assert video.description.startswith("Lecture 1: Why attention?")
    assert video.filled_by == "api"
    assert video.metrics() == {"views": 184223, "duration_seconds": 2892}


def test_hidden_like_count_stays_unknown_rather_than_zero():
    assert video_from_item(video_fixture("xY8zA0bC2dE")).likes is None


def test_upcoming_stream_has_no_duration_instead_of_zero():
    video = video_from_item(video_fixture("Lv5uPc0m1nG"))
    assert video.duration_seconds is None
    assert "duration_seconds" not in video.metrics()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3S", 3723),
        ("PT15S", 15),
        ("PT48M12S", 2892),
        ("P1DT2H3M4S", 93784),
        ("PT2H", 7200),
        ("P0D", 0),
        ("", None),
        (None, None),
        ("an hour", None),
    ],
    ids=str,
)
def test_iso_8601_durations_become_seconds(text, seconds):
    assert seconds_from_iso(text) == seconds


def test_playlist_lists_available_videos_in_order_and_counts_private_and_deleted_ones():
    items = playlist_items()
    videos = {vid: video_from_item(video_fixture(vid)) for _, vid in AVAILABLE}
    playlist = playlist_from_api(load(f"playlists/{PL}.json"), items, videos)
    assert playlist.id == f"youtube:playlist:{PL}" and playlist.url == PL_URL
    assert (playlist.title, playlist.channel) == ("Transformers from Scratch (full course)", "Open ML Lectures")
    assert [(v.position, v.video_id) for v in playlist.videos] == AVAILABLE
    assert playlist.videos[0].title == "Lecture 1: Why attention?"
    assert playlist.unavailable_count == 2
    assert playlist.video_count == 10  # as YouTube counts it, private and deleted included
    assert playlist.duration_seconds == sum(v.duration_seconds for v in videos.values()) == 26054
    assert (playlist.truncated, playlist.filled_by) == (False, "api")
    assert playlist.metrics() == {"video_count": 10, "duration_seconds": 26054}


def test_playlist_video_missing_from_videos_list_is_counted_unavailable():
    videos = {vid: video_from_item(video_fixture(vid)) for _, vid in AVAILABLE[1:]}
    playlist = playlist_from_api(load(f"playlists/{PL}.json"), playlist_items(), videos)
    assert playlist.unavailable_count == 3
    assert playlist.videos[0].video_id == "kL9mN1pQ3rS"


def test_playlist_feed_with_yt_and_media_namespaces_gives_title_channel_and_views():
    feed = feedparser.parse((YT / f"feeds/{PL}.xml").read_bytes())
    playlist = playlist_from_feed(feed, PL)
    assert (playlist.title, playlist.channel, playlist.channel_id) == (
        "Transformers from Scratch (full course)",
        "Open ML Lectures",
        "UCm1Q8vX3pLr7TzK2nWc9bYd",
    )
    assert [v.video_id for v in playlist.videos] == [vid for _, vid in AVAILABLE]
    assert playlist.videos[0].views == 184223
    assert playlist.videos[0].published.isoformat() == "2025-09-02T15:00:04+00:00"
    assert playlist.video_count == 8 and not playlist.truncated  # fewer than 15 entries: the whole playlist
    assert playlist.duration_seconds is None
    assert playlist.filled_by == "feed"


def test_oembed_answer_gives_title_channel_and_thumbnail_only():
    video = video_from_oembed(json.loads((YT / f"oembed/{LOOSE}.json").read_bytes()), LOOSE)
    assert (video.title, video.channel) == ("Reading group: sparse mixture-of-experts routing", "Paper Reading Club")
    assert video.channel_url == "https://www.youtube.com/@paperreadingclub"
    assert (video.published, video.duration_seconds, video.views) == (None, None, None)
    assert video.filled_by == "oembed"


def test_recorded_corpus_video_and_channel_feed_parse():
    data = json.loads(corpus_file("youtube/pyyoutube_videos_list_full_parts.json").read_bytes())
    video = video_from_item(data["items"][0])
    assert video.duration_seconds == 21 * 60 + 7 and video.views is not None
    feed = feedparser.parse(corpus_file("youtube/capyreader_youtube_channel_feed_2025.xml").read_bytes())
    playlist = playlist_from_feed(feed, "PLcorpus0000")
    assert playlist.channel_id == "UC9PBzalIcEQCsiIkq36PyUA"  # the feed drops the UC prefix at feed level
    assert len(playlist.videos) == 15 and playlist.truncated and playlist.video_count is None
    assert playlist.videos[0].views == 23088


# ---- links


@pytest.mark.parametrize(
    "link",
    [
        PL_URL,
        f"https://www.youtube.com/watch?list={PL}",
        f"https://www.youtube.com/embed/videoseries?list={PL}",
        f"https://m.youtube.com/playlist?list={PL}&si=abc",
    ],
)
def test_every_playlist_form_gives_the_playlist(link):
    assert parse(link).key == f"youtube:playlist:{PL}"


def test_mix_list_on_a_video_link_is_not_offered_as_a_playlist():
    assert parse(f"https://www.youtube.com/watch?v={LOOSE}&list=RD{LOOSE}").companions == ()


@pytest.mark.parametrize("link", ["https://www.youtube.com/", "https://www.youtube.com/results?search_query=attention"])
def test_youtube_page_that_is_no_video_is_refused(link):
    with pytest.raises(LinkRefused, match="neither a video nor a playlist"):
        parse(link)


# ---- with a key, against the replay server


def test_playlist_of_three_pages_costs_five_calls_and_keeps_order_and_running_time(connect, replay):
    yt = connect()
    result = fetch(yt, PL_URL)[f"youtube:playlist:{PL}"]
    playlist = result.record
    assert [(v.position, v.video_id) for v in playlist.videos] == AVAILABLE
    assert playlist.unavailable_count == 2 and playlist.duration_seconds == 26054
    assert playlist.videos[4].duration_seconds == 41 * 60 + 20
    assert (replay.count(API + "playlists"), replay.count(API + "playlistItems"), replay.count(API + "videos")) == (
        1,
        3,
        1,
    )
    assert yt.units == 5
    assert "YouTube Data API: 5 quota units spent" in yt.notes()[0]
    assert result.payload["playlist"]["id"] == PL and len(result.payload["items"]) == 10


def test_video_linked_alone_and_inside_a_playlist_shares_one_videos_call(connect, replay):
    results = fetch(connect(), PL_URL, f"https://youtu.be/{LECTURE_1}?t=42", f"https://youtu.be/{LOOSE}")
    assert all(f.ok for f in results.values())
    assert replay.count(API + "videos") == 1
    assert results[f"youtube:video:{LOOSE}"].record.views == 12877
    assert results[f"youtube:video:{LOOSE}"].payload["id"] == LOOSE  # the raw resource is kept


def test_120_video_links_cost_three_videos_list_calls(connect, replay):
    synthesize(replay)
    ids = [f"syn{n:08d}" for n in range(120)]
    results = fetch(connect(), *[f"https://www.youtube.com/watch?v={v}" for v in ids])
    assert [f.record.video_id for f in results.values()] == ids
    assert replay.count(API + "videos") == 3
    assert replay.count(API) == 3


def test_five_playlists_of_sixty_with_their_videos_linked_alone_cost_seventeen_calls(connect, replay):
    lists = {f"PLbench{p:027d}": [f"b{p}v{n:08d}" for n in range(60)] for p in range(5)}
    synthesize(replay, lists)
    loose = [v for ids in lists.values() for v in ids][:295]
    links = [f"https://www.youtube.com/playlist?list={p}" for p in lists] + [f"https://youtu.be/{v}" for v in loose]
    yt = connect()
    results = fetch(yt, *links)
    assert all(f.ok for f in results.values()) and len(results) == 300
    assert replay.count(API + "playlists") == 1
    assert replay.count(API + "playlistItems") == 10  # two pages of 50 per playlist
    assert replay.count(API + "videos") == 6  # 300 distinct ids, 50 a call
    assert yt.units == 17
    first = results[f"youtube:playlist:{next(iter(lists))}"].record
    assert first.video_count == 60 and len(first.videos) == 60 and first.duration_seconds > 0


def test_item_cap_stops_paging_and_marks_the_playlist_truncated(connect, replay):
    result = fetch(connect(youtube_playlist_max_items=5), PL_URL)[f"youtube:playlist:{PL}"]
    assert replay.count(API + "playlistItems") == 2
    assert [v.position for v in result.record.videos] == [0, 1, 2, 3]
    assert result.record.unavailable_count == 1  # the private video at position 4
    assert result.record.truncated
    assert "CURATE_YOUTUBE_PLAYLIST_MAX_ITEMS" in result.warnings[0]


def test_unknown_video_and_playlist_are_not_found_and_neighbours_are_stored(connect, replay):
    results = fetch(
        connect(),
        f"https://youtu.be/{LOOSE}",
        "https://youtu.be/zzzzzzzzzzz",
        "https://www.youtube.com/playlist?list=PLnobodyHasThisPlaylist000000000000",
    )
    assert results[f"youtube:video:{LOOSE}"].ok
    assert isinstance(results["youtube:video:zzzzzzzzzzz"].error, NotFound)
    assert isinstance(results["youtube:playlist:PLnobodyHasThisPlaylist000000000000"].error, NotFound)
    assert replay.count(API + "playlistItems") == 0  # an unknown playlist is not paged
    assert replay.count(API) == 2


def test_playlist_whose_items_answer_404_is_not_found(connect, replay):
    replay.fault(API + "playlistItems", error("404_playlistNotFound.json"))
    result = fetch(connect(), PL_URL)[f"youtube:playlist:{PL}"]
    assert isinstance(result.error, NotFound)
    assert "playlist not found on YouTube" in result.error.reason


@pytest.mark.parametrize(
    ("fault", "error_type", "words"),
    [
        (
            Response.json(
                {"error": {"code": 503, "message": "Backend Error", "errors": [{"reason": "backendError"}]}}, status=503
            ),
            Unavailable,
            "HTTP 503",
        ),
        (
            Response.json(
                {"error": {"code": 403, "message": "Rate", "errors": [{"reason": "rateLimitExceeded"}]}},
                status=403,
                headers={"Retry-After": "1"},
            ),
            RateLimited,
            "slow down",
        ),
        (Response(body=b"<html>proxy error</html>", content_type="text/html"), BadPayload, "not a list response"),
        (Response(body=b'{"items": [', truncate=5), Unavailable, "YouTube"),
    ],
    ids=["503", "rateLimitExceeded", "html-200", "cut-off"],
)
def test_api_failures_become_one_line_errors_for_the_links_of_that_call(connect, replay, fault, error_type, words):
    replay.fault(API + "videos", fault)
    result = fetch(connect(), f"https://youtu.be/{LOOSE}")[f"youtube:video:{LOOSE}"]
    assert isinstance(result.error, error_type)
    assert words in result.error.reason
    assert KEY not in str(result.error)


def test_slow_api_is_unavailable_not_a_hang(connect, replay):
    replay.fault(API + "videos", Response(delay=1.0, body=b"{}"))
    result = fetch(connect(http_timeout=0.3), f"https://youtu.be/{LOOSE}")[f"youtube:video:{LOOSE}"]
    assert isinstance(result.error, Unavailable) and "no complete answer within 0.3 s" in result.error.reason


def _http_error(status: int, body: bytes, headers: dict | None = None):
    import httplib2
    from googleapiclient.errors import HttpError

    return HttpError(
        httplib2.Response({"status": status, **(headers or {})}), body, uri="http://127.0.0.1/youtube/v3/videos"
    )


def _httpx_error(status: int, headers: dict | None = None):
    import httpx

    request = httpx.Request("GET", "http://127.0.0.1/oembed")
    return httpx.HTTPStatusError(
        "x", request=request, response=httpx.Response(status, headers=headers, request=request)
    )


def _google_body(status: int, reason: str) -> bytes:
    return json.dumps(
        {"error": {"code": status, "message": "m", "errors": [{"reason": reason, "domain": "youtube"}]}}
    ).encode()


def _classify_cases():
    import http.client

    import httpx

    return [
        (
            "api 404 playlistNotFound",
            lambda: _http_error(404, (YT / "errors/404_playlistNotFound.json").read_bytes()),
            NotFound,
        ),
        (
            "api 403 missing key",
            lambda: _http_error(403, (YT / "errors/403_missing_key.json").read_bytes()),
            Unauthorized,
        ),
        (
            "api 403 private playlist",
            lambda: _http_error(403, _google_body(403, "playlistItemsNotAccessible")),
            NotFound,
        ),
        (
            "api 403 rateLimitExceeded",
            lambda: _http_error(403, _google_body(403, "rateLimitExceeded"), {"retry-after": "7"}),
            RateLimited,
        ),
        ("api 429", lambda: _http_error(429, b"{}"), RateLimited),
        ("api 500", lambda: _http_error(500, b"<html>"), Unavailable),
        ("api 400 badRequest", lambda: _http_error(400, _google_body(400, "badRequest")), BadPayload),
        ("web 400", lambda: _httpx_error(400), NotFound),
        ("web 404", lambda: _httpx_error(404), NotFound),
        ("web 429", lambda: _httpx_error(429, {"Retry-After": "3"}), RateLimited),
        ("web 503", lambda: _httpx_error(503), Unavailable),
        ("web 410", lambda: _httpx_error(410), BadPayload),
        ("httpx timeout", lambda: httpx.ReadTimeout("slow"), Unavailable),
        ("httpx refused", lambda: httpx.ConnectError("refused"), Unavailable),
        ("socket timeout", lambda: TimeoutError("timed out"), Unavailable),
        ("refused", lambda: ConnectionRefusedError(111, "refused"), Unavailable),
        ("cut off", lambda: http.client.IncompleteRead(b"{", 10), Unavailable),
        ("bad json", lambda: json.JSONDecodeError("x", "Forbidden", 0), BadPayload),
        ("a bug", lambda: RuntimeError("boom"), FetchError),
    ]


RETRY_AFTER = {"api 403 rateLimitExceeded": 7.0, "web 429": 3.0}


@pytest.mark.parametrize(("case", "make", "error_type"), _classify_cases(), ids=[c[0] for c in _classify_cases()])
def test_every_known_failure_maps_to_one_error_type(case, make, error_type):
    from connectors.youtube import _classify

    ref = parse(f"https://youtu.be/{LOOSE}")
    error = _classify(make(), ref)
    assert type(error) is error_type
    assert error.ref == ref and error.reason
    if case in RETRY_AFTER:
        assert error.retry_after == RETRY_AFTER[case]


def test_quota_error_body_gives_its_reason():
    class Raised:
        content = (YT / "errors/403_quotaExceeded.json").read_bytes()

    assert google_reasons(Raised()) == ["quotaExceeded"]
    Raised.content = (YT / "errors/400_keyInvalid.json").read_bytes()
    assert "API_KEY_INVALID" in google_reasons(Raised())


def test_spent_quota_stops_the_api_and_fills_the_rest_without_a_key_saying_so_once(connect, replay):
    replay.state["youtube_quota"] = 1  # playlists.list passes, the first playlistItems page does not
    yt = connect()
    results = fetch(yt, PL_URL, f"https://youtu.be/{LOOSE}")
    assert results[f"youtube:playlist:{PL}"].record.filled_by == "feed"
    assert results[f"youtube:video:{LOOSE}"].record.filled_by == "oembed"
    assert replay.count(API) == 2  # nothing more is asked of the API after the quota error
    more = fetch(yt, f"https://youtu.be/{LECTURE_1}")  # a later batch of the same run
    assert more[f"youtube:video:{LECTURE_1}"].record.filled_by == "oembed"
    assert replay.count(API) == 2
    notes = yt.notes()
    quota = [n for n in notes if "quota used up" in n]
    assert len(quota) == 1
    assert "quotaExceeded" in quota[0] and "3 links filled without the API" in quota[0]
    assert "--refresh" in quota[0] and "UTC" in quota[0]


def test_embed_disabled_video_is_postponed_when_the_quota_is_spent(connect, replay):
    replay.state["youtube_quota"] = 0
    result = fetch(connect(), f"https://youtu.be/{EMBED_OFF}")[f"youtube:video:{EMBED_OFF}"]
    assert isinstance(result.error, Deferred)
    assert result.error.until is not None and result.error.until.hour in (7, 8)  # midnight Pacific


def test_a_quota_spent_during_the_scheduled_refresh_is_said_in_that_step_s_notes(settings, replay):
    from datetime import timedelta

    from pipeline.ingest import Ingest
    from pipeline.schedule import ScheduledRun
    from pipeline.store import Store

    s = settings.model_copy(
        update={"youtube_api_key": SecretStr(KEY), "youtube_retries": 0, "refresh_age": timedelta(0)}
    )
    store = Store(s.db)
    assert Ingest(s, store).run([f"https://youtu.be/{LOOSE}"]).ok
    replay.state["youtube_quota"] = 0
    report = ScheduledRun(s, store, []).run()
    assert [o.item_id for o in report.refreshed.outcomes] == [f"youtube:video:{LOOSE}"]
    [quota] = [n for n in report.refreshed.notes if "quota used up" in n]
    assert "1 link filled without the API" in quota and "--refresh" in quota


def test_quota_comes_back_at_midnight_pacific():
    from datetime import datetime

    assert quota_reset(datetime(2026, 11, 24, 20, 0, tzinfo=UTC)) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert quota_reset(datetime(2026, 7, 1, 6, 59, tzinfo=UTC)) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def test_refused_key_falls_back_without_the_api_and_says_to_check_the_key(connect, replay):
    replay.state["youtube_api_key"] = "AIzaSomeOtherKey"
    yt = connect()
    result = fetch(yt, f"https://youtu.be/{LOOSE}")[f"youtube:video:{LOOSE}"]
    assert result.record.filled_by == "oembed"
    assert any("refused YOUTUBE_API_KEY (API_KEY_INVALID)" in n and "check the key" in n for n in yt.notes())


# ---- without a key


def test_without_a_key_video_and_playlist_get_title_and_channel(connect, replay):
    yt = connect(key=None)
    results = fetch(yt, f"https://youtu.be/{LOOSE}", PL_URL)
    video, playlist = results[f"youtube:video:{LOOSE}"].record, results[f"youtube:playlist:{PL}"].record
    assert (video.title, video.channel, video.filled_by) == (
        "Reading group: sparse mixture-of-experts routing",
        "Paper Reading Club",
        "oembed",
    )
    assert (playlist.title, playlist.channel, playlist.filled_by) == (
        "Transformers from Scratch (full course)",
        "Open ML Lectures",
        "feed",
    )
    assert replay.count(API) == 0
    assert replay.count("/oembed") == 1 and replay.count("/feeds/videos.xml") == 1
    assert yt.notes() == [
        "YouTube: no YOUTUBE_API_KEY, so 2 links got title and channel only (oEmbed, feed); "
        "a key gives complete data: dates, durations, views and whole playlists"
    ]
    assert results[f"youtube:playlist:{PL}"].payload.startswith("<?xml")


def test_oembed_401_says_embedding_is_disabled_and_a_key_would_read_it(connect, replay):
    result = fetch(connect(key=None), f"https://youtu.be/{EMBED_OFF}")[f"youtube:video:{EMBED_OFF}"]
    assert type(result.error) is FetchError
    assert "disabled embedding" in result.error.reason and "YOUTUBE_API_KEY" in result.error.reason


def test_oembed_404_and_feed_404_are_not_found(connect, replay):
    results = fetch(
        connect(key=None),
        "https://youtu.be/zzzzzzzzzzz",
        "https://www.youtube.com/playlist?list=PLnobodyHasThisPlaylist000000000000",
    )
    assert isinstance(results["youtube:video:zzzzzzzzzzz"].error, NotFound)
    assert isinstance(results["youtube:playlist:PLnobodyHasThisPlaylist000000000000"].error, NotFound)


def test_oembed_plain_text_body_on_200_is_a_bad_answer(connect, replay):
    replay.fault("/oembed", Response(body=b"Forbidden"))
    result = fetch(connect(key=None), f"https://youtu.be/{LOOSE}")[f"youtube:video:{LOOSE}"]
    assert isinstance(result.error, BadPayload)


def test_feed_that_is_not_xml_is_a_bad_answer(connect, replay):
    replay.fault(
        "/feeds/videos.xml", Response(body=b"<html><body>consent page</body></html>", content_type="text/html")
    )
    result = fetch(connect(key=None), PL_URL)[f"youtube:playlist:{PL}"]
    assert isinstance(result.error, BadPayload)


def _feed_cut_after_first_entry() -> bytes:
    full = (YT / f"feeds/{PL}.xml").read_bytes()
    return full[: full.index(b"</entry>") + len(b"</entry>")]


@pytest.mark.parametrize(
    ("body", "error_type", "words"),
    [
        (_feed_cut_after_first_entry, Unavailable, "cut off or garbled"),
        (lambda: b"<feed><entry>", Unavailable, "cut off or garbled"),
        (lambda: b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', BadPayload, "no title"),
    ],
    ids=["cut-after-one-entry", "bare-open-tags", "no-title-no-entries"],
)
def test_feed_that_is_cut_off_or_empty_is_refused_not_stored_as_a_stub(connect, replay, body, error_type, words):
    replay.fault("/feeds/videos.xml", Response(body=body(), content_type="text/xml"))
    result = fetch(connect(key=None), PL_URL)[f"youtube:playlist:{PL}"]
    assert result.record is None
    assert type(result.error) is error_type and words in result.error.reason
    assert result.error.retryable == (error_type is Unavailable)


def test_feed_with_whitespace_before_its_xml_declaration_is_read_whole(connect, replay):
    body = b"\n  \n" + (YT / f"feeds/{PL}.xml").read_bytes()
    replay.fault("/feeds/videos.xml", Response(body=body, content_type="text/xml"))
    result = fetch(connect(key=None), PL_URL)[f"youtube:playlist:{PL}"]
    assert result.ok, result.error
    assert [v.video_id for v in result.record.videos] == [vid for _, vid in AVAILABLE]


# ---- end to end: the installed command


def _yt_env(key: str | None = KEY) -> dict[str, str]:
    env = {"CURATE_YOUTUBE_RETRIES": "0"}
    if key:
        env["YOUTUBE_API_KEY"] = key
    return env


def test_ingest_then_export_carries_views_video_count_and_duration_in_videos(curate, replay):
    result = curate("ingest", PL_URL, f"https://youtu.be/{LOOSE}", extra_env=_yt_env())
    assert result.returncode == 0, result.stderr
    assert f"youtube:playlist:{PL}\tplaylist\tTransformers from Scratch (full course)" in result.stdout
    assert "2 stored" in result.stderr and "5 quota units spent" in result.stderr
    exported = curate("export", "--format", "json", "--output", "-", extra_env=_yt_env())
    assert exported.returncode == 0, exported.stderr
    videos = next(s for s in json.loads(exported.stdout)["sections"] if s["key"] == "videos")
    by_id = {item["id"]: item for item in videos["items"]}
    playlist, video = by_id[f"youtube:playlist:{PL}"], by_id[f"youtube:video:{LOOSE}"]
    assert playlist["kind"] == "playlist" and playlist["authors"] == ["Open ML Lectures"]
    assert playlist["metrics"] == {"video_count": 10, "duration_seconds": 26054}
    assert [v["video_id"] for v in playlist["details"]["videos"]] == [vid for _, vid in AVAILABLE]
    assert video["kind"] == "video" and video["authors"] == ["Paper Reading Club"]
    assert video["metrics"] == {"views": 12877, "duration_seconds": 91 * 60 + 2}
    assert video["published"].startswith("2025-12-10T18:30:00")


def test_with_playlist_ingests_the_video_and_the_playlist_of_its_link(curate, replay):
    link = f"https://www.youtube.com/watch?v={LECTURE_1}&list={PL}&index=1"
    alone = curate("ingest", link, extra_env=_yt_env())
    assert alone.returncode == 0 and f"youtube:playlist:{PL}" not in alone.stdout
    both = curate("ingest", "--with-playlist", link, extra_env=_yt_env())
    assert both.returncode == 0, both.stderr
    assert f"fresh\tyoutube:video:{LECTURE_1}\t" in both.stdout and f"stored\tyoutube:playlist:{PL}\t" in both.stdout


def test_keyless_ingest_tells_the_user_a_key_gives_complete_data(curate, replay):
    result = curate("ingest", f"https://youtu.be/{LOOSE}", f"https://youtu.be/{EMBED_OFF}", extra_env=_yt_env(None))
    assert result.returncode == 1
    assert f"stored\tyoutube:video:{LOOSE}\t" in result.stdout
    assert f"✗ https://youtu.be/{EMBED_OFF}  the owner disabled embedding" in result.stderr
    assert "a key gives complete data" in result.stderr
    assert "Traceback" not in result.stderr


def test_refresh_with_a_cut_off_feed_keeps_the_stored_playlist(curate, replay):
    first = curate("ingest", PL_URL, extra_env=_yt_env(None))
    assert first.returncode == 0, first.stderr
    replay.fault("/feeds/videos.xml", Response(body=_feed_cut_after_first_entry(), content_type="text/xml"))
    again = curate("ingest", "--refresh", PL_URL, extra_env=_yt_env(None))
    assert again.returncode == 1
    assert f"✗ {PL_URL}  YouTube's playlist feed was cut off or garbled" in again.stderr
    shown = curate("show", PL_URL, extra_env=_yt_env(None))
    stored = json.loads(shown.stdout)
    playlist = stored["record"]
    assert playlist["title"] == "Transformers from Scratch (full course)" and len(playlist["videos"]) == 8


def test_api_key_appears_in_no_output_log_request_url_database_or_export(curate, replay, tmp_path):
    replay.state["youtube_quota"] = 4  # the run spends its quota midway: errors and fallbacks get logged too
    replay.fault(
        API + "playlists",
        Response.json({"error": {"code": 500, "message": "x", "errors": [{"reason": "backendError"}]}}, status=500),
    )
    links = [PL_URL, f"https://youtu.be/{LOOSE}", "https://youtu.be/zzzzzzzzzzz", f"https://youtu.be/{EMBED_OFF}"]
    first = curate("--debug", "ingest", *links, extra_env=_yt_env())
    second = curate("--verbose", "--log-format", "json", "ingest", "--refresh", *links, extra_env=_yt_env())
    shown = curate("show", "--payload", PL_URL, extra_env=_yt_env())
    exported = curate("export", "--format", "json", "--output", "-", extra_env=_yt_env())
    api_calls = [r for r in replay.requests if r.path.startswith(API)]
    assert api_calls and all(r.headers.get("x-goog-api-key") == KEY for r in api_calls)  # the key was used...
    for r in replay.requests:  # ...but only ever as a header
        assert KEY not in r.raw_url and "key=" not in r.raw_url
    for run in (first, second, shown, exported):
        assert KEY not in run.stdout + run.stderr
    assert "quota used up" in second.stderr
    db_files = list(tmp_path.glob("curate.db*"))
    assert db_files and all(KEY.encode() not in f.read_bytes() for f in db_files)
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
