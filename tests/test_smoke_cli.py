"""End-to-end: the installed `curate` command against the replay server."""

from __future__ import annotations


def test_five_arxiv_forms_cost_one_request_and_store_each_paper_once(curate_process, replay):
    curate = curate_process  # the installed command, in its own process
    result = curate("ingest", "https://arxiv.org/abs/2512.07461", "arxiv.org/pdf/2511.13945v2", "2512.08296",
                    "https://alphaxiv.org/abs/2512.07461", "huggingface.co/papers/2511.13945")
    assert result.returncode == 0, result.stderr
    assert replay.count("/api/query") == 1
    listed = curate("list", "--kind", "paper", "--format", "json")
    ids = sorted(line.split('"id": "')[1].split('"')[0] for line in listed.stdout.splitlines())
    assert ids == ["arxiv:2511.13945", "arxiv:2512.07461", "arxiv:2512.08296"]
