"""SQLite or PostgreSQL storage of items, raw payloads, metric snapshots, issues and feed state.

Idempotent upserts by canonical id (the database's own `INSERT … ON CONFLICT`); a batch is
written in one transaction, so a failure or a killed process never leaves half a batch. The
schema changes only through the Alembic migrations in pipeline/migrations/. The store never
makes an HTTP request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Column, Connection, DateTime, Engine, Text, TypeDecorator, event, func, text
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from connectors.base import Fetched
from connectors.errors import Deferred
from pipeline import preflight
from schemas import STORED, Item, ItemStatus, Kind, record_adapter
from schemas.item import LINKED_SOURCE

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
"""meta.schema_version, which curate 0.1 checks (it refuses a higher one). Alembic's revision
is what this curate checks; each migration that changes the tables' shape bumps this too."""


class StoreError(Exception):
    """The database cannot be used (newer schema, unreadable file); the message says what to do."""


ISO_UTC = "%(year)04d-%(month)02d-%(day)02dT%(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06dZ"
"""How SQLite holds a time: ISO 8601 in UTC with a `Z`, always six fraction digits, so text order
is time order. curate 0.1 wrote a space for the `T` and no `Z`; both read back."""


class UTCTime(TypeDecorator):
    """An aware UTC datetime: `timestamptz` on PostgreSQL, ISO 8601 text ending in `Z` on SQLite.

    A naive datetime given to it is taken as UTC; what it reads back is always aware, in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import DATETIME

            return dialect.type_descriptor(
                DATETIME(storage_format=ISO_UTC, regexp=r"(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)(?:\.(\d+))?Z?$")
            )
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class ItemRow(SQLModel, table=True):
    __tablename__ = "item"
    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    url: str
    title: str
    status: str = Field(default=ItemStatus.candidate.value, index=True)
    first_seen: datetime = Field(sa_type=UTCTime, index=True)
    fetched_at: datetime = Field(sa_type=UTCTime)
    fetch_count: int = 1
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The raw API payload (JSON text or XML), kept so records can be re-normalized later."""
    sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# the payload column, to leave it unread (`defer`); SQLModel types the class attribute as its value
_PAYLOAD = cast("QueryableAttribute[Any]", ItemRow.payload)


class AliasRow(SQLModel, table=True):
    """An id that now means another one (a renamed repo: github:old/name → github:new/name)."""

    __tablename__ = "alias"
    old_id: str = Field(primary_key=True)
    item_id: str = Field(index=True, foreign_key="item.id")


class MetricRow(SQLModel, table=True):
    __tablename__ = "metric"
    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(index=True, foreign_key="item.id")
    name: str
    value: int = Field(sa_type=BigInteger)
    """A count (stars, views, seconds): YouTube view counts pass 2**31."""
    at: datetime = Field(sa_type=UTCTime, index=True)


class PendingRow(SQLModel, table=True):
    """A link not fetched yet (deferred by a spent rate limit); the next run picks it up."""

    __tablename__ = "pending"
    id: str = Field(primary_key=True)
    url: str
    reason: str
    until: datetime | None = Field(default=None, sa_type=UTCTime)
    added: datetime = Field(sa_type=UTCTime)


class FeedStateRow(SQLModel, table=True):
    """What the scheduled run keeps of one feed: its HTTP validators and when it was read."""

    __tablename__ = "feed_state"
    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    checked_at: datetime = Field(sa_type=UTCTime)
    changed_at: datetime | None = Field(default=None, sa_type=UTCTime)
    """When the feed last answered with content rather than a 304."""


class FeedBacklogRow(SQLModel, table=True):
    """A link a feed listed whose fetch failed in a way that may pass; the next run retries it
    even when the feed itself answers 304."""

    __tablename__ = "feed_backlog"
    feed_url: str = Field(primary_key=True, foreign_key="feed_state.url")
    id: str = Field(primary_key=True)
    url: str
    feed: str
    """The feed's name, kept as the item's source once it is stored."""
    reason: str
    attempts: int = 1
    until: datetime | None = Field(default=None, sa_type=UTCTime)
    added: datetime = Field(sa_type=UTCTime)


class FeedDroppedRow(SQLModel, table=True):
    """A link a feed lists that the scheduled run gave up on (not found, refused, failed run
    after run): skipped quietly while the feed keeps listing it, so a feed without validators
    does not report it again every run."""

    __tablename__ = "feed_dropped"
    feed_url: str = Field(primary_key=True, foreign_key="feed_state.url")
    id: str = Field(primary_key=True)
    url: str
    reason: str
    dropped_at: datetime = Field(sa_type=UTCTime)


class IssueRow(SQLModel, table=True):
    """One issue: the draft being edited (no `published_at`) or a published one."""

    __tablename__ = "issue"
    number: int = Field(primary_key=True)
    title: str | None = None
    intro: str = ""
    since: datetime | None = Field(default=None, sa_type=UTCTime)
    until: datetime | None = Field(default=None, sa_type=UTCTime)
    """The database's as-of time at the last export; the next issue starts there."""
    item_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The draft's ids at the last export; once published, the ids it published."""
    digests: dict[str, list[str] | str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """sha256 of the draft files curate wrote or read back lately, by extension (`md`, `json`): a
    list of the last few (a lone string in databases from before that)."""
    published_at: datetime | None = Field(default=None, sa_type=UTCTime, index=True)
    tldr: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """The editor's TL;DR sentence (Markdown) by section key; a section not here shows the model's or the default."""


class AnnotationRow(SQLModel, table=True):
    """The editor's decision on one item of one issue (`curate annotate`)."""

    __tablename__ = "annotation"
    issue: int = Field(primary_key=True, foreign_key="issue.number")
    item_id: str = Field(primary_key=True, foreign_key="item.id")
    section: str
    position: int
    include: bool = True
    blurb: str = ""


class SuggestionRow(SQLModel, table=True):
    """A text a model drafted (`curate blurb`): an item's blurb, a section's TL;DR sentence, title ideas.

    Keyed by what was asked (model, system prompt and prompt, hashed), so asking the same
    again is answered from here and costs no model call; the editor's own text lives in
    `annotation` and is never replaced by one of these.
    """

    __tablename__ = "suggestion"
    key: str = Field(primary_key=True)
    """sha256 of the model id, the system prompt and the prompt."""
    subject: str = Field(index=True)
    """An item id, or `issue:<N>:tldr:<section>` / `issue:<N>:titles`."""
    model: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    drafted_at: datetime = Field(sa_type=UTCTime, index=True)
    input_tokens: int | None = None
    output_tokens: int | None = None


def _shown(db: str) -> str:
    """The database setting as it may be printed: a URL's password masked."""
    if "://" not in db:
        return db
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db).render_as_string(hide_password=True)
    except ArgumentError:
        return db.split("://", 1)[0] + "://…"


