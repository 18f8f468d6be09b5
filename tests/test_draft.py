"""The draft: which items it takes, their order, the Markdown skeleton and the JSON contract."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta

import cmarkgfm
import jsonschema
import pytest
from markdown_it import MarkdownIt

from pipeline import draft
from pipeline.draft_markdown import item_lines as details_lines
from pipeline.draft_markdown import link, md_text, parse, render
from pipeline.newsletter import ItemFormat, Newsletter
from pipeline.store import AnnotationRow, Store
from schemas import ItemStatus, SectionKey
from tests.conftest import BACKENDS
from tests.draft_records import T0, article, newsletter, paper, playlist, repo, save, video


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test here runs on SQLite and on PostgreSQL."""
    return request.param


NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PAPERS = ["1706.03762", "2511.13945", "2512.01234", "2512.08296", "hep-th/9901001"]


@pytest.fixture
def store(settings) -> Store:
    return Store(settings.db)


def ids(doc, key: str) -> list[str]:
    return [i.id for i in next(s for s in doc.sections if s.key == key).items]


# ---- selection and order


def test_each_kind_lands_in_its_section_in_newsletter_order(store):
    save(store, [paper(1), paper(2), video("aaaaaaaaaaa", 10)])
    newsletter(store)
    doc = draft.prepare(store, NOW).doc
    assert [s.key.value for s in doc.sections] == ["papers", "videos", "reads", "tools", "pick"]
    assert [len(s.items) for s in doc.sections] == [2, 3, 2, 2, 0]
    assert [s.title for s in doc.sections] == ["Papers", "Videos", "Curated Reads", "Tools & Repos", "Pick of the Week"]
    assert doc.issue.number == 1 and doc.issue.since is None


def test_sections_order_by_their_score_and_shortlisted_items_come_first(store):
    save(
        store,
        [
            paper(1, days_old=5),
            paper(2, days_old=1),
            paper(3, days_old=3),
            video("aaaaaaaaaaa", 500),
            video("bbbbbbbbbbb", 90_000),
            playlist("PLbig", [60_000, 70_000]),
            article("old", days_old=9),
            article("new", days_old=0),
        ],
        T0,
    )
    save(store, [repo("Big", 10_000), repo("Rising", 100)], T0)
    save(store, [repo("Big", 10_010), repo("Rising", 400)], T0 + timedelta(days=1))  # +10 and +300 stars
    doc = draft.prepare(store, NOW).doc
    assert ids(doc, "papers") == ["arxiv:2511.00002", "arxiv:2511.00003", "arxiv:2511.00001"]  # newest first
    assert ids(doc, "videos") == ["youtube:playlist:PLbig", "youtube:video:bbbbbbbbbbb", "youtube:video:aaaaaaaaaaa"]
    assert ids(doc, "reads") == ["web:https://blog.example.com/new", "web:https://blog.example.com/old"]
    assert ids(doc, "tools") == ["github:acme/rising", "github:acme/big"]  # stars gained beat stars
    assert [i.annotation.order for i in doc.sections[0].items] == [1, 2, 3]

    store.set_status(["arxiv:2511.00001", "github:acme/big"], ItemStatus.shortlisted)
    doc = draft.prepare(store, NOW).doc
    assert ids(doc, "papers")[0] == "arxiv:2511.00001"
    assert ids(doc, "tools") == ["github:acme/big", "github:acme/rising"]


def test_rejected_and_published_items_stay_out_of_the_draft(store):
    save(store, [paper(1), paper(2), paper(3)])
    store.set_status(["arxiv:2511.00002"], ItemStatus.rejected)
    store.set_status(["arxiv:2511.00003"], ItemStatus.published)
    assert ids(draft.prepare(store, NOW).doc, "papers") == ["arxiv:2511.00001"]


def test_since_takes_only_items_first_seen_from_then(store):
    save(store, [paper(1)], T0)
    save(store, [paper(2)], T0 + timedelta(days=2))
    doc = draft.prepare(store, NOW, since=T0 + timedelta(days=1)).doc
    assert ids(doc, "papers") == ["arxiv:2511.00002"]
    assert doc.issue.since == T0 + timedelta(days=1)


