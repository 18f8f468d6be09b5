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

from tests.replay.server import Replay

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "demo"
CURATE = str(Path(sys.executable).with_name("curate"))

DEMO_LINKS = [
    "https://arxiv.org/abs/2512.07461",
    "arxiv.org/pdf/2511.13945v2",
    "2512.08296",
    "https://huggingface.co/papers/1706.03762",
    "hep-th/9901001",
]


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    replay = Replay().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env.update({
        "CURATE_DB": str(OUT / "curate.db"),
        "CURATE_DRAFTS_DIR": str(OUT / "drafts"),
        "CURATE_ARXIV_API_URL": f"{replay.url}/api/query",
        "CURATE_ARXIV_DELAY": "0",
        "CURATE_GITHUB_API_URL": replay.url,
        "CURATE_YOUTUBE_API_URL": replay.url,
        "CURATE_YOUTUBE_WEB_URL": replay.url,
        "CURATE_ALLOW_PRIVATE_HOSTS": "true",
        "CURATE_SOURCES": str(OUT / "sources.toml"),
        # the replay server accepts any credential; real ones are never needed offline
        "GITHUB_TOKEN": "demo-token",
        "YOUTUBE_API_KEY": "demo-key",
    })

    def curate(*args: str) -> int:
        print(f"\n$ curate {' '.join(args)}", flush=True)
        return subprocess.run([CURATE, *args], env=env, cwd=ROOT).returncode

    try:
        links = [link.replace("{replay}", replay.url) for link in DEMO_LINKS]
        status = curate("ingest", *links)
        curate("list")
        curate("export")
    finally:
        replay.stop()
    print(f"\nreplay server answered {len(replay.requests)} requests; database and draft are in {OUT.relative_to(ROOT)}/")
    return status


if __name__ == "__main__":
    sys.exit(main())