def _engine_url(db: str, make_folder: bool = True) -> str:
    if "://" in db or not db.strip():  # an empty setting is left for preflight.check to refuse
        return db
    path = Path(db).expanduser()
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets a cron run and a manual ingest read and write at once; busy_timeout makes the
    # second writer wait instead of failing with "database is locked".
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """Slices of `values`, so an IN list stays well under SQLite's bound-parameter limit."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _scripts() -> Any:
    """Alembic's view of pipeline/migrations/ (read once per process)."""
    global _SCRIPTS
    if _SCRIPTS is None:
        from alembic.script import ScriptDirectory

        _SCRIPTS = ScriptDirectory(str(MIGRATIONS))
    return _SCRIPTS


_SCRIPTS: Any = None


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:[\"']([^\"']+)[\"']|None)", re.M)


def _revision_chain() -> dict[str, str | None]:
    """Each migration's revision → the one it follows, read from the `revision = "…"` lines of
    pipeline/migrations/versions/ (what Alembic reads too; tests/test_store.py holds the two to
    one answer). Every command checks the schema, so this is read without importing Alembic,
    which costs about 0.1 s; Alembic is loaded only when there is a migration to run."""
    global _CHAIN
    if _CHAIN is None:
        chain: dict[str, str | None] = {}
        for path in sorted((MIGRATIONS / "versions").glob("[0-9]*.py")):
            found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
            if found.get("revision"):
                chain[found["revision"]] = found.get("down_revision")
        _CHAIN = chain
    return _CHAIN


_CHAIN: dict[str, str | None] | None = None


def _known_revisions() -> set[str]:
    """Every schema revision this curate has a migration for."""
    return set(_revision_chain())


