"""Each failure is named for what it is: the label and line a user reads match the cause."""

from __future__ import annotations

import re

import pytest

from tests.replay.routes_arxiv import entry_for
from tests.replay.server import Response

MOE = "https://github.com/curate-fixtures/moe-capacity"


def test_an_arxiv_entry_without_updated_is_an_incomplete_answer_not_a_missing_paper(run, replay):
    replay.state["arxiv_synthesize"] = lambda arxiv_id: (
        re.sub(r"<updated>[^<]*</updated>", "", entry_for(arxiv_id, _plain(replay)) or "") or None
    )
    result = run("ingest", "2512.07461")
    assert result.exit_code == 1
    assert "arXiv sent an incomplete entry for this paper (no <updated>); try again later" in result.stderr
    assert "not found" not in result.stderr


def _plain(replay):
    """The replay as entry_for sees it without the synthesizer (fixture entries only)."""

    class Plain:
        state: dict = {}

    return Plain()


@pytest.mark.parametrize("token", [None, "ghp_labels0123456789"])
def test_a_retry_after_beyond_six_hours_is_reported_as_the_server_said(run, replay, token):
    slow = Response(status=429, body=b"{}", headers={"Retry-After": "99999"})
    replay.fault("/graphql" if token else "/repos/", *[slow] * 5)
    result = run("ingest", MOE, **({"GITHUB_TOKEN": token} if token else {}))
    assert result.exit_code == 1
    assert "GitHub asked to slow down for 99999 s, more than CURATE_GITHUB_MAX_WAIT" in result.stderr


def test_deep_github_json_is_not_a_redirect(run, replay):
    replay.fault("/repos/", Response(body=b"[" * 5000 + b"]" * 5000))
    result = run("ingest", MOE)
    assert "nested deeper than 64 levels (CURATE_HTTP_MAX_DEPTH)" in result.stderr
    assert "redirected" not in result.stderr


@pytest.mark.parametrize("key", ["AIzaSy-é-key", "AIzaSy key", "AIzaSy\x01key"])
def test_a_bad_character_in_the_youtube_key_is_a_setting_error_that_never_shows_the_key(run, replay, key):
    result = run("ingest", "https://youtu.be/Mw3kR7tYp2Q", YOUTUBE_API_KEY=key)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: bad setting: YOUTUBE_API_KEY: holds a character a credential cannot have "
        "(a space, a control or a non-ASCII character); copy it again from where it was issued\n"
    )
    assert replay.count("") == 0


def test_a_drafts_folder_that_cannot_be_written_is_one_line_naming_the_setting(run, replay, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert run("ingest", "2512.07461").exit_code == 0
    result = run("export", CURATE_DRAFTS_DIR=str(blocker / "drafts"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {blocker} is a file, not a folder (CURATE_DRAFTS_DIR)")
    assert len(result.stderr.splitlines()) == 1


def test_a_lock_folder_that_cannot_be_written_is_one_line(run, replay, tmp_path, monkeypatch):
    import pipeline.schedule as schedule

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(schedule, "lock_path", lambda settings: blocker / "locks" / "curate.db.run.lock")
    (tmp_path / "sources.toml").write_text("")
    result = run("run")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: {blocker} is a file, not a folder (the run lock, beside CURATE_DB)"
    )
    assert "Traceback" not in result.stderr and "PermissionError" not in result.stderr
