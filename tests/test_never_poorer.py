"""A refresh never makes a record poorer, whoever answers: an answer missing what makes a
record whole is a bad answer for that link only, and the record stored before stays."""

from __future__ import annotations

import json

import pytest

from connectors._github_payload import repo_from_graphql, repo_from_rest
from connectors._youtube_records import video_from_item
from connectors.errors import IncompleteAnswer
from tests.replay.server import Response, fixture_bytes

KEY = "AIzaSyTEST-0123456789abcdefghijklmnopq"
TOKEN = "ghp_poorer0123456789"
VIDEO = "Mw3kR7tYp2Q"
MOE = "https://github.com/curate-fixtures/moe-capacity"
MWM = "https://github.com/GokuMohandas/Made-With-ML"


def _stored(run, link: str, **extra: str) -> dict:
    return json.loads(run("show", link, "--format", "json", **extra).stdout)


def test_a_youtube_answer_with_only_an_id_keeps_the_complete_record(run, replay):
    link = f"https://youtu.be/{VIDEO}"
    assert run("ingest", link, YOUTUBE_API_KEY=KEY).exit_code == 0
    before = _stored(run, link)
    replay.fault(
        r".*/youtube/v3/videos", Response.json({"kind": "youtube#videoListResponse", "items": [{"id": VIDEO}]})
    )
    result = run("ingest", "--refresh", link, YOUTUBE_API_KEY=KEY, CURATE_YOUTUBE_RETRIES="0")
    assert result.exit_code == 1
    assert "YouTube's answer lacks the video's title or channel; the stored record stays" in result.stderr
    after = _stored(run, link)
    assert after["record"] == before["record"]
    assert after["record"]["title"] != VIDEO and after["record"]["channel"]


def test_a_graphql_node_with_a_null_name_fails_its_repo_only(run, replay):
    assert run("ingest", MOE, GITHUB_TOKEN=TOKEN).exit_code == 0
    before = _stored(run, MOE)
    moe = json.loads(fixture_bytes("github/graphql/curate-fixtures__moe-capacity.json"))
    mwm = json.loads(fixture_bytes("github/graphql/GokuMohandas__Made-With-ML.json"))
    replay.fault("/graphql", Response.json({"data": {"r0": {**moe, "nameWithOwner": None}, "r1": mwm}}))
    result = run("ingest", "--refresh", MOE, MWM, GITHUB_TOKEN=TOKEN)
    assert result.exit_code == 1
    assert "GitHub's answer lacks the repository's owner/name; the stored record stays" in result.stderr
    assert "Traceback" not in result.stderr
    assert "github:gokumohandas/made-with-ml" in result.stdout
    assert _stored(run, MOE)["record"] == before["record"]


def _with_null(data: dict, path: tuple) -> dict:
    copy = json.loads(json.dumps(data))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = None
    return copy


def _paths(data, prefix=()):
    if isinstance(data, dict):
        for key, inner in data.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))


@pytest.mark.parametrize(
    ("build", "fixture"),
    [
        (repo_from_graphql, "github/graphql/curate-fixtures__moe-capacity.json"),
        (repo_from_rest, "github/repos/curate-fixtures__moe-capacity.json"),
        (video_from_item, f"youtube/videos/{VIDEO}.json"),
    ],
    ids=["github-graphql", "github-rest", "youtube-video"],
)
def test_a_normalizer_takes_any_field_null_without_crashing(build, fixture):
    data = json.loads(fixture_bytes(fixture))
    data = data["items"][0] if "items" in data else data
    assert build(data)  # whole as recorded
    for path in _paths(data):
        try:
            build(_with_null(data, path))
        except IncompleteAnswer:
            pass  # a bad answer for its link: the connector reports it, the stored record stays