def _version_of(conn: Connection, tables: set[str]) -> str | None:
    """The revision in `alembic_version` (Alembic's own table, one row), None without one."""
    if "alembic_version" not in tables:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config(conn: Connection) -> Any:
    """Alembic's configuration, built here rather than read from an alembic.ini: the migrations ship
    inside the package and always run over the connection the store opened and locked."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _has_version_table(conn: Connection) -> bool:
    from sqlalchemy import inspect

    return "alembic_version" in inspect(conn).get_table_names()


def _lock_key(name: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit integer) for a lock's name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _json_text(payload: Any) -> str | None:
    if payload is None or isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)


MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
"""The Alembic revision that is curate 0.1's schema: a database without `alembic_version` but
with an `item` table was made by 0.1 and is stamped with it before upgrading."""


class Store:
    """The database behind every command.

    `Store(db)` brings the schema up to date first (what a write command needs);
    `Store(db, upgrade=False)` opens it as it is, for reading, and refuses only one that a
    newer curate has changed. `create=False` (a command that needs what is stored) refuses a
    missing or empty database instead of creating curate's tables there; another program's
    SQLite file is refused either way. Raises StoreError with a one-line message naming CURATE_DB.
    """

    def __init__(self, db: str, *, upgrade: bool = True, create: bool = True) -> None:
        from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

        shown = _shown(db)
        try:
            url = _engine_url(db, make_folder=create)
            self.url = url
            kwargs: dict[str, Any] = {}
            if url.startswith("sqlite"):
                kwargs["connect_args"] = {"timeout": 10}
            # read-only checks first: a database curate must refuse is left as it was found
            preflight.check(url, SCHEMA_VERSION, shown, revisions=_known_revisions(), create=create)
            self.engine: Engine = create_engine(url, **kwargs)
            if url.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            revision = self.current()
            if revision is None and not create:  # a server database's empty schema (preflight reads SQLite files)
                raise StoreError(
                    f"the database {shown} (CURATE_DB) has no curate tables; curate ingest or curate run creates them"
                )
            if upgrade and revision != self.head():
                self.upgrade()
        except preflight.PreflightError as exc:
            raise StoreError(str(exc)) from None
        except DBAPIError as exc:  # not a database, unreadable, locked for good
            reason = " ".join(str(exc.orig).split())  # one line: libpq's messages span several
            raise StoreError(
                preflight.describe(exc, shown) or f"cannot open the database {shown} (CURATE_DB): {reason}"
            ) from None
        except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:  # a URL SQLAlchemy cannot use
            raise StoreError(f"cannot use the database URL {shown} (CURATE_DB): {exc}") from None
        except OSError as exc:  # its folder cannot be made
            raise StoreError(f"cannot create the database {shown} (CURATE_DB): {exc.strerror or exc}") from None

    # ---- the schema

    @staticmethod
    def head() -> str:
        """The newest schema revision this curate knows (the one no migration follows)."""
        chain = _revision_chain()
        [head] = set(chain) - set(chain.values())
        return head

    def current(self, conn: Connection | None = None) -> str | None:
        """The database's schema revision: None when it is empty, BASELINE when 0.1 made it.

        Raises StoreError when a newer curate has migrated it (a revision this one does not know,
        or a 0.1-style schema_version above ours), before anything is written.
        """
        if conn is None:
            with self.engine.connect() as own:
                return self.current(own)
        from sqlalchemy import inspect

        tables = set(inspect(conn).get_table_names())
        revision = _version_of(conn, tables)
        version = None
        if "meta" in tables:
            version = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
        known = _known_revisions()
        if (revision is not None and revision not in known) or (version is not None and int(version) > SCHEMA_VERSION):
            found = f"schema revision {revision}" if revision not in known else f"schema version {version}"
            raise StoreError(
                f"the database {_shown(self.url)} has {found}, newer than this curate understands "
                f"(revision {self.head()}): upgrade curate, or point CURATE_DB at another database"
            )
        if revision is None and "item" in tables:
            return BASELINE
        return revision

    @property
    def shared(self) -> bool:
        """True for a database server (PostgreSQL) that processes on several machines may share."""
        return self.engine.dialect.name != "sqlite"

    @contextmanager
    def advisory_lock(self, name: str) -> Iterator[bool]:
        """Hold PostgreSQL's session advisory lock `name` for the block, when no other session holds it.

        Yields False, holding nothing, when another session (on any machine) has it. The server
        drops the lock when the holder's connection ends, however its process ended. The key
        includes the schema, so databases that share a server by schema lock apart.
        """
        with self.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            key = _lock_key(f"curate:{name}:{schema}")
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()

    def stamped(self) -> bool:
        """True once the database carries an Alembic revision (curate 0.1's do not)."""
        with self.engine.connect() as conn:
            return _has_version_table(conn)

    def upgrade(self) -> list[str]:
        """Migrate the database to this curate's schema (`curate db upgrade`); the revisions applied.

        One transaction under the database's write lock, so two commands starting at once
        migrate once, and a failed migration leaves the database as it was (SQLite and
        PostgreSQL both roll back schema changes).
        """
        if self.current() == self.head():  # the usual case: a read, no write lock, no Alembic
            return []
        from alembic import command

        with self._write() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # tables are rebuilt under their rows
            else:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key("curate:migrate")})
            start = self.current(conn)
            head = self.head()
            if start == head:
                return []
            config = _alembic_config(conn)
            if start == BASELINE and not _has_version_table(conn):
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")
            applied = [s.revision for s in _scripts().iterate_revisions(head, start or "base")]
        log.info("store: schema upgraded %s → %s", start or "empty", head)
        return list(reversed(applied))

    def session(self) -> Session:
        return Session(self.engine)

    # ---- reading

    def resolve(self, ids: Iterable[str]) -> dict[str, str]:
        """Each id mapped to the id it is stored under now (itself unless it is an alias)."""
        ids = list(ids)
        aliases: dict[str, str] = {}
        with self.session() as session:
            for chunk in _chunks(ids):
                aliases.update(
                    session.exec(select(AliasRow.old_id, AliasRow.item_id).where(col(AliasRow.old_id).in_(chunk))).all()
                )
        return {i: aliases.get(i, i) for i in ids}

    def fresh(self, ids: Iterable[str], max_age: timedelta, now: datetime) -> set[str]:
        """The ids (as given, aliases followed) whose record was fetched within `max_age`."""
        resolved = self.resolve(ids)
        cutoff = now - max_age
        fresh_ids: set[str] = set()
        with self.session() as session:
            for chunk in _chunks(list(set(resolved.values()))):
                fresh_ids.update(
                    session.exec(
                        select(ItemRow.id).where(col(ItemRow.id).in_(chunk), ItemRow.fetched_at > cutoff)
                    ).all()
                )
        return {given for given, stored in resolved.items() if stored in fresh_ids}

    def get(self, item_id: str) -> Item | None:
        item_id = self.resolve([item_id])[item_id]
        with self.session() as session:
            row = session.get(ItemRow, item_id)
            return _item(row) if row else None

    def titles(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """For each of `ids` that is stored (aliases followed): (the id it is stored under, its title).

        Two queries for any number of ids; no record is loaded or validated.
        """
        resolved = self.resolve(ids)
        found: dict[str, str] = {}
        with self.session() as session:
            for chunk in _chunks(list(set(resolved.values()))):
                found.update(session.exec(select(ItemRow.id, ItemRow.title).where(col(ItemRow.id).in_(chunk))).all())
        return {given: (stored, found[stored]) for given, stored in resolved.items() if stored in found}

    def labels(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(kind, title) of those `ids` stored under exactly that id; no record is loaded."""
        out: dict[str, tuple[str, str]] = {}
        with self.session() as session:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                out.update(
                    (i, (k, t))
                    for i, k, t in session.exec(
                        select(ItemRow.id, ItemRow.kind, ItemRow.title).where(col(ItemRow.id).in_(chunk))
                    )
                )
        return out

    def records(self, ids: Iterable[str]) -> dict[str, Any]:
        """The stored records of those `ids` that are stored (by their stored id)."""
        out: dict[str, Any] = {}
        with self.session() as session:
            for chunk in _chunks(list(set(ids))):
                for item_id, record in session.exec(
                    select(ItemRow.id, ItemRow.record).where(col(ItemRow.id).in_(chunk))
                ):
                    out[item_id] = record_adapter.validate_python(record, context=STORED)
        return out

    def payload(self, item_id: str) -> str | None:
        with self.session() as session:
            row = session.get(ItemRow, self.resolve([item_id])[item_id])
            return row.payload if row else None

    def items(
        self,
        kind: Kind | None = None,
        status: ItemStatus | None = None,
        *,
        statuses: Iterable[ItemStatus] | None = None,
        since: datetime | None = None,
        also: Iterable[str] = (),
        kinds: Iterable[Kind] | None = None,
        fetched_before: datetime | None = None,
    ) -> list[Item]:
        """Stored items, newest first.

        `statuses` and `kinds` keep those only; `since` keeps the items first seen at or after
        it, plus the ids in `also` (whatever their age); `fetched_before` the items last fetched
        at or before it. The filters run in SQL and the raw payload is never read, so a draft
        costs the same however large the archive grows.
        """
        from sqlalchemy import or_
        from sqlalchemy.orm import defer

        query = select(ItemRow).options(defer(_PAYLOAD)).order_by(col(ItemRow.first_seen).desc(), ItemRow.id)
        if kind is not None:
            query = query.where(ItemRow.kind == kind.value)
        if status is not None:
            query = query.where(ItemRow.status == status.value)
        if statuses is not None:
            query = query.where(col(ItemRow.status).in_([s.value for s in statuses]))
        if kinds is not None:
            query = query.where(col(ItemRow.kind).in_([k.value for k in kinds]))
        if fetched_before is not None:
            query = query.where(ItemRow.fetched_at <= fetched_before)
        if since is not None:
            also = list(also)
            query = query.where(
                or_(col(ItemRow.first_seen) >= since, col(ItemRow.id).in_(also))
                if also
                else col(ItemRow.first_seen) >= since
            )
        with self.session() as session:
            return [_item(row) for row in session.exec(query).all()]

    def count(self) -> int:
        with self.session() as session:
            return session.exec(select(func.count()).select_from(ItemRow)).one()

    def metric_changes(
        self, name: str, since: datetime, until: datetime, ids: Iterable[str] | None = None
    ) -> dict[str, tuple[float, float | None]]:
        """For every item with snapshots of `name` up to `until`: (latest value, value at the start).

        The start is the last snapshot at or before `since`, else the first one after it; it is
        None when that is the latest snapshot itself (one reading: no change to tell). `ids`
        limits it to those items (a query per 500, through the item_id index); without it every
        item's snapshots are read, which at archive scale (a year of daily snapshots of 10,000
        repos) is a scan of millions of rows.
        """
        if ids is None:
            chunks: Iterable[Sequence[str] | None] = [None]
        else:
            chunks = _chunks(sorted(set(ids)))
        latest: dict[str, float] = {}
        start: dict[str, float] = {}
        with self.session() as session:
            for chunk in chunks:
                for item_id, value, is_last, is_start, one_point in session.exec(_changes(name, since, until, chunk)):
                    if is_last:
                        latest[item_id] = value
                    if is_start and not one_point:
                        start[item_id] = value
        return {item_id: (value, start.get(item_id)) for item_id, value in latest.items()}

    def aliases(self) -> dict[str, str]:
        """Every alias: old id → the id it is stored under now (renamed repos; a small table)."""
        with self.session() as session:
            return {row.old_id: row.item_id for row in session.exec(select(AliasRow)).all()}

    def existing(self, ids: Iterable[str]) -> set[str]:
        """Those of `ids` stored under exactly that id (aliases not followed); any number of ids."""
        found: set[str] = set()
        with self.session() as session:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                found.update(session.exec(select(ItemRow.id).where(col(ItemRow.id).in_(chunk))).all())
        return found

    def metrics(self, item_id: str, name: str) -> list[tuple[datetime, float]]:
        """The snapshots of one figure, oldest first."""
        with self.session() as session:
            rows = session.exec(
                select(MetricRow.at, MetricRow.value)
                .where(MetricRow.item_id == item_id, MetricRow.name == name)
                .order_by(col(MetricRow.at))
            ).all()
        return [(at, value) for at, value in rows]

    def pending(self) -> list[PendingRow]:
        with self.session() as session:
            return list(session.exec(select(PendingRow).order_by(col(PendingRow.added))).all())

    def known(self, ids: Iterable[str]) -> set[str]:
        """The ids (as given, aliases followed) that are stored, however old their record."""
        return set(self.titles(ids))

    def window(
        self, statuses: Iterable[ItemStatus], since: datetime | None = None, also: Iterable[str] = ()
    ) -> list[tuple[str, str, str, datetime, bool]]:
        """(id, kind, status, first_seen, linked only) of the items in `statuses` first seen at or
        after `since` (plus the ids in `also`), newest first, without reading a record: a week of
        5,000 candidates in one query. "Linked only": stored only because another record links to it.
        """
        from sqlalchemy import Text, or_
        from sqlalchemy import cast as cast_sql
        from sqlalchemy import select as select_core  # sqlmodel's select is typed for up to four columns

        linked = json.dumps([LINKED_SOURCE]).replace(" ", "")
        query = (
            select_core(
                col(ItemRow.id),
                col(ItemRow.kind),
                col(ItemRow.status),
                col(ItemRow.first_seen),
                cast_sql(col(ItemRow.sources), Text),
            )
            .where(col(ItemRow.status).in_([s.value for s in statuses]))
            .order_by(col(ItemRow.first_seen).desc(), ItemRow.id)
        )
        also = list(also)
        if since is not None:
            query = query.where(
                or_(col(ItemRow.first_seen) >= since, col(ItemRow.id).in_(also))
                if also
                else col(ItemRow.first_seen) >= since
            )
        with self.session() as session:
            return [
                (i, k, st, seen, (raw or "").replace(" ", "") == linked)
                for i, k, st, seen, raw in session.connection().execute(query).all()
            ]

    def record_values(self, ids: Iterable[str], fields: Sequence[str]) -> dict[str, str]:
        """For each of `ids` whose record has one of the top-level `fields`, the first such value
        as text (a date reads as its ISO text), read in the database without loading the records."""
        from sqlalchemy import select as select_core

        record = col(ItemRow.record)
        value = (
            func.coalesce(*[record[f].as_string() for f in fields])
            if len(fields) > 1
            else record[fields[0]].as_string()
        )
        out: dict[str, str] = {}
        with self.session() as session:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                for item_id, text_value in session.connection().execute(
                    select_core(col(ItemRow.id), value).where(col(ItemRow.id).in_(chunk))
                ):
                    if text_value:
                        out[item_id] = text_value
        return out

    def envelopes(self, ids: Iterable[str]) -> dict[str, tuple[str, str, datetime, int, list[str]]]:
        """(url, title, fetched_at, fetch_count, sources) of those stored `ids`, records left unread."""
        from sqlalchemy import select as select_core  # sqlmodel's select is typed for up to four columns

        out: dict[str, tuple[str, str, datetime, int, list[str]]] = {}
        with self.session() as session:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                for item_id, url, title, fetched_at, fetch_count, sources in session.connection().execute(
                    select_core(
                        col(ItemRow.id),
                        col(ItemRow.url),
                        col(ItemRow.title),
                        col(ItemRow.fetched_at),
                        col(ItemRow.fetch_count),
                        col(ItemRow.sources),
                    ).where(col(ItemRow.id).in_(chunk))
                ):
                    out[item_id] = (url, title, fetched_at, fetch_count, list(sources or []))
        return out

    def feed_state(self, url: str) -> FeedStateRow | None:
        with self.session() as session:
            return session.get(FeedStateRow, url)

    def feed_backlog(self, feed_url: str) -> list[FeedBacklogRow]:
        with self.session() as session:
            return list(
                session.exec(
                    select(FeedBacklogRow)
                    .where(FeedBacklogRow.feed_url == feed_url)
                    .order_by(col(FeedBacklogRow.added))
                ).all()
            )

    def feed_dropped(self, feed_url: str) -> set[str]:
        """The ids of the links the scheduled run dropped from this feed."""
        with self.session() as session:
            return set(session.exec(select(FeedDroppedRow.id).where(FeedDroppedRow.feed_url == feed_url)).all())

    def search(
        self,
        query: str,
        *,
        kind: Kind | None = None,
        status: ItemStatus | None = None,
        since: datetime | None = None,
        limit: int | None = 50,
    ) -> list[Item]:
        """Stored items whose title, authors, abstract or description hold every word of `query`.

        Best match first (a word in the title weighs most, then in the authors, then in the
        text); at most `limit` (None: all). Words are stemmed (SQLite
        FTS5's porter tokenizer, PostgreSQL's `english` configuration), so `transformers`
        finds `transformer`; punctuation and operators in `query` are ignored. `since` keeps
        the items first seen at or after it. The raw payload is never read.
        """
        from sqlalchemy.orm import defer

        ids = self.search_ids(query, kind=kind, status=status, since=since, limit=limit)
        with self.session() as session:
            rows: dict[str, ItemRow] = {}
            for chunk in _chunks(ids):
                rows.update(
                    (r.id, r)
                    for r in session.exec(
                        select(ItemRow).options(defer(_PAYLOAD)).where(col(ItemRow.id).in_(chunk))
                    ).all()
                )
            return [_item(rows[i]) for i in ids]

    def search_ids(
        self,
        query: str,
        *,
        kind: Kind | None = None,
        status: ItemStatus | None = None,
        since: datetime | None = None,
        limit: int | None = 50,
    ) -> list[str]:
        """The ids `search` finds, best match first, without reading a record."""
        from sqlalchemy import bindparam

        words = search_words(query)
        if not words:
            return []
        where = ""
        params: dict[str, Any] = {}
        if kind is not None:
            where += " AND item.kind = :kind"
            params["kind"] = kind.value
        if status is not None:
            where += " AND item.status = :status"
            params["status"] = status.value
        if since is not None:
            where += " AND item.first_seen >= :since"
            params["since"] = since
        tail = " LIMIT :limit" if limit is not None else ""
        if limit is not None:
            params["limit"] = limit
        if self.engine.dialect.name == "sqlite":
            params["q"] = " ".join(f'"{w}"' for w in words)  # each word a quoted string: no FTS5 syntax
            # ranked in the index alone, the item table joined only to filter: a join for every
            # match costs 5x the ranking itself when a word is in 20,000 titles
            join = " JOIN item ON item.id = item_search.id" if where else ""
            sql = (
                f"SELECT item_search.id FROM item_search{join} WHERE item_search MATCH :q{where} "
                f"ORDER BY bm25(item_search, 0.0, 10.0, 5.0, 1.0), item_search.rowid{tail}"
            )
        else:
            params["q"] = " ".join(words)
            sql = (
                "SELECT item.id FROM item_search JOIN item ON item.id = item_search.id, "
                f"plainto_tsquery('english', :q) AS query WHERE item_search.document @@ query{where} "
                f"ORDER BY ts_rank_cd(item_search.document, query) DESC, item.first_seen DESC, item.id{tail}"
            )
        statement = text(sql)
        if since is not None:
            statement = statement.bindparams(bindparam("since", type_=UTCTime))
        from sqlalchemy.exc import OperationalError, ProgrammingError

        with self.session() as session:
            try:
                return [row[0] for row in session.connection().execute(statement, params)]
            except (OperationalError, ProgrammingError):
                if self.current() != self.head():
                    raise StoreError(
                        f"the database {_shown(self.url)} has no search index yet: "
                        "curate db upgrade (or any command that writes) builds it"
                    ) from None
                raise

    # ---- writing

    def add_source(self, ids: Iterable[str], source: str) -> None:
        """Record that `source` (a feed) lists these stored items too."""
        from sqlalchemy import update

        resolved = sorted(set(self.resolve(ids).values()))
        with self.session() as session:
            # ids and sources only: the rows' records and payloads are not read to add one word
            for chunk in _chunks(resolved):
                for item_id, sources in session.exec(
                    select(ItemRow.id, ItemRow.sources).where(col(ItemRow.id).in_(chunk))
                ):
                    if source not in sources:
                        session.exec(
                            update(ItemRow).where(col(ItemRow.id) == item_id).values(sources=[*sources, source])
                        )
            session.commit()

    def feed_done(
        self,
        url: str,
        now: datetime,
        *,
        read: bool,
        changed: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        retry: Sequence[FeedBacklogRow] = (),
        done: Iterable[str] = (),
        dropped: Sequence[FeedDroppedRow] = (),
        forget: Iterable[str] = (),
    ) -> None:
        """After a feed's links are stored: its backlog, its dropped links (`forget` those it
        no longer lists) and (when `read`) its validators, in one transaction.

        Called only once the feed's entries are stored, so a run killed before this reads the
        feed again next time instead of trusting a 304 for links it never stored.
        """
        with self.session() as session:
            state = session.get(FeedStateRow, url) or FeedStateRow(url=url, checked_at=now)
            state.checked_at = now
            if read:
                state.etag, state.last_modified = etag, last_modified
                if changed:
                    state.changed_at = now
            session.add(state)
            session.flush()  # first: the feed's backlog and dropped rows point at it
            done = set(done)
            if done:
                for row in session.exec(
                    select(FeedBacklogRow).where(FeedBacklogRow.feed_url == url, col(FeedBacklogRow.id).in_(done))
                ).all():
                    session.delete(row)
            for row in retry:
                session.merge(row)
            forget = list(forget)
            for chunk in _chunks(forget):
                for gone in session.exec(
                    select(FeedDroppedRow).where(FeedDroppedRow.feed_url == url, col(FeedDroppedRow.id).in_(chunk))
                ).all():
                    session.delete(gone)
            for link in dropped:
                session.merge(link)
            session.add(state)
            session.commit()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction that holds SQLite's write lock from its first statement.

        `save` reads which ids exist, then inserts the others; without the lock taken up front
        a cron run and a manual ingest storing the same new link could both decide to insert
        it, and one would fail its whole batch on the primary key.
        """
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def save(self, results: Sequence[Fetched], now: datetime, source: str | None = None) -> list[str]:
        """Upsert the records among `results` in one transaction; return the stored ids.

        Keeps `first_seen`, bumps `fetch_count`, writes one metric snapshot per figure,
        records an alias when a ref's key differs from its record's id, and moves deferred
        refs into the pending table (and successful ones out of it). A handful of statements
        per batch whatever its size (executemany), not a few per record.
        """
        from sqlalchemy import bindparam, delete, insert, update

        now = now.astimezone(UTC)
        ok = [r for r in results if r.record is not None]
        latest = {r.record.id: r for r in ok}  # type: ignore[union-attr]  # one id twice: the last one wins
        tables = SQLModel.metadata.tables
        items, metric = tables["item"], tables["metric"]
        with self._write() as conn:
            existing: dict[str, list[str]] = {}
            for chunk in _chunks(list(latest)):
                query = select(items.c.id, items.c.sources).where(items.c.id.in_(chunk))
                if conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE already keeps other writers out
                    query = query.with_for_update()
                for item_id, sources in conn.execute(query):
                    existing[item_id] = list(sources or [])
            rows: list[dict[str, Any]] = []
            more_sources: list[dict[str, Any]] = []
            snapshots: list[dict[str, Any]] = []
            for item_id, result in latest.items():
                record = result.record
                assert record is not None
                rows.append(
                    {
                        "id": item_id,
                        "kind": record.kind,
                        "status": ItemStatus.candidate.value,
                        "first_seen": now,
                        "fetch_count": 1,
                        "sources": [source] if source else [],
                        "url": record.url,
                        "title": record.title,
                        "record": record.model_dump(mode="json"),
                        "payload": _json_text(result.payload),
                        "fetched_at": now,
                    }
                )
                if source and item_id in existing and source not in existing[item_id]:
                    more_sources.append({"item_id": item_id, "sources": [*existing[item_id], source]})
                snapshots += [
                    {"item_id": item_id, "name": name, "value": int(value), "at": now}
                    for name, value in record.all_metrics().items()
                ]
            if rows:
                # a new id is inserted; a stored one keeps its first_seen, status and sources
                upsert = _insert_for(conn)(items)
                conn.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[items.c.id],
                        set_={
                            **{c: upsert.excluded[c] for c in ("url", "title", "record", "payload", "fetched_at")},
                            "fetch_count": items.c.fetch_count + 1,
                        },
                    ),
                    rows,
                )
                index_for_search(conn, [(r["id"], r["title"], latest[r["id"]].record) for r in rows])
            if more_sources:
                conn.execute(
                    update(items).where(items.c.id == bindparam("item_id")).values(sources=bindparam("sources")),
                    more_sources,
                )
            if snapshots:
                conn.execute(insert(metric), snapshots)
            aliases = {r.ref.key: r.record.id for r in ok if r.ref.key != r.record.id}  # type: ignore[union-attr]
            if aliases:
                alias = tables["alias"]
                conn.execute(delete(alias).where(alias.c.old_id.in_(list(aliases))))
                conn.execute(insert(alias), [{"old_id": k, "item_id": v} for k, v in aliases.items()])
            pending = tables["pending"]
            done = list({key for r in ok for key in (r.ref.key, r.record.id)})  # type: ignore[union-attr]
            for chunk in _chunks(done):
                conn.execute(delete(pending).where(pending.c.id.in_(chunk)))
            # a postponed link that has now failed for good (gone, private) leaves the queue
            final = [r.ref.key for r in results if r.error is not None and not r.error.retryable]
            for chunk in _chunks(final):
                conn.execute(delete(pending).where(pending.c.id.in_(chunk)))
            deferred = {r.ref.key: r for r in results if isinstance(r.error, Deferred)}
            if deferred:
                conn.execute(delete(pending).where(pending.c.id.in_(list(deferred))))
                conn.execute(
                    insert(pending),
                    [
                        {"id": key, "url": r.ref.url, "reason": r.error.reason, "until": r.error.until, "added": now}  # type: ignore[union-attr]
                        for key, r in deferred.items()
                    ],
                )
        return [r.record.id for r in ok]  # type: ignore[union-attr]

    def set_status(self, ids: Sequence[str], status: ItemStatus) -> list[str]:
        """Set the status of stored items; raises KeyError naming the ids that are not stored."""
        resolved = self.resolve(ids)
        with self.session() as session:
            rows = {
                row.id: row for row in session.exec(select(ItemRow).where(col(ItemRow.id).in_(resolved.values()))).all()
            }
            missing = [given for given, stored in resolved.items() if stored not in rows]
            if missing:
                raise KeyError(", ".join(missing))
            for row in rows.values():
                row.status = status.value
                session.add(row)
            session.commit()
        return list(rows)

    # ---- moving to another database

    COPIED = (
        "item",
        "alias",
        "metric",
        "pending",
        "feed_state",
        "feed_backlog",
        "feed_dropped",
        "issue",
        "annotation",
        "suggestion",
    )
    """The tables `copy_to` copies, parents before the rows that point at them."""

    def counts(self) -> dict[str, int]:
        """Rows in each table `copy_to` copies."""
        tables = SQLModel.metadata.tables
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(tables[name])).scalar_one() for name in self.COPIED
            }

    def copy_to(self, target: Store, batch: int = 2000) -> dict[str, int]:
        """Copy every row into `target`, an empty database at this schema, in one transaction.

        Items with their payloads, metric snapshots, aliases, pending links, feed state,
        issues, annotations and suggestions; `target` builds its own search index. Returns
        `target`'s row counts afterwards, to compare with `counts()`. Raises StoreError when
        `target` already holds anything: a copy never mixes two histories.
        """
        held = {name: n for name, n in target.counts().items() if n}
        if held:
            raise StoreError(
                f"the database {_shown(target.url)} is not empty ({', '.join(f'{n} {t}' for t, n in held.items())} "
                "rows): copy into an empty database"
            )
        from sqlalchemy import insert
        from sqlalchemy import select as select_core  # sqlmodel's select takes models and columns, not a Table

        tables = SQLModel.metadata.tables
        with self.engine.connect() as source, target._write() as conn:
            for name in self.COPIED:
                table = tables[name]
                result = source.execution_options(yield_per=batch).execute(select_core(table))
                for rows in result.partitions():
                    conn.execute(insert(table), [dict(row._mapping) for row in rows])
            result = source.execution_options(yield_per=batch).execute(
                select(ItemRow.id, ItemRow.title, ItemRow.record)
            )
            for rows in result.partitions():
                index_for_search(conn, [(r.id, r.title, r.record) for r in rows])
            if conn.dialect.name == "postgresql":  # ids were copied as they were: the next one follows them
                conn.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('metric', 'id'), "
                        "coalesce((SELECT max(id) FROM metric), 0) + 1, false)"
                    )
                )
        return target.counts()

    # ---- issues and the editor's annotations

    def last_published(self) -> IssueRow | None:
        """The published issue with the highest number, or None before the first one."""
        with self.session() as session:
            return _last_published(session)

    def issue(self, number: int) -> IssueRow | None:
        with self.session() as session:
            return session.get(IssueRow, number)

    def annotations(self, number: int) -> dict[str, AnnotationRow]:
        """The editor's annotations of issue `number`, by item id."""
        with self.session() as session:
            return _annotations(session, number)

    def featured(self) -> dict[str, list[int]]:
        """Every id a published issue carried → the numbers of those issues, oldest first."""
        with self.session() as session:
            rows = session.exec(
                select(IssueRow.number, IssueRow.item_ids)
                .where(col(IssueRow.published_at).is_not(None))
                .order_by(col(IssueRow.number))
            ).all()
        out: dict[str, list[int]] = {}
        for number, ids in rows:
            for item_id in ids:
                out.setdefault(item_id, []).append(number)
        return out

    def published_issues(self) -> list[IssueRow]:
        """The published issues, oldest first."""
        with self.session() as session:
            return list(
                session.exec(
                    select(IssueRow).where(col(IssueRow.published_at).is_not(None)).order_by(col(IssueRow.number))
                ).all()
            )

    def code_links(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """The code links (`code_links`) the stored records of `ids` carry, for those with any.

        Read out of the JSON in SQL, so a year of published papers costs no record validation.
        """
        out: dict[str, list[str]] = {}
        with self.session() as session:
            for chunk in _chunks(list(set(ids))):
                for item_id, links in session.exec(
                    select(ItemRow.id, ItemRow.record["code_links"]).where(col(ItemRow.id).in_(chunk))
                ):
                    if links:
                        out[item_id] = list(links)
        return out

    def as_of(self) -> datetime | None:
        """The time of the latest stored fetch (None while nothing is stored): what a draft describes."""
        with self.session() as session:
            return session.exec(select(func.max(ItemRow.fetched_at))).one()

    def suggestion(self, key: str) -> SuggestionRow | None:
        """The model's answer stored under `key` (what was asked, hashed), if it was asked before."""
        with self.session() as session:
            return session.get(SuggestionRow, key)

    def latest_suggestions(self, subjects: Iterable[str]) -> dict[str, SuggestionRow]:
        """For each subject that has any, the suggestion drafted last."""
        out: dict[str, SuggestionRow] = {}
        with self.session() as session:
            for chunk in _chunks(list(set(subjects))):
                rows = session.exec(
                    select(SuggestionRow)
                    .where(col(SuggestionRow.subject).in_(chunk))
                    .order_by(col(SuggestionRow.drafted_at))
                ).all()
                out.update((r.subject, r) for r in rows)  # later rows win
        return out

    def suggestions_of(self, subjects: Iterable[str]) -> dict[str, list[SuggestionRow]]:
        """Every suggestion drafted for each of `subjects` that has any, oldest first."""
        out: dict[str, list[SuggestionRow]] = {}
        with self.session() as session:
            for chunk in _chunks(list(set(subjects))):
                for row in session.exec(
                    select(SuggestionRow)
                    .where(col(SuggestionRow.subject).in_(chunk))
                    .order_by(col(SuggestionRow.drafted_at))
                ).all():
                    out.setdefault(row.subject, []).append(row)
        return out

    def save_suggestion(self, row: SuggestionRow) -> None:
        """Store a model's answer (replacing one under the same key: `curate blurb --redo`)."""
        with self.session() as session:
            session.merge(row)
            session.commit()

    @contextmanager
    def issue_work(self, number: int) -> Iterator[IssueWork]:
        """Issue `number`'s row (new if none yet) with the database write lock held until the block ends.

        What the block changes (the issue row, annotations, statuses) is committed together when
        it ends, and none of it when it raises. Two processes (a cron `curate run` and a manual
        `curate export` or `annotate`) would otherwise both read the digests, and the second
        commit would drop the first one's.
        """
        with self.session() as session:
            if self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            else:  # FOR UPDATE locks a row that exists; two first exports of an issue would both insert it
                schema = session.connection().execute(text("SELECT current_schema()")).scalar()
                session.connection().execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(f"curate:issue:{schema}:{number}")}
                )
            row = session.get(IssueRow, number, with_for_update=True) or IssueRow(number=number)
            session.add(row)  # before any annotation of it is flushed: they point at it
            work = IssueWork(session, row)
            yield work
            session.add(row)
            session.commit()


