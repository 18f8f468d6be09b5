"""Shared fixtures: the loopback replay server, settings pointed at it, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from tests.replay.server import Replay

ROOT = Path(__file__).resolve().parent.parent
CURATE = str(Path(sys.executable).with_name("curate"))
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CURATE_* settings and credentials never leak into a test."""
    for name in list(os.environ):
        if name.startswith("CURATE_") or name in ("GITHUB_TOKEN", "YOUTUBE_API_KEY"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def replay_server() -> Iterator[Replay]:
    server = Replay().start()
    yield server
    server.stop()


@pytest.fixture
def replay(replay_server: Replay) -> Iterator[Replay]:
    """The replay server with an empty request log and no faults queued."""
    replay_server.reset()
    yield replay_server
    replay_server.reset()


def replay_env(replay: Replay, tmp_path: Path) -> dict[str, str]:
    """CURATE_* variables that point every connector at the replay server."""
    return {
        "CURATE_DB": str(tmp_path / "curate.db"),
        "CURATE_ARXIV_API_URL": f"{replay.url}/api/query",
        "CURATE_ARXIV_DELAY": "0",
        "CURATE_ARXIV_RETRIES": "0",
        "CURATE_GITHUB_API_URL": replay.url,
        "CURATE_YOUTUBE_API_URL": replay.url,
        "CURATE_YOUTUBE_WEB_URL": replay.url,
        "CURATE_ALLOW_PRIVATE_HOSTS": "true",
        "CURATE_DRAFTS_DIR": str(tmp_path / "drafts"),
        "CURATE_SOURCES": str(tmp_path / "sources.toml"),
        "CURATE_HTTP_TIMEOUT": "5",
    }


@pytest.fixture
def env(replay: Replay, tmp_path: Path) -> dict[str, str]:
    return replay_env(replay, tmp_path)


@pytest.fixture
def settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointed at the replay server, built the way the CLI builds them."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return Settings()


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, input: str | None = None, extra_env: dict[str, str] | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run the installed `curate` command as a user would."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_") and k not in ("GITHUB_TOKEN", "YOUTUBE_API_KEY")}
        env.update(self.env)
        env.update(extra_env or {})
        env["COLUMNS"] = "200"
        return subprocess.run([CURATE, *args], env=env, input=input, capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)


@pytest.fixture
def curate(env: dict[str, str]) -> Cli:
    return Cli(env)


def corpus_file(relative: str) -> Path:
    """A file of ../shared/corpus, or skip the test when the corpus is not beside the repo."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file {relative} not available (../shared/corpus)")
    return path
