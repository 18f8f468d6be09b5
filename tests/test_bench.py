"""`make bench` in miniature: the harness runs every case and counts requests right.

Times are never asserted (they belong to `make bench` itself); request counts are.
"""

from __future__ import annotations

import json

import pytest

from tests.bench.__main__ import main
from tests.bench.workload import make


def _rows(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, dict]:
    assert main([*argv, "--json", "--repeat", "1", "--help-runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "| case" in out  # the table is printed
    return {row["key"]: row for row in map(json.loads, (line for line in out.splitlines() if line.startswith("{")))}


def test_small_mix_costs_the_fewest_requests_cold_none_fresh_and_one_per_link_naively(capsys, tmp_path):
    work = make(20)
    assert work.expected() == {"arxiv": 1, "youtube": 3, "github": 1, "web": 2, "huggingface": 8}
    rows = _rows(capsys, "--links", "20", "--latency", "0", "--cases", "cold,fresh,naive", "--folder", str(tmp_path))
    cold, fresh, naive = rows["cold"], rows["fresh"], rows["naive"]
    assert cold["summary"] == "20 stored"
    assert cold["by_source"] == work.expected()
    assert fresh["summary"] == "20 fresh" and fresh["requests"] == 0
    # naive: a request per paper, video and repo, a page per web link, a playlist's list and its item pages
    assert naive["summary"] == "20 fetched · 0 failed"
    assert naive["by_source"] == {"arxiv": 8, "youtube": 5 + 2, "github": 4, "web": 2, "huggingface": 0}


def test_archive_export_and_help_are_measured_as_child_processes(capsys, tmp_path):
    rows = _rows(capsys, "--links", "20", "--cases", "export,help", "--archive-items", "300", "--folder", str(tmp_path))
    export = rows["export"]
    assert export["links"] == 300
    assert export["summary"].startswith("issue 52: ")  # 51 published issues in the archive; the draft is the next
    assert sum(int(part.split()[0]) for part in export["summary"].split(": ", 1)[1].split(", ")) > 0
    assert export["peak_mb"] > 10  # the child's own memory, not zero and not the harness's
    assert rows["help"]["peak_mb"] > 10


def test_serve_case_renders_the_candidates_page(capsys, tmp_path):
    rows = _rows(capsys, "--cases", "serve", "--serve-items", "80", "--folder", str(tmp_path))
    serve = rows["serve"]
    assert serve["links"] == 80
    assert serve["summary"] == "80 rows rendered of 80"  # 20 a section: under the page's 30 a section


def test_one_link_of_each_source_costs_one_request_and_has_a_limit_beside_it(capsys, tmp_path):
    rows = _rows(capsys, "--links", "20", "--latency", "0.01", "--cases", "one,cold", "--folder", str(tmp_path))
    for source in ("arxiv", "youtube", "github", "web"):
        one = rows[f"one-{source}"]
        assert one["summary"] == "1 stored", source
        assert one["by_source"][source] == 1, source
        # a paper is then looked up on Hugging Face: a second request, after the first
        assert one["requests"] == (2 if source == "arxiv" else 1), source
        assert one["limit"] > 0.01 * one["requests"]  # its requests' latency and the interpreter's start-up
        assert one["libraries"] > 0  # the floor its libraries set is measured beside it
    # the cold run's longest chain of requests that must follow one another: arXiv's answer, then
    # the 8 papers on Hugging Face 4 at a time
    assert rows["cold"]["limit"] == pytest.approx(rows["one-web"]["limit"] + 0.02, abs=1e-3)


def test_imports_are_summed_by_module_group_per_command(capsys, tmp_path):
    assert main(["--links", "20", "--cases", "imports", "--json", "--help-runs", "1", "--folder", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| imports, ms" in out
    ms = next(json.loads(line) for line in out.splitlines() if line.startswith('{"key": "imports"'))["ms"]
    assert set(ms) == {"--help", "ingest arxiv", "ingest youtube", "ingest github", "ingest web"}
    assert "database" not in ms["--help"]  # the store is not imported for help
    for command in ("ingest arxiv", "ingest web"):
        assert ms[command]["database"] > 0 and ms[command]["curate"] > 0
    assert ms["ingest web"]["html"] > ms["ingest arxiv"].get("html", 0)


def test_the_libraries_floor_imports_what_the_command_imported_but_none_of_curates_modules():
    from tests.bench.harness import third_party

    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       120 |        120 |   _io",
            "import time:       900 |       1500 |     sqlalchemy.sql",
            "import time:      2000 |       4000 |   sqlalchemy",
            "import time:       300 |       4300 | schemas.records",
            "import time:       400 |       4700 | __editable___curate_0_1_0_finder",
            "import time:       500 |       5200 | connectors.arxiv",
            "import time:        50 |         50 |     arxiv",
            "import time:       700 |       5900 | pipeline.store",
            "some other line on stderr",
        ]
    )
    assert third_party(stderr) == ["_io", "sqlalchemy.sql", "sqlalchemy", "arxiv"]