def _last_published(session: Session) -> IssueRow | None:
    return session.exec(
        select(IssueRow).where(col(IssueRow.published_at).is_not(None)).order_by(col(IssueRow.number).desc())
    ).first()


def _annotations(session: Session, number: int) -> dict[str, AnnotationRow]:
    return {a.item_id: a for a in session.exec(select(AnnotationRow).where(AnnotationRow.issue == number)).all()}


class IssueWork:
    """One issue's rows inside `Store.issue_work`: read them, change them, commit them together."""

    def __init__(self, session: Session, issue: IssueRow) -> None:
        self._session = session
        self.issue = issue
        """The issue's row; the changes made to it are stored when the block ends."""

    def last_published(self) -> IssueRow | None:
        return _last_published(self._session)

    def annotations(self) -> dict[str, AnnotationRow]:
        return _annotations(self._session, self.issue.number)

    def items(self, ids: Iterable[str]) -> dict[str, ItemRow]:
        """The stored rows of those `ids` (stored ids, aliases not followed) that exist."""
        out: dict[str, ItemRow] = {}
        for chunk in _chunks(list(set(ids))):
            out.update((r.id, r) for r in self._session.exec(select(ItemRow).where(col(ItemRow.id).in_(chunk))).all())
        return out

    def annotate(self, note: AnnotationRow) -> None:
        """Store the editor's decision on one item of this issue, replacing any earlier one."""
        self._session.merge(note)

    def publish(self, ids: Sequence[str], at: datetime) -> None:
        """Mark these stored items published by this issue, at `at`."""
        for chunk in _chunks(list(ids)):
            for row in self._session.exec(select(ItemRow).where(col(ItemRow.id).in_(chunk))).all():
                row.status = ItemStatus.published.value
                self._session.add(row)
        self.issue.item_ids = list(ids)
        self.issue.published_at = at


