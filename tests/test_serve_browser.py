"""`curate serve` in a real browser: Debian's Chromium driven by Playwright, on a database the replay
server filled. The editor triages with the keys, orders the draft, writes a blurb and exports; the
exported JSON and Markdown must be what the page showed. A screenshot of each screen is written under
the test's temporary folder. Skipped (with the reason) when no Chromium is installed, except in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.ingest import Ingest
from pipeline.store import Store
from schemas import ItemStatus

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LINKS = [
    "2512.07461",
    "2512.08296",
    "arxiv.org/pdf/2511.13945v2",
    "https://youtu.be/Mw3kR7tYp2Q",
    "https://github.com/GokuMohandas/Made-With-ML",
    "{replay}/site/blog/continuous_batching",
    "{replay}/site/blog/sharding-a-vector-index",
]


def chromium() -> str:
    """Debian's Chromium; a missing one skips the test locally and fails it in CI."""
    path = os.environ.get("CURATE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    reason = "no Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests")
    pytest.skip(reason)


@pytest.fixture
def served(settings: Settings, replay, tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """The page served by uvicorn on a free loopback port, over a database filled through the replay server."""
    import uvicorn

    from pipeline.desk.app import create_app
    from pipeline.desk.serve import bind

    store = Store(settings.db)
    report = Ingest(settings, store).run([link.replace("{replay}", replay.url) for link in LINKS])
    assert report.ok, [o.message for o in report.failed]
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", store
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def shot(page, tmp_path: Path, name: str) -> None:
    (tmp_path / "screens").mkdir(exist_ok=True)
    page.screenshot(path=str(tmp_path / "screens" / f"{name}.png"), full_page=True)


def row(page, title: str):
    return page.locator("li.row").filter(has=page.get_by_role("link", name=title, exact=True))


def test_editor_triages_orders_writes_and_exports_in_the_browser(served, page, settings, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a shared, busy machine: waits are for events, this only bounds them
    url, store = served
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/")
    expect(page.get_by_role("heading", name="Candidates")).to_be_visible()
    shot(page, tmp_path, "1-desk")
    rows = page.locator("li.row")
    first_id = rows.nth(0).get_attribute("data-id")
    second_id = rows.nth(1).get_attribute("data-id")

    # keys: j selects, s shortlists, j x rejects, u undoes the reject, all without a reload
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(lambda_class("current"))
    page.keyboard.press("s")
    expect(page.get_by_role("status")).to_contain_text("Shortlisted")
    expect(page.locator(f'li.row[data-id="{first_id}"] .badge')).to_have_text("shortlisted")
    expect(page.locator(f'li.row[data-id="{first_id}"]')).to_have_class(lambda_class("current"))
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator(f'li.row[data-id="{second_id}"] .badge')).to_have_text("rejected")
    assert store.get(second_id).status == ItemStatus.rejected
    page.keyboard.press("u")
    expect(page.locator(f'li.row[data-id="{second_id}"] .badge')).to_have_text("candidate")
    assert store.get(second_id).status == ItemStatus.candidate
    page.keyboard.press("s")
    expect(page.locator(f'li.row[data-id="{second_id}"] .badge')).to_have_text("shortlisted")

    # keys never fire while typing: "/" focuses the search box, and s/x there are letters
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    page.keyboard.type("xs")
    expect(search).to_have_value("xs")
    assert store.get(first_id).status == ItemStatus.shortlisted
    search.fill("")
    search.blur()

    # ? shows the keys
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keys")
    expect(dialog).to_be_visible()
    shot(page, tmp_path, "2-keys")
    dialog.get_by_role("button", name="Close").click()

    # the draft: both shortlisted papers are placed; Shift+J moves the first one down
    papers = page.locator('ol[data-section="papers"] li.drow')
    expect(papers).to_have_count(2)
    top = papers.nth(0).get_attribute("data-id")
    other = papers.nth(1).get_attribute("data-id")
    papers.nth(0).click(position={"x": 5, "y": 5})
    page.keyboard.press("Shift+J")
    expect(papers.nth(0)).to_have_attribute("data-id", other)
    expect(page.get_by_role("status")).to_contain_text("Moved down in Papers (2 of 2): ")
    # now last: Shift+J again moves nothing, says so, and sends nothing
    moves: list[str] = []
    page.on("request", lambda r: moves.append(r.url) if r.method == "POST" else None)
    page.keyboard.press("Shift+J")
    expect(page.get_by_role("status")).to_contain_text("Already last in Papers: ")
    expect(papers.nth(1)).to_have_attribute("data-id", top)
    assert moves == []
    # and a drag puts it back on top
    papers.nth(1).drag_to(papers.nth(0), target_position={"x": 10, "y": 2})
    expect(page.get_by_role("status")).to_contain_text("New order")  # the server has it
    expect(papers.nth(0)).to_have_attribute("data-id", top)
    shot(page, tmp_path, "3-draft")

    # Pick, then p on the pick unpicks it, p picks it again, and the Draft column's Unpick button unpicks
    video = page.locator('li.row[data-id^="youtube:video:"]')
    picked = page.locator('ol[data-section="pick"] li.drow')
    video.get_by_role("button", name="Pick", exact=True).click()
    expect(picked).to_have_count(1)
    expect(video.get_by_role("button", name="Unpick", exact=True)).to_be_visible()
    page.keyboard.press("p")
    expect(page.get_by_role("status")).to_contain_text("Unpicked, back in Videos: ")
    expect(picked).to_have_count(0)
    page.keyboard.press("p")
    expect(picked).to_have_count(1)
    picked.get_by_role("button", name=re.compile("^Unpick")).click()
    expect(page.get_by_role("status")).to_contain_text("Unpicked, back in Videos: ")
    expect(picked).to_have_count(0)
    expect(page.locator('ol[data-section="videos"] li.drow')).to_have_count(1)

    # a blurb, with the live preview rendered as the export renders it
    papers.nth(0).get_by_role("link", name="Edit blurb").click()
    page.wait_for_url(re.compile(r"/edit\?"))  # loaded, its script too: a person does not type that fast
    blurb = page.get_by_label("Blurb", exact=True)
    blurb.fill("A **sharp** result <img src=x>.")
    page.get_by_label("Take", exact=True).fill("Read section 3.")
    preview = page.locator("#preview")
    expect(preview.locator("strong", has_text="sharp")).to_be_visible()
    expect(preview).to_contain_text("<img src=x>")  # shown as text, never as an element
    assert preview.locator("img").count() == 0
    shot(page, tmp_path, "4-blurb")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Blurb saved")

    # title, intro and the papers' TL;DR sentence, then export from the page
    page.get_by_role("link", name="Title, intro and TL;DR", exact=True).click()
    page.get_by_label("Title", exact=True).fill("Issue one: sharp results")
    page.get_by_label("Intro", exact=True).fill("Hello, readers.")
    tldr = page.get_by_label("TL;DR", exact=True)
    lines = tldr.input_value().splitlines()
    assert "Papers:** " in lines[0]
    tldr.fill("\n".join([lines[0].split(":** ")[0] + ":** Two *sharp* papers.", *lines[1:]]))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("TL;DR saved")
    page.get_by_role("link", name="Markdown", exact=True).click()
    shown = page.locator("#markdown-source").inner_text()
    shot(page, tmp_path, "5-markdown")
    page.get_by_role("link", name="Desk", exact=True).click()
    page.set_viewport_size({"width": 1000, "height": 620})
    page.screenshot(path=str(tmp_path / "screens" / "6-desk-small.png"))  # the README's picture (docs/serve.png)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("status")).to_contain_text("exported")
    shot(page, tmp_path, "7-exported")

    md = (settings.drafts_dir / "issue-1.md").read_text(encoding="utf-8")
    doc = json.loads((settings.drafts_dir / "issue-1.json").read_text(encoding="utf-8"))
    assert md.strip() == shown.strip()
    assert doc["issue"]["title"] == "Issue one: sharp results"
    assert doc["issue"]["tldr"] == {"papers": "Two *sharp* papers."}
    assert ":** Two *sharp* papers.\n" in md
    paper_items = next(s for s in doc["sections"] if s["key"] == "papers")["items"]
    assert [i["id"] for i in paper_items[:2]] == [top, other]
    assert paper_items[0]["annotation"]["blurb"] == "A **sharp** result <img src=x>.\n\n**Take:** Read section 3."

    # add links through the same code as `curate ingest`: each row's outcome
    page.get_by_role("link", name="Add links", exact=True).click()
    page.get_by_label("Links", exact=True).fill(
        "https://huggingface.co/papers/1706.03762\nhttps://arxiv.org/abs/2512.99999"
    )
    page.get_by_role("button", name="Add").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("1706.03762.*stored"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("2512.99999.*failed"))).to_be_visible()
    shot(page, tmp_path, "8-add-links")
    assert store.get("arxiv:1706.03762") is not None

    # publish asks first
    page.get_by_role("link", name="Desk", exact=True).click()
    page.get_by_role("link", name="Publish…").click()
    expect(page.get_by_role("heading", name="Publish issue 1?")).to_be_visible()
    shot(page, tmp_path, "9-publish")
    page.get_by_role("button", name="Publish issue 1").click()
    expect(page.get_by_role("status")).to_contain_text("Issue 1 published")
    assert store.get(top).status == ItemStatus.published
    assert store.get("arxiv:1706.03762").status == ItemStatus.candidate  # stored after the export: issue 2's
    assert not errors, errors


def lambda_class(name: str):
    return re.compile(rf"(^|\s){name}(\s|$)")
