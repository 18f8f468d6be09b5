"""The draft as the newsletter reads: code with its paper, the default blurb, the format file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.base import Fetched
from pipeline.cli import app
from pipeline.draft import summary_of
from pipeline.newsletter import Newsletter, load
from pipeline.store import Store
from schemas import SourceRef
from schemas.item import LINKED_SOURCE
from tests.conftest import ROOT
from tests.draft_records import article, paper, playlist, repo, save, video

PAPER_WITH_CODE = "https://arxiv.org/abs/2512.07461"
ITS_CODE = "https://github.com/curate-fixtures/moe-capacity"
A_TOOL = "https://github.com/GokuMohandas/Made-With-ML"


@pytest.fixture
def cli(env: dict[str, str]):
    runner = CliRunner()

    def invoke(*args: str, extra_env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), env={**env, **(extra_env or {}), "COLUMNS": "200"})

    return invoke


def exported(cli, tmp_path: Path, **extra_env: str) -> dict:
    out = tmp_path / "issue.json"
    result = cli("export", "--format", "json", "--output", str(out), extra_env=extra_env or None)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def section(doc: dict, key: str) -> list[dict]:
    return next(s for s in doc["sections"] if s["key"] == key)["items"]


# ---- code stays with its paper


def test_a_papers_code_shows_on_the_paper_not_as_a_tool(cli, replay, tmp_path):
    assert cli("ingest", PAPER_WITH_CODE, A_TOOL).exit_code == 0
    doc = exported(cli, tmp_path)
    assert [i["id"] for i in section(doc, "tools")] == ["github:gokumohandas/made-with-ml"]
    (paper,) = section(doc, "papers")
    assert paper["links"]["repo"] == ITS_CODE
    assert paper["metrics"]["stars"] == 812


def test_code_asked_for_by_name_is_a_tool_too(cli, replay, tmp_path):
    assert cli("ingest", PAPER_WITH_CODE).exit_code == 0
    assert cli("ingest", ITS_CODE).exit_code == 0  # fresh: not fetched again, but now asked for
    doc = exported(cli, tmp_path)
    assert [i["id"] for i in section(doc, "tools")] == ["github:curate-fixtures/moe-capacity"]
    assert section(doc, "papers")[0]["links"]["repo"] == ITS_CODE


def test_code_the_editor_placed_stays_in_the_draft(cli, replay, tmp_path):
    assert cli("ingest", PAPER_WITH_CODE).exit_code == 0
    doc = exported(cli, tmp_path)
    assert section(doc, "tools") == []
    doc["sections"][3]["items"].append(
        {**section(doc, "papers")[0], "id": "github:curate-fixtures/moe-capacity", "kind": "repo"}
    )
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    assert cli("annotate", str(edited)).exit_code == 0
    assert [i["id"] for i in section(exported(cli, tmp_path), "tools")] == ["github:curate-fixtures/moe-capacity"]


# ---- the draft blurb without a model


@pytest.mark.parametrize(
    ("text", "blurb"),
    [
        (
            "In this paper, we propose a router that learns capacity. It keeps 99.2% of tokens at 32k context, vs. 87.1% "
            "for a fixed one.",
            "We propose a router that learns capacity. It keeps 99.2% of tokens at 32k context, vs. 87.1% for a fixed one.",
        ),
        (
            "In this work we study agents. "
            + "They fail in many ways that we describe at length here. " * 8
            + "The best one completes 41% of tasks.",
            "We study agents. They fail in many ways that we describe at length here. They fail in many ways that we "
            "describe at length here. They fail in many ways that we describe at length here. They fail in many ways that "
            "we describe at length here. They fail in many ways that we describe at length here. They fail in many ways "
            "that we describe at length here. The best one completes 41% of tasks.",
        ),
        (
            "We learn a capacity per layer (e.g. from entropy, as in Shazeer et al. 2017). Code and checkpoints are "
            "available at https://github.com/a/b. It cuts FLOPs by 31%.",
            "We learn a capacity per layer (e.g. from entropy, as in Shazeer et al. 2017). It cuts FLOPs by 31%.",
        ),
    ],
    ids=["boilerplate-opening-and-decimals", "keeps-the-sentence-with-the-figure", "drops-the-code-link-sentence"],
)
def test_the_draft_blurb_is_whole_sentences_without_boilerplate(text, blurb):
    assert summary_of(text) == blurb


def test_a_draft_blurb_ends_at_a_sentence_end():
    text = "First sentence is short. " + "Second one runs long with many words in it " * 12 + "and ends here."
    assert summary_of(text) == "First sentence is short."


# ---- the newsletter's own format


def test_the_shipped_format_file_is_the_built_in_default():
    assert load(ROOT / "data" / "newsletter.toml") == Newsletter()


def seed_issue(store: Store) -> None:
    """The Tokenizer #12's shape: 5 papers (two naming their code), 4 videos, 4 reads (one will be
    the pick), 2 repos, and the two papers' code repos that the run fetched along."""
    code = ["https://github.com/acme/MoeKit", "https://github.com/acme/EvalHarness"]
    save(
        store,
        [
            paper(1, code=code[:1]),
            paper(2, code=code[1:]),
            paper(3),
            paper(4),
            paper(5),
            playlist("PLcourseAAAA", [1000, 2000]),
            playlist("PLcourseBBBB", [50]),
            video("aaaaaaaaaaa", 300),
            video("bbbbbbbbbbb", 200),
            article("agents"),
            article("evals"),
            article("kernels"),
            article("pick"),
            repo("Fastlib", 900),
            repo("Tinytool", 40),
        ],
    )
    store.save(
        [
            Fetched(ref=SourceRef(kind=r.kind, key=r.id, url=r.url, connector="test"), record=r)
            for r in (repo("MoeKit", 700), repo("EvalHarness", 90))
        ],
        datetime.now(UTC),
        source=LINKED_SOURCE,
    )


