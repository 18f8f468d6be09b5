"""What every connector shares: the result type and the shape of a connector class."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.errors import FetchError
from schemas import Article, Paper, Playlist, Repo, SourceRef, Video

AnyRecord = Paper | Video | Playlist | Repo | Article


class Alert(str):
    """A summary note the user must see even in a quiet scheduled run (a spent quota, a missing
    key); plain notes (units spent) are shown by `curate ingest` and by `curate run --verbose`."""


@dataclass
class Fetched:
    """The outcome for one ref: a record (with its raw payload) or the error that stopped it.

    `follow` lists links found inside the record (a paper's code repository) that the
    run ingests too; a failure there is a warning, never an error of this ref.
    A record whose id differs from `ref.key` (a renamed repo) is stored under its own
    id and the ref's key becomes an alias of it.
    """

    ref: SourceRef
    record: AnyRecord | None = None
    error: FetchError | None = None
    payload: Any = None
    follow: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None


class Connector(Protocol):
    """What a source's `connector` class provides (`Source.connector` is typed with it)."""

    @classmethod
    def from_settings(cls, settings: Any) -> Connector:
        """The run's one instance, from the CLI's Settings (so quotas and delays are shared)."""
        ...

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        """One Fetched per ref, as few requests as the API allows; never raises for one bad ref."""
        ...

    def notes(self) -> list[str]:
        """Lines for the run summary (quota spent, degraded mode); empty when all is normal."""
        ...
