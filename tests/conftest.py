"""Shared fixtures: the loopback replay server, settings pointed at it, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from tests.replay.server import Replay, replay_env

CREDENTIALS = tuple(
    name
    for info in Settings.model_fields.values()
    if info.validation_alias is not None
    for name in info.validation_alias.choices
    if isinstance(name, str) and not name.startswith("CURATE_")  # type: ignore[union-attr]
)
"""The credentials' own variable names (GITHUB_TOKEN, YOUTUBE_API_KEY…), as the sources declare them."""

ROOT = Path(__file__).resolve().parent.parent
CURATE = str(Path(sys.executable).with_name("curate"))
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CURATE_* settings and credentials never leak into a test."""
    for name in list(os.environ):
        if name.startswith("CURATE_") or name in CREDENTIALS:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(Settings.model_config, "env_file", None)  # nor does a .env file in the checkout


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


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
"""A PostgreSQL server the tests may use (.ci/run starts one and sets it); else they start their own."""


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a PostgreSQL server for this session: TEST_POSTGRES_URL, else one started from
    Debian's binaries in a temporary folder. Without binaries the test skips, except in CI (CI=true),
    where it fails: CI runs both backends or says why not."""
    if POSTGRES_URL:
        yield POSTGRES_URL
        return
    from tests import pg_server

    if pg_server.binaries() is None:
        reason = (
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin) and no TEST_POSTGRES_URL: "
            "apt-get install postgresql to run the PostgreSQL half of the tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="curate-pg-"))  # not under pytest's tmp: the server's user must reach it
    url = pg_server.start(folder)
    try:
        yield url
    finally:
        pg_server.stop(folder)


BACKENDS = ("sqlite", "postgresql")
"""The databases a module's tests run on when it asks for both:

    @pytest.fixture(params=BACKENDS)
    def backend(request): return request.param
"""


@pytest.fixture
def backend() -> str:
    """The database this test runs on: SQLite, unless its module asks for both."""
    return "sqlite"


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """CURATE_DB for this test: a SQLite file in tmp_path, or a schema of its own on the PostgreSQL server."""
    if backend == "sqlite":
        yield str(tmp_path / "curate.db")
        return
    import gc
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres_server")
    plain = server.replace("+psycopg", "")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{server}?options=-csearch_path%3D{schema}"
    gc.collect()  # the test's engines close their pooled connections
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def env(replay: Replay, tmp_path: Path, db_url: str) -> dict[str, str]:
    return {**replay_env(replay, tmp_path), "CURATE_DB": db_url}


@pytest.fixture
def settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointed at the replay server, built the way the CLI builds them."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return Settings()


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(
        self, *args: str, input: str | None = None, extra_env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed `curate` command as a user would."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_") and k not in CREDENTIALS}
        env.update(self.env)
        env["COLUMNS"] = "200"
        env.update(extra_env or {})
        return subprocess.run(
            [CURATE, *args], env=env, input=input, capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )


class InProcessCli(Cli):
    """`curate` run inside the test process with typer's CliRunner: the same entry point
    (`pipeline.cli.main`, so unexpected errors become one line as they do for users), the
    same environment and streams, without starting a Python each time."""

    def __call__(
        self, *args: str, input: str | None = None, extra_env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        import logging

        from typer.testing import CliRunner

        from pipeline import cli

        env: dict[str, str | None] = {
            k: None for k in os.environ if k.startswith("CURATE_") or k in ("GITHUB_TOKEN", "YOUTUBE_API_KEY")
        }
        env.update(self.env)
        env["COLUMNS"] = "200"
        env.update(extra_env or {})
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        code, stdout, stderr = 0, "", ""
        argv = sys.argv
        try:
            with CliRunner().isolation(input=input, env=env) as (out, err, _):
                sys.argv = ["curate", *args]
                try:
                    cli.main()
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                sys.stdout.flush()
                sys.stderr.flush()
                stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
        finally:
            sys.argv = argv
            root.handlers[:] = handlers  # the command's handler writes to the runner's stream, closed now
            root.setLevel(level)
        return subprocess.CompletedProcess([CURATE, *args], code, stdout, stderr)


@pytest.fixture
def curate(env: dict[str, str]) -> Cli:
    """The `curate` command, run in process (fast on 2 cores)."""
    return InProcessCli(env)


@pytest.fixture
def run(env: dict[str, str]):
    """`curate ARGS` in process through typer's CliRunner, with the replay environment plus
    `extra` variables; returns click's Result (exit_code, stdout, stderr); exceptions propagate."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    def invoke(*args: str, **extra: str):
        return CliRunner().invoke(app, list(args), env={**env, **extra}, catch_exceptions=False)

    return invoke


@pytest.fixture
def curate_process(env: dict[str, str]) -> Cli:
    """The installed `curate` command in its own process: for the few smoke tests of the real binary."""
    return Cli(env)


def corpus_file(relative: str) -> Path:
    """A file of ../shared/corpus, or skip the test when the corpus is not beside the repo."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file {relative} not available (../shared/corpus)")
    return path


# ---- a fixture file that no test reads fails a full run (it is dead weight, or a test lost it)

FIXTURES_DIR = ROOT / "tests" / "fixtures"
_LOG_VAR = "CURATE_TESTS_FIXTURE_LOG"


def _record_fixture_reads() -> None:
    log_dir = os.environ.get(_LOG_VAR)
    if not log_dir:
        return
    prefix = str(FIXTURES_DIR) + os.sep
    seen: set[str] = set()
    log_path = Path(log_dir) / f"{os.getpid()}.txt"

    def hook(event: str, args: tuple) -> None:
        if event == "open" and isinstance(args[0], str) and args[0].startswith(prefix) and args[0] not in seen:
            seen.add(args[0])
            with open(log_path, "a", encoding="utf-8") as fh:  # noqa: PTH123 - inside an audit hook
                fh.write(args[0] + "\n")

    sys.addaudithook(hook)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and _LOG_VAR not in os.environ:
        import tempfile

        os.environ[_LOG_VAR] = tempfile.mkdtemp(prefix="curate-fixture-log-")
    _record_fixture_reads()


def _full_run(config: pytest.Config) -> bool:
    args = [a for a in config.args if a not in ("tests", "tests/", str(ROOT / "tests"))]
    return not args and not config.option.keyword and not config.option.markexpr and not config.option.lf


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput") or exitstatus != 0 or not _full_run(config):
        return
    log_dir = Path(os.environ.get(_LOG_VAR, ""))
    used = {line for f in log_dir.glob("*.txt") for line in f.read_text(encoding="utf-8").splitlines()}
    unused = sorted(str(p.relative_to(ROOT)) for p in FIXTURES_DIR.rglob("*") if p.is_file() and str(p) not in used)
    if unused:
        print("\nfixtures no test reads (use them in a test or delete them):\n  " + "\n  ".join(unused))
        session.exitstatus = 1