def test_the_seed_items_give_the_published_issues_structure(cli, settings, tmp_path):
    store = Store(settings.db)
    seed_issue(store)
    md_path = tmp_path / "issue.md"
    assert cli("export", "--format", "markdown", "--output", str(md_path)).exit_code == 0
    md = md_path.read_text()
    block = md.split("<!-- curate:item web:https://blog.example.com/pick -->", 1)[1].split("<!-- curate:", 1)[0]
    md = md.replace("<!-- curate:item web:https://blog.example.com/pick -->" + block, "")
    md = md.replace(
        "<!-- curate:section pick -->\n## 🎓 Pick of the Week\n\n",
        "<!-- curate:section pick -->\n## 🎓 Pick of the Week\n\n<!-- curate:item web:https://blog.example.com/pick -->"
        + block,
    )
    md_path.write_text(md)
    assert cli("annotate", str(md_path)).exit_code == 0
    assert cli("export", "--format", "markdown", "--output", str(md_path)).exit_code == 0
    md = md_path.read_text()
    assert [line for line in md.splitlines() if line.startswith("## ")] == [
        "## TL;DR",
        "## 📄 5 Papers",
        "## 🎥 4 Videos",
        "## 📰 3 Curated Reads",
        "## 🛠 2 Tools & Repos",
        "## 🎓 1 Pick of the Week",
        "## Left out",
    ]
    tldr = md.split("## TL;DR\n\n<!-- curate:tldr -->\n", 1)[1].split("\n<!-- curate:/tldr -->", 1)[0].splitlines()
    assert [line.split(":**")[0] for line in tldr] == [
        "- **📄 5 Papers",
        "- **🎥 4 Videos",
        "- **📰 3 Curated Reads",
        "- **🛠 2 Tools & Repos",
        "- **🎓 1 Pick of the Week",
    ]
    assert all(line.endswith(".") and line.count(". ") == 0 for line in tldr)  # one sentence each
    lines = md.split("<!-- curate:item arxiv:2511.00001 -->\n", 1)[1].splitlines()
    assert lines[1] == "https://arxiv.org/abs/2511.00001 | [GitHub](https://github.com/acme/MoeKit) ★ 700 \\"
    assert lines[2].startswith("Ada Lovelace, Alan Turing · ")
    assert "github:acme/moekit" not in md and "github:acme/evalharness" not in md


