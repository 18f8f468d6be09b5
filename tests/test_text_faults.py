"""What a hostile source says never drives a terminal, adds a link, leaks a credential or
breaks an id: records are cleaned as they are built, ids are one token, the draft escapes."""

from __future__ import annotations

import json

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from markdown_it import MarkdownIt

from schemas import Article
from tests.replay.server import Response, fixture_bytes

HTML = "text/html; charset=utf-8"
KEY = "AIzaSyTEST-0123456789abcdefghijklmnopq"
TOKEN = "ghp_faults0123456789abcdefghijklmnopq"
VIDEO = "Mw3kR7tYp2Q"


def page(title: str, head: str = "", body: str = "") -> Response:
    return Response(
        content_type=HTML,
        body=f"<!doctype html><html><head><title>{title}</title>{head}</head><body><p>{body}</p></body></html>",
    )


HOSTILE = "Quarterly \x1b[31mred\x1b[0m report\x1b]0;owned\x07 done\rfake \u202etxt.exe\u202c \x9b2J end"


def test_escape_sequences_and_controls_never_reach_a_row_the_list_or_an_export(run, replay):
    replay.fault("/site/hostile", page(HOSTILE))
    result = run("ingest", f"{replay.url}/site/hostile")
    assert result.exit_code == 0
    listed = run("list")
    exported = run("export", "--format", "json", "--output", "-")
    for text in (result.stdout, result.stderr, listed.stdout, exported.stdout):
        assert not any(c in text for c in "\x1b\r\x07\x9b\u202e\u202c"), repr(text)
    assert "Quarterly red report done fake txt.exe end" in listed.stdout


def test_a_record_cleans_its_text_however_it_is_built():
    article = Article(id="web:https://x.org/", url="https://x.org/", title=HOSTILE, authors=["A\x00n\x85n"])
    assert article.title == "Quarterly red report done fake txt.exe  end"
    assert article.authors == ["Ann"]


def test_a_canonical_link_with_a_space_gives_a_one_token_id_and_the_draft_reads_back(run, replay, env, tmp_path):
    replay.fault("/site/spaced", page("Spaced out", head='<link rel="canonical" href="/site/a b">'))
    result = run("ingest", f"{replay.url}/site/spaced")
    assert result.exit_code == 0
    listed = json.loads(run("list", "--format", "json").stdout.splitlines()[0])
    assert listed["id"] == f"web:{replay.url}/site/a%20b"
    assert run("export", "--format", "markdown").exit_code == 0
    draft = next((tmp_path / "drafts").glob("issue-*.md"))
    annotated = run("annotate", str(draft))
    assert annotated.exit_code == 0, annotated.stderr


@pytest.mark.parametrize("where", ["github", "youtube"])
def test_a_credential_a_server_echoes_is_not_stored_listed_or_exported(run, replay, env, where):
    if where == "github":
        node = json.loads(fixture_bytes("github/graphql/curate-fixtures__moe-capacity.json"))
        node["description"] = f"mirror of the repo; token {TOKEN} here"
        replay.fault("/graphql", Response.json({"data": {"r0": node}}))
        link, creds = "https://github.com/curate-fixtures/moe-capacity", {"GITHUB_TOKEN": TOKEN}
        secret = TOKEN
    else:
        answer = json.loads(fixture_bytes(f"youtube/videos/{VIDEO}.json"))
        item = answer["items"][0] if "items" in answer else answer
        item["snippet"]["title"] = f"Talk {KEY}"
        replay.fault(r".*/youtube/v3/videos", Response.json({"kind": "youtube#videoListResponse", "items": [item]}))
        link, creds = f"https://youtu.be/{VIDEO}", {"YOUTUBE_API_KEY": KEY}
        secret = KEY
    result = run("ingest", link, **creds)
    assert result.exit_code == 0, result.stderr
    shown = run("show", link, "--payload", **creds)
    exported = run("export", "--format", "json", "--output", "-", **creds)
    import sqlite3

    dumped = "\n".join(sqlite3.connect(env["CURATE_DB"]).iterdump())
    for text in (result.stdout, run("list", **creds).stdout, shown.stdout, exported.stdout, dumped):
        assert secret not in text
    assert "***" in exported.stdout


LINKS = "Read https://evil.example/phish or www.evil.example or evil.com/login, mail x@evil.com"


def test_source_text_adds_no_link_in_github_or_markdown_it_linkify(run, replay):
    replay.fault("/site/links", page(LINKS, body=LINKS))
    assert run("ingest", f"{replay.url}/site/links").exit_code == 0
    markdown = run("export", "--format", "markdown", "--output", "-").stdout
    assert "evil" in markdown
    gfm = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    linkify = MarkdownIt("commonmark", {"linkify": True}).enable("linkify").render(markdown)
    for html in (gfm, linkify):
        hrefs = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
        assert not [h for h in hrefs if "evil" in h], hrefs
        assert "https://evil.example/phish" in html  # the text itself reads as written


def test_a_short_credential_is_masked_in_text_and_the_record_still_reads_back(run, replay):
    # "id" occurs in every record's field names (`arxiv_id`, `id`): only the server's text is masked
    result = run("ingest", f"https://youtu.be/{VIDEO}", YOUTUBE_API_KEY="id")
    assert result.exit_code == 0, result.stderr
    shown = run("show", f"https://youtu.be/{VIDEO}", "--format", "json", YOUTUBE_API_KEY="id")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == f"youtube:video:{VIDEO}"
