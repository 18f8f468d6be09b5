"""The editor's round trip: export → edit → `curate annotate` → export; `mark` and `publish`."""

from __future__ import annotations

import copy
import json
from datetime import UTC
from pathlib import Path

import cmarkgfm
import jsonschema
import pytest
from cmarkgfm.cmark import Options
from markdown_it import MarkdownIt

from pipeline.store import Store
from tests.conftest import BACKENDS
from tests.draft_records import article, newsletter, paper, repo, save, video


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test here runs on SQLite and on PostgreSQL."""
    return request.param


PAPERS = ["1706.03762", "2511.13945", "2512.01234", "2512.08296", "hep-th/9901001"]


@pytest.fixture
def drafts(tmp_path: Path) -> Path:
    return tmp_path / "drafts"


@pytest.fixture
def stocked(settings) -> Store:
    """Five papers, two playlists, two articles and two repos, stored as an ingest stores them."""
    store = Store(settings.db)
    save(store, [paper(n, days_old=n) for n in range(1, 6)])
    newsletter(store)
    return store


@pytest.fixture
def ingested(curate, replay, settings) -> Store:
    """The same, with the five papers ingested through the CLI from the replay server."""
    assert curate("ingest", *PAPERS).returncode == 0
    store = Store(settings.db)
    newsletter(store)
    return store


def section(doc: dict, key: str) -> dict:
    return next(s for s in doc["sections"] if s["key"] == key)


def without_clock(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["issue"].pop("generated_at")
    return doc


def export_json(curate) -> dict:
    result = curate("export", "--format", "json", "--output", "-")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def block(md: str, item_id: str) -> str:
    """An item's Markdown block, from its anchor to the next curate anchor."""
    start = md.index(f"<!-- curate:item {item_id} -->")
    end = md.index("<!-- curate:", start + 10)
    return md[start:end]


