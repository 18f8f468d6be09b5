"""The benchmark cases: each runs a real command as a child process and measures it.

Wall time is taken around the child (interpreter start included, as a user waits for it);
peak memory is the child's own maximum resident set, read with `os.wait4` so one child's
figure never mixes with another's; requests are what the replay server logged.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.workload import Workload, install
from tests.replay.server import Replay, ReplayHTTPServer

ROOT = Path(__file__).resolve().parents[2]
CURATE = str(Path(sys.executable).with_name("curate"))
SOURCES = ("arxiv", "youtube", "github", "web")
"""Sources a link can name (the one-link case takes one of each)."""
COUNTED = (*SOURCES, "huggingface")
"""Sources requests are counted for: Hugging Face is asked about every arXiv paper a run fetches."""


@dataclass
class Child:
    returncode: int
    wall: float
    cpu: float
    """User + system CPU seconds of the child: steadier than wall time on a busy machine."""
    peak_mb: float
    stdout: str
    stderr: str


@dataclass
class Row:
    case: str
    links: int | None
    requests: int | None
    wall: float
    peak_mb: float | None
    cpu: float | None = None
    by_source: dict[str, int] = field(default_factory=dict)
    summary: str = ""
    """The command's own summary line (`1000 stored`), or what went wrong."""
    limit: float | None = None
    """The physical limit of the case in seconds: requests that must be serial × latency + start-up."""
    libraries: float | None = None
    """Seconds a bare interpreter takes to start and import the third-party and standard-library
    modules the command imported, and nothing of curate's: the floor its libraries set."""

    @property
    def per_link(self) -> float | None:
        if self.requests is None or not self.links:
            return None
        return self.requests / self.links


_LAUNCHER = """
import json, os, sys, time
argv = json.loads(sys.argv[1])
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
os.write(int(sys.argv[2]), json.dumps([os.waitstatus_to_exitcode(status), time.perf_counter() - started,
                        usage.ru_utime + usage.ru_stime, usage.ru_maxrss]).encode())
"""
"""Starts the measured command and reports its rusage. Linux carries the spawning process's
peak RSS into the child's `ru_maxrss` at exec, so the command is spawned from this small
interpreter (about 10 MB) rather than from the benchmark, whose own peak would be the floor."""


def run_child(argv: Sequence[str], env: dict[str, str], cwd: Path = ROOT, timeout: float = 900) -> Child:
    """Run one command; its wall time, CPU time, own peak RSS (MB) and output."""
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, json.dumps(list(argv)), str(write_fd)],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
        os.close(write_fd)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the command it started, nothing else
            proc.wait()
        with os.fdopen(read_fd, "rb") as report:
            data = report.read()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if not data:
        return Child(
            proc.returncode or -1, float(timeout), 0.0, 0.0, stdout, stderr + "\nthe launcher reported nothing"
        )
    code, wall, cpu, maxrss_kib = json.loads(data)
    return Child(code, wall, cpu, maxrss_kib / 1024, stdout, stderr)


def source_of(path: str) -> str:
    if path.startswith(("/api/papers/", "/api/daily_papers")):
        return "huggingface"
    if path.endswith("/api/query"):
        return "arxiv"
    if "/youtube/v3/" in path or path.endswith(("/oembed", "/feeds/videos.xml")):
        return "youtube"
    if path.endswith("/graphql") or "/repos/" in path or "/repositories/" in path or path.endswith("/rate_limit"):
        return "github"
    return "web"


def requests_by_source(replay: Replay) -> dict[str, int]:
    counts = dict.fromkeys(COUNTED, 0)
    for req in list(replay.requests):
        counts[source_of(req.path)] += 1
    return counts


