"""The scheduled run: feeds → new links → ingest → refresh stale figures → export the draft.

Safe to kill at any point: `Ingest.run` stores links a batch per transaction, and a feed's
validators (ETag, Last-Modified) are stored only after its links are, so the next run
reads that feed again and skips whatever is already stored. `run_lock` keeps two runs
from overlapping. Never prints: the CLI reports what `ScheduledRun.run` returns.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors import feeds
from connectors._urls import split
from connectors.errors import Deferred, LinkRefused
from connectors.feeds import FeedEntry, FeedRead, read_feed
from connectors.registry import Registry
from connectors.registry import default as default_registry
from pipeline import links
from pipeline.config import Settings
from pipeline.ingest import Ingest, Outcome, Report, Status
from pipeline.store import FeedBacklogRow, FeedDroppedRow, Store
from schemas import Item, ItemStatus, SourceRef

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""Runs that retry a feed's link after a retryable failure (5xx, timeout, rate limit) before giving up
on it. A link given up on, like one whose failure is final (not found, refused, a bad answer), is then
skipped while its feed lists it."""
_OPEN = (ItemStatus.candidate, ItemStatus.shortlisted)


# ---- the sources file


class SourcesError(Exception):
    """The sources file cannot be used; the message names the file, the line and the key."""


class FeedTable(BaseModel):
    """The keys of a `[[feeds]]` table that every feed takes."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Shown in messages and kept in each found item's `sources`.")
    url: str = Field(description="The feed: arXiv RSS, a YouTube channel or playlist feed, a blog, a releases.atom.")
    keywords: list[str] = Field(
        default_factory=list, description="Keep entries whose title or summary contains any (any case)."
    )
    regex: str | None = Field(
        default=None, description="Keep entries whose title or summary matches (Python `re.search`)."
    )
    categories: list[str] = Field(
        default_factory=list, description="Keep entries tagged with any: arXiv categories, blog tags."
    )
    max_per_run: int | None = Field(default=None, ge=1, description="Take at most this many entries of each fetch.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the name is blank")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if split(value.strip()) is None:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip()

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    def select(self, entries: Sequence[FeedEntry]) -> list[FeedEntry]:
        """The entries that pass every filter given, in feed order, at most `max_per_run`.

        The cap counts entries of this fetch, not new links, so a run that is killed and
        started again takes the same entries.
        """
        pattern = re.compile(self.regex) if self.regex else None
        wanted = {c.lower() for c in self.categories}
        words = [k.lower() for k in self.keywords]
        chosen: list[FeedEntry] = []
        for entry in entries:
            if wanted and not wanted & {c.lower() for c in entry.categories}:
                continue
            text = f"{entry.title}\n{entry.summary}"
            if words and not any(w in text.lower() for w in words):
                continue
            if pattern is not None and not pattern.search(text):
                continue
            if not all(keep(self, entry) for keep in default_registry().feed_keeps()):
                continue
            chosen.append(entry)
            if self.max_per_run is not None and len(chosen) >= self.max_per_run:
                break
        return chosen


class FeedSource(FeedTable, *default_registry().feed_options()):  # type: ignore[misc]
    """One `[[feeds]]` table of the sources file: the common keys, and those a source adds for
    its own feeds (declared in its module)."""

    model_config = FeedTable.model_config


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedSource] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        for attr in ("name", "url"):
            seen: set[str] = set()
            for feed in self.feeds:
                value = getattr(feed, attr)
                if value in seen:
                    raise ValueError(f"two feeds have the {attr} {value!r}; each needs its own")
                seen.add(value)
        return self


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the key an error points at: the Nth `[[feeds]]` table, then the key in it."""
    lines = text.splitlines()
    if len(loc) >= 2 and loc[0] == "feeds" and isinstance(loc[1], int):
        headers = [i for i, line in enumerate(lines) if re.match(r"^\s*\[\[\s*feeds\s*\]\]", line)]
        if loc[1] >= len(headers):
            return None
        start = headers[loc[1]]
        end = next((i for i in range(start + 1, len(lines)) if re.match(r"^\s*\[", lines[i])), len(lines))
        if len(loc) >= 3:
            key = re.compile(rf"^\s*\"?{re.escape(str(loc[2]))}\"?\s*=")
            for i in range(start + 1, end):
                if key.match(lines[i]):
                    return i + 1
        return start + 1
    if loc:
        key = re.compile(rf"^\s*(?:\[\[?\s*{re.escape(str(loc[0]))}\s*\]|\"?{re.escape(str(loc[0]))}\"?\s*=)")
        for i, line in enumerate(lines):
            if key.match(line):
                return i + 1
    return None


