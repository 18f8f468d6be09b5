"""End-to-end: the installed `curate` command against the replay server."""

from __future__ import annotations


def test_five_arxiv_forms_cost_one_request_and_store_each_paper_once(curate_process, replay):
    curate = curate_process  # the installed command, in its own process
    result = curate(
        "ingest",
        "https://arxiv.org/abs/2512.07461",
        "arxiv.org/pdf/2511.13945v2",
        "2512.08296",
        "https://alphaxiv.org/abs/2512.07461",
        "huggingface.co/papers/2511.13945",
    )
    assert result.returncode == 0, result.stderr
    assert replay.count("/api/query") == 1
    listed = curate("list", "--kind", "paper", "--format", "json")
    ids = sorted(line.split('"id": "')[1].split('"')[0] for line in listed.stdout.splitlines())
    assert ids == ["arxiv:2511.13945", "arxiv:2512.07461", "arxiv:2512.08296"]


def test_ctrl_c_during_ingest_exits_130_at_once_with_one_line_and_keeps_what_was_stored(curate_process, replay):
    import os
    import signal
    import subprocess
    import threading

    from tests.conftest import CURATE, ROOT
    from tests.replay.routes_web import site
    from tests.replay.server import Response

    # four pages the server sits on (far longer than the test waits); the repository answers at once
    replay.fault("/site/", *[Response(delay=30, content_type="text/html", body="<title>late</title>")] * 4)
    pages = [f"{site(replay)}/slow-{n}" for n in range(4)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env.update(curate_process.env, CURATE_HTTP_TIMEOUT="60")
    proc = subprocess.Popen(
        [CURATE, "ingest", "https://github.com/GokuMohandas/Made-With-ML", *pages],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        row = proc.stdout.readline()  # the repository's row: its batch is committed
        assert row.startswith("stored\tgithub:"), row + proc.stderr.read()
        seen = threading.Event()
        while not seen.wait(0.05):  # polls the request log until a page's request has arrived
            if replay.count("/site/"):
                seen.set()
            assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "connector failed" not in stderr, stderr
    assert stderr.strip().splitlines() == ["interrupted: 1 stored, 4 not fetched"]
    assert stdout == ""
    listed = curate_process("list", "--format", "json")
    assert [line.split('"id": "')[1].split('"')[0] for line in listed.stdout.splitlines()] == [row.split("\t")[1]]
