"""`make bench`'s serve case: the time to render `curate serve`'s candidates page over many candidates.

Every item is a candidate of the issue being drafted (nothing published yet): the page's
worst case. Timed in process through Starlette's test client, so the figure is the
server's own work (queries, figures, templates), not a socket's.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench.harness import Row

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def build(path: Path, items: int) -> None:
    """A database of `items` candidates: papers, videos, repos and articles in equal parts."""
    from pipeline.store import Store
    from tests.draft_records import article, paper, repo, save, video

    store = Store(str(path))
    quarter = max(1, items // 4)
    records = (
        [paper(n, days_old=n % 30) for n in range(quarter)]
        + [video(f"v{n:010d}", views=n * 37) for n in range(quarter)]
        + [repo(f"Tool{n}", stars=n * 11) for n in range(quarter)]
        + [article(f"post-{n}", days_old=n % 30) for n in range(items - 3 * quarter)]
    )
    for start in range(0, len(records), 500):
        save(store, records[start : start + 500], NOW - timedelta(hours=1, seconds=start))


def measure(folder: Path, items: int, repeat: int) -> Row:
    from starlette.testclient import TestClient

    from pipeline.config import Settings
    from pipeline.desk.app import create_app

    path = folder / f"serve-{items}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    build(path, items)
    client = TestClient(
        create_app(Settings(db=str(path), drafts_dir=folder / "serve-drafts"), clock=lambda: NOW),
        base_url="http://127.0.0.1:8000",
    )
    client.get("/")  # templates compiled, caches warm: the editor's second look, not the server's first
    times, cpu = [], []
    for _ in range(max(repeat, 5)):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get("/")
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.status_code
    shown = response.text.count('class="row ')
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Row(
        case=f"serve: candidates page, {items:,} candidates",
        links=items,
        requests=None,
        wall=statistics.median(times),
        cpu=statistics.median(cpu),
        peak_mb=None,
        summary=f"{shown} rows rendered of {items:,}",
    )