def _problem(error: Any, feeds: list[Any]) -> str:
    loc = tuple(error["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "feeds" and isinstance(loc[1], int):
        raw = feeds[loc[1]] if loc[1] < len(feeds) and isinstance(feeds[loc[1]], dict) else {}
        name = raw.get("name")
        where = f"feed #{loc[1] + 1}" + (f" ({name!r})" if isinstance(name, str) and name else "")
        loc = loc[2:]
    key = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        # the keys every feed takes first, then those sources add for their own feeds
        keys = [*FeedTable.model_fields, *(k for m in default_registry().feed_options() for k in m.model_fields)]
        allowed = ", ".join(keys) if where else "feeds"
        message = f"unknown key {key!r} (known: {allowed})"
    elif error["type"] == "missing":
        message = f"{key!r} is missing"
    else:
        message = (f"{key}: " if key else "") + str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_sources(path: Path) -> list[FeedSource]:
    """The feeds of a sources file; SourcesError naming the line and key of the first problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(
            f"{path}: no such file; write one (see data/sources.toml) or point CURATE_SOURCES at it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read it ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends with "(at line L, column C)"
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None
    try:
        return SourcesFile.model_validate(raw).feeds
    except ValidationError as exc:
        listed = raw.get("feeds")
        feeds = listed if isinstance(listed, list) else []
        problems = []
        for error in exc.errors()[:5]:
            line = _line_of(text, tuple(error["loc"]))
            problems.append(f"{path}{f':{line}' if line else ''}: {_problem(error, feeds)}")
        raise SourcesError("; ".join(problems)) from None


# ---- one run at a time


class AlreadyRunning(Exception):
    """Another `curate run` on the same database holds the lock."""


def lock_path(settings: Settings) -> Path:
    """The lock file: beside the SQLite database, else in the temp dir, named by the URL's hash."""
    db = settings.db
    if db.startswith("sqlite:///") and db != "sqlite:///:memory:":
        db = db.removeprefix("sqlite:///")
    if "://" not in db:
        path = Path(db).expanduser()
        return path.with_name(path.name + ".run.lock")
    digest = hashlib.sha256(db.encode()).hexdigest()[:16]  # never the URL itself: it may hold a password
    return Path(tempfile.gettempdir()) / f"curate-run-{digest}.lock"


@contextmanager
def run_lock(settings: Settings, store: Store | None = None) -> Iterator[Path | None]:
    """Hold the run lock, or raise AlreadyRunning at once (no waiting: cron starts the next one).

    On a database server (`store` on PostgreSQL) the lock is the database's own advisory lock,
    so runs on two machines exclude each other; it yields None. Otherwise it is a file beside
    the SQLite database (its path is yielded): filelock takes an flock(2) lock on Unix. Both
    are dropped when the process dies, even by SIGKILL, so a killed run never leaves a stale
    lock behind.
    """
    if store is not None and store.shared:
        with store.advisory_lock("run") as held:
            if not held:
                raise AlreadyRunning("another curate run holds this database's run lock; this one did nothing")
            yield None
        return
    from filelock import FileLock, Timeout

    path = lock_path(settings)
    lock = FileLock(str(path), timeout=0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(f"another curate run holds {path}; this one did nothing") from None
    except OSError as exc:  # a read-only folder: named by the lock file, so the user knows what it is for
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        yield path
    finally:
        lock.release()


# ---- the run


@dataclass
class FeedOutcome:
    """What one feed gave: its read, the links chosen from it, and what became of them."""

    feed: FeedSource
    read: FeedRead
    listed: int = 0
    """Entries in the feed (0 on a 304)."""
    selected: int = 0
    """Entries that passed the filters and the cap."""
    known: list[str] = field(default_factory=list)
    """Ids already stored: not fetched again, the feed is added to their sources."""
    new: list[tuple[str, SourceRef]] = field(default_factory=list)
    """(link, ref) fetched in this run, or that would be under --dry-run."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(link, reason) for entries whose link curate cannot ingest (a channel page)."""
    report: Report | None = None
    gave_up: list[str] = field(default_factory=list)
    """Links dropped from the backlog after MAX_ATTEMPTS failed runs."""
    dropped: list[str] = field(default_factory=list)
    """Ids the feed still lists that an earlier run dropped (not found, refused, given up): not fetched."""

    @property
    def failed(self) -> bool:
        return self.read.error is not None


@dataclass
class RunReport:
    dry_run: bool = False
    feeds: list[FeedOutcome] = field(default_factory=list)
    pending: Report | None = None
    """Links postponed by an earlier run (a spent quota), fetched first."""
    stale: list[Item] = field(default_factory=list)
    """Items whose figures were older than `refresh_age`."""
    refreshed: Report | None = None
    draft: list[Path] = field(default_factory=list)
    draft_error: str | None = None
    draft_held: str | None = None
    """Why the draft was left as it is: it holds the editor's edits, not yet read back. Not a failure."""
    drafted: Any = None
    """What the model drafted for the draft (pipeline.blurbs.Drafted), when CURATE_LLM_MODEL is set."""

    def reports(self) -> list[Report]:
        found = [self.pending] + [f.report for f in self.feeds] + [self.refreshed]
        return [r for r in found if r is not None]

    def failed_links(self) -> list[Outcome]:
        return [o for r in self.reports() for o in r.failed]

    @property
    def ok(self) -> bool:
        return not self.failed_links() and not any(f.failed for f in self.feeds) and self.draft_error is None


FeedProgress = Callable[[FeedOutcome], None]
LinkProgress = Callable[[Outcome], None]


class ScheduledRun:
    """One scheduled run over the feeds of a sources file, with one Ingest for all of it
    (so connectors, their delays and quotas are shared across feeds)."""

    def __init__(
        self, settings: Settings, store: Store, feeds: Sequence[FeedSource], registry: Registry | None = None
    ) -> None:
        self.settings, self.store, self.feeds = settings, store, list(feeds)
        self.ingest = Ingest(settings, store, registry)
        self._tried: dict[str, Outcome] = {}
        self._planned: set[str] = set()
        self.report: RunReport | None = None
        """The report of the run under way, filled as it goes (what an interrupted run got done)."""

    def run(
        self,
        *,
        dry_run: bool = False,
        on_feed: FeedProgress | None = None,
        on_link: LinkProgress | None = None,
        now: datetime | None = None,
    ) -> RunReport:
        """Pending links, then every feed in file order, then the refresh, then the export.

        Under `dry_run` the feeds are read (conditional GETs) and nothing is written:
        no link fetched, no validator kept, no draft exported.
        """
        now = now or datetime.now(UTC)
        report = self.report = RunReport(dry_run=dry_run)
        if not dry_run and any(row.until is None or row.until <= now for row in self.store.pending()):
            report.pending = self.ingest.run([], include_pending=True, progress=on_link, now=now)
            self._remember(report.pending)
        with feeds.client(self.settings.http_timeout, allow_private=self.settings.allow_private_hosts) as http:
            for feed in self.feeds:
                outcome = self._feed(feed, http, dry_run, on_feed, on_link, now)
                report.feeds.append(outcome)
        stale = self.store.items(
            kinds=self.ingest.registry.refreshed_kinds(), statuses=_OPEN, fetched_before=now - self.settings.refresh_age
        )
        report.stale = [item for item in stale if item.id not in self._tried]
        if dry_run:
            return report
        if report.stale:
            log.info("refreshing %d items older than %s", len(report.stale), self.settings.refresh_age)
            report.refreshed = self.ingest.run(
                [item.url for item in report.stale], refresh=True, include_pending=False, progress=on_link, now=now
            )
        self._export(report, now)
        return report

    def _remember(self, report: Report) -> None:
        for outcome in [*report.outcomes, *report.followed]:
            if outcome.ref is not None:
                self._tried[outcome.ref.key] = outcome

    def _feed(
        self,
        feed: FeedSource,
        http: Any,
        dry_run: bool,
        on_feed: FeedProgress | None,
        on_link: LinkProgress | None,
        now: datetime,
    ) -> FeedOutcome:
        state = self.store.feed_state(feed.url)
        read = read_feed(
            http,
            feed.url,
            state.etag if state else None,
            state.last_modified if state else None,
            registry=self.ingest.registry,
            timeout=self.settings.http_timeout,
        )
        outcome = FeedOutcome(feed=feed, read=read)
        entries = [] if read.error or read.unchanged else read.entries
        outcome.listed = len(entries)
        chosen = feed.select(entries)
        outcome.selected = len(chosen)

        dropped = self.store.feed_dropped(feed.url)
        candidates: dict[str, tuple[str, SourceRef]] = {}
        for entry in chosen:
            try:
                ref = links.parse(entry.link, self.ingest.registry)
            except LinkRefused as exc:
                outcome.skipped.append((entry.link, exc.reason))
                continue
            candidates.setdefault(ref.key, (entry.link, ref))
        backlog = {row.id: row for row in self.store.feed_backlog(feed.url)}
        for row in backlog.values():
            if row.id not in candidates and (row.until is None or row.until <= now):
                try:
                    candidates[row.id] = (row.url, links.parse(row.url, self.ingest.registry))
                except LinkRefused:
                    continue
        known = self.store.known(candidates)
        outcome.known = sorted(known)
        # a link an earlier run dropped was reported then; it is skipped quietly from then on
        outcome.dropped = [key for key in candidates if key in dropped and key not in known]
        if outcome.dropped:
            log.info("feed %s: %d links dropped by earlier runs skipped", feed.name, len(outcome.dropped))
        outcome.new = [
            pair
            for key, pair in candidates.items()
            if key not in known and key not in dropped and key not in self._tried and key not in self._planned
        ]
        if on_feed:
            on_feed(outcome)
        if dry_run:
            self._planned.update(ref.key for _, ref in outcome.new)  # listed once, under the first feed
            return outcome

        if known:
            self.store.add_source(known, feed.name)
        if outcome.new:
            outcome.report = self.ingest.run(
                [link for link, _ in outcome.new], source=feed.name, include_pending=False, progress=on_link, now=now
            )
            self._remember(outcome.report)
        retry, done, gone = self._settle(feed, candidates, known, backlog, outcome, now)
        # a dropped link the feed has stopped listing is forgotten; only a full read tells
        listing = self._keys(entries) if read.error is None and not read.unchanged else None
        forget = [key for key in dropped if listing is not None and key not in listing]
        self.store.feed_done(
            feed.url,
            now,
            read=read.error is None,
            changed=read.error is None and not read.unchanged,
            etag=read.etag,
            last_modified=read.last_modified,
            retry=retry,
            done=done,
            dropped=gone,
            forget=forget,
        )
        return outcome

    def _keys(self, entries: Sequence[FeedEntry]) -> set[str]:
        keys: set[str] = set()
        for entry in entries:
            try:
                keys.add(links.parse(entry.link, self.ingest.registry).key)
            except LinkRefused:
                continue
        return keys

    def _settle(
        self,
        feed: FeedSource,
        candidates: dict[str, tuple[str, SourceRef]],
        known: set[str],
        backlog: dict[str, FeedBacklogRow],
        outcome: FeedOutcome,
        now: datetime,
    ) -> tuple[list[FeedBacklogRow], set[str], list[FeedDroppedRow]]:
        """Which of the feed's links wait in its backlog for the next run, which leave it, and
        which of those are dropped for good (skipped while the feed lists them)."""
        pending = {row.id: row.until for row in self.store.pending()}
        retry: list[FeedBacklogRow] = []
        gone: list[FeedDroppedRow] = []
        done: set[str] = set(known) & set(backlog)
        for key, (link, ref) in candidates.items():
            if key in known:
                continue
            tried = self._tried.get(key)
            if tried is None:
                continue  # a backlog link not due yet: it stays as it is
            if tried.status in (Status.stored, Status.fresh):
                done.add(key)
                continue
            old = backlog.get(key)
            attempts = (old.attempts if old else 0) + (0 if isinstance(tried.error, Deferred) else 1)
            final = tried.status == Status.refused or (tried.error is not None and not tried.error.retryable)
            if final:
                done.add(key)
                gone.append(
                    FeedDroppedRow(
                        feed_url=feed.url, id=key, url=ref.url, reason=tried.message or tried.label, dropped_at=now
                    )
                )
            elif attempts > MAX_ATTEMPTS:
                done.add(key)
                gone.append(
                    FeedDroppedRow(
                        feed_url=feed.url,
                        id=key,
                        url=ref.url,
                        reason=f"gave up after {attempts - 1} failed runs",
                        dropped_at=now,
                    )
                )
                outcome.gave_up.append(link)
                log.warning("feed %s: gave up on %s after %d failed runs", feed.name, link, attempts - 1)
            else:
                retry.append(
                    FeedBacklogRow(
                        feed_url=feed.url,
                        id=key,
                        url=ref.url,
                        feed=feed.name,
                        reason=tried.message or tried.label,
                        attempts=max(attempts, 1),
                        until=pending.get(key),
                        added=old.added if old else now,
                    )
                )
        return retry, done, gone

    def _export(self, report: RunReport, now: datetime) -> None:
        """Write the current draft the way `curate export` does; an edited draft is kept, not overwritten."""
        from pipeline import draft
        from pipeline.newsletter import NewsletterError, load

        try:
            fmt = load(self.settings.newsletter)
            prepared = draft.prepare(self.store, now, caps=draft.caps_of(self.settings), fmt=fmt)
            if self.settings.llm_model:
                from pipeline.blurbs import Drafter, attach

                report.drafted = Drafter(
                    self.store,
                    self.settings.llm_model,
                    fmt,
                    secrets=self.settings.secrets(),
                    timeout=self.settings.llm_timeout,
                ).run(prepared)
                attach(self.store, prepared)
            report.draft = draft.write(self.store, self.settings, prepared)
        except draft.DraftEdited as exc:
            report.draft_held = str(exc)
        except (draft.DraftError, NewsletterError) as exc:
            report.draft_error = str(exc)
