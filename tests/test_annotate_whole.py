"""`curate annotate` reads a whole draft or nothing: cut, emptied, endless or oversized
drafts and overlong blurbs are refused in one line, exit 1, with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.store import Store
from tests.draft_records import newsletter, paper, save


@pytest.fixture
def stocked(settings) -> Store:
    store = Store(settings.db)
    save(store, [paper(n, days_old=n) for n in range(1, 6)])
    newsletter(store)
    return store


@pytest.fixture
def exported(run, stocked, env) -> Path:
    assert run("export").exit_code == 0
    return Path(env["CURATE_DRAFTS_DIR"])


def _refused(result, path: Path, message: str) -> None:
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {message}\n"


def _annotations(stocked: Store) -> dict:
    return {k: (v.include, v.blurb, v.position) for k, v in stocked.annotations(1).items()}


def test_a_markdown_draft_cut_short_is_refused_and_changes_nothing(run, stocked, exported):
    before = _annotations(stocked)
    path = exported / "issue-1.md"
    whole = path.read_bytes()
    assert len(whole) > 1500
    path.write_bytes(whole[:1500])
    result = run("annotate", str(path))
    _refused(
        result,
        path,
        "not a whole draft: its last line <!-- curate:end … --> is missing (cut short?); "
        "nothing was read. Export it again, or restore the whole file",
    )
    assert _annotations(stocked) == before
    path.write_bytes(whole)
    assert run("annotate", str(path)).exit_code == 0


def test_a_markdown_draft_missing_a_section_line_is_refused(run, stocked, exported):
    path = exported / "issue-1.md"
    path.write_text(path.read_text().replace("<!-- curate:section tools -->\n", ""))
    _refused(
        run("annotate", str(path)),
        path,
        "not a whole draft: section anchor <!-- curate:section tools --> "
        "is missing; move items between sections, but keep every section line",
    )


def test_the_end_line_names_the_issue_and_every_section_it_was_written_with(run, exported):
    last = (exported / "issue-1.md").read_text().splitlines()[-1]
    assert last == "<!-- curate:end 1 · sections papers videos reads tools pick left-out -->"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.pop("schema_version"), "not a whole curate draft: schema_version is missing"),
        (lambda doc: doc.update(sections=[]), "not a whole curate draft: it has no sections"),
        (
            lambda doc: doc.update(sections=doc["sections"][:2]),
            "not a whole curate draft: section 'reads' is missing; move items between sections, but keep every section",
        ),
    ],
    ids=["no schema_version", "no sections", "sections cut"],
)
def test_a_json_draft_that_is_not_whole_is_refused(run, stocked, exported, change, message):
    before = _annotations(stocked)
    path = exported / "issue-1.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    _refused(run("annotate", str(path)), path, message)
    assert _annotations(stocked) == before


def test_an_endless_or_oversized_file_is_never_read(run, stocked, exported, tmp_path):
    _refused(
        run("annotate", "/dev/zero"), Path("/dev/zero"), "not a regular file; give the draft file curate export wrote"
    )
    path = exported / "issue-1.md"
    _refused(
        run("annotate", str(path), CURATE_DRAFT_MAX_BYTES="1000"),
        path,
        "larger than 1,000 bytes (CURATE_DRAFT_MAX_BYTES), far beyond any draft; nothing was read",
    )


def test_a_blurb_over_the_limit_is_refused_naming_the_item(run, stocked, exported):
    before = _annotations(stocked)
    path = exported / "issue-1.json"
    doc = json.loads(path.read_text())
    item = doc["sections"][0]["items"][0]
    item["annotation"]["blurb"] = "word " * 300
    path.write_text(json.dumps(doc))
    result = run("annotate", str(path), CURATE_BLURB_MAX_CHARS="1000")
    _refused(
        result,
        path,
        f"the blurb of {item['id']} is 1,500 characters, over 1,000 (CURATE_BLURB_MAX_CHARS); nothing was changed",
    )
    assert _annotations(stocked) == before