class Bench:
    """A replay server with the workload installed, a scratch folder, and the cases."""

    def __init__(self, work: Workload, latency: float, folder: Path) -> None:
        self.work, self.folder = work, folder
        self.replay = Replay(latency=latency).start()
        self._extra: list[ReplayHTTPServer] = []
        port = int(self.replay.url.rsplit(":", 1)[1])
        # more loopback addresses on the same port, so web pages come from many "sites"
        for host in range(2, work.web_hosts() + 1):
            server = ReplayHTTPServer((f"127.0.0.{host}", port), self.replay._handler_class())
            threading.Thread(target=server.serve_forever, args=(0.05,), name=f"replay-{host}", daemon=True).start()
            self._extra.append(server)
        install(self.replay, work)
        self.links = work.render(port)
        self.links_file = folder / "links.md"
        self.links_file.write_text("".join(f"- {link}\n" for link in self.links), encoding="utf-8")
        self.db = folder / "ingest.db"

    def close(self) -> None:
        # side by side: each shutdown waits for its server's next poll
        stopping = [threading.Thread(target=server.shutdown) for server in self._extra]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        for server in self._extra:
            server.server_close()
        self.replay.stop()

    def env(self, db: Path | None = None) -> dict[str, str]:
        """The environment of a child: every CURATE_*_URL at the replay server, arXiv's delay 0."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CURATE_")
            and k not in ("GITHUB_TOKEN", "YOUTUBE_API_KEY")
            and not k.lower().endswith("_proxy")
        }  # loopback only: no proxy may carry a request off the machine
        url = self.replay.url
        env.update(
            {
                "CURATE_DB": str(db or self.db),
                "CURATE_ARXIV_API_URL": f"{url}/api/query",
                "CURATE_ARXIV_DELAY": "0",
                "CURATE_HF_API_URL": url,
                "CURATE_GITHUB_API_URL": url,
                "CURATE_YOUTUBE_API_URL": url,
                "CURATE_YOUTUBE_WEB_URL": url,
                "CURATE_ALLOW_PRIVATE_HOSTS": "true",
                "CURATE_DRAFTS_DIR": str(self.folder / "drafts"),
                "CURATE_SOURCES": str(self.folder / "sources.toml"),
                # the replay server takes any credential; real ones are never used here
                "GITHUB_TOKEN": "bench-token",
                "YOUTUBE_API_KEY": "bench-key",
                "COLUMNS": "200",
            }
        )
        return env

    def _measured(
        self,
        case: str,
        argv: Sequence[str],
        env: dict[str, str],
        links: int | None,
        repeat: int = 1,
        before: Callable[[], None] | None = None,
    ) -> Row:
        """Run `argv` `repeat` times (calling `before` first each time); the run of median wall time."""
        rows = []
        for _ in range(repeat):
            if before is not None:
                before()
            self.replay.reset()
            install(self.replay, self.work)  # reset() clears the hooks with the log
            child = run_child(argv, env)
            by_source = requests_by_source(self.replay)
            rows.append(
                Row(
                    case=case,
                    links=links,
                    requests=sum(by_source.values()),
                    wall=child.wall,
                    peak_mb=child.peak_mb,
                    cpu=child.cpu,
                    by_source=by_source,
                    summary=summary_of(child),
                )
            )
        rows.sort(key=lambda r: r.wall)
        return rows[len(rows) // 2]

    def forget(self) -> None:
        """Remove the ingest database (a cold start)."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)

    def ingest(self, case: str, repeat: int = 1, cold: bool = False) -> Row:
        """`curate ingest --file links.md` into the benchmark's database (emptied first when `cold`)."""
        return self._measured(
            case,
            [CURATE, "ingest", "--file", str(self.links_file)],
            self.env(),
            len(self.links),
            repeat,
            self.forget if cold else None,
        )

    def naive(self) -> Row:
        """The same links one library call each, in order (tests/bench/naive.py)."""
        return self._measured(
            "naive: one call per link",
            [sys.executable, "-m", "tests.bench.naive", str(self.links_file)],
            self.env(self.folder / "naive.db"),
            len(self.links),
        )

    def export(self, db: Path, case: str, items: int, repeat: int = 1) -> Row:
        """`curate export` of a database; its summary line says how many items the draft carries."""
        row = self._measured(case, [CURATE, "export"], self.env(db), items, repeat)
        row.requests = None
        return row

    def one(self, source: str, repeat: int = 1) -> Row:
        """`curate ingest <one link of source>`, as an editor pastes one link: into a database that
        exists (made by an earlier run, at the newest schema) and does not hold the link yet."""
        link = self.work.one(int(self.replay.url.rsplit(":", 1)[1]))[source]
        db, template = self.folder / "one.db", self.folder / "one-template.db"

        def forget(path: Path) -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        def fresh_copy() -> None:
            forget(db)
            shutil.copyfile(template, db)

        forget(template)
        from pipeline.store import Store

        Store(str(template)).engine.dispose()  # created and migrated once, outside the measured runs
        try:
            row = self._measured(
                f"ingest one {source} link", [CURATE, "ingest", link], self.env(db), 1, repeat, fresh_copy
            )
            fresh_copy()
            row.libraries = self.libraries_floor(["ingest", link], db, repeat)
            return row
        finally:
            forget(db)
            forget(template)

    def startup(self, runs: int = 7) -> float:
        """Seconds the interpreter takes to start and stop doing nothing (`python -c pass`), the median:
        the start-up part of every case's physical limit."""
        return statistics.median(run_child([sys.executable, "-c", "pass"], self.env()).wall for _ in range(runs))

    def imports(self, argv: Sequence[str], db: Path | None = None) -> dict[str, float]:
        """Milliseconds `curate argv` spends importing, summed per module group (`python -X importtime`,
        each module's own time, so a group's figure is its own and no one else's)."""
        child = run_child(
            [sys.executable, "-X", "importtime", CURATE, *argv], self.env(db or self.folder / "imports.db")
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db or self.folder / 'imports.db'}{suffix}").unlink(missing_ok=True)
        return import_groups(child.stderr)

    def libraries_floor(self, argv: Sequence[str], db: Path, runs: int = 3) -> float:
        """The median wall time of a bare interpreter importing every module `curate argv` imports
        but curate's own (read from one `-X importtime` run of the command, in its order): what
        the command would cost if curate's code took no time at all and no request was made."""
        child = run_child([sys.executable, "-X", "importtime", CURATE, *argv], self.env(db))
        modules = third_party(child.stderr)
        return statistics.median(
            run_child([sys.executable, "-c", _IMPORT_ALL, *modules], self.env()).wall for _ in range(runs)
        )

    def help(self, runs: int = 7) -> Row:
        """`curate --help`, the median of `runs` fresh processes."""
        children = [run_child([CURATE, "--help"], self.env()) for _ in range(runs)]
        return Row(
            case="curate --help",
            links=None,
            requests=None,
            wall=statistics.median(c.wall for c in children),
            peak_mb=max(c.peak_mb for c in children),
            cpu=statistics.median(c.cpu for c in children),
            summary="" if all(c.returncode == 0 for c in children) else "exit status " + str(children[0].returncode),
        )


