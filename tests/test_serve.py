"""`curate serve` routes, through Starlette's test client: what the editor sees and what the store keeps."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline import draft
from pipeline.config import Settings
from pipeline.desk.actions import DeskError
from pipeline.desk.app import create_app, row_anchor
from pipeline.store import Store
from schemas import ItemStatus
from tests.conftest import BACKENDS
from tests.draft_records import article, paper, repo, save, video

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every route test runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def conf(tmp_path: Path, db_url: str) -> Settings:
    return Settings(db=db_url, drafts_dir=tmp_path / "drafts")


@pytest.fixture
def store(conf: Settings) -> Store:
    s = Store(conf.db)
    save(
        s,
        [
            paper(1, title="Attention, again"),
            paper(2, title="Sparse <b>experts</b>"),
            video("aaaaaaaaaaa", views=12_345),
            repo("Fastlib", 900),
            article("agents", title="<script>alert('x')</script> Agents"),
        ],
        NOW - timedelta(hours=2),
    )
    return s


@pytest.fixture
def client(conf: Settings, store: Store) -> TestClient:
    return TestClient(create_app(conf, clock=lambda: NOW), base_url=BASE)


def csrf(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").text)[1]


def post(client: TestClient, path: str, **data: object) -> object:
    data.setdefault("csrf", csrf(client))
    return client.post(path, data=data)


def exported(conf: Settings | None, store: Store) -> dict:
    from pipeline.newsletter import load

    d = draft.prepare(store, now=NOW, fmt=load(Settings().newsletter))
    return json.loads(d.to_json())


def section_ids(doc: dict, key: str) -> list[str]:
    return [i["id"] for s in doc["sections"] if s["key"] == key for i in s["items"] if i["annotation"]["include"]]


def test_page_lists_candidates_by_section_with_their_figures(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert text.index("<h3>Papers</h3>") < text.index("<h3>Videos</h3>") < text.index("<h3>Tools &amp; Repos</h3>")
    assert "Attention, again" in text
    assert "12,345 views" in text and "★ 900" in text
    assert 'href="https://www.youtube.com/watch?v=aaaaaaaaaaa"' in text


def test_source_text_is_escaped_and_no_inline_script_is_allowed(client):
    page = client.get("/")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "<b>experts</b>" not in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page.text, re.S)
    assert scripts == [""]  # one script tag, with src= and no inline body


def test_shortlist_reject_and_undo_change_the_status_the_cli_sees(client, store):
    r = post(client, "/triage", id="arxiv:2511.00002", action="shortlist", next="/?status=candidate")
    assert r.status_code == 200 and r.url.path == "/" and r.url.params["status"] == "candidate"
    assert store.get("arxiv:2511.00002").status == ItemStatus.shortlisted
    assert "Shortlisted: Sparse &lt;b&gt;experts&lt;/b&gt;" in r.text and ">Undo</button>" in r.text
    post(client, "/triage", id="arxiv:2511.00001", action="reject")
    assert store.get("arxiv:2511.00001").status == ItemStatus.rejected
    assert "arxiv:2511.00001" not in section_ids(exported(None, store), "papers")
    post(client, "/undo", id="arxiv:2511.00001", status="candidate")
    assert store.get("arxiv:2511.00001").status == ItemStatus.candidate


def test_every_change_needs_the_page_token_and_the_same_site(client, store):
    no_token = client.post("/triage", data={"id": "arxiv:2511.00001", "action": "reject"})
    assert no_token.status_code == 403 and "reload" in no_token.text
    cross = client.post(
        "/triage",
        data={"id": "arxiv:2511.00001", "action": "reject", "csrf": csrf(client)},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403 and "another site" in cross.text
    opaque = client.post(
        "/triage", data={"id": "arxiv:2511.00001", "action": "reject", "csrf": csrf(client)}, headers={"Origin": "null"}
    )
    assert opaque.status_code == 403
    assert store.get("arxiv:2511.00001").status == ItemStatus.candidate
    # a browser's own form under a strict referrer setting: an opaque Origin, vouched for by Fetch Metadata
    own = client.post(
        "/triage",
        data={"id": "arxiv:2511.00001", "action": "reject", "csrf": csrf(client)},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 200 and store.get("arxiv:2511.00001").status == ItemStatus.rejected


def test_a_foreign_host_header_is_refused(client):
    assert client.get("/", headers={"Host": "rebind.attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200


def test_off_loopback_needs_a_token_kept_in_a_strict_httponly_cookie(conf, store):
    with pytest.raises(DeskError, match="CURATE_SERVE_TOKEN"):
        create_app(conf, host="0.0.0.0")
    app = create_app(conf, host="192.0.2.10", token="s3cret-token-for-tests", clock=lambda: NOW)
    c = TestClient(app, base_url="http://192.0.2.10:8000", follow_redirects=False)
    first = c.get("/")
    assert first.status_code == 303 and first.headers["location"].startswith("/login")
    assert c.post("/triage", data={"id": "x"}).status_code == 403
    assert c.post("/login", data={"token": "wrong", "next": "/"}).status_code == 403
    ok = c.post("/login", data={"token": "s3cret-token-for-tests", "next": "/"})
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "s3cret-token-for-tests" not in cookie
    assert c.get("/").status_code == 200
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_pick_moves_the_item_to_pick_and_the_previous_pick_home(client, store):
    post(client, "/triage", id="arxiv:2511.00001", action="pick")
    assert section_ids(exported(None, store), "pick") == ["arxiv:2511.00001"]
    post(client, "/triage", id="github:acme/fastlib", action="pick")
    doc = exported(None, store)
    assert section_ids(doc, "pick") == ["github:acme/fastlib"]
    assert section_ids(doc, "papers")[0] == "arxiv:2511.00001"


def _row(page: str, item_id: str) -> str:
    """The candidates list's row of an item (the Draft column's row comes later in the page)."""
    row = page[page.index('<li class="row status-') :]
    row = row[row.index(f'data-id="{item_id}"') :]
    return row[: row.index("</li>")]


def _draft_row(page: str, item_id: str) -> str:
    row = page[page.index('id="draft-title"') :]
    row = row[row.index(f'data-id="{item_id}"') :]
    return row[: row.index("</li>")]


def _annotate_the_export(client: TestClient, conf: Settings, store: Store, ext: str) -> object:
    """Export from the page, then read the file back as `curate annotate` does: its summary."""
    from pipeline import annotate
    from pipeline.newsletter import load

    assert post(client, "/export").status_code == 200
    path = conf.drafts_dir / f"issue-1.{ext}"
    edits, data = annotate.read(path)
    return annotate.apply(store, conf, edits, path, data, fmt=load(conf.newsletter))


def test_the_pick_can_be_unpicked_and_the_draft_file_agrees(client, conf, store):
    pick = post(client, "/triage", id="arxiv:2511.00001", action="pick").text
    assert 'value="unpick" data-key="p" title="Back to its own section">Unpick</button>' in _row(
        pick, "arxiv:2511.00001"
    )
    assert ">Pick</button>" not in _row(pick, "arxiv:2511.00001")
    assert 'formaction="/triage" name="action" value="unpick" data-key="p"' in _draft_row(pick, "arxiv:2511.00001")
    assert ">Pick</button>" in _row(pick, "arxiv:2511.00002")  # any other row can still be picked
    assert _annotate_the_export(client, conf, store, "md").picks == ["arxiv:2511.00001"]

    done = post(client, "/triage", id="arxiv:2511.00001", action="unpick")
    assert done.status_code == 200 and _flash(done.text) == "Unpicked, back in Papers: Attention, again"
    assert ">Pick</button>" in _row(done.text, "arxiv:2511.00001") and ">Unpick</button>" not in done.text
    doc = exported(None, store)
    assert section_ids(doc, "pick") == []
    assert section_ids(doc, "papers")[-1] == "arxiv:2511.00001"  # after the paper the annotated file placed
    assert store.get("arxiv:2511.00001").status == ItemStatus.shortlisted
    summary = _annotate_the_export(client, conf, store, "md")  # the Markdown says so too, read back
    assert summary.picks == [] and summary.moved == 0
    assert section_ids(exported(None, store), "papers")[-1] == "arxiv:2511.00001"

    # undo picks it again; unpicking what is not the pick is a message and changes nothing
    undo = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"',
            done.text.split('action="/undo"')[1].split("</form>")[0],
        )
    )
    client.post("/undo", data=undo)
    assert section_ids(exported(None, store), "pick") == ["arxiv:2511.00001"]
    refused = post(client, "/triage", id="arxiv:2511.00002", action="unpick")
    assert refused.status_code == 400 and "not the pick" in refused.text
    assert section_ids(exported(None, store), "pick") == ["arxiv:2511.00001"]


def test_a_pick_made_in_the_file_shows_on_the_page_and_unpicks_there(client, conf, store, tmp_path):
    from pipeline import annotate

    d = draft.prepare(store, now=NOW)
    draft.write(store, conf, d, ["json"])
    doc = json.loads((conf.drafts_dir / "issue-1.json").read_text())
    videos = next(s for s in doc["sections"] if s["key"] == "videos")
    next(s for s in doc["sections"] if s["key"] == "pick")["items"] = [videos["items"].pop(0)]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    assert annotate.apply(store, conf, annotate.read(path)[0]).picks == ["youtube:video:aaaaaaaaaaa"]
    page = client.get("/").text
    assert ">Unpick</button>" in _row(page, "youtube:video:aaaaaaaaaaa")
    done = post(client, "/triage", id="youtube:video:aaaaaaaaaaa", action="unpick")
    assert _flash(done.text) == "Unpicked, back in Videos: Talk aaaaaaaaaaa"
    doc = exported(None, store)
    assert section_ids(doc, "pick") == [] and section_ids(doc, "videos") == ["youtube:video:aaaaaaaaaaa"]


def test_the_draft_column_says_an_item_without_a_blurb_ships_its_drafted_summary(client, store):
    post(client, "/triage", id="github:acme/fastlib", action="shortlist")
    row = _draft_row(client.get("/").text, "github:acme/fastlib")
    summary = next(i for s in exported(None, store)["sections"] for i in s["items"] if i["id"] == "github:acme/fastlib")
    assert summary["annotation"]["blurb"] == "" and summary["summary"] == "A useful tool."
    assert '<span class="drafted">drafted summary (yours replaces it):</span> A useful tool.' in row
    assert "no blurb yet" not in row
    form = _edit_form(client, "github:acme/fastlib")
    client.post("/edit", data={**form, "blurb": "Mine, *now*.", "take": "", "action": "save"})
    row = _draft_row(client.get("/").text, "github:acme/fastlib")
    assert "Mine, <em>now</em>." in row and "drafted summary" not in row


def test_moving_items_orders_the_export(client, store):
    for n in (1, 2):
        post(client, "/triage", id=f"arxiv:2511.0000{n}", action="shortlist")
    before = section_ids(exported(None, store), "papers")
    post(client, "/move", id=before[1], by="-1", section="papers")
    assert section_ids(exported(None, store), "papers") == [before[1], before[0]]
    r = post(client, "/reorder", section="papers", ids=before)
    assert r.status_code == 200
    assert section_ids(exported(None, store), "papers") == before
    post(client, "/move", id=before[0], section="reads")
    assert section_ids(exported(None, store), "reads")[0] == before[0]  # placed items come before untriaged ones
    stale = post(client, "/reorder", section="papers", ids=before)
    assert stale.status_code == 400 and "reload" in stale.text


def _flash(page: str) -> str:
    """The status line's text (as HTML source: escaped), without its Undo form."""
    line = page.split('<div id="flash" role="status" aria-live="polite">')[1].split("</div>")[0]
    return " ".join(re.sub(r"<form.*?</form>|<[^>]+>", " ", line, flags=re.S).split())


