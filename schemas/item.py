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
    sources: list[str] = Field(default_factory=list, description="Feeds or inputs that found it.")
    record: Record