GROUPS = {
    "curate": ("pipeline", "connectors", "schemas"),
    "database": (
        "sqlmodel",
        "sqlalchemy",
        "alembic",
        "mako",
        "psycopg",
        "psycopg_binary",
        "sqlite3",
        "_sqlite3",
        "greenlet",
    ),
    "cli": ("typer", "click", "rich", "markdown_it", "mdurl", "pygments", "shellingham"),
    "pydantic": (
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "annotated_types",
        "typing_inspection",
        "typing_extensions",
        "dotenv",
    ),
    "http": (
        "httpx",
        "httpcore",
        "h11",
        "h2",
        "anyio",
        "sniffio",
        "certifi",
        "idna",
        "httplib2",
        "ssl",
        "_ssl",
        "http",
        "socket",
        "pyparsing",
    ),
    "requests": ("requests", "urllib3", "charset_normalizer", "chardet", "socks", "brotli", "brotlicffi", "simplejson"),
    "google": (
        "googleapiclient",
        "google",
        "google_auth_httplib2",
        "uritemplate",
        "proto",
        "cachetools",
        "rsa",
        "pyasn1",
        "pyasn1_modules",
        "cryptography",
        "_cffi_backend",
        "cffi",
    ),
    "github": ("github", "jwt", "nacl", "deprecated", "wrapt"),
    "html": (
        "lxml",
        "lxml_html_clean",
        "extruct",
        "w3lib",
        "html5lib",
        "bs4",
        "soupsieve",
        "trafilatura",
        "justext",
        "htmldate",
        "courlan",
        "jstyleson",
        "mf2py",
        "pyrdfa",
        "rdflib",
        "webencodings",
        "html_text",
        "jsonschema",
        "dateparser",
        "html",
    ),
    "feeds": ("feedparser", "sgmllib", "arxiv"),
    "web app": ("starlette", "uvicorn", "jinja2", "markupsafe", "multipart", "python_multipart", "itsdangerous"),
}
"""Module groups of the import table: a top-level module in none of them counts as `stdlib`
(when Python ships it) or `other`."""
_GROUP_OF = {top: group for group, tops in GROUPS.items() for top in tops}
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)")