def test_moving_the_last_item_down_or_the_first_up_changes_nothing_and_says_so(client, store):
    for n in (1, 2):
        post(client, "/triage", id=f"arxiv:2511.0000{n}", action="shortlist")
    first, last = section_ids(exported(None, store), "papers")[:2]
    titles = {"arxiv:2511.00001": "Attention, again", "arxiv:2511.00002": "Sparse &lt;b&gt;experts&lt;/b&gt;"}
    # the draft row's form sends its own section with `by`, as the ↑/↓ buttons and Shift+J/K do
    at_end = post(client, "/move", id=last, by="1", section="papers")
    assert at_end.status_code == 200
    assert _flash(at_end.text) == f"Already last in Papers: {titles[last]}"
    at_top = post(client, "/move", id=first, by="-1", section="papers")
    assert _flash(at_top.text) == f"Already first in Papers: {titles[first]}"
    assert store.annotations(1) == {}  # nothing was written
    assert section_ids(exported(None, store), "papers")[:2] == [first, last]
    down = post(client, "/move", id=first, by="1", section="papers")
    assert _flash(down.text) == f"Moved down in Papers (2 of 2): {titles[first]}"
    assert section_ids(exported(None, store), "papers")[:2] == [last, first]
    away = post(client, "/move", id=first, section="reads")
    assert _flash(away.text) == f"Moved to Curated Reads: {titles[first]}"
    assert "arxiv:" not in _flash(down.text) + _flash(away.text)