def test_json_round_trip_keeps_blurbs_a_removal_and_the_pick(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.json"
    doc = json.loads(path.read_text())
    papers, tools, pick = section(doc, "papers"), section(doc, "tools"), section(doc, "pick")
    papers["items"][0]["annotation"]["blurb"] = "The paper that started it all."
    tools["items"][1]["annotation"]["blurb"] = "Small, sharp, **useful**."
    dropped = papers["items"][2]["id"]
    papers["items"][2]["annotation"]["include"] = False
    picked = papers["items"].pop(1)
    pick["items"].append(picked)
    path.write_text(json.dumps(doc, indent=2))

    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    assert (
        result.stderr.strip()
        == f"issue 1: 11 items read · 2 blurbs changed · 1 left out · 1 moved · pick: {picked['id']}"
    )

    again = export_json(curate)
    expected = without_clock(doc)
    for sec in expected["sections"]:  # the order fields are renumbered 1..n, as the export writes them
        for n, item in enumerate(sec["items"], start=1):
            item["annotation"]["order"] = n
    assert without_clock(again) == expected
    assert next(i for i in section(again, "papers")["items"] if i["id"] == dropped)["annotation"]["include"] is False
    jsonschema.validate(again, json.loads(curate("schema").stdout))


def test_markdown_round_trip_carries_three_blurbs_and_the_pick(curate, ingested, drafts):
    """The issue's "done when": edit three blurbs and the pick in the Markdown, annotate, export."""
    assert curate("export").returncode == 0
    path = drafts / "issue-1.md"
    md = path.read_text()
    first = json.loads((drafts / "issue-1.json").read_text())
    paper_ids = [i["id"] for i in section(first, "papers")["items"]]
    tool_ids = [i["id"] for i in section(first, "tools")["items"]]
    blurbs = {
        paper_ids[0]: "Transformers, the paper. Still worth a read.",
        paper_ids[3]: "A careful evaluation.\n\nTwo paragraphs of take, with a [link](https://example.org/).",
        tool_ids[0]: "The fastest library in this issue.",
    }
    for item_id, text in blurbs.items():
        old = block(md, item_id)
        header = old.split("\n\n", 1)[0]
        md = md.replace(old, f"{header}\n\n{text}\n\n")
    picked = paper_ids[1]
    moved = block(md, picked)
    md = md.replace(moved, "")
    slot = "<!-- curate:section pick -->\n## 🎓 Pick of the Week\n\n"
    md = md.replace(slot, slot + moved)
    md = md.replace("<!-- the intro: a few lines that open the issue -->", "This week: agents, evals and a classic.")
    path.write_text(md)

    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    assert "3 blurbs changed · 0 left out · 1 moved · pick: " + picked in result.stderr

    assert curate("export").returncode == 0  # the read-back edits are safe to overwrite
    doc = json.loads((drafts / "issue-1.json").read_text())
    got = {i["id"]: i["annotation"]["blurb"] for s in doc["sections"] for i in s["items"] if i["annotation"]["blurb"]}
    assert got == blurbs
    assert [i["id"] for i in section(doc, "pick")["items"]] == [picked]
    assert picked not in [i["id"] for i in section(doc, "papers")["items"]]
    again = (drafts / "issue-1.md").read_text()
    assert "This week: agents, evals and a classic." in again
    assert "## 📄 4 Papers" in again and "- **🎓 1 Pick of the Week:** " in again
    assert "Two paragraphs of take, with a [link](https://example.org/)." in again
    assert curate("annotate", str(drafts / "issue-1.md")).stderr.startswith("issue 1: 11 items read · 0 blurbs changed")


def test_a_draft_exported_before_the_hard_line_breaks_still_reads_back(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.md"
    md = path.read_text()
    assert md.count(" \\\n") == 11  # one hard break per item: the lead, then the byline line
    old = md.replace(" \\\n", "\n")  # as curate wrote it before: the lines under a title run on
    first = section(json.loads((drafts / "issue-1.json").read_text()), "papers")["items"][0]["id"]
    item = block(old, first)
    path.write_text(old.replace(item, item.split("\n\n", 1)[0] + "\n\nWritten in an older draft.\n\n"))
    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "issue 1: 11 items read · 1 blurb changed · 0 left out · 0 moved · pick: none"
    blurbs = {i["id"]: i["annotation"]["blurb"] for s in export_json(curate)["sections"] for i in s["items"]}
    assert blurbs[first] == "Written in an older draft."
    assert [k for k, v in blurbs.items() if v] == [first]


def test_deleting_an_item_block_leaves_the_item_out(curate, stocked, drafts):
    curate("export")
    path = drafts / "issue-1.md"
    md = path.read_text()
    gone = "arxiv:2511.00003"
    path.write_text(md.replace(block(md, gone), ""))
    assert curate("annotate", str(path)).returncode == 0
    curate("export")
    md = path.read_text()
    assert "## 📄 4 Papers" in md
    assert gone in md.split("## Left out", 1)[1]


def test_new_items_join_an_annotated_draft_after_the_editors_order(curate, stocked, drafts, settings):
    curate("export")
    path = drafts / "issue-1.json"
    doc = json.loads(path.read_text())
    tools = section(doc, "tools")["items"]
    tools.reverse()
    for n, item in enumerate(tools, start=1):  # the order field decides, not the place in the array
        item["annotation"]["order"] = n
    path.write_text(json.dumps(doc))
    curate("annotate", str(path))
    save(Store(settings.db), [repo("Newcomer", 99_999)])
    tools = [i["id"] for i in section(export_json(curate), "tools")["items"]]
    assert tools == [i["id"] for i in section(doc, "tools")["items"]] + ["github:acme/newcomer"]


def test_an_unknown_id_is_an_error_that_changes_nothing(curate, stocked, drafts):
    curate("export")
    before = export_json(curate)
    path = drafts / "issue-1.md"
    md = path.read_text()
    one = section(before, "papers")["items"][0]["id"]
    old = block(md, one)
    md = md.replace(old, old.split("\n\n", 1)[0] + "\n\nAn edit that must not be stored.\n\n")
    md = md.replace(
        "<!-- curate:section tools -->",
        "<!-- curate:item arxiv:2999.00001 -->\n### Ghost\n\n<!-- curate:section tools -->",
    )
    path.write_text(md)
    result = curate("annotate", str(path))
    assert result.returncode == 1
    assert (
        result.stderr == f"error: {path}: unknown item id arxiv:2999.00001: not in the database (nothing was changed)\n"
    )
    assert without_clock(export_json(curate)) == without_clock(before)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("issue-1.json", '{"schema_version": 1, "issue": ', "not valid JSON (line 1, column 32: Expecting value)"),
        ("issue-1.json", '{"schema_version": 1, "sections": []}', "not a curate draft: issue: Field required"),
        ("issue-1.md", "# My notes\n\nNothing curate wrote.\n", "not a curate draft: no <!-- curate:issue N --> line"),
        (
            "issue-1.md",
            "<!-- curate:issue 1 -->\n<!-- curate:section gossip -->\n",
            "line 2: unknown section 'gossip' (one of papers, videos, reads, tools, pick, left-out)",
        ),
        (
            "issue-7.md",
            "<!-- curate:issue 7 -->\n<!-- curate:end 7 · sections -->\n",
            "there is no issue 7 yet: the draft now is issue 1",
        ),
    ],
    ids=["cut-off json", "json without issue", "markdown without anchors", "unknown section", "future issue"],
)
def test_a_broken_draft_is_one_line_and_exit_1(curate, stocked, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    result = curate("annotate", str(path))
    assert (result.returncode, result.stderr) == (1, f"error: {path}: {message}\n")


def test_an_order_below_one_is_refused_naming_the_field(curate, stocked, drafts):
    curate("export", "--format", "json")
    path = drafts / "issue-1.json"
    doc = json.loads(path.read_text())
    section(doc, "papers")["items"][2]["annotation"]["order"] = 0  # order is 1-based, as exports write it
    path.write_text(json.dumps(doc))
    result = curate("annotate", str(path))
    assert (result.returncode, result.stderr) == (
        1,
        f"error: {path}: not a curate draft: sections.0.items.2.annotation.order: "
        "Input should be greater than or equal to 1\n",
    )


def test_a_missing_file_is_a_usage_error_named(curate, tmp_path):
    result = curate("annotate", str(tmp_path / "nope.md"))
    assert (result.returncode, result.stderr) == (
        2,
        f"error: cannot read {tmp_path / 'nope.md'}: No such file or directory\n",
    )


def test_export_keeps_edits_that_were_not_read_back(curate, stocked, drafts):
    curate("export")
    path = drafts / "issue-1.md"
    path.write_text(path.read_text().replace("**Take:**", "**Take:** precious words", 1))
    result = curate("export")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {path} has edits curate has not read back: run `curate annotate {path}`")
    assert "precious words" in path.read_text()
    assert curate("export", "--force").returncode == 0
    assert "precious words" not in path.read_text()


def test_mark_shortlists_by_link_and_rejects_by_id(curate, stocked):
    papers = [i["id"] for i in section(export_json(curate), "papers")["items"]]
    last = papers[-1]
    result = curate("mark", f"https://arxiv.org/abs/{last.removeprefix('arxiv:')}", "--status", "shortlisted")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{last}\n", "1 marked shortlisted\n")
    assert section(export_json(curate), "papers")["items"][0]["id"] == last
    assert curate("mark", papers[0], "--status", "rejected").returncode == 0
    assert papers[0] not in [i["id"] for i in section(export_json(curate), "papers")["items"]]


def test_marking_an_unknown_id_changes_nothing(curate, stocked):
    result = curate("mark", "arxiv:2511.00001", "github:nobody/nothing", "--status", "rejected")
    assert result.returncode == 1
    assert (
        result.stderr
        == "error: not in the database: github:nobody/nothing (nothing was changed; curate list shows what is)\n"
    )
    assert stocked.get("arxiv:2511.00001").status.value == "candidate"
    refused = curate("mark", "arxiv:2511.00001", "--status", "published")
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: --status: 'published' is not one of shortlisted, rejected, candidate\n",
    )  # one line, no box