CUSTOM = """
name = "Weekly Bits"
title = "{name}, issue {number}"
take = false

[item]
lines = ["{lead} · {byline} · {date}"]
link = "label"

[[sections]]
key = "tools"
name = "Repos"
heading = "{name} ({count})"
kinds = ["repo", "playlist"]

[[sections]]
key = "papers"
name = "Research"
heading = "{name} ({count})"
kinds = ["paper"]

[[sections]]
key = "videos"
name = "Watch"
kinds = ["video"]

[[sections]]
key = "reads"
name = "Read"
kinds = ["article"]

[[sections]]
key = "pick"
name = "Pick"
"""


def test_a_format_file_sets_order_headings_kinds_and_lines_and_annotations_round_trip(cli, settings, tmp_path):
    store = Store(settings.db)
    save(store, [paper(1), paper(2), playlist("PLcourseAAAA", [10]), repo("Fastlib", 900), article("agents")])
    fmt = tmp_path / "weekly.toml"
    fmt.write_text(CUSTOM)
    env = {"CURATE_NEWSLETTER": str(fmt)}
    doc = exported(cli, tmp_path, **env)
    assert [(s["key"], s["title"], len(s["items"])) for s in doc["sections"]] == [
        ("tools", "Repos", 2),
        ("papers", "Research", 2),
        ("videos", "Watch", 0),
        ("reads", "Read", 1),
        ("pick", "Pick", 0),
    ]
    assert doc["issue"]["title"] == "Weekly Bits, issue 1"
    md_path = tmp_path / "issue.md"
    assert cli("export", "--format", "markdown", "--output", str(md_path), extra_env=env).exit_code == 0
    md = md_path.read_text()
    assert [line for line in md.splitlines() if line.startswith("## ")][1:3] == ["## Repos (2)", "## Research (2)"]
    assert "[arXiv](https://arxiv.org/abs/2511.00001) · Ada Lovelace, Alan Turing · 2026-11-16\n" in md
    assert "**Take:**" not in md
    md_path.write_text(md.replace("We study problem 2. It matters. A third sentence.", "Mine now."))
    result = cli("annotate", str(md_path), extra_env=env)
    assert result.exit_code == 0, result.output
    assert "1 blurb changed" in result.output and "0 moved" in result.output
    doc = exported(cli, tmp_path, **env)
    assert {i["id"]: i["annotation"]["blurb"] for s in doc["sections"] for i in s["items"]} == {
        "github:acme/fastlib": "",
        "youtube:playlist:PLcourseAAAA": "",
        "arxiv:2511.00002": "Mine now.",
        "arxiv:2511.00001": "",
        "web:https://blog.example.com/agents": "",
    }
    assert doc["issue"]["title"] == "Weekly Bits, issue 1"  # the default title read back is not the editor's


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[sections]]\nkey = 'papers'\nname = 'P'\n", "sections: missing videos, reads, tools, pick"),
        ("take = 'maybe'", "take: Input should be a valid boolean"),
        ("[item]\nlines = ['{lead} {stars}']", "item: unknown placeholder {stars}"),
        ("name = ", "not TOML"),
    ],
    ids=["missing-sections", "bad-value", "unknown-placeholder", "not-toml"],
)
def test_a_bad_format_file_is_one_line_naming_the_key_and_exit_2(cli, settings, tmp_path, content, message):
    fmt = tmp_path / "bad.toml"
    fmt.write_text(content)
    result = cli("export", extra_env={"CURATE_NEWSLETTER": str(fmt)})
    assert result.exit_code == 2
    assert message in result.output and str(fmt) in result.output
    assert "Traceback" not in result.output and not (tmp_path / "drafts").exists()