def test_since_accepts_a_date_a_time_or_a_duration():
    assert draft.parse_since("2026-11-17", NOW) == datetime(2026, 11, 17, tzinfo=UTC)
    assert draft.parse_since("2026-11-17T10:00+01:00", NOW) == datetime(2026, 11, 17, 9, tzinfo=UTC)
    assert draft.parse_since("7d", NOW) == NOW - timedelta(days=7)
    with pytest.raises(ValueError, match="neither a date"):
        draft.parse_since("last tuesday", NOW)


def test_a_cap_cuts_the_tail_of_its_section_only(store):
    save(store, [paper(n, days_old=n) for n in range(1, 6)] + [video("aaaaaaaaaaa", 1), video("bbbbbbbbbbb", 2)])
    d = draft.prepare(store, NOW, caps={SectionKey.papers: 2})
    assert ids(d.doc, "papers") == ["arxiv:2511.00001", "arxiv:2511.00002"]
    assert len(ids(d.doc, "videos")) == 2
    assert d.capped == {"papers": 3}


def test_the_draft_describes_the_database_so_the_same_database_gives_the_same_bytes(store):
    save(store, [paper(1), paper(2, code=["https://github.com/acme/Fastlib"]), video("aaaaaaaaaaa", 7)])
    newsletter(store)
    first = draft.prepare(store, NOW)
    later = draft.prepare(store, NOW + timedelta(hours=5))
    assert first.to_markdown() == later.to_markdown()
    strip = lambda text: re.sub(r'"generated_at": "[^"]*"', "", text)  # noqa: E731
    assert first.to_json() != later.to_json()
    assert strip(first.to_json()) == strip(later.to_json())
    assert json.loads(first.to_json())["issue"]["until"] == json.loads(later.to_json())["issue"]["until"]


# ---- Markdown


def test_markdown_reads_like_the_newsletter(store):
    save(store, [paper(n, days_old=n) for n in range(1, 6)], T0)
    save(
        store,
        [
            paper(
                9,
                title="Attention Again",
                authors=["A One", "B Two", "C Three", "D Four"],
                code=["https://github.com/acme/Fastlib"],
            )
        ],
        T0,
    )
    newsletter(store, T0)
    save(store, [repo("Fastlib", 1_234)], T0 + timedelta(days=1))  # +334 stars since the first reading
    md = draft.prepare(store, NOW).to_markdown()
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == [
        "## TL;DR",
        "## 📄 6 Papers",
        "## 🎥 2 Videos",
        "## 📰 2 Curated Reads",
        "## 🛠 2 Tools & Repos",
        "## 🎓 Pick of the Week",
        "## Left out",
    ]
    assert md.startswith("# The Tokenizer #1\n")
    assert "- **📄 6 Papers:** " in md and " and 3 more." in md
    assert "- **🎓 Pick of the Week:** not chosen yet" in md
    block = md.split("<!-- curate:item arxiv:2511.00009 -->\n", 1)[1].split("<!-- curate:", 1)[0]
    assert block.splitlines()[:6] == [
        "### Attention Again",
        "https://arxiv.org/abs/2511.00009 | [GitHub](https://github.com/acme/Fastlib) ★ 1,234 (+334) \\",
        "A One, B Two, C Three et al. · 2026-11-16",
        "",
        "We study problem 9. It matters. A third sentence.",
        "",
    ]
    assert block.splitlines()[6] == "**Take:**"
    assert "https://www.youtube.com/playlist?list=PLcourseAAAA \\\nLectures · 2 videos · 20:00 in all" in md
    assert "https://github.com/acme/Fastlib ★ 1,234 (+334) \\\nacme · Python" in md
    assert "https://blog.example.com/agents \\\nGrace Hopper · 2026-11-15" in md


