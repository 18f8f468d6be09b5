"""The draft as the newsletter reads: code with its paper, the default blurb, the format file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.draft import summary_of

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
    doc["sections"][3]["items"].append({**section(doc, "papers")[0], "id": "github:curate-fixtures/moe-capacity",
                                        "kind": "repo"})
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    assert cli("annotate", str(edited)).exit_code == 0
    assert [i["id"] for i in section(exported(cli, tmp_path), "tools")] == ["github:curate-fixtures/moe-capacity"]


# ---- the draft blurb without a model


@pytest.mark.parametrize(("text", "blurb"), [
    ("In this paper, we propose a router that learns capacity. It keeps 99.2% of tokens at 32k context, vs. 87.1% "
     "for a fixed one.",
     "We propose a router that learns capacity. It keeps 99.2% of tokens at 32k context, vs. 87.1% for a fixed one."),
    ("In this work we study agents. " + "They fail in many ways that we describe at length here. " * 8
     + "The best one completes 41% of tasks.",
     "We study agents. They fail in many ways that we describe at length here. They fail in many ways that we "
     "describe at length here. They fail in many ways that we describe at length here. They fail in many ways that "
     "we describe at length here. They fail in many ways that we describe at length here. They fail in many ways "
     "that we describe at length here. The best one completes 41% of tasks."),
    ("We learn a capacity per layer (e.g. from entropy, as in Shazeer et al. 2017). Code and checkpoints are "
     "available at https://github.com/a/b. It cuts FLOPs by 31%.",
     "We learn a capacity per layer (e.g. from entropy, as in Shazeer et al. 2017). It cuts FLOPs by 31%."),
], ids=["boilerplate-opening-and-decimals", "keeps-the-sentence-with-the-figure", "drops-the-code-link-sentence"])
def test_the_draft_blurb_is_whole_sentences_without_boilerplate(text, blurb):
    assert summary_of(text) == blurb


def test_a_draft_blurb_ends_at_a_sentence_end():
    text = "First sentence is short. " + "Second one runs long with many words in it " * 12 + "and ends here."
    assert summary_of(text) == "First sentence is short."
