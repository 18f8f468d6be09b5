"""One error vocabulary: every recorded error answer maps to a specific FetchError subclass,
and the plain-HTTP sources share one status map (as httpx tests its exception mapping)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from connectors.errors import (
    BadPayload,
    Deferred,
    FetchError,
    NotFound,
    RateLimited,
    Refused,
    Unauthorized,
    Unavailable,
    from_status,
    retry_after_seconds,
)
from pipeline.links import parse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RESET = str(int(time.time()) + 3600)

# fixture (relative to tests/fixtures) → (HTTP status, headers, the error it must become)
RECORDED: dict[str, tuple[int, dict[str, str], type[FetchError]]] = {
    "github/errors/access_blocked_451.json": (451, {}, NotFound),
    "github/errors/bad_credentials.json": (401, {}, Unauthorized),
    "github/errors/not_found.json": (404, {}, NotFound),
    "github/errors/rate_limit_exceeded_anonymous.json": (
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET},
        Deferred,
    ),
    "github/errors/rate_limit_exceeded_token.json": (
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET},
        Deferred,
    ),
    "github/errors/secondary_rate_limit.json": (
        403,
        {"Retry-After": "60", "X-RateLimit-Remaining": "4990"},
        RateLimited,
    ),
    "github/errors/server_error.json": (502, {}, Unavailable),
    "youtube/errors/400_keyInvalid.json": (400, {}, Unauthorized),
    "youtube/errors/403_missing_key.json": (403, {}, Unauthorized),
    "youtube/errors/403_quotaExceeded.json": (403, {}, Deferred),
    "youtube/errors/404_playlistNotFound.json": (404, {}, NotFound),
}


def _github(status: int, headers: dict[str, str], body: bytes) -> FetchError:
    from github.Requester import Requester

    from connectors.github import _classify

    exc = Requester.createException(status, {k.lower(): v for k, v in headers.items()}, json.loads(body))
    return _classify(exc, parse("https://github.com/curate-fixtures/moe-capacity"), anonymous=True)


def _youtube(status: int, headers: dict[str, str], body: bytes) -> FetchError:
    import httplib2
    from googleapiclient.errors import HttpError

    from connectors.youtube import _classify

    exc = HttpError(httplib2.Response({"status": status, **headers}), body, uri="http://127.0.0.1/youtube/v3/videos")
    return _classify(exc, parse("https://www.youtube.com/playlist?list=PLx7bQz4Ck3mLp9VrT2wYn8Hd5Fa1Gs6Je"))


CLASSIFY = {"github": _github, "youtube": _youtube}


def test_every_recorded_error_answer_has_an_expected_error():
    on_disk = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/errors/*") if p.is_file())
    assert on_disk == sorted(RECORDED)


@pytest.mark.parametrize("fixture", sorted(RECORDED))
def test_each_recorded_error_answer_maps_to_a_specific_error(fixture):
    status, headers, expected = RECORDED[fixture]
    source = fixture.split("/")[0]
    error = CLASSIFY[source](status, headers, (FIXTURES / fixture).read_bytes())
    assert type(error) is expected, error.reason
    assert error.reason and error.ref is not None and error.url == error.ref.url


@pytest.mark.parametrize(
    ("status", "expected", "retryable"),
    [
        (400, BadPayload, False),
        (401, Unavailable, True),
        (403, Unavailable, True),
        (404, NotFound, False),
        (408, Unavailable, True),
        (410, NotFound, False),
        (418, BadPayload, False),
        (429, RateLimited, True),
        (451, NotFound, False),
        (500, Unavailable, True),
        (502, Unavailable, True),
        (503, Unavailable, True),
    ],
)
def test_plain_http_statuses_map_to_one_error_each(status, expected, retryable):
    error = from_status("https://example.org/feed.xml", status, "the site", retry_after="30")
    assert type(error) is expected and error.retryable is retryable
    assert error.ref is None and error.url == "https://example.org/feed.xml"
    assert f"HTTP {status}" in error.reason
    if expected is RateLimited:
        assert error.retry_after == 30 and "retry after 30 s" in error.reason


def test_retry_after_in_seconds_or_nothing():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT") is None
    assert retry_after_seconds(None) is None and retry_after_seconds("-1") is None


def test_only_errors_that_may_pass_are_retryable():
    ref = parse("https://arxiv.org/abs/2512.07461")
    final = [NotFound, BadPayload, Refused, Unauthorized, FetchError]
    assert [cls(ref, "x").retryable for cls in final] == [False] * len(final)
    assert [cls(ref, "x").retryable for cls in (Unavailable, RateLimited, Deferred)] == [True] * 3