def _lines_under_titles(tokens) -> dict[str, list[str]]:
    """By item title (h3), the rendered lines of the paragraph under it, split at hard line breaks."""
    out: dict[str, list[str]] = {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h3":
            lines = [""]
            for child in tokens[i + 4].children or []:  # heading_open, inline, heading_close, paragraph_open
                if child.type == "hardbreak":
                    lines.append("")
                elif child.type in ("text", "text_special", "softbreak"):
                    lines[-1] += " " if child.type == "softbreak" else child.content
            out[_inline_text(tokens[i + 1])] = [line.strip() for line in lines]
    return out


def test_each_line_under_a_title_renders_as_a_line_of_its_own(store):
    save(store, [paper(1, code=["https://github.com/acme/Fastlib"]), paper(2), video("aaaaaaaaaaa", 5)], T0)
    newsletter(store, T0)
    save(store, [article("pick", title="The Pick")], T0)
    with store.issue_work(1) as work:
        work.annotate(AnnotationRow(issue=1, item_id="web:https://blog.example.com/pick", section="pick", position=1))
    d = draft.prepare(store, NOW)
    placed = {s.key.value: sorted(i.kind.value for i in s.items) for s in d.doc.sections}
    assert placed == {
        "papers": ["paper", "paper"],
        "videos": ["playlist", "playlist", "video"],
        "reads": ["article", "article"],
        "tools": ["repo", "repo"],
        "pick": ["article"],
    }
    md = d.to_markdown()
    shown = _lines_under_titles(MD.parse(md))
    expected = {
        i.title: [" ".join(line.replace("\\", "").split()) for line in details_lines(i)]
        for s in d.doc.sections
        for i in s.items
    }
    assert len(shown) == 10
    for title, lines in shown.items():
        assert len(lines) == 2, (title, lines)  # the lead, then byline · figures · date: never one run-on line
        assert [_words(line) for line in lines] == [_words(line) for line in expected[title]], title
    paper_lines = shown["Paper number 1"]
    assert paper_lines[0].startswith("https://arxiv.org/abs/2511.00001 | GitHub ★ 900")
    assert paper_lines[1].startswith("Ada Lovelace, Alan Turing · ")
    # GitHub's own renderer (autolinks on): a <br /> after each lead, and no backslash taken into an address
    gfm = cmarkgfm.github_flavored_markdown_to_html(md)
    assert gfm.count(" <br />\n") == 10 and "%5C" not in gfm and "\\" not in gfm
    assert '<a href="https://arxiv.org/abs/2511.00002">https://arxiv.org/abs/2511.00002</a> <br />' in gfm


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\\*\[\]]|\(https?://[^)]*\)", "", text).split())


def test_video_figures_are_views_and_running_time(store):
    save(store, [video("aaaaaaaaaaa", 1_234_567)])
    md = draft.prepare(store, NOW).to_markdown()
    assert "https://www.youtube.com/watch?v=aaaaaaaaaaa \\\nSome Channel · 1,234,567 views · 1:02:03" in md


MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

HOSTILE = {
    "link": "[click me](javascript:alert(1))",
    "https link": '[the docs](https://evil.example/phish "title")',
    "reference link": "[docs][1]\n\n[1]: https://evil.example/ref",
    "image": "![x](https://evil.example/pixel.png)",
    "html": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "heading": "# Breaking news",
    "closing hashes": "C# tips ##",
    "backticks": "```python\nimport os```",
    "newline": "first line\n## injected heading\n- injected item",
    "anchor": "<!-- curate:item arxiv:9999.99999 -->",
    "emphasis": "**bold** and _snake_case_ ~~gone~~",
    "entity": "AT&amp;T &lt;b&gt;",
    "list start": "1. not a list",
    "quote start": "> not a quote",
    "autolink": "<https://evil.example>",
    "bidi": "abc\u202edcba",
    "table": "a | b\n---|---",
}


def _inline_text(token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "text_special", "code_inline"))


