"""Make tests/fixtures/store/curate-0.1.db with the released curate 0.1 (commit eb320c9).

Run from a checkout of that commit, offline against its replay server:

    git worktree add /tmp/curate-0.1 eb320c9
    cd /tmp/curate-0.1 && PYTHONPATH=. python <this repo>/tests/make_db_0_1.py <this repo>/tests/fixtures/store/curate-0.1.db

It drives the 0.1 CLI in process through a week an editor has: every kind ingested, a
renamed repo (an alias), a postponed video (a pending row), a scheduled run over feeds
(feed state, backlog), an issue exported, annotated and published, a second snapshot of
every figure, and the next draft annotated. The upgrade test checks all of it survives.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from tests.replay.server import Replay, replay_env


def main(target: Path) -> None:
    folder = Path(tempfile.mkdtemp())
    replay = Replay().start()
    env = {**replay_env(replay, folder), "GITHUB_TOKEN": "t", "YOUTUBE_API_KEY": "k", "CURATE_MAX_AGE": "0s"}
    os.environ.update(env)
    runner = CliRunner()

    def curate(*args: str) -> None:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        print(f"$ curate {' '.join(args)} -> {result.exit_code}", file=sys.stderr)

    try:
        links = [
            "https://arxiv.org/abs/2512.07461",
            "2511.13945",
            "hep-th/9901001",
            "https://www.youtube.com/playlist?list=PLx7bQz4Ck3mLp9VrT2wYn8Hd5Fa1Gs6Je",
            "https://youtu.be/Mw3kR7tYp2Q",
            "https://github.com/GokuMohandas/Made-With-ML",
            "https://github.com/curate-fixtures/old-name",
            f"{replay.url}/site/blog/continuous_batching",
        ]
        curate("ingest", *links)
        feeds = [("arXiv cs.LG + cs.CL", "/rss/cs.LG+cs.CL"), ("Reading notes", "/feeds/blog/notes.atom")]
        Path(env["CURATE_SOURCES"]).write_text(
            "".join(f'[[feeds]]\nname = "{n}"\nurl = "{replay.url}{p}"\n' for n, p in feeds), encoding="utf-8"
        )
        curate("run")
        curate("mark", "--status", "shortlisted", "github:gokumohandas/made-with-ml")
        curate("mark", "--status", "rejected", "arxiv:hep-th/9901001")
        curate("export")
        md = Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.md"
        md.write_text(md.read_text(encoding="utf-8").replace("# Issue #1", "# Week one"), encoding="utf-8")
        curate("annotate", str(md))
        curate("publish", "1")
        replay.state["youtube_quota"] = 0
        curate(
            "ingest",
            "--refresh",
            "https://github.com/GokuMohandas/Made-With-ML",
            "https://youtu.be/Mw3kR7tYp2Q",
            "https://youtu.be/Ee9nB1dIs4X",
        )
        curate("export")
        curate("annotate", str(Path(env["CURATE_DRAFTS_DIR"]) / "issue-2.json"))
    finally:
        replay.stop()
    import sqlite3

    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with sqlite3.connect(env["CURATE_DB"]) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # one file, no WAL beside it
        dst.execute("PRAGMA journal_mode=DELETE")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