def _edit_form(client: TestClient, item_id: str) -> dict[str, str]:
    page = client.get("/edit", params={"id": item_id}).text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return fields


def test_blurb_and_take_reach_the_export_and_preview_escapes_like_it(client, store):
    form = _edit_form(client, "arxiv:2511.00001")
    assert 'for="blurb">Blurb</label>' in client.get("/edit", params={"id": "arxiv:2511.00001"}).text
    shown = client.post(
        "/preview", data={**form, "blurb": "Read **this** <img src=x onerror=alert(1)>", "take": "Worth it."}
    )
    assert "<strong>this</strong>" in shown.text and "<img" not in shown.text and "&lt;img" in shown.text
    assert "<strong>Take:</strong> Worth it." in shown.text
    r = client.post("/edit", data={**form, "blurb": "Read **this**.", "take": "Worth it.", "action": "save"})
    assert r.status_code == 200
    item = next(i for s in exported(None, store)["sections"] for i in s["items"] if i["id"] == "arxiv:2511.00001")
    assert item["annotation"]["blurb"] == "Read **this**.\n\n**Take:** Worth it."
    assert "Read **this**.\n\n**Take:** Worth it." in client.get("/markdown").text.replace("&#42;", "*")


def test_the_preview_and_the_rendered_draft_show_the_byline_on_its_own_line(client):
    form = _edit_form(client, "arxiv:2511.00001")
    shown = client.post("/preview", data={**form, "blurb": "Mine.", "take": ""}).text
    assert "https://arxiv.org/abs/2511.00001 <br />\nAda Lovelace, Alan Turing · " in shown
    assert "https://arxiv.org/abs/2511.00001 <br />\nAda Lovelace, Alan Turing · " in client.get("/markdown").text