@pytest.mark.parametrize("title", list(HOSTILE.values()), ids=list(HOSTILE))
def test_source_text_stays_literal_in_the_markdown(store, title):
    hostile_text = f"{title} and then {title}"
    save(
        store,
        [
            paper(1, title=title, abstract=hostile_text, authors=[title]),
            video("aaaaaaaaaaa", 5, title=title, channel=title),
            article("post", title=title, site=title),
        ],
    )
    labelled = Newsletter(item=ItemFormat(link="label"))  # own links as [arXiv](…), so each is a link token
    md = draft.prepare(store, NOW, fmt=labelled).to_markdown()
    assert (
        "https://arxiv.org/abs/2511.00001 \\\n" in draft.prepare(store, NOW).to_markdown()
    )  # the default: the address
    tokens = MD.parse(md)
    flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
    links = [t.attrs["href"] for t in flat if t.type == "link_open"]
    assert links == [
        "https://arxiv.org/abs/2511.00001",
        "https://www.youtube.com/watch?v=aaaaaaaaaaa",
        "https://blog.example.com/post",
    ]
    injected = (
        "html_inline",
        "image",
        "code_inline",
        "code_block",
        "fence",
        "s_open",
        "em_open",
        "table_open",
        "blockquote_open",
        "ordered_list_open",
    )
    assert [t.type for t in flat if t.type in injected] == []
    assert len([t for t in flat if t.type == "strong_open"]) == 5 + 3  # ours: the TL;DR labels and the take lines
    assert all(t.content.lstrip().startswith("<!--") for t in flat if t.type == "html_block")
    headings = [(tokens[i].tag, _inline_text(tokens[i + 1])) for i, t in enumerate(tokens) if t.type == "heading_open"]
    folded = " ".join(title.replace("\u202e", "").split())
    assert [h for h in headings if h[0] == "h3"] == [("h3", folded)] * 3
    assert len([h for h in headings if h[0] in ("h1", "h2")]) == 8
    assert [i.id for i in parse(md).items] == [
        "arxiv:2511.00001",
        "youtube:video:aaaaaaaaaaa",
        "web:https://blog.example.com/post",
    ]
    summary = next(
        tokens[i + 1]
        for i, t in enumerate(tokens)
        if t.type == "paragraph_open" and _inline_text(tokens[i + 1]).startswith(folded)
    )
    assert _inline_text(summary) == " ".join(hostile_text.replace("\u202e", "").split())


def test_only_http_links_become_links():
    assert link("GitHub", "javascript:alert(1)") == "GitHub"
    assert link("GitHub", "data:text/html,hi") == "GitHub"
    assert link("x", "https://example.com/a_(b)") == "[x](https://example.com/a_%28b%29)"


def test_snake_case_and_arrows_stay_readable_in_the_markdown_source():
    assert md_text("flash_attn -> 2x faster: a v2.0 release") == "flash_attn -> 2x faster: a v2.0 release"


def test_an_id_holding_a_comment_closer_keeps_its_anchor(store):
    weird = article("a-->b%3E")
    save(store, [weird])
    parsed = parse(draft.prepare(store, NOW).to_markdown())
    assert [i.id for i in parsed.items] == [weird.id]


def test_the_markdown_draft_reads_back_as_it_was_written(store):
    save(store, [paper(1), video("aaaaaaaaaaa", 3)])
    newsletter(store)
    d = draft.prepare(store, NOW)
    parsed = parse(render(d.doc))
    assert parsed.number == 1 and parsed.title == "The Tokenizer #1" and parsed.intro == ""
    assert [(i.id, i.section) for i in parsed.items] == [(i.id, s.key.value) for s in d.doc.sections for i in s.items]
    assert parsed.items[0].blurb == "We study problem 1. It matters. A third sentence."


# ---- JSON and the CLI


def test_export_after_a_newsletter_worth_of_links_validates_against_the_schema(curate, replay, settings, tmp_path):
    assert curate("ingest", *PAPERS).returncode == 0
    newsletter(Store(settings.db))
    result = curate("export")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "drafts" / "issue-1.json"), str(tmp_path / "drafts" / "issue-1.md")]
    assert result.stderr.strip() == "issue 1: 5 papers, 2 videos, 2 reads, 2 tools, 0 pick"
    doc = json.loads((tmp_path / "drafts" / "issue-1.json").read_text())
    jsonschema.validate(doc, json.loads(curate("schema").stdout))
    assert [len(s["items"]) for s in doc["sections"]] == [5, 2, 2, 2, 0]
    md = (tmp_path / "drafts" / "issue-1.md").read_text()
    assert "## 📄 5 Papers" in md and "## 🎥 2 Videos" in md and "## 📰 2 Curated Reads" in md
    assert "## 🛠 2 Tools & Repos" in md and "## 🎓 Pick of the Week" in md


def test_exporting_twice_gives_the_same_files_but_generated_at(curate, replay, tmp_path):
    curate("ingest", *PAPERS[:3])
    curate("export")
    first = {p.name: p.read_text() for p in (tmp_path / "drafts").iterdir()}
    assert curate("export").returncode == 0
    again = {p.name: p.read_text() for p in (tmp_path / "drafts").iterdir()}
    assert first["issue-1.md"] == again["issue-1.md"]
    strip = lambda text: re.sub(r'"generated_at": "[^"]*"', "", text)  # noqa: E731
    assert strip(first["issue-1.json"]) == strip(again["issue-1.json"])


