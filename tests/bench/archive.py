"""A database at archive scale for the export case: a year of a busy newsletter.

`build(path, items=50_000)` writes, in a few seconds, what a year of weekly issues leaves
behind: items spread evenly over 52 weeks (40 % papers, 30 % videos and playlists, 20 %
repos, 10 % articles) with raw payloads of realistic size, 51 published issues (their
items `published`, one in ten `rejected`), the current week's items still candidates, and
one star-and-fork snapshot a day for every repo from the day it was first seen (the cron
refreshes figures daily). Items and issues go in through SQLAlchemy Core with the store's
own tables; the millions of snapshot rows through sqlite3 `executemany`, in the text form
the store writes (checked on the way out by reading a few back through `Store`).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.workload import arxiv_entry

WEEKS = 52
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""The archive's "today" (fixed, so two builds are the same database)."""


def _when(i: int, total: int) -> datetime:
    """Item i's first_seen: evenly over the year before NOW, oldest first."""
    return NOW - timedelta(days=365) + timedelta(seconds=365 * 86400 * (i + 0.5) / total)


def _records(total: int) -> list[tuple[Any, str]]:
    """(record, raw payload) for every item, kinds interleaved 4:3:2:1 like the link mix."""
    from schemas import Article, Paper, Playlist, PlaylistVideo, Repo, Video

    out: list[tuple[Any, str]] = []
    repo_payload = json.dumps(
        {
            "description": "x" * 200,
            "topics": ["ml"] * 8,
            "owner": {"login": "o" * 12},
            "license": {"spdx_id": "MIT"},
            "padding": "p" * 2600,
        }
    )
    for i in range(total):
        slot = i % 10
        published = _when(i, total) - timedelta(days=2)
        if slot < 4:
            arxiv_id = f"{25 + i // 90000:02d}{1 + (i // 9000) % 12:02d}.{i % 100000:05d}"
            paper = Paper(
                id=f"arxiv:{arxiv_id}",
                url=f"https://arxiv.org/abs/{arxiv_id}",
                title=f"Paper {i}: scaling sparse attention for retrieval",
                arxiv_id=arxiv_id,
                version=1,
                authors=[f"Author {i}-{k}" for k in range(6)],
                abstract="word " * 180,
                primary_category="cs.LG",
                categories=["cs.LG", "cs.CL"],
                published=published,
                updated=published,
                pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v1",
                code_links=[f"https://github.com/lab{i % 97}/code-{i}"] if i % 3 == 0 else [],
            )
            out.append((paper, arxiv_entry(arxiv_id)))
        elif slot < 7:
            if i % 50 == 4:  # one video slot in fifty is a playlist (a course of 20 videos)
                vids = [
                    PlaylistVideo(
                        position=k,
                        video_id=f"p{i:06d}{k:04d}"[:11],
                        title=f"Part {k}",
                        duration_seconds=600,
                        views=1000 + k,
                        published=published,
                    )
                    for k in range(20)
                ]
                record: Any = Playlist(
                    id=f"youtube:playlist:PLarch{i:010d}",
                    url=f"https://www.youtube.com/playlist?list=PLarch{i:010d}",
                    title=f"Course {i}",
                    playlist_id=f"PLarch{i:010d}",
                    channel="Lectures",
                    video_count=20,
                    duration_seconds=12000,
                    videos=vids,
                    filled_by="api",
                    published=published,
                    description="d" * 300,
                )
            else:
                vid = f"a{i:010d}"
                record = Video(
                    id=f"youtube:video:{vid}",
                    url=f"https://www.youtube.com/watch?v={vid}",
                    title=f"Talk {i}: what we learned from agents",
                    video_id=vid,
                    channel="Talks",
                    channel_id="UCarchive",
                    published=published,
                    duration_seconds=1800 + i % 900,
                    views=1000 + i * 7 % 90000,
                    likes=i % 900,
                    description="words " * 120,
                    thumbnail=f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg",
                    filled_by="api",
                )
            out.append((record, "v" * 2500))
        elif slot < 9:
            owner, name = f"org{i % 997}", f"tool-{i}"
            record = Repo(
                id=f"github:{owner}/{name}",
                url=f"https://github.com/{owner}/{name}",
                title=f"{owner}/{name}",
                full_name=f"{owner}/{name}",
                owner=owner,
                name=name,
                description="A tool " * 20,
                stars=100 + i % 5000,
                forks=i % 300,
                language="Python",
                topics=["ml", "llm", "agents"],
                license="MIT",
                created=published - timedelta(days=300),
                pushed=published,
            )
            out.append((record, repo_payload))
        else:
            url = f"https://blog{i % 311}.example.com/posts/{i}"
            record = Article(
                id=f"web:{url}",
                url=url,
                title=f"Notes on {i}",
                site_name=f"Blog {i % 311}",
                authors=["A. Writer"],
                published=published,
                description="A post about things. " * 10,
                language="en",
                final_url=url,
                content_type="text/html",
            )
            out.append((record, "h" * 2000))
    return out