def test_the_preview_of_an_editors_raw_html_is_what_the_export_renders(client, conf, store):
    from markdown_it import MarkdownIt

    typed = "Sparse <b>routing</b> <script>alert(1)</script>, **really**."
    form = _edit_form(client, "arxiv:2511.00001")
    preview = client.post("/preview", data={**form, "blurb": typed, "take": "<i>Yes</i>."}).text
    assert "&lt;b&gt;routing&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;, <strong>really</strong>." in preview
    assert "<strong>Take:</strong> &lt;i&gt;Yes&lt;/i&gt;." in preview
    assert (
        client.post("/edit", data={**form, "blurb": typed, "take": "<i>Yes</i>.", "action": "save"}).status_code == 200
    )
    assert post(client, "/export").status_code == 200
    written = (conf.drafts_dir / "issue-1.md").read_text(encoding="utf-8")
    block = written.split("<!-- curate:item arxiv:2511.00001 -->\n", 1)[1].split("\n<!-- curate:", 1)[0]
    assert "Sparse &lt;b>routing&lt;/b> &lt;script>alert(1)&lt;/script>, **really**." in block
    # a renderer that allows HTML reads the export as the preview shows it
    assert MarkdownIt("commonmark", {"html": True}).render(block) == preview
    item = next(i for s in exported(None, store)["sections"] for i in s["items"] if i["id"] == "arxiv:2511.00001")
    assert item["annotation"]["blurb"] == typed + "\n\n**Take:** <i>Yes</i>."  # the JSON: as typed


def test_a_stale_blurb_save_shows_both_texts_and_keeps_the_newer(client, store):
    tab1 = _edit_form(client, "arxiv:2511.00001")
    tab2 = _edit_form(client, "arxiv:2511.00001")
    assert (
        client.post("/edit", data={**tab1, "blurb": "First tab's words", "take": "", "action": "save"}).status_code
        == 200
    )
    late = client.post("/edit", data={**tab2, "blurb": "Second tab's words", "take": "", "action": "save"})
    assert late.status_code == 409
    assert "changed since you opened it" in late.text
    assert "First tab&#39;s words" in late.text and "Second tab&#39;s words" in late.text
    item = next(i for s in exported(None, store)["sections"] for i in s["items"] if i["id"] == "arxiv:2511.00001")
    assert item["annotation"]["blurb"] == "First tab's words"
    retry = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', late.text))
    assert (
        client.post("/edit", data={**retry, "blurb": "Merged words", "take": "", "action": "save"}).status_code == 200
    )


def test_bad_input_is_a_message_and_changes_nothing(client, store):
    form = _edit_form(client, "arxiv:2511.00001")
    long = client.post("/edit", data={**form, "blurb": "x" * 5001, "take": "", "action": "save"})
    assert long.status_code == 400 and "over 5,000 (CURATE_BLURB_MAX_CHARS)" in long.text
    unknown = post(client, "/triage", id="arxiv:9999.99999", action="shortlist")
    assert unknown.status_code == 400 and "not in the database" in unknown.text
    assert client.get("/edit", params={"id": "nope:1"}).status_code == 404
    assert all(i["annotation"]["blurb"] == "" for s in exported(None, store)["sections"] for i in s["items"])


def test_title_and_intro_show_in_the_markdown(client):
    post(client, "/issue", title="Week of sparse things", intro="Hello <em>readers</em>.")
    md = client.get("/markdown").text
    assert "# Week of sparse things" in md
    assert "Hello &lt;em&gt;readers&lt;/em&gt;." in md


def test_export_writes_what_the_markdown_page_shows_and_refuses_unread_edits(client, conf, store):
    shown = client.get("/markdown").text
    r = post(client, "/export")
    assert r.status_code == 200 and "exported" in r.text
    path = conf.drafts_dir / "issue-1.md"
    written = path.read_text(encoding="utf-8")
    source = re.search(r'<pre id="markdown-source">(.*?)</pre>', shown, re.S)[1]
    import html

    assert html.unescape(source) == written
    path.write_text(written + "\nmy edit\n", encoding="utf-8")
    again = post(client, "/export")
    assert again.status_code == 400 and "curate annotate" in again.text
    assert path.read_text(encoding="utf-8").endswith("my edit\n")


def test_publish_asks_first_then_publishes(client, store):
    post(client, "/export")
    ask = post(client, "/publish", number="1")
    assert ask.status_code == 200 and "Publish issue 1?" in ask.text
    assert store.get("arxiv:2511.00001").status == ItemStatus.candidate
    done = post(client, "/publish", number="1", confirm="yes")
    assert "Issue 1 published: 5 items; the next draft is issue 2" in done.text
    assert store.get("arxiv:2511.00001").status == ItemStatus.published