def test_a_section_cap_is_a_setting(curate, settings):
    save(Store(settings.db), [paper(n) for n in range(1, 5)])
    result = curate("export", "--format", "json", "--output", "-", extra_env={"CURATE_CAP_PAPERS": "3"})
    assert len(json.loads(result.stdout)["sections"][0]["items"]) == 3
    assert "! 1 papers over CURATE_CAP_PAPERS not in the draft" in result.stderr


def test_an_export_with_no_items_since_the_date_warns_on_stderr(curate, settings):
    save(Store(settings.db), [paper(n) for n in range(1, 3)])
    result = curate("export", "--since", "2099-01-01")
    assert result.returncode == 0, result.stderr
    assert "! the draft has no items since 2099-01-01" in result.stderr.splitlines()
    full = curate("export")  # the papers are there without --since: no warning
    assert full.returncode == 0, full.stderr
    assert "no items" not in full.stderr


def test_a_bad_since_is_a_usage_error(curate):
    result = curate("export", "--since", "soonish")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --since: 'soonish' is neither a date")


# ---- draft files: two exports at once, a kill halfway


def written(settings) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(settings.drafts_dir.iterdir()) if p.is_file()}


def test_two_exports_at_once_leave_a_draft_the_next_export_may_overwrite(store, settings, monkeypatch):
    save(store, [paper(1)])
    cron, manual = draft.prepare(store, NOW), draft.prepare(store, NOW + timedelta(minutes=1))
    record = draft.record

    def manual_export_runs_meanwhile(*args, **kwargs):
        # a manual export runs whole between the cron export's writing its files and its bookkeeping
        monkeypatch.setattr(draft, "record", record)
        draft.write(store, settings, manual)
        record(*args, **kwargs)

    monkeypatch.setattr(draft, "record", manual_export_runs_meanwhile)
    draft.write(store, settings, cron)
    assert json.loads(written(settings)["issue-1.json"])["issue"]["generated_at"] == "2026-11-24T09:01:00Z"
    draft.write(store, settings, draft.prepare(store, NOW + timedelta(hours=1)))  # no "has edits"
    assert sorted(written(settings)) == ["issue-1.json", "issue-1.md"]


def test_an_export_killed_before_its_bookkeeping_is_not_mistaken_for_edits(store, settings, monkeypatch):
    save(store, [paper(1)])
    draft.write(store, settings, draft.prepare(store, NOW))
    save(store, [paper(2)])

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies once its files are in place

    monkeypatch.setattr(draft, "record", killed)
    with pytest.raises(KeyboardInterrupt):
        draft.write(store, settings, draft.prepare(store, NOW))
    monkeypatch.undo()
    draft.write(store, settings, draft.prepare(store, NOW))  # what curate wrote is not an edit
    assert "arxiv:2511.00002" in written(settings)["issue-1.md"]


def test_a_leftover_in_the_temporary_files_place_does_not_stop_an_export(store, settings):
    save(store, [paper(1)])
    (settings.drafts_dir / "issue-1.md.tmp").mkdir(parents=True)  # a fixed temp name would collide
    draft.write(store, settings, draft.prepare(store, NOW))
    assert "arxiv:2511.00001" in written(settings)["issue-1.md"]


def test_edits_are_still_caught_after_many_exports(store, settings):
    save(store, [paper(1)])
    for hours in range(12):
        draft.write(store, settings, draft.prepare(store, NOW + timedelta(hours=hours)))
    path = settings.drafts_dir / "issue-1.md"
    path.write_text(path.read_text() + "\nmy edit\n")
    with pytest.raises(draft.DraftError, match="has edits curate has not read back"):
        draft.write(store, settings, draft.prepare(store, NOW))


# ---- what the Markdown must not hide


def test_a_withdrawn_paper_is_marked_withdrawn_in_the_markdown(curate, replay, tmp_path):
    assert curate("ingest", "2512.01234", "1706.03762").returncode == 0
    assert curate("export").returncode == 0
    md = (tmp_path / "drafts" / "issue-1.md").read_text()
    details = lambda item_id: md.split(f"<!-- curate:item {item_id} -->\n", 1)[1].splitlines()[1]  # noqa: E731
    assert details("arxiv:2512.01234") == "**Withdrawn by the authors** · https://arxiv.org/abs/2512.01234 \\"
    assert "Withdrawn" not in details("arxiv:1706.03762")


