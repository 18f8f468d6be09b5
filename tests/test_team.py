"""The week of a team, end to end through the CLI, on SQLite and on PostgreSQL alike:
ingest, run, export, annotate, publish, search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.test_schedule import ARXIV, use_sources


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def test_a_week_from_links_to_a_published_issue_and_a_search(curate, replay, env):
    added = curate("ingest", "https://github.com/GokuMohandas/Made-With-ML", "https://youtu.be/Mw3kR7tYp2Q")
    assert added.returncode == 0, added.stderr
    use_sources(env, replay, ARXIV)
    ran = curate("run")
    assert ran.returncode == 0, ran.stderr
    draft_json = Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.json"
    doc = json.loads(draft_json.read_text(encoding="utf-8"))
    papers = next(s for s in doc["sections"] if s["key"] == "papers")["items"]
    assert len(papers) == 5

    # the editor keeps two papers in the order she wants, with a blurb, and leaves the rest out
    first, second = papers[1], papers[0]
    first["annotation"].update(order=1, blurb="Read this one first.")
    second["annotation"]["order"] = 2
    for other in papers[2:]:
        other["annotation"]["include"] = False
    draft_json.write_text(json.dumps(doc), encoding="utf-8")
    assert curate("annotate", str(draft_json)).returncode == 0
    exported = curate("export", "--format", "json", "--output", "-")
    ordered = next(s for s in json.loads(exported.stdout)["sections"] if s["key"] == "papers")["items"]
    assert [p["id"] for p in ordered[:2]] == [first["id"], second["id"]]
    assert ordered[0]["annotation"]["blurb"] == "Read this one first."

    published = curate("publish", "1")
    assert published.returncode == 0, published.stderr
    assert first["id"] in published.stdout.split() and papers[2]["id"] not in published.stdout.split()

    words = " ".join(first["title"].split()[:3])
    found = curate("search", words, "--kind", "paper", "--format", "json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout.splitlines()[0])["id"] == first["id"]
    went_out = curate("search", "--featured")
    assert [line.split("\t")[:2] for line in went_out.stdout.splitlines()][:1] == [["1", first["id"]]]
    assert curate("db", "current").stdout.endswith("(head)\n")
