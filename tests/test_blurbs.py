"""Blurbs, TL;DR sentences and title ideas drafted by a model: a fake one, registered through
llm's plugin hook as llm's own tests register theirs, so no test calls a real model."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import llm
import pytest
from llm.plugins import pm
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.store import Store
from tests.draft_records import article, paper, playlist, repo, save

MODEL = "curate-fake"


class FakeModel(llm.Model):
    model_id = MODEL
    can_stream = False

    def __init__(self) -> None:
        self.prompts: list[tuple[str, str | None]] = []
        self.error: Exception | None = None
        self.hold: threading.Event | None = None
        """When set, each answer waits for it: a model that does not answer."""

    def execute(self, prompt, stream, response, conversation):
        self.prompts.append((prompt.prompt, prompt.system))
        if self.hold is not None:
            self.hold.wait()
        if self.error is not None:
            raise self.error
        if "three titles" in prompt.prompt:
            text = "Sparse experts, learned\nAgents that check units\nThe week in kernels"
        else:
            text = f"Drafted text {len(self.prompts)}. It does one thing well. It matters to you."
        response.set_usage(input=len(prompt.prompt.split()), output=len(text.split()))
        yield text


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm"))  # llm keeps its aliases and keys there
    fake = FakeModel()

    class FakeModels:
        __name__ = "CurateFakeModels"

        @llm.hookimpl
        def register_models(self, register):
            register(fake)

    pm.register(FakeModels(), name="curate-fake-models")
    try:
        yield fake
    finally:
        pm.unregister(name="curate-fake-models")


@pytest.fixture
def cli(env: dict[str, str]):
    runner = CliRunner()

    def invoke(*args: str, **extra_env: str):
        return runner.invoke(app, list(args), env={**env, "CURATE_LLM_MODEL": MODEL, **extra_env})

    return invoke


@pytest.fixture
def stocked(settings) -> Store:
    store = Store(settings.db)
    save(
        store,
        [
            paper(1, abstract="In this paper, we learn expert capacity. It keeps 99.2% of tokens."),
            paper(2),
            playlist("PLcourseAAAA", [1000, 2000]),
            article("agents"),
            repo("Fastlib", 900),
        ],
    )
    return store


def exported(cli, tmp_path: Path, **extra_env: str) -> dict:
    out = tmp_path / "issue.json"
    result = cli("export", "--format", "json", "--output", str(out), **extra_env)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def items(doc: dict) -> dict[str, dict]:
    return {i["id"]: i for s in doc["sections"] for i in s["items"]}


def test_every_item_gets_a_suggestion_and_a_second_export_calls_the_model_zero_times(cli, stocked, model, tmp_path):
    first = exported(cli, tmp_path)
    suggestions = {k: v["annotation"]["suggested_blurb"] for k, v in items(first).items()}
    assert len(suggestions) == 5 and all(s and s["model"] == MODEL and s["drafted_at"] for s in suggestions.values())
    assert all(v["annotation"]["blurb"] == "" for v in items(first).values())  # a suggestion is not the editor's
    calls = len(model.prompts)
    assert calls == 5 + 4 + 1  # a blurb per item, a TL;DR sentence per section with items, the titles
    second = exported(cli, tmp_path)
    assert len(model.prompts) == calls  # every answer came from the store
    assert {k: v["annotation"]["suggested_blurb"] for k, v in items(second).items()} == suggestions


def test_the_markdown_shows_suggestions_tldr_sentences_and_title_ideas(cli, stocked, model, tmp_path):
    md_path = tmp_path / "issue.md"
    result = cli("export", "--format", "markdown", "--output", str(md_path))
    assert result.exit_code == 0, result.output
    assert f"{MODEL}: 10 suggestions drafted, 0 from earlier answers · " in result.output
    assert re.search(r"· [1-9][0-9,]* tokens in, 119 out\n", result.output)  # 9 texts of 12 words, 11 in the titles
    md = md_path.read_text()
    block = md.split("<!-- curate:item arxiv:2511.00001 -->\n", 1)[1].split("<!-- curate:", 1)[0]
    assert f"<!-- drafted by {MODEL}: edit it to make it yours -->\nDrafted text" in block
    assert "- **📄 2 Papers:** Drafted text" in md
    assert "title ideas: Sparse experts, learned · Agents that check units · The week in kernels -->" in md


def test_an_untouched_suggestion_read_back_stays_a_suggestion_and_an_edited_one_is_the_editors(
    cli, stocked, model, tmp_path
):
    md_path = tmp_path / "issue.md"
    assert cli("export", "--format", "markdown", "--output", str(md_path)).exit_code == 0
    md = md_path.read_text()
    block = md.split("<!-- curate:item arxiv:2511.00002 -->\n", 1)[1].split("<!-- curate:", 1)[0]
    drafted = block.split(" -->\n", 1)[1].split("\n", 1)[0]
    md_path.write_text(
        md.replace(drafted, drafted.replace("It matters to you.", "It matters to you, says the editor."))
    )
    result = cli("annotate", str(md_path))
    assert result.exit_code == 0 and "1 blurb changed" in result.output, result.output
    blurbs = {k: v["annotation"]["blurb"] for k, v in items(exported(cli, tmp_path)).items()}
    assert blurbs["arxiv:2511.00002"] == drafted.replace("It matters to you.", "It matters to you, says the editor.")
    assert [k for k, v in blurbs.items() if v] == ["arxiv:2511.00002"]


def test_an_editors_blurb_survives_blurb_redo(cli, stocked, model, tmp_path):
    doc = exported(cli, tmp_path)
    doc["sections"][0]["items"][1]["annotation"]["blurb"] = "The editor's own words."
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    assert cli("annotate", str(edited)).exit_code == 0
    before = len(model.prompts)
    result = cli("blurb", "--redo")
    assert result.exit_code == 0, result.output
    assert len(model.prompts) == before + 4 + 4 + 1  # four blurbs, TL;DR, titles asked again
    assert "1 editor's blurbs kept" in result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == 4 and all(r[0] == "drafted" for r in rows)
    after = items(exported(cli, tmp_path))
    target = doc["sections"][0]["items"][1]["id"]
    assert after[target]["annotation"]["blurb"] == "The editor's own words."


def test_blurb_for_named_items_only(cli, stocked, model):
    result = cli("blurb", "https://arxiv.org/abs/2511.00002")
    assert result.exit_code == 0, result.output
    assert len(model.prompts) == 1 and "We study problem 2." in model.prompts[0][0]
    assert result.stdout.startswith("drafted\tarxiv:2511.00002\tDrafted text 1.")
    again = cli("blurb", "arxiv:2511.00002")
    assert again.stdout.startswith("earlier\tarxiv:2511.00002\t") and len(model.prompts) == 1
    unknown = cli("blurb", "arxiv:2511.00077")
    assert unknown.exit_code == 1 and "not in issue 1's draft: arxiv:2511.00077" in unknown.output
    # an id given twice names the unknown one, not its own second copy
    twice = cli("blurb", "arxiv:2511.00002", "arxiv:2511.00002", "arxiv:2511.00077")
    assert twice.exit_code == 1 and "not in issue 1's draft: arxiv:2511.00077 " in twice.output


def test_the_prompt_holds_the_records_text_and_never_a_credential(cli, settings, model, tmp_path):
    token = "ghp_s3cretT0kenValue1234567890"
    store = Store(settings.db)
    save(
        store,
        [
            paper(1, abstract=f"We echo the request. Its header was Authorization: token {token} in full."),
            playlist("PLcourseAAAA", [10, 20]),
        ],
    )
    assert cli("blurb", GITHUB_TOKEN=token, YOUTUBE_API_KEY="AIzaFakeKey0123456789").exit_code == 0
    prompts = "\n".join(f"{system}\n{prompt}" for prompt, system in model.prompts)
    assert token not in prompts and "AIzaFakeKey0123456789" not in prompts
    paper_prompt = next(p for p, _ in model.prompts if "Paper number 1" in p)
    assert "We echo the request." in paper_prompt and "Ada Lovelace, Alan Turing" in paper_prompt
    playlist_prompt = next(p for p, _ in model.prompts if "Course PLcourseAAAA" in p)
    assert "A lecture series." in playlist_prompt and "- Lecture 0\n- Lecture 1" in playlist_prompt
    assert "No hype words" in model.prompts[0][1]


def test_a_failing_model_is_one_warning_and_the_draft_keeps_its_plain_blurbs(cli, stocked, model, tmp_path):
    model.error = RuntimeError("connection refused by the model server")
    out = tmp_path / "issue.json"
    result = cli("export", "--format", "json", "--output", str(out))
    assert result.exit_code == 0
    warnings = [line for line in result.output.splitlines() if line.startswith("!")]
    assert warnings == [f"! {MODEL} failed: connection refused by the model server; the draft keeps its plain blurbs"]
    assert len(model.prompts) == 1  # the first failure ends the drafting
    doc = json.loads(out.read_text())
    assert all(i["annotation"]["suggested_blurb"] is None for i in items(doc).values())
    assert items(doc)["arxiv:2511.00001"]["summary"] == "We learn expert capacity. It keeps 99.2% of tokens."
    assert cli("blurb").exit_code == 1


def test_a_model_that_is_not_installed_is_one_warning(cli, stocked, tmp_path, monkeypatch):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm"))
    result = cli("export", "--format", "json", "--output", str(tmp_path / "issue.json"), CURATE_LLM_MODEL="nope-9")
    assert result.exit_code == 0
    assert "! no model 'nope-9' (CURATE_LLM_MODEL): `llm models` lists the installed ones" in result.output


def test_blurb_without_a_model_setting_says_what_to_set(cli, stocked):
    result = cli("blurb", CURATE_LLM_MODEL="")
    assert result.exit_code == 2 and "CURATE_LLM_MODEL is not set" in result.output


def test_the_scheduled_run_drafts_too_and_asks_nothing_twice(cli, env, replay, model):
    from tests.test_schedule import ARXIV, use_sources

    use_sources(env, replay, ARXIV)
    result = cli("run")
    assert result.exit_code == 0, result.output
    assert f"{MODEL}: " in result.output and "suggestions drafted, 0 from earlier answers" in result.output
    doc = json.loads((Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.json").read_text())
    assert all(i["annotation"]["suggested_blurb"]["model"] == MODEL for i in items(doc).values())
    calls = len(model.prompts)
    assert cli("run").exit_code == 0
    assert len(model.prompts) == calls


def test_a_model_that_does_not_answer_is_given_up_on_with_one_warning(cli, stocked, model, tmp_path):
    model.hold = threading.Event()
    try:
        out = tmp_path / "issue.json"
        result = cli("export", "--format", "json", "--output", str(out), CURATE_LLM_TIMEOUT="0.2")
        assert result.exit_code == 0
        assert (
            f"! {MODEL} gave no answer within 0.2 s (CURATE_LLM_TIMEOUT); the draft keeps its plain blurbs"
            in result.output
        )
        assert len(model.prompts) == 1
        assert all(i["annotation"]["suggested_blurb"] is None for i in items(json.loads(out.read_text())).values())
    finally:
        model.hold.set()
