"""The export document (schema_version 1): what `curate export --format json` writes.

Other tools read this JSON: fields may be added, none renamed or removed without
bumping `schema_version`. The JSON Schema describes what an export writes
(`curate schema`, serialization mode): a field with a default is still always written,
so it is required there.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.records import Kind, UTCDatetime

SCHEMA_VERSION: Final = 1


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


class SuggestedBlurb(BaseModel):
    """A blurb a model drafted for the editor (`curate blurb`); never the editor's text until they take it."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    text: str = Field(description="The drafted blurb, plain text.")
    model: str = Field(description="The `llm` model id that drafted it (CURATE_LLM_MODEL).")
    drafted_at: UTCDatetime = Field(description="When the model drafted it.")


class Annotation(BaseModel):
    """The editor's part: filled in by `curate annotate`, kept across exports."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    blurb: str = Field(default="", description="The editor's text for this item; empty until written.")
    include: bool = Field(default=True, description="False when the editor dropped the item from this issue.")
    order: int = Field(
        default=1,
        ge=1,
        description="Position inside its section: 1 for the first item. "
        "An edited draft may reuse a number; items with the same order keep their place.",
    )
    suggested_blurb: SuggestedBlurb | None = Field(
        default=None,
        description="A model's draft of the blurb (null when none was drafted); the Markdown shows "
        "it in place of `summary` while `blurb` is empty. Read back, it stays a suggestion until edited.",
    )


class ExportItem(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    id: str = Field(description="Canonical id, e.g. `arxiv:2512.07461`.")
    kind: Kind
    url: str = Field(description="Canonical URL.")
    title: str
    authors: list[str] = Field(description="Paper or article authors; the channel for videos; the owner for repos.")
    summary: str = Field(description="A draft blurb made from the record (abstract or description, trimmed).")
    published: UTCDatetime | None
    metrics: dict[str, int | float] = Field(
        description="Figures: `stars`, `stars_gained`, `forks`, `views`, `video_count`, `duration_seconds`, "
        "and those other sources add (`upvotes`)."
    )
    links: dict[str, Any] = Field(
        description="Related links: `pdf`, `code` (list), `doi`, `homepage`, `release`, `paper` (a repo's arXiv paper), "
        "`repo` (a paper's code link that is a stored GitHub repo: the `stars` are its), "
        "`code_sources` (each code link → where it was found: `abstract`, `comment`, or the source that added it), "
        "and those other sources add (`project`)."
    )
    details: dict[str, Any] = Field(description="The whole kind-specific record.")
    annotation: Annotation
    featured_in: list[int] = Field(
        default_factory=list,
        description="Numbers of the published issues that carried this before, oldest first: the same item "
        "(any version of a paper), the paper whose code repository it is, or the item its page names as canonical.",
    )


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    key: SectionKey
    title: str
    items: list[ExportItem] = Field(default_factory=list)


class IssueInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    number: int = Field(ge=1)
    title: str
    generated_at: UTCDatetime
    since: UTCDatetime | None = Field(description="Items first seen at or after this time are candidates.")
    until: UTCDatetime = Field(
        description="The time of the last fetch stored: the draft describes the database as "
        "of then. With nothing stored: `since`, or 1970-01-01T00:00:00Z."
    )
    tldr: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "The editor's TL;DR sentence (Markdown) by section key (`papers`, `videos`, …); a section without one "
            "shows a model's suggestion or the default line built from its items. Read back by `curate annotate`."
        ),
    )


class ExportDocument(BaseModel):
    """A draft issue: what `curate export --format json` writes."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    issue: IssueInfo
    sections: list[Section]
