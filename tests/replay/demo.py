"""`make demo`: the whole pipeline offline, against the replay server.

Starts the replay server on loopback, points every CURATE_*_URL at it, then runs the
real `curate` command: ingest a handful of links of every kind, list them, export the
draft. Everything it writes goes under data/demo/ (removed and rebuilt each time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.replay.server import Replay, replay_env

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "demo"
CURATE = str(Path(sys.executable).with_name("curate"))

DEMO_LINKS = [
    # papers, in several forms (one arXiv request); 2512.07461's code repo comes along
    "https://arxiv.org/abs/2512.07461",
    "arxiv.org/pdf/2511.13945v2",
    "https://huggingface.co/papers/1706.03762",
    "hep-th/9901001",
    # a playlist and a video
    "https://www.youtube.com/playlist?list=PLx7bQz4Ck3mLp9VrT2wYn8Hd5Fa1Gs6Je",
    "https://youtu.be/Mw3kR7tYp2Q?t=42",
    # a repository
    "https://github.com/GokuMohandas/Made-With-ML",
    # web articles, served by the replay server's stand-in sites
    "{replay}/site/blog/continuous_batching?utm_source=newsletter",
    "{replay}/site/blog/sharding-a-vector-index",
    # and one bad link, to show what a failure looks like
    "https://arxiv.org/abs/2512.99999",
]


def main(out: Path = OUT) -> int:
    """Run the demo into `out` (data/demo/ by default; tests pass a scratch folder)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    replay = Replay().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env.update(
        {
            **replay_env(replay, out),
            # the replay server accepts any credential; real ones are never needed offline
            "GITHUB_TOKEN": "demo-token",
            "YOUTUBE_API_KEY": "demo-key",
        }
    )

    def curate(*args: str) -> int:
        print(f"\n$ curate {' '.join(args)}", flush=True)
        return subprocess.run([CURATE, *args], env=env, cwd=ROOT).returncode

    try:
        links = [link.replace("{replay}", replay.url) for link in DEMO_LINKS]
        curate("ingest", *links)  # exits 1: the unknown paper is the demo's one failure
        curate("list")
        status = curate("export")
    finally:
        replay.stop()
    print(f"\nreplay server answered {len(replay.requests)} requests; database and draft are in {out}/")
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