def test_publish_moves_on_to_the_next_issue_without_its_items(curate, stocked, drafts, settings):
    store = Store(settings.db)
    curate("export")
    path = drafts / "issue-1.json"
    doc = json.loads(path.read_text())
    left_out = section(doc, "reads")["items"][0]["id"]
    section(doc, "reads")["items"][0]["annotation"]["include"] = False
    path.write_text(json.dumps(doc))
    assert curate("annotate", str(path)).returncode == 0
    save(store, [video("fresh000000", 12)])  # stored after the editor's export: not in issue 1

    result = curate("publish", "1")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 10 and left_out not in result.stdout
    assert result.stderr.startswith("issue 1 published: 10 items; the next draft is issue 2 (items first seen after ")
    assert store.get("arxiv:2511.00001").status.value == "published"
    assert store.get(left_out).status.value == "candidate"

    save(store, [paper(42), article("later")])
    result = curate("export")
    assert result.stdout.split() == [str(drafts / "issue-2.json"), str(drafts / "issue-2.md")]
    doc = json.loads((drafts / "issue-2.json").read_text())
    assert doc["issue"]["number"] == 2
    assert sorted(i["id"] for s in doc["sections"] for i in s["items"]) == [
        "arxiv:2511.00042",
        "web:https://blog.example.com/later",
        "youtube:video:fresh000000",
    ]

    again = curate("publish", "1")
    assert (again.returncode, again.stderr) == (1, "error: issue 1 is already published; the draft now is issue 2\n")
    late = curate("annotate", str(drafts / "issue-1.json"))
    assert late.returncode == 1 and "issue 1 is already published" in late.stderr