def test_a_format_file_that_is_not_there_is_named(cli, settings, tmp_path):
    result = cli("export", extra_env={"CURATE_NEWSLETTER": str(tmp_path / "nope.toml")})
    assert result.exit_code == 2 and "nope.toml (CURATE_NEWSLETTER): no such file" in result.output


# ---- a Jinja2 template of the editor's own

TEMPLATE = """# {{ title }}
{{ issue_anchor }}

*{{ newsletter }}, this week*

{{ intro }}

## In short

{% for s in sections %}{{ s.tldr }}
{% endfor %}
{% for s in sections %}{{ s.anchor }}
## {{ s.heading }}

{% for item in s["items"] %}{{ item.block }}

{% endfor %}{% endfor %}{{ left_out.anchor }}
## {{ left_out.heading }}

{% for item in left_out["items"] %}{{ item.block }}

{% endfor %}
"""


def test_a_template_lays_out_the_draft_and_annotations_round_trip(cli, settings, tmp_path):
    store = Store(settings.db)
    save(store, [paper(1), paper(2), repo("Fastlib", 900)])
    (tmp_path / "issue.md.j2").write_text(TEMPLATE)
    fmt = tmp_path / "fmt.toml"
    fmt.write_text('template = "issue.md.j2"\n')
    env = {"CURATE_NEWSLETTER": str(fmt)}
    md_path = tmp_path / "issue.md"
    result = cli("export", "--format", "markdown", "--output", str(md_path), extra_env=env)
    assert result.exit_code == 0, result.output
    md = md_path.read_text()
    assert "*The Tokenizer, this week*" in md and "## In short" in md and "## 📄 2 Papers" in md
    md_path.write_text(md.replace("We study problem 1. It matters. A third sentence.", "An editor's words."))
    result = cli("annotate", str(md_path), extra_env=env)
    assert result.exit_code == 0 and "1 blurb changed" in result.output, result.output
    blurbs = {i["id"]: i["annotation"]["blurb"] for i in section(exported(cli, tmp_path, **env), "papers")}
    assert blurbs == {"arxiv:2511.00001": "An editor's words.", "arxiv:2511.00002": ""}


@pytest.mark.parametrize(
    ("cut", "marker"),
    [
        ("{{ intro }}", "<!-- curate:intro -->"),
        ("{{ left_out.anchor }}", "<!-- curate:section left-out -->"),
        ("{{ s.anchor }}", "<!-- curate:section papers -->"),
        ("{{ issue_anchor }}", "<!-- curate:issue 7 … -->"),
    ],
    ids=["intro", "left-out", "sections", "issue"],
)
def test_a_template_without_a_marker_annotate_needs_is_refused_naming_it(cli, settings, tmp_path, cut, marker):
    (tmp_path / "issue.md.j2").write_text(TEMPLATE.replace(cut, ""))
    fmt = tmp_path / "fmt.toml"
    fmt.write_text('template = "issue.md.j2"\n')
    result = cli("export", extra_env={"CURATE_NEWSLETTER": str(fmt)})
    assert result.exit_code == 2
    assert f"lacks the marker {marker}" in result.output and "issue.md.j2" in result.output


def test_a_template_that_splits_an_item_block_is_refused(cli, settings, tmp_path):
    broken = TEMPLATE.replace("{{ item.block }}", "{{ item.block.replace('\\nhttps://', '\\n\\nhttps://') }}")
    (tmp_path / "issue.md.j2").write_text(broken)
    fmt = tmp_path / "fmt.toml"
    fmt.write_text('template = "issue.md.j2"\n')
    result = cli("export", extra_env={"CURATE_NEWSLETTER": str(fmt)})
    assert result.exit_code == 2 and "keep item blocks whole" in result.output