def test_counted_words_agree_with_their_number(client, store):
    for item_id in (
        "arxiv:2511.00002",
        "youtube:video:aaaaaaaaaaa",
        "github:acme/fastlib",
        "web:https://blog.example.com/agents",
    ):
        post(client, "/triage", id=item_id, action="reject")
    page = client.get("/", params={"section": "papers", "status": "candidate"}).text
    assert '<p class="count">1 match</p>' in page
    assert "1 untriaged candidate, in the draft by score unless you reject it:" in page
    post(client, "/export")
    done = post(client, "/publish", number="1", confirm="yes")
    assert "Issue 1 published: 1 item; the next draft is issue 2" in done.text


def test_dates_on_the_page_are_kept_whole(client):
    page = client.get("/").text
    row = page[page.index('data-id="arxiv:2511.00001"') :]
    row = row[: row.index("</li>")]
    details = re.search(r'<div class="details">(.*?)</div>', row, re.S)[1]
    meta = re.search(r'<div class="meta">(.*?)</div>', row, re.S)[1]
    assert re.search(r'<span class="date">\d{4}-\d{2}-\d{2}</span>', details)  # the published date
    assert 'first seen <span class="date">2026-11-20</span>' in meta
    assert ".date { white-space: nowrap; }" in client.get("/static/desk.css").text


def test_each_row_offers_the_triage_its_status_allows(client):
    def buttons(item_id: str) -> list[str]:
        page = client.get("/").text
        row = page[page.index(f'data-id="{item_id}"') :]
        row = row[: row.index("</li>")]
        return re.findall(r'<button type="submit" name="action" value="(\w+)" data-key="\w">(\w+)</button>', row)

    item = "arxiv:2511.00002"
    assert buttons(item) == [("shortlist", "Shortlist"), ("reject", "Reject"), ("pick", "Pick")]
    post(client, "/triage", id=item, action="shortlist")
    assert buttons(item) == [("reject", "Reject"), ("pick", "Pick")]
    assert re.search(r'value="candidate" data-key="s" title="Back to candidates">Unshortlist<', client.get("/").text)
    post(client, "/triage", id=item, action="candidate")  # what Unshortlist sends
    assert buttons(item)[0] == ("shortlist", "Shortlist")
    post(client, "/triage", id=item, action="reject")
    page = client.get("/").text
    assert re.search(r'value="candidate" data-key="x" title="Back to candidates">Unreject<', page)
    assert "Back to candidates</button>" not in page


def test_filters_search_and_status(client):
    post(client, "/triage", id="arxiv:2511.00002", action="shortlist")
    only = client.get("/", params={"status": "shortlisted"}).text
    assert "Sparse &lt;b&gt;experts" in only and "Attention, again" not in only.split('id="draft-title"')[0]
    found = client.get("/", params={"q": "attention"}).text.split('id="draft-title"')[0]
    assert "Attention, again" in found and "Fastlib" not in found
    assert client.get("/", params={"section": "nope"}).status_code == 400


def test_an_annotated_file_shows_on_the_page(client, conf, store, tmp_path):
    from pipeline import annotate

    d = draft.prepare(store, now=NOW)
    draft.write(store, conf, d, ["json"])
    doc = json.loads((conf.drafts_dir / "issue-1.json").read_text())
    doc["sections"][0]["items"][0]["annotation"]["blurb"] = "Written in the file"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    edits, data = annotate.read(path)
    annotate.apply(store, conf, edits, path, data)
    assert "Written in the file" in client.get("/").text


def test_row_anchor_is_stable_and_safe():
    assert row_anchor("web:https://x.example/a?b") == row_anchor("web:https://x.example/a?b")
    assert re.fullmatch(r"i-[0-9a-f]{12}", row_anchor("github:o/n"))


def test_serve_refuses_another_address_without_a_token(curate, store):
    result = curate("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "CURATE_SERVE_TOKEN" in result.stderr


def test_serve_names_a_port_in_use(curate, store):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = curate("serve", "--port", str(port))
    assert result.returncode == 2 and f"port {port} on 127.0.0.1 is in use" in result.stderr


def test_serve_on_a_missing_database_creates_nothing(curate, tmp_path):
    missing = tmp_path / "w" / "nope.db"
    result = curate("serve", "--port", "0", extra_env={"CURATE_DB": str(missing)})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: no database at {missing} (CURATE_DB); curate ingest or curate run creates it\n"
    assert not missing.parent.exists()


def test_curate_serve_starts_prints_its_address_and_serves_the_page(env, store):
    """The installed command, as an editor starts it (a subprocess smoke test)."""
    import os
    import signal
    import subprocess
    import threading

    import httpx

    from tests.conftest import CURATE, ROOT

    environ = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    environ.update(env)  # CURATE_DB: the database `store` filled
    proc = subprocess.Popen(
        [CURATE, "serve", "--port", "0"],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killer = threading.Timer(60, proc.kill)  # a hung server fails the test instead of the suite
    killer.start()
    try:
        line = proc.stderr.readline()
        assert line.startswith("curate serve: http://127.0.0.1:"), line
        url = line.split()[2]
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200 and "Attention, again" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        killer.cancel()
    assert out == ""  # stdout carries data only; the server has none to give


def test_undoing_a_pick_brings_the_previous_pick_back(client, store):
    post(client, "/triage", id="arxiv:2511.00001", action="pick")
    second = post(client, "/triage", id="github:acme/fastlib", action="pick")
    undo = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"',
            second.text.split('action="/undo"')[1].split("</form>")[0],
        )
    )
    assert undo["previous"] == "arxiv:2511.00001"
    client.post("/undo", data=undo)
    doc = exported(None, store)
    assert section_ids(doc, "pick") == ["arxiv:2511.00001"]
    assert "github:acme/fastlib" in section_ids(doc, "tools")
    assert store.get("github:acme/fastlib").status == ItemStatus.candidate