def test_a_code_link_curate_could_not_fetch_shows_no_github_figures(curate, replay, tmp_path):
    assert curate("ingest", "2512.10101", "2512.07461").returncode == 0
    assert curate("export").returncode == 0
    doc = json.loads((tmp_path / "drafts" / "issue-1.json").read_text())
    gone = next(i for i in doc["sections"][0]["items"] if i["id"] == "arxiv:2512.10101")
    assert gone["links"]["code"] == ["https://github.com/curate-fixtures/vanished-code"]  # what the paper says
    assert "repo" not in gone["links"]
    md = (tmp_path / "drafts" / "issue-1.md").read_text()
    details = lambda item_id: md.split(f"<!-- curate:item {item_id} -->\n", 1)[1].splitlines()[1]  # noqa: E731
    assert details("arxiv:2512.10101") == (
        "https://arxiv.org/abs/2512.10101 | [code](https://github.com/curate-fixtures/vanished-code) (not fetched) \\"
    )
    assert details("arxiv:2512.07461") == (
        "https://arxiv.org/abs/2512.07461 | [GitHub](https://github.com/curate-fixtures/moe-capacity) ★ 812 \\"
    )


def test_stars_go_with_the_code_link_whose_repo_is_stored(store):
    save(
        store,
        [
            paper(1, code=["https://github.com/acme/Gone", "https://github.com/acme/Fastlib"]),
            paper(2, code=["https://huggingface.co/acme/model"]),
            repo("Fastlib", 900),
        ],
    )
    d = draft.prepare(store, NOW)
    assert next(i for i in d.doc.sections[0].items if i.id == "arxiv:2511.00001").links == {
        "pdf": "https://arxiv.org/pdf/2511.00001v1",
        "code": ["https://github.com/acme/Gone", "https://github.com/acme/Fastlib"],
        "repo": "https://github.com/acme/Fastlib",
    }
    md = d.to_markdown()
    assert "https://arxiv.org/abs/2511.00001 | [GitHub](https://github.com/acme/Fastlib) ★ 900 \\\n" in md
    assert "https://arxiv.org/abs/2511.00002 | [code](https://huggingface.co/acme/model) \\\n" in md


# ---- the contract


def test_an_empty_database_exports_the_same_bytes_twice(curate, env):
    Store(env["CURATE_DB"])
    first, again = (curate("export", "--format", "json", "--output", "-") for _ in range(2))
    assert first.returncode == 0, first.stderr
    strip = lambda text: re.sub(r'"generated_at": "[^"]*"', "", text)  # noqa: E731
    assert strip(first.stdout) == strip(again.stdout)
    assert json.loads(first.stdout)["issue"]["until"] == "1970-01-01T00:00:00Z"
    md = curate("export", "--format", "markdown", "--output", "-").stdout
    assert "<!-- curate:issue 1 · all stored items · nothing stored yet -->" in md


def test_the_schema_requires_every_field_an_export_always_writes(curate):
    schema = json.loads(curate("schema").stdout)
    defs = schema["$defs"]
    assert set(schema["required"]) == {"schema_version", "issue", "sections"}
    assert set(defs["Annotation"]["required"]) == {"blurb", "include", "order", "suggested_blurb"}
    assert set(defs["Section"]["required"]) == {"key", "title", "items"}
    assert defs["Annotation"]["properties"]["order"]["minimum"] == 1  # 1-based, as exports write it


def test_exports_running_side_by_side_never_fail_nor_leave_a_draft_that_looks_edited(store, settings):
    save(store, [paper(n) for n in range(1, 6)])
    errors: list[BaseException] = []

    def exports(offset: int) -> None:
        own = Store(settings.db)  # another process's connection, as a cron run and a manual export have
        for n in range(8):
            try:
                draft.write(own, settings, draft.prepare(own, NOW + timedelta(seconds=offset + n)))
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=exports, args=(offset,)) for offset in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    draft.write(store, settings, draft.prepare(store, NOW))
    assert sorted(written(settings)) == ["issue-1.json", "issue-1.md"]
