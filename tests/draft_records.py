"""Records for draft tests, stored the way a connector's results are (`Store.save` of `Fetched`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from connectors.base import AnyRecord, Fetched
from pipeline.store import Store
from schemas import Article, Paper, Playlist, PlaylistVideo, Repo, SourceRef, Video

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def paper(
    n: int,
    title: str | None = None,
    days_old: int = 0,
    abstract: str | None = None,
    authors: Sequence[str] = ("Ada Lovelace", "Alan Turing"),
    code: Sequence[str] = (),
) -> Paper:
    arxiv_id = f"2511.{n:05d}"
    return Paper(
        id=f"arxiv:{arxiv_id}",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        title=title or f"Paper number {n}",
        arxiv_id=arxiv_id,
        version=1,
        authors=list(authors),
        abstract=abstract if abstract is not None else f"We study problem {n}. It matters. A third sentence.",
        published=T0 - timedelta(days=days_old),
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v1",
        code_links=list(code),
    )


def video(key: str, views: int, title: str | None = None, channel: str = "Some Channel") -> Video:
    return Video(
        id=f"youtube:video:{key}",
        url=f"https://www.youtube.com/watch?v={key}",
        title=title or f"Talk {key}",
        video_id=key,
        channel=channel,
        views=views,
        duration_seconds=3723,
        description=f"A talk called {key}.",
        published=T0,
        filled_by="api",
    )


def playlist(key: str, views: Sequence[int], title: str | None = None) -> Playlist:
    return Playlist(
        id=f"youtube:playlist:{key}",
        url=f"https://www.youtube.com/playlist?list={key}",
        title=title or f"Course {key}",
        playlist_id=key,
        channel="Lectures",
        description="A lecture series.",
        video_count=len(views),
        duration_seconds=600 * len(views),
        filled_by="api",
        videos=[
            PlaylistVideo(position=i, video_id=f"v{i:010d}", title=f"Lecture {i}", views=v) for i, v in enumerate(views)
        ],
    )


def repo(name: str, stars: int, description: str = "A useful tool.") -> Repo:
    return Repo(
        id=f"github:acme/{name.lower()}",
        url=f"https://github.com/acme/{name}",
        title=f"acme/{name}",
        full_name=f"acme/{name}",
        owner="acme",
        name=name,
        description=description,
        stars=stars,
        language="Python",
        created=T0 - timedelta(days=30),
    )


def article(slug: str, days_old: int = 0, title: str | None = None, site: str = "Example Blog") -> Article:
    url = f"https://blog.example.com/{slug}"
    return Article(
        id=f"web:{url}",
        url=url,
        title=title or f"Post {slug}",
        site_name=site,
        authors=["Grace Hopper"],
        published=T0 - timedelta(days=days_old),
        description=f"Notes about {slug}. More notes.",
    )


def save(store: Store, records: Sequence[AnyRecord], now: datetime | None = None) -> list[str]:
    """Store records as one ingest batch would, at `now` (default: the real clock)."""
    now = now or datetime.now(UTC)
    results = [Fetched(ref=SourceRef(kind=r.kind, key=r.id, url=r.url, connector="test"), record=r) for r in records]
    return store.save(results, now)


def newsletter(store: Store, now: datetime | None = None) -> None:
    """The issue's "done when" set besides the papers: two playlists, two articles, two repos."""
    save(
        store,
        [
            playlist("PLcourseAAAA", [1000, 2000]),
            playlist("PLcourseBBBB", [50]),
            article("agents", days_old=1),
            article("evals", days_old=3),
            repo("Fastlib", 900),
            repo("Tinytool", 40),
        ],
        now,
    )