def test_signing_in_from_another_site_is_refused(conf, store):
    app = create_app(conf, host="192.0.2.10", token="s3cret-token-for-tests", clock=lambda: NOW)
    c = TestClient(app, base_url="http://192.0.2.10:8000", follow_redirects=False)
    r = c.post("/login", data={"token": "s3cret-token-for-tests"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "set-cookie" not in r.headers


@pytest.mark.parametrize(
    "header, allowed",
    [
        ("127.0.0.1:8000", True),
        ("localhost", True),
        ("[::1]:8000", True),
        ("127.0.0.1.evil.example", False),
        ("evil.example:8000", False),
        ("", False),
    ],
)
def test_host_header_names_this_server_only(client, header, allowed):
    status = client.get("/", headers={"Host": header}).status_code
    assert (status == 200) is allowed


def test_shortlisting_an_item_left_out_in_a_file_brings_it_back(client, conf, store, tmp_path):
    from pipeline import annotate

    d = draft.prepare(store, now=NOW)
    draft.write(store, conf, d, ["json"])
    doc = json.loads((conf.drafts_dir / "issue-1.json").read_text())
    doc["sections"][0]["items"][0]["annotation"]["include"] = False
    dropped = doc["sections"][0]["items"][0]["id"]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    annotate.apply(store, conf, annotate.read(path)[0])
    assert dropped not in section_ids(exported(None, store), "papers")
    assert ">left out</span>" in client.get("/").text
    post(client, "/triage", id=dropped, action="shortlist")
    assert dropped in section_ids(exported(None, store), "papers")


def test_the_page_draft_lists_placed_items_in_the_exports_order(client, conf, store):
    from pipeline.desk import actions

    save(
        store,
        [repo("Gainer", 100), repo("Steady", 5000), video("bbbbbbbbbbb", views=99), paper(3), paper(4)],
        NOW - timedelta(hours=1),
    )
    for item_id in (
        "github:acme/gainer",
        "github:acme/steady",
        "github:acme/fastlib",
        "youtube:video:bbbbbbbbbbb",
        "arxiv:2511.00003",
        "arxiv:2511.00004",
        "arxiv:2511.00001",
    ):
        post(client, "/triage", id=item_id, action="shortlist")
    post(client, "/move", id="arxiv:2511.00001", by="1")
    post(client, "/move", id="youtube:video:bbbbbbbbbbb", section="pick")
    from pipeline.newsletter import load

    view = actions.draft_view(store, load(conf.newsletter), NOW)
    doc = exported(None, store)
    for section in doc["sections"]:
        placed = [i.id for i in view.pinned[section["key"]]]
        assert [i["id"] for i in section["items"]][: len(placed)] == placed
        assert view.rest[section["key"]] == len(section["items"]) - len(placed)
    assert [i.id for i in view.pinned["tools"]] == ["github:acme/steady", "github:acme/fastlib", "github:acme/gainer"]


def test_the_page_draft_names_every_item_the_export_holds_in_its_order(client, conf, store):
    from markupsafe import escape

    from pipeline.desk import actions
    from pipeline.newsletter import load

    save(store, [paper(3, title="Third paper"), paper(4, title="Fourth paper")], NOW - timedelta(hours=1))
    post(client, "/triage", id="arxiv:2511.00004", action="shortlist")
    doc = exported(None, store)
    view = actions.draft_view(store, load(conf.newsletter), NOW, follow=60)
    for section in doc["sections"]:
        shown = [i.id for i in view.pinned[section["key"]]] + [i.id for i in view.following[section["key"]]]
        assert shown == [i["id"] for i in section["items"]]
    page = client.get("/").text
    draft_panel = page[page.index('id="draft-title"') :]
    for section in doc["sections"]:
        for item in section["items"]:  # every exported title is in the Draft column, in the export's order
            assert str(escape(item["title"])) in draft_panel
    papers = [i["title"] for s in doc["sections"] if s["key"] == "papers" for i in s["items"]]
    at = [draft_panel.index(str(escape(t))) for t in papers]
    assert at == sorted(at) and len(papers) == 4
    assert "Then 3 untriaged candidates, in the draft by score unless you reject them:" in draft_panel
    assert "1 untriaged candidate, in the draft by score unless you reject it:" in draft_panel  # the video, alone
    assert "follow by score" not in page and "candidates follows" not in page


def test_past_the_title_limit_the_page_draft_counts_the_candidates_and_links_to_them(client, monkeypatch):
    from pipeline.desk import app as desk_app

    monkeypatch.setattr(desk_app, "FOLLOW_TITLES", 1)
    page = client.get("/").text
    draft_panel = page[page.index('id="draft-title"') :]
    assert "2 untriaged candidates, in the draft by score unless you reject them (" in draft_panel
    assert "Attention, again" not in draft_panel
    assert 'href="/?section=papers&amp;status=candidate&amp;order=score"' in draft_panel


def test_a_repo_stored_only_as_a_papers_code_is_not_a_candidate(client, store):
    from connectors.base import Fetched
    from schemas import SourceRef
    from schemas.item import LINKED_SOURCE

    code = repo("Paperscode", 10)
    store.save(
        [Fetched(ref=SourceRef(kind=code.kind, key=code.id, url=code.url, connector="test"), record=code)],
        NOW - timedelta(hours=1),
        source=LINKED_SOURCE,
    )
    page = client.get("/").text
    assert "acme/Paperscode" not in page and "acme/Fastlib" in page


def test_a_models_suggestion_shows_and_can_be_taken_but_is_never_saved_by_itself(client, store):
    from pipeline.store import SuggestionRow

    store.save_suggestion(
        SuggestionRow(
            key="k1", subject="arxiv:2511.00001", model="test-model", text="A <b>crisp</b> suggestion.", drafted_at=NOW
        )
    )
    assert "A &lt;b&gt;crisp&lt;/b&gt; suggestion." in client.get("/").text  # the row's preview line
    page = client.get("/edit", params={"id": "arxiv:2511.00001"}).text
    assert "Suggested by test-model" in page
    form = _edit_form(client, "arxiv:2511.00001")
    taken = client.post("/edit", data={**form, "blurb": "", "take": "", "action": "suggestion"})
    assert (
        '<textarea id="blurb" name="blurb" rows="8" aria-describedby="blurb-help">A &lt;b&gt;crisp&lt;/b&gt; suggestion.'
        in taken.text
    )
    item = next(i for s in exported(None, store)["sections"] for i in s["items"] if i["id"] == "arxiv:2511.00001")
    assert item["annotation"]["blurb"] == "" and item["annotation"]["suggested_blurb"]["model"] == "test-model"


def test_the_models_title_ideas_show_beside_the_title(client, store):
    from pipeline.blurbs import titles_subject
    from pipeline.store import SuggestionRow

    assert "Title ideas" not in client.get("/issue").text
    store.save_suggestion(
        SuggestionRow(
            key="t1",
            subject=titles_subject(1),
            model="test-model",
            text="- Sparse week\n- Experts <everywhere>",
            drafted_at=NOW,
        )
    )
    page = client.get("/issue").text
    assert "<li>Sparse week</li>" in page and "<li>Experts &lt;everywhere&gt;</li>" in page


from tests.test_blurbs import MODEL, model  # noqa: E402,F401  (the fake llm model, registered per test)


def test_export_from_the_page_drafts_suggestions_as_the_command_does(model, conf, store):  # noqa: F811
    c = TestClient(create_app(conf.model_copy(update={"llm_model": MODEL}), clock=lambda: NOW), base_url=BASE)
    r = post(c, "/export")
    assert r.status_code == 200 and "exported" in r.text
    doc = json.loads((conf.drafts_dir / "issue-1.json").read_text(encoding="utf-8"))
    suggested = [i["annotation"]["suggested_blurb"] for s in doc["sections"] for i in s["items"]]
    assert suggested and all(s and s["model"] == MODEL for s in suggested)
    assert all(i["annotation"]["blurb"] == "" for s in doc["sections"] for i in s["items"])  # never the editor's text


def test_only_http_links_are_links_on_the_page():
    from pipeline.desk.app import http_url

    assert http_url("javascript:alert(1)") == "#" and http_url("data:text/html,x") == "#"
    assert http_url("https://arxiv.org/abs/2511.00001") == "https://arxiv.org/abs/2511.00001"


def _issue_form(client: TestClient) -> dict[str, str]:
    page = client.get("/issue").text
    tldr = re.search(r'<textarea id="tldr" name="tldr"[^>]*>(.*?)</textarea>', page, re.S)[1]
    import html

    return {
        "csrf": csrf(client),
        "title": "",
        "intro": "",
        "tldr_base": re.search(r'name="tldr_base" value="([0-9a-f]+)"', page)[1],
        "tldr": html.unescape(tldr),
    }


def test_the_tldr_box_saves_the_editors_sentence_and_the_export_shows_it(client, store):
    assert '<label for="tldr">TL;DR</label>' in client.get("/issue").text
    form = _issue_form(client)
    lines = form["tldr"].splitlines()
    assert len(lines) == 5 and lines[0].startswith("- **📄 2 Papers:** ")
    mine = [lines[0].split(":** ")[0] + ":** Two papers on <b>experts</b>.", *lines[1:]]
    r = client.post("/issue", data={**form, "tldr": "\r\n".join(mine)})
    assert r.status_code == 200 and "TL;DR saved" in r.text
    doc = exported(None, store)
    assert doc["issue"]["tldr"] == {"papers": "Two papers on <b>experts</b>."}  # the rest stays drafted
    md = client.get("/markdown").text
    # the Markdown escapes the editor's raw HTML (it shows as text), the box shows that Markdown
    assert "- **📄 2 Papers:** Two papers on &amp;lt;b&gt;experts&amp;lt;/b&gt;." in md
    assert "Two papers on &amp;lt;b&gt;experts&amp;lt;/b&gt;." in client.get("/issue").text
    again = _issue_form(client)  # saved back as the box shows it: the sentence stays as typed
    assert client.post("/issue", data=again).status_code == 200
    assert exported(None, store)["issue"]["tldr"] == {"papers": "Two papers on <b>experts</b>."}

    # a second tab, opened before that save, is told and saves nothing
    stale = client.post(
        "/issue",
        data={**form, "title": "Other tab", "tldr": "\n".join(line.split(":** ")[0] + ":** Other." for line in lines)},
    )
    assert stale.status_code == 409 and "The TL;DR changed since you opened this page" in stale.text
    assert "Two papers on &amp;lt;b&gt;experts&amp;lt;/b&gt;." in stale.text  # both texts are shown
    assert exported(None, store)["issue"]["tldr"] == {"papers": "Two papers on <b>experts</b>."}
    assert exported(None, store)["issue"]["title"] != "Other tab"

    # a box without a line per section is a message; an emptied line gives the drafted one back
    form = _issue_form(client)
    bad = client.post("/issue", data={**form, "tldr": "- **Papers:** one line"})
    assert bad.status_code == 400 and "one line per section" in bad.text
    no_csrf = client.post("/issue", data={**form, "csrf": "0" * 32})
    assert no_csrf.status_code == 403
    lines = form["tldr"].splitlines()
    client.post("/issue", data={**form, "tldr": "\n".join([lines[0].split(":** ")[0] + ":** ", *lines[1:]])})
    assert exported(None, store)["issue"]["tldr"] == {}


def test_an_untouched_tldr_box_leaves_a_models_sentence_a_suggestion(client, store):
    from pipeline.store import SuggestionRow

    store.save_suggestion(
        SuggestionRow(
            key="s1", subject="issue:1:tldr:videos", model="test-model", text="One video, *many* views.", drafted_at=NOW
        )
    )
    form = _issue_form(client)
    assert "One video, \\*many\\* views." in form["tldr"]
    r = client.post("/issue", data={**form, "title": "Week one"})
    assert r.status_code == 200
    doc = exported(None, store)
    assert doc["issue"]["title"] == "Week one" and doc["issue"]["tldr"] == {}


def test_add_links_lists_every_input_in_order_with_curate_ingests_reason(settings):
    from connectors.errors import LinkRefused
    from pipeline.links import parse

    store = Store(settings.db)
    save(store, [paper(1, title="Attention, again")])  # fetched just now: fresh
    c = TestClient(create_app(settings), base_url=BASE)
    text = "https://arxiv.org/abs/2511.00001\nnot-a-link\nSee this one:\n1706.03762\narxiv.org/abs/1706.03762v2\n"
    page = c.post("/add", data={"csrf": csrf(c), "links": text}).text
    rows = [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr class=\"outcome-[^\"]*\">(.*?)</tr>", page, re.S)
    ]
    with pytest.raises(LinkRefused) as refused:
        parse("not-a-link")
    assert [r[0] for r in rows] == [
        "https://arxiv.org/abs/2511.00001",
        "not-a-link",
        "1706.03762",
        "arxiv.org/abs/1706.03762v2",
    ]  # one row per input, in the order given; the line of prose is not an input
    assert rows[0][1:] == ["fresh — fetched less than 24h ago (CURATE_MAX_AGE), not fetched again", "Attention, again"]
    assert rows[1][1] == f"refused — {refused.value.reason}"  # what `curate ingest` prints after ✗
    assert rows[2][1] == "stored" and store.get("arxiv:1706.03762") is not None
    assert rows[3][1] == "stored — the same item as 1706.03762"


def test_newest_first_is_by_the_items_own_date_then_when_it_was_stored(client, store):
    from tests.draft_records import T0

    save(store, [paper(4, title="Fresh paper", days_old=0)], NOW - timedelta(hours=1, minutes=30))
    save(store, [paper(3, title="Old paper", days_old=2000)], NOW - timedelta(hours=1))  # stored later
    pushed = repo("Pushed", 5).model_copy(update={"pushed": T0 + timedelta(days=1)})
    save(store, [pushed], NOW - timedelta(hours=3))
    page = client.get("/", params={"order": "newest"}).text.split('id="draft-title"')[0]
    assert ">newest first (published; repos: last push)</option>" in page
    assert page.index("Fresh paper") < page.index("Old paper")
    assert page.index("acme/Pushed") < page.index("acme/Fastlib")  # pushed after Fastlib's creation
