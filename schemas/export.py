"""The export document (DESIGN.md "Export contract", schema_version 1).

Other tools read this JSON: fields may be added, none renamed or removed without
bumping `schema_version`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.records import Kind, UTCDatetime

SCHEMA_VERSION = 1


class SectionKey(StrEnum):
    papers = "papers"
    videos = "videos"
    reads = "reads"
    tools = "tools"
    pick = "pick"


SECTION_TITLES: dict[SectionKey, str] = {
    SectionKey.papers: "Papers",
    SectionKey.videos: "Videos",
    SectionKey.reads: "Reads",
    SectionKey.tools: "Tools & Repos",
    SectionKey.pick: "Pick of the Week",
}

SECTION_OF_KIND: dict[Kind, SectionKey] = {
    Kind.paper: SectionKey.papers,
    Kind.video: SectionKey.videos,
    Kind.playlist: SectionKey.videos,
    Kind.article: SectionKey.reads,
    Kind.repo: SectionKey.tools,
}


class Annotation(BaseModel):
    """The editor's part: filled in by `curate annotate`, kept across exports."""

    model_config = ConfigDict(extra="forbid")

    blurb: str = Field(default="", description="The editor's text for this item; empty until written.")
    include: bool = Field(default=True, description="False when the editor dropped the item from this issue.")
    order: int = Field(default=0, ge=0, description="1-based position inside its section.")


class ExportItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Canonical id, e.g. `arxiv:2512.07461`.")
    kind: Kind
    url: str = Field(description="Canonical URL.")
    title: str
    authors: list[str] = Field(description="Paper or article authors; the channel for videos; the owner for repos.")
    summary: str = Field(description="A draft blurb made from the record (abstract or description, trimmed).")
    published: UTCDatetime | None
    metrics: dict[str, int | float] = Field(
        description="Figures: `stars`, `stars_gained`, `forks`, `views`, `video_count`, `duration_seconds`."
    )
    links: dict[str, Any] = Field(description="Related links: `pdf`, `code` (list), `doi`, `homepage`, `release`, `paper` (a repo's arXiv paper).")
    details: dict[str, Any] = Field(description="The whole kind-specific record.")
    annotation: Annotation


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SectionKey
    title: str
    items: list[ExportItem] = Field(default_factory=list)


class IssueInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1)
    title: str
    generated_at: UTCDatetime
    since: UTCDatetime | None = Field(description="Items first seen at or after this time are candidates.")
    until: UTCDatetime


class ExportDocument(BaseModel):
    """A draft issue: what `curate export --format json` writes."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    issue: IssueInfo
    sections: list[Section]
