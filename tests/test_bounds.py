"""Every answer of every source is read within one deadline, one size cap and one nesting cap.

Each test drives a hostile server (the replay server's fault switches) through `curate`
as a user runs it, in process, and pins the one line the user sees.
"""

from __future__ import annotations

import gzip
import json

import pytest

from connectors import http
from tests.replay.server import Response, fixture_bytes

ATOM = "application/atom+xml; charset=UTF-8"
KEY = "AIzaSyTEST-0123456789abcdefghijklmnopq"
VIDEO = "Mw3kR7tYp2Q"


def _bomb(megabytes: int) -> bytes:
    """A gzip body that inflates to `megabytes` MB of zeros (about 1/1000 of that on the wire)."""
    return gzip.compress(b"\0" * (megabytes * 1_000_000), compresslevel=9)


def _deep_json(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def test_an_arxiv_server_that_trickles_its_answer_is_cut_off_at_the_deadline(run, replay):
    atom = fixture_bytes("arxiv/entries/2512.07461.xml")
    replay.fault(r".*/api/query", Response(body=atom, content_type=ATOM, trickle=0.05))
    result = run("ingest", "2512.07461", CURATE_HTTP_TIMEOUT="1")
    assert result.exit_code == 1
    assert "arXiv sent no complete answer within 1 s (CURATE_HTTP_TIMEOUT)" in result.stderr
    assert replay.count(r".*/api/query") == 1  # a refused answer is not asked for again in the run


def test_an_arxiv_gzip_bomb_is_stopped_at_the_size_cap(run, replay):
    replay.fault(r".*/api/query", Response(body=_bomb(40), content_type=ATOM, headers={"Content-Encoding": "gzip"}))
    result = run("ingest", "2512.07461", CURATE_HTTP_MAX_BYTES="1000000")
    assert result.exit_code == 1
    assert "arXiv sent an answer over 1 MB once decoded (CURATE_HTTP_MAX_BYTES)" in result.stderr


def test_deeply_nested_json_from_github_is_named_as_such(run, replay):
    replay.fault(r"/repos/", Response(body=_deep_json(100_000)))
    result = run("ingest", "https://github.com/curate-fixtures/moe-capacity")
    assert result.exit_code == 1
    assert "GitHub sent an answer nested deeper than 64 levels (CURATE_HTTP_MAX_DEPTH)" in result.stderr
    assert "redirected" not in result.stderr


def test_github_graphql_answers_are_bounded_too(run, replay):
    replay.fault(r"/graphql", Response(body=_bomb(40), headers={"Content-Encoding": "gzip"}))
    result = run(
        "ingest",
        "https://github.com/curate-fixtures/moe-capacity",
        GITHUB_TOKEN="ghp_bounds0123456789",
        CURATE_HTTP_MAX_BYTES="1000000",
    )
    assert result.exit_code == 1
    assert "GitHub sent an answer over 1 MB once decoded (CURATE_HTTP_MAX_BYTES)" in result.stderr


def test_a_youtube_api_answer_that_trickles_is_cut_off_at_the_deadline(run, replay):
    body = fixture_bytes(f"youtube/videos/{VIDEO}.json")
    replay.fault(r".*/youtube/v3/videos", Response(body=body, trickle=0.05))
    result = run(
        "ingest", f"https://youtu.be/{VIDEO}", YOUTUBE_API_KEY=KEY, CURATE_HTTP_TIMEOUT="1", CURATE_YOUTUBE_RETRIES="0"
    )
    assert result.exit_code == 1
    assert "YouTube sent no complete answer within 1 s (CURATE_HTTP_TIMEOUT)" in result.stderr


@pytest.mark.parametrize("where", ["api", "oembed"])
def test_youtube_gzip_bombs_are_stopped_at_the_size_cap(run, replay, where):
    path, key = (r".*/youtube/v3/videos", {"YOUTUBE_API_KEY": KEY}) if where == "api" else (r".*/oembed", {})
    replay.fault(path, Response(body=_bomb(40), headers={"Content-Encoding": "gzip"}))
    result = run(
        "ingest", f"https://youtu.be/{VIDEO}", CURATE_HTTP_MAX_BYTES="1000000", CURATE_YOUTUBE_RETRIES="0", **key
    )
    assert result.exit_code == 1
    assert "YouTube sent an answer over 1 MB once decoded (CURATE_HTTP_MAX_BYTES)" in result.stderr


def test_the_shared_httpx_client_bounds_time_size_and_depth(replay):
    """What a new connector gets from `http.client`: the three bounds, without code of its own."""
    bounds = http.Bounds(deadline=1, max_bytes=100_000, max_depth=5)
    replay.fault(
        "/x",
        Response(body=b"x" * 200, content_type="text/plain", trickle=0.05),
        Response(body=b"x" * 200_000, content_type="text/plain"),
        Response(body=json.dumps({"a": [[[[[1]]]]]})),
        Response(body=json.dumps({"a": [[[1]]]})),
    )
    import httpx

    with http.client(timeout=1, bounds=bounds) as client:
        with pytest.raises(httpx.TimeoutException):
            client.get(f"{replay.url}/x")
        with pytest.raises(http.TooLarge):
            client.get(f"{replay.url}/x")
        with pytest.raises(http.TooDeep):
            client.get(f"{replay.url}/x")
        assert client.get(f"{replay.url}/x").json() == {"a": [[[1]]]}


def test_an_answer_through_a_transport_without_the_deadline_is_still_cut_off(replay):
    """httpx mounts a plain transport of its own for a proxy named in the environment (HTTPS_PROXY);
    the body of a trickling answer that comes through one is still read against the deadline."""
    import httpx

    bounds = http.Bounds(deadline=0.3, max_bytes=100_000, max_depth=5)
    # a byte every 5 ms: the head alone takes about 0.5 s, the whole answer about 10 s
    replay.fault("/slow", Response(body=b"x" * 2000, content_type="text/plain", trickle=0.005))
    with http.client(timeout=0.3, bounds=bounds, mounts={"http://": httpx.HTTPTransport()}) as client:
        with pytest.raises(http.TooSlow, match=r"no complete answer within 0.3 s \(CURATE_HTTP_TIMEOUT\)"):
            client.get(f"{replay.url}/slow")


def test_a_requests_answer_through_urllib3s_own_pools_is_still_cut_off(replay):
    """arXiv's and GitHub's clients (requests): a proxy from the environment is served by urllib3's
    own connection pools, not the watched ones; the body is still read against the deadline."""
    import requests
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    bounds = http.Bounds(deadline=0.3, max_bytes=100_000, max_depth=5)
    replay.fault("/slow", Response(body=b"x" * 2000, content_type="text/plain", trickle=0.005))
    session = http.mount(requests.Session(), bounds)
    adapter = session.get_adapter(f"{replay.url}/slow")
    adapter.poolmanager.pool_classes_by_scheme = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}
    with pytest.raises(http.TooSlow, match=r"no complete answer within 0.3 s"):
        session.get(f"{replay.url}/slow", timeout=0.3)
