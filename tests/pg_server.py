"""A throwaway PostgreSQL server for the tests and CI: Debian's server binaries, a temporary
data directory, a free loopback port, trust authentication for the one user `curate`.

    python -m tests.pg_server start DIR   # prints postgresql+psycopg://curate@127.0.0.1:PORT/curate
    python -m tests.pg_server stop DIR

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (which
Debian's package creates), else as `nobody`. Written with pg_ctl rather than a pytest plugin
so that `.ci/run` and a developer's pytest start it the same way.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path

USER = "curate"


def binaries() -> Path | None:
    """The newest `/usr/lib/postgresql/<major>/bin` holding pg_ctl and initdb, or None."""
    found = [
        p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists() and (p / "initdb").exists()
    ]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0) if found else None


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that drops root to an unprivileged user, who then owns `folder`."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
        return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups", "--"]
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists to run PostgreSQL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> str:
    """Start a server whose files live in `folder`; return its URL. Raises RuntimeError, with the log."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    data, log = folder / "data", folder / "server.log"
    prefix = _as_server_user(folder)
    run = lambda *args: subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=folder)  # noqa: E731
    init = run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
    if init.returncode:
        raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
    port = _free_port()
    # no fsync: a test server's data is thrown away, and durability costs seconds per test run
    options = f"-p {port} -h 127.0.0.1 -k {folder} -F -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    started = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    if started.returncode:
        raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log.read_text(errors='replace')[-2000:]}")
    (folder / "port").write_text(str(port))
    created = run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, USER)
    if created.returncode:
        stop(folder)
        raise RuntimeError(f"createdb failed: {created.stderr.strip()}")
    return f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{USER}"


def stop(folder: Path) -> None:
    """Stop the server started in `folder` (fast shutdown) and remove its files."""
    bin_dir = binaries()
    folder = folder.resolve()
    if bin_dir is not None and (folder / "data" / "postmaster.pid").exists():
        subprocess.run(
            [*_as_server_user(folder), str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
            cwd=folder,
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(start(where))
    else:
        stop(where)
