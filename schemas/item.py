"""The stored item envelope: a record plus what curate knows about it (when, how, status)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.records import Kind, Record, UTCDatetime


class ItemStatus(StrEnum):
    candidate = "candidate"
    shortlisted = "shortlisted"
    rejected = "rejected"
    published = "published"


DIRECT_SOURCE = "ingest"
"""`sources` entry of an item someone asked for by name (`curate ingest`)."""
LINKED_SOURCE = "linked by an item"
"""`sources` entry of an item stored only because another record links to it (a paper's code repo)."""


class Item(BaseModel):
    """One stored thing, as `curate show` prints it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Kind
    url: str
    title: str
    status: ItemStatus = ItemStatus.candidate
    first_seen: UTCDatetime = Field(description="When curate first stored it.")
    fetched_at: UTCDatetime = Field(description="When its record was last fetched from the source.")
    fetch_count: int = Field(default=1, ge=1)
    sources: list[str] = Field(
        default_factory=list,
        description="Feeds or inputs that found it: a feed's name, "
        f"{DIRECT_SOURCE!r} (asked for by name), {LINKED_SOURCE!r} (a paper's code link).",
    )

    def linked_only(self) -> bool:
        """True when curate stored this only because another record links to it."""
        return self.sources == [LINKED_SOURCE]

    record: Record