def test_publish_needs_an_exported_draft(curate, stocked):
    result = curate("publish", "1")
    assert (result.returncode, result.stderr) == (1, "error: issue 1 has no draft yet: run `curate export` first\n")


# ---- the TL;DR


def tldr_lines(md: str) -> dict[str, str]:
    """The TL;DR lines of a Markdown draft: label → the text after it."""
    block = md.split("<!-- curate:tldr -->\n", 1)[1].split("<!-- curate:/tldr -->", 1)[0]
    return dict(line[4:].split(":** ", 1) for line in block.splitlines())


def export_md(curate) -> str:
    result = curate("export", "--format", "markdown", "--output", "-")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_edited_tldr_line_comes_back_as_the_editors_and_the_export_shows_it(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.md"
    md = path.read_text()
    drafted = tldr_lines(md)
    label = next(k for k in drafted if "Papers" in k)
    path.write_text(
        md.replace(f"**{label}:** {drafted[label]}", f"**{label}:** Five papers on *attention*, old and new.")
    )
    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 TL;DR line changed" in result.stderr
    shown = tldr_lines(export_md(curate))
    assert shown[label] == "Five papers on *attention*, old and new."
    assert {k: v for k, v in shown.items() if k != label} == {k: v for k, v in drafted.items() if k != label}
    assert export_json(curate)["issue"]["tldr"] == {"papers": "Five papers on *attention*, old and new."}

    # read back as exported: nothing changes; an emptied line gives the default back
    assert curate("export", "--force").returncode == 0
    again = path.read_text()
    assert "TL;DR" not in curate("annotate", str(path)).stderr
    path.write_text(again.replace(f"**{label}:** Five papers on *attention*, old and new.", f"**{label}:** "))
    assert curate("annotate", str(path)).returncode == 0
    assert tldr_lines(export_md(curate)) == drafted
    assert export_json(curate)["issue"]["tldr"] == {}


def test_an_untouched_tldr_stays_drafted_when_items_or_suggestions_came_since(curate, stocked, drafts, settings):
    from datetime import datetime

    from pipeline.store import SuggestionRow

    stocked.save_suggestion(
        SuggestionRow(
            key="k1",
            subject="issue:1:tldr:videos",
            model="fake",
            text="Two playlists worth a weekend.",
            drafted_at=datetime.now(UTC),
        )
    )
    assert curate("export").returncode == 0
    path = drafts / "issue-1.md"
    assert "Two playlists worth a weekend." in path.read_text()
    save(stocked, [paper(9, days_old=0)])  # the papers' default line changes with it
    stocked.save_suggestion(
        SuggestionRow(
            key="k2",
            subject="issue:1:tldr:videos",
            model="fake",
            text="Playlists, redrafted.",
            drafted_at=datetime.now(UTC),
        )
    )
    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    assert "TL;DR" not in result.stderr
    doc = export_json(curate)
    assert doc["issue"]["tldr"] == {}  # the default and the model's sentence stay not the editor's
    assert "Playlists, redrafted." in export_md(curate)


def test_json_round_trip_carries_the_editors_tldr(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.json"
    doc = json.loads(path.read_text())
    assert doc["issue"]["tldr"] == {}
    doc["issue"]["tldr"] = {"tools": "Two repos to **try** this week."}
    path.write_text(json.dumps(doc))
    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    assert any(
        v == "Two repos to **try** this week." and "Tools" in k for k, v in tldr_lines(export_md(curate)).items()
    )
    doc["issue"]["tldr"] = {"podcasts": "Nope."}
    path.write_text(json.dumps(doc))
    result = curate("annotate", str(path))
    assert result.returncode == 1
    assert "names no section 'podcasts'" in result.stderr
    assert export_json(curate)["issue"]["tldr"] == {"tools": "Two repos to **try** this week."}


def test_a_tldr_without_a_line_per_section_is_refused_and_changes_nothing(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.md"
    md = path.read_text()
    first = md.split("<!-- curate:tldr -->\n", 1)[1].splitlines()[0]
    path.write_text(md.replace(first + "\n", ""))
    result = curate("annotate", str(path))
    assert result.returncode == 1
    assert "the TL;DR has 4 lines where the draft has 5 sections" in result.stderr


def test_an_edited_item_title_is_named_as_not_read_back_and_the_export_keeps_the_sources(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.md"
    md = path.read_text()
    item_id = "arxiv:2511.00003"
    old = block(md, item_id)
    title_line = old.splitlines()[1]
    assert title_line.startswith("### ")
    md = md.replace(old, old.replace(title_line, "### A title of my own"))
    path.write_text(md)

    result = curate("annotate", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"! {item_id}: title edits are not read back; the source's title stays"
    assert lines[1].startswith("issue 1: 11 items read · 0 blurbs changed")
    assert curate("export").returncode == 0
    again = path.read_text()
    assert title_line in block(again, item_id) and "A title of my own" not in again
    assert curate("annotate", str(path)).stderr.startswith("issue 1: ")  # untouched titles: no warning


# ---- the editor's raw HTML

TYPED = {
    "blurb": "Read **this**: <script>alert(1)</script> and <b>bold</b>, [the code](https://example.org/), `<b>` in code."
    "\n\n**Take:** <img src=x onerror=alert(1)> worth it.",
    "title": "Issue <i>one</i>",
    "intro": "Hello <em>readers</em>.\n\n<div>A block.</div>",
    "tldr": "Papers on <b>experts</b>.",
}


def test_the_editors_raw_html_shows_as_text_in_the_markdown_and_reads_back_as_typed(curate, stocked, drafts):
    assert curate("export").returncode == 0
    path = drafts / "issue-1.json"
    doc = json.loads(path.read_text())
    first = section(doc, "papers")["items"][0]
    first["annotation"]["blurb"] = TYPED["blurb"]
    doc["issue"]["title"] = TYPED["title"]
    doc["issue"]["tldr"] = {"papers": TYPED["tldr"]}
    path.write_text(json.dumps(doc))
    assert curate("annotate", str(path)).returncode == 0
    with stocked.issue_work(1) as work:
        work.issue.intro = TYPED["intro"]
    assert curate("export", "--force").returncode == 0

    typed = json.loads(path.read_text())  # the JSON carries the editor's text as typed
    assert (
        next(i for i in section(typed, "papers")["items"] if i["id"] == first["id"])["annotation"]["blurb"]
        == (TYPED["blurb"])
    )
    assert typed["issue"]["title"] == TYPED["title"] and typed["issue"]["tldr"] == {"papers": TYPED["tldr"]}

    md_path = drafts / "issue-1.md"
    md = md_path.read_text()
    # rendered where HTML is allowed, it shows as text; the Markdown around it still works
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    gfm = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    for rendered in (html, gfm):
        for element in ("<script", "<b>", "<img", "<i>", "<em>readers", "<div>"):
            assert element not in rendered, element
        for text in (
            "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt;",
            "&lt;img src=x onerror=alert(1)&gt; worth it.",
            "Issue &lt;i&gt;one&lt;/i&gt;",
            "Hello &lt;em&gt;readers&lt;/em&gt;.",
            "&lt;div&gt;A block.&lt;/div&gt;",
            "Papers on &lt;b&gt;experts&lt;/b&gt;.",
        ):
            assert text in rendered, text
        assert "<strong>this</strong>" in rendered and '<a href="https://example.org/">the code</a>' in rendered
        assert "<code>&lt;b&gt;</code> in code" in rendered  # in code, as written: no backslash shows

    # read back with no edit: nothing changes, the stored text stays as typed
    result = curate("annotate", str(md_path))
    assert result.returncode == 0, result.stderr
    assert "0 blurbs changed" in result.stderr and "TL;DR" not in result.stderr
    assert without_clock(export_json(curate)) == without_clock(typed)
    assert stocked.issue(1).intro == TYPED["intro"]
    assert export_md(curate) == md

    # an edit elsewhere in the same texts keeps the rest as typed (the export's escapes taken out)
    edited = (
        md.replace("worth it.", "worth it, twice.")
        .replace("Hello &lt;em>readers&lt;/em>.", "Hello &lt;em>readers&lt;/em>, again.")
        .replace("Papers on &lt;b>experts&lt;/b>.", "Papers on &lt;b>experts&lt;/b>, again.")
        .replace("# Issue &lt;i>one&lt;/i>", "# Issue &lt;i>one&lt;/i>, again")
    )
    assert edited.count("again") == 3 and "twice" in edited
    md_path.write_text(edited)
    result = curate("annotate", str(md_path))
    assert result.returncode == 0, result.stderr
    assert "1 blurb changed" in result.stderr and "1 TL;DR line changed" in result.stderr
    doc = export_json(curate)
    blurb = next(i for i in section(doc, "papers")["items"] if i["id"] == first["id"])["annotation"]["blurb"]
    assert blurb == TYPED["blurb"].replace("worth it.", "worth it, twice.")
    assert doc["issue"]["title"] == "Issue <i>one</i>, again"
    assert doc["issue"]["tldr"] == {"papers": "Papers on <b>experts</b>, again."}
    assert stocked.issue(1).intro == TYPED["intro"].replace("readers</em>.", "readers</em>, again.")