def _changes(name: str, since: datetime, until: datetime, ids: Sequence[str] | None) -> Any:
    """The query behind `Store.metric_changes`: each item's latest and start snapshots of `name`."""
    from sqlalchemy import case, or_
    from sqlalchemy import select as select_core  # sqlmodel's select is typed for up to four columns

    item_id, value, at = col(MetricRow.item_id), col(MetricRow.value), col(MetricRow.at)
    where = [col(MetricRow.name) == name, at <= until]
    if ids is not None:
        where.append(item_id.in_(ids))
    span = (
        select(
            item_id.label("item_id"),
            func.max(at).label("last_at"),
            func.coalesce(
                func.max(case((at <= since, at))),
                func.min(case((at > since, at))),
            ).label("start_at"),
        )
        .where(*where)
        .group_by(item_id)
        .subquery()
    )
    return (
        select_core(item_id, value, at == span.c.last_at, at == span.c.start_at, span.c.last_at == span.c.start_at)
        .join(span, item_id == span.c.item_id)
        .where(col(MetricRow.name) == name, or_(at == span.c.last_at, at == span.c.start_at))
    )


def _insert_for(conn: Connection) -> Any:
    """`insert` with the database's own ON CONFLICT (SQLite ≥ 3.24 and PostgreSQL both have it)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _search_rowid(item_id: str) -> int:
    """The FTS5 rowid of an item: a 63-bit hash of its id, so the index is updated by key.

    Not the item table's own rowid, which VACUUM may renumber (its key is text).
    """
    return int.from_bytes(hashlib.blake2b(item_id.encode(), digest_size=8).digest(), "big") >> 1


def _search_fields(title: str, record: Any) -> tuple[str, str, str]:
    """(title, authors, abstract or description) of a stored record, as the search index holds them."""
    if isinstance(record, str):
        record = json.loads(record)
    if isinstance(record, dict):
        from pydantic import ValidationError

        try:
            record = record_adapter.validate_python(record, context=STORED)
        except ValidationError:  # a record a newer curate wrote: its title is still found
            return title, "", ""
    return title, " ".join(record.byline()), record.blurb_source()


def index_for_search(conn: Connection, rows: Sequence[tuple[str, str, Any]]) -> None:
    """Put (id, title, record) rows in the full-text index, replacing what it held for those ids.

    The record may be a schema object, its JSON dict or its JSON text.
    """
    docs = []
    for item_id, title, record in rows:
        title, authors, body = _search_fields(title, record)
        docs.append({"rowid": _search_rowid(item_id), "id": item_id, "title": title, "authors": authors, "body": body})
    if not docs:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM item_search WHERE rowid = :rowid"), [{"rowid": d["rowid"]} for d in docs])
        conn.execute(
            text(
                "INSERT INTO item_search (rowid, id, title, authors, body) "
                "VALUES (:rowid, :id, :title, :authors, :body)"
            ),
            docs,
        )
    else:
        conn.execute(
            text(
                "INSERT INTO item_search (id, document) VALUES (:id, "
                f"{_PG_DOCUMENT}) ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document"
            ),
            docs,
        )


def unindex_for_search(conn: Connection, ids: Sequence[str]) -> None:
    """Take these ids out of the full-text index (by rowid on SQLite: FTS5 finds a row by its id
    column only by reading them all)."""
    if not ids:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM item_search WHERE rowid = :rowid"), [{"rowid": _search_rowid(i)} for i in ids])
    else:
        conn.execute(text("DELETE FROM item_search WHERE id = :id"), [{"id": i} for i in ids])


_PG_DOCUMENT = (
    "setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :authors), 'B')"
    " || setweight(to_tsvector('english', :body), 'C')"
)
"""An item's search document on PostgreSQL: title weighs most, then authors, then the text."""


def search_words(query: str) -> list[str]:
    """The words of a search query, as both backends match them (every word, in any order)."""
    return re.findall(r"\w+", query)


def _item(row: ItemRow) -> Item:
    return Item(
        id=row.id,
        kind=Kind(row.kind),
        url=row.url,
        title=row.title,
        status=ItemStatus(row.status),
        first_seen=row.first_seen,
        fetched_at=row.fetched_at,
        fetch_count=row.fetch_count,
        sources=list(row.sources),
        record=record_adapter.validate_python(row.record, context=STORED),
    )
