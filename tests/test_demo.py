"""`make demo`: the whole pipeline offline, every kind of link, a draft at the end."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_demo_stores_every_kind_and_writes_the_draft(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "tests.replay.demo", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    assert "stored\tarxiv:2512.07461\tpaper\t" in result.stdout
    rows = [line.split("\t") for line in result.stdout.splitlines() if line.startswith("stored\t")]
    assert len(rows) == 9 and all(len(title) > 5 and not title.isdigit() for *_, title in rows)  # real-looking titles
    assert "✗ https://arxiv.org/abs/2512.99999  not found on arXiv" in result.stderr
    assert "issue 1: 4 papers, 2 videos, 2 reads, 1 tool, 0 pick" in result.stderr
    draft = json.loads((out / "drafts" / "issue-1.json").read_text())
    kinds = {item["kind"] for section in draft["sections"] for item in section["items"]}
    assert kinds == {"paper", "video", "playlist", "repo", "article"}
    assert (out / "drafts" / "issue-1.md").read_text().startswith("# ")
