"""The draft: which items it takes, their order, the Markdown skeleton and the JSON contract."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
from markdown_it import MarkdownIt

from pipeline import draft
from pipeline.draft_markdown import link, md_text, parse, render
from pipeline.store import Store
from schemas import ItemStatus, SectionKey
from tests.draft_records import T0, article, newsletter, paper, playlist, repo, save, video

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
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
    doc = draft.build(store, NOW)
    assert [s.key.value for s in doc.sections] == ["papers", "videos", "reads", "tools", "pick"]
    assert [len(s.items) for s in doc.sections] == [2, 3, 2, 2, 0]
    assert [s.title for s in doc.sections] == ["Papers", "Videos", "Reads", "Tools & Repos", "Pick of the Week"]
    assert doc.issue.number == 1 and doc.issue.since is None


def test_sections_order_by_their_score_and_shortlisted_items_come_first(store):
    save(store, [paper(1, days_old=5), paper(2, days_old=1), paper(3, days_old=3),
                 video("aaaaaaaaaaa", 500), video("bbbbbbbbbbb", 90_000), playlist("PLbig", [60_000, 70_000]),
                 article("old", days_old=9), article("new", days_old=0)], T0)
    save(store, [repo("Big", 10_000), repo("Rising", 100)], T0)
    save(store, [repo("Big", 10_010), repo("Rising", 400)], T0 + timedelta(days=1))  # +10 and +300 stars
    doc = draft.build(store, NOW)
    assert ids(doc, "papers") == ["arxiv:2511.00002", "arxiv:2511.00003", "arxiv:2511.00001"]  # newest first
    assert ids(doc, "videos") == ["youtube:playlist:PLbig", "youtube:video:bbbbbbbbbbb", "youtube:video:aaaaaaaaaaa"]
    assert ids(doc, "reads") == ["web:https://blog.example.com/new", "web:https://blog.example.com/old"]
    assert ids(doc, "tools") == ["github:acme/rising", "github:acme/big"]  # stars gained beat stars
    assert [i.annotation.order for i in doc.sections[0].items] == [1, 2, 3]

    store.set_status(["arxiv:2511.00001", "github:acme/big"], ItemStatus.shortlisted)
    doc = draft.build(store, NOW)
    assert ids(doc, "papers")[0] == "arxiv:2511.00001"
    assert ids(doc, "tools") == ["github:acme/big", "github:acme/rising"]


def test_rejected_and_published_items_stay_out_of_the_draft(store):
    save(store, [paper(1), paper(2), paper(3)])
    store.set_status(["arxiv:2511.00002"], ItemStatus.rejected)
    store.set_status(["arxiv:2511.00003"], ItemStatus.published)
    assert ids(draft.build(store, NOW), "papers") == ["arxiv:2511.00001"]


def test_since_takes_only_items_first_seen_from_then(store):
    save(store, [paper(1)], T0)
    save(store, [paper(2)], T0 + timedelta(days=2))
    doc = draft.build(store, NOW, since=T0 + timedelta(days=1))
    assert ids(doc, "papers") == ["arxiv:2511.00002"]
    assert doc.issue.since == T0 + timedelta(days=1)


def test_since_accepts_a_date_a_time_or_a_duration():
    assert draft.parse_since("2026-11-17", NOW) == datetime(2026, 11, 17, tzinfo=timezone.utc)
    assert draft.parse_since("2026-11-17T10:00+01:00", NOW) == datetime(2026, 11, 17, 9, tzinfo=timezone.utc)
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
    save(store, [paper(9, title="Attention Again", authors=["A One", "B Two", "C Three", "D Four"],
                       code=["https://github.com/acme/Fastlib"])], T0)
    newsletter(store, T0)
    save(store, [repo("Fastlib", 1_234)], T0 + timedelta(days=1))  # +334 stars since the first reading
    md = draft.prepare(store, NOW).to_markdown()
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == ["## TL;DR", "## 6 Papers", "## 2 Videos", "## 2 Reads", "## 2 Tools & Repos",
                        "## Pick of the Week", "## Left out"]
    assert md.startswith("# Issue #1\n")
    assert "- **6 Papers:** " in md and " and 3 more" in md
    assert "- **Pick of the Week:** not chosen yet" in md
    block = md.split("<!-- curate:item arxiv:2511.00009 -->\n", 1)[1].split("<!-- curate:", 1)[0]
    assert block.splitlines()[:5] == [
        "### Attention Again",
        "[arXiv](https://arxiv.org/abs/2511.00009) | [GitHub](https://github.com/acme/Fastlib) ★ 1,234 (+334)"
        " · A One, B Two, C Three et al. · 2026-11-16",
        "",
        "We study problem 9. It matters. A third sentence.",
        "",
    ]
    assert block.splitlines()[5] == "**Take:**"
    assert "[YouTube playlist](https://www.youtube.com/playlist?list=PLcourseAAAA) · Lectures · 2 videos · 20:00 in all" in md
    assert "[GitHub](https://github.com/acme/Fastlib) ★ 1,234 (+334) · acme · Python" in md
    assert "[Example Blog](https://blog.example.com/agents) · Grace Hopper · 2026-11-15" in md


def test_video_figures_are_views_and_running_time(store):
    save(store, [video("aaaaaaaaaaa", 1_234_567)])
    md = draft.prepare(store, NOW).to_markdown()
    assert "[YouTube](https://www.youtube.com/watch?v=aaaaaaaaaaa) · Some Channel · 1,234,567 views · 1:02:03" in md


MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

HOSTILE = {
    "link": "[click me](javascript:alert(1))",
    "https link": "[the docs](https://evil.example/phish \"title\")",
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
    save(store, [
        paper(1, title=title, abstract=hostile_text, authors=[title]),
        video("aaaaaaaaaaa", 5, title=title, channel=title),
        article("post", title=title, site=title),
    ])
    md = draft.prepare(store, NOW).to_markdown()
    tokens = MD.parse(md)
    flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
    links = [t.attrs["href"] for t in flat if t.type == "link_open"]
    assert links == ["https://arxiv.org/abs/2511.00001", "https://www.youtube.com/watch?v=aaaaaaaaaaa",
                     "https://blog.example.com/post"]
    injected = ("html_inline", "image", "code_inline", "code_block", "fence", "s_open", "em_open", "table_open",
                "blockquote_open", "ordered_list_open")
    assert [t.type for t in flat if t.type in injected] == []
    assert len([t for t in flat if t.type == "strong_open"]) == 5 + 3  # ours: the TL;DR labels and the take lines
    assert all(t.content.lstrip().startswith("<!--") for t in flat if t.type == "html_block")
    headings = [(tokens[i].tag, _inline_text(tokens[i + 1])) for i, t in enumerate(tokens) if t.type == "heading_open"]
    folded = " ".join(title.replace("\u202e", "").split())
    assert [h for h in headings if h[0] == "h3"] == [("h3", folded)] * 3
    assert len([h for h in headings if h[0] in ("h1", "h2")]) == 8
    assert [i.id for i in parse(md).items] == ["arxiv:2511.00001", "youtube:video:aaaaaaaaaaa",
                                              "web:https://blog.example.com/post"]
    summary = next(tokens[i + 1] for i, t in enumerate(tokens) if t.type == "paragraph_open"
                   and _inline_text(tokens[i + 1]).startswith(folded))
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
    assert parsed.number == 1 and parsed.title == "Issue #1" and parsed.intro == ""
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
    assert "## 5 Papers" in md and "## 2 Videos" in md and "## 2 Reads" in md and "## 2 Tools & Repos" in md
    assert "## Pick of the Week" in md


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


def test_a_bad_since_is_a_usage_error(curate):
    result = curate("export", "--since", "soonish")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --since: 'soonish' is neither a date")