def build(path: Path, total: int = 50_000) -> dict[str, int]:
    """Write the archive database at `path` (replaced); returns row counts."""
    from sqlalchemy import insert

    from pipeline import store as store_mod

    path.unlink(missing_ok=True)
    store = store_mod.Store(str(path))
    week = timedelta(days=7)
    start = NOW - timedelta(days=365)
    issue_end = [start + week * (k + 1) for k in range(WEEKS - 1)]  # issue k+1 covers week k
    rows: list[dict[str, Any]] = []
    issues: dict[int, list[str]] = {}
    repos: list[tuple[str, datetime, int, int]] = []
    for i, (record, payload) in enumerate(_records(total)):
        first_seen = _when(i, total)
        week_no = int((first_seen - start) / week)
        status = "candidate"
        if week_no < WEEKS - 1:  # a published week; its items were published or rejected
            status = "rejected" if i % 10 == 9 else "published"
            if status == "published":
                issues.setdefault(week_no + 1, []).append(record.id)
        fetched_at = first_seen
        if record.kind == "repo":
            fetched_at = NOW - timedelta(hours=3)
            repos.append((record.id, first_seen, record.stars, record.forks))
        rows.append(
            {
                "id": record.id,
                "kind": record.kind,
                "url": record.url,
                "title": record.title,
                "status": status,
                "first_seen": first_seen,
                "fetched_at": fetched_at,
                "fetch_count": 1,
                "record": record.model_dump(mode="json"),
                "payload": payload,
                "sources": [],
            }
        )
    with store.engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            conn.execute(insert(store_mod.ItemRow.__table__), rows[chunk : chunk + 5000])
        issue_table = getattr(store_mod, "IssueRow", None)
        if issue_table is not None and issues:
            conn.execute(
                insert(issue_table.__table__),
                [
                    {
                        "number": n,
                        "title": f"Issue #{n}",
                        "intro": "",
                        "since": issue_end[n - 2] if n > 1 else start,
                        "until": issue_end[n - 1],
                        "item_ids": ids,
                        "digests": {},
                        "published_at": issue_end[n - 1] + timedelta(hours=20),
                    }
                    for n, ids in sorted(issues.items())
                ],
            )
        # the full-text index `curate search` reads, as the store's save keeps it
        store_mod.index_for_search(conn, [(r["id"], r["title"], r["record"]) for r in rows])
    # a snapshot of stars and forks every day from first_seen: the bulk of the database
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"  # pipeline.store.ISO_UTC
    snapshots = 0
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-200000")
        # building the indexes once at the end is several times faster than keeping them up row by row
        indexes = [
            sql
            for (sql,) in con.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metric' AND sql IS NOT NULL"
            )
        ]
        for sql in indexes:
            con.execute("DROP INDEX " + sql.split()[2])
        batch: list[tuple[str, str, int, str]] = []
        for item_id, first_seen, stars, forks in repos:
            days = (NOW - first_seen).days
            for d in range(days + 1):
                at = (first_seen + timedelta(days=d)).strftime(fmt)
                grown = stars * (0.5 + 0.5 * d / max(days, 1))
                batch.append((item_id, "stars", int(grown), at))
                batch.append((item_id, "forks", int(forks * (0.5 + 0.5 * d / max(days, 1))), at))
            if len(batch) > 200_000:
                con.executemany("INSERT INTO metric (item_id, name, value, at) VALUES (?, ?, ?, ?)", batch)
                snapshots += len(batch)
                batch = []
        con.executemany("INSERT INTO metric (item_id, name, value, at) VALUES (?, ?, ?, ?)", batch)
        snapshots += len(batch)
        for sql in indexes:
            con.execute(sql)
        con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    # the rows written by hand must read back as the store's own
    check = store_mod.Store(str(path))
    if repos:
        got = check.metrics(repos[0][0], "stars")
        assert got and got[0][0] == repos[0][1], got[:1]
    assert check.count() == total
    return {
        "items": total,
        "issues": len(issues),
        "snapshots": snapshots,
        "candidates": sum(1 for r in rows if r["status"] == "candidate"),
    }