_IMPORT_ALL = """
import importlib, importlib.util, sys
listed = set(sys.argv[1:])
for name in sys.argv[1:]:
    parent = name.rpartition(".")[0]
    try:
        if parent and parent not in listed and parent not in sys.modules:
            # a package the command used without running its __init__ (extruct): the same here
            sys.modules[parent] = importlib.util.module_from_spec(importlib.util.find_spec(parent))
        importlib.import_module(name)
    except Exception:
        pass
"""
"""Imports each module named on the command line, skipping any that cannot be imported alone."""


def third_party(stderr: str) -> list[str]:
    """`-X importtime` lines → the modules imported that are not curate's own, in import order."""
    ours = (*GROUPS["curate"], "__main__")
    names = [m.group(3) for m in map(_IMPORT_LINE.match, stderr.splitlines()) if m]
    return [n for n in names if n.split(".")[0] not in ours and not n.startswith("__editable__")]


def import_groups(stderr: str) -> dict[str, float]:
    """`-X importtime` lines → milliseconds of own import time per module group."""
    out: dict[str, float] = {}
    for line in stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if not m:
            continue
        top = m.group(3).split(".")[0]
        group = _GROUP_OF.get(top) or (
            "stdlib"
            if top.lstrip("_") in sys.stdlib_module_names
            or top in sys.stdlib_module_names
            or top in ("encodings", "site", "sitecustomize", "_distutils_hack", "org")
            or top.startswith("__editable__")
            else "other"
        )
        out[group] = out.get(group, 0.0) + int(m.group(1)) / 1000
    return out


_SUMMARY = re.compile(r"^\d+ [a-z]")


def summary_of(child: Child) -> str:
    """The last summary-looking line of stderr (`1000 stored · 3 not found`), or the exit status."""
    lines = [line.strip() for line in child.stderr.splitlines() if line.strip()]
    found = next((line for line in reversed(lines) if _SUMMARY.match(line) or line.startswith("issue ")), "")
    if child.returncode not in (0, 1) or not found:
        tail = lines[-1] if lines else ""
        return f"exit {child.returncode}: {tail}"[:160]
    return found


def counts_of(summary: str) -> dict[str, int]:
    """`1000 stored · 3 not found` → {"stored": 1000, "not found": 3}."""
    out: dict[str, int] = {}
    for part in summary.split("·"):
        m = re.match(r"\s*(\d+) (.+?)\s*$", part)
        if m:
            out[m.group(2)] = int(m.group(1))
    return out
