"""The five record kinds a connector produces, and the ref that names what to fetch.

A record holds what its source said, normalized: no I/O, no clock, no settings.
Every record answers the same four questions for the export (`byline`, `blurb_source`,
`metrics`, `links`) so the draft never needs to know which kind it holds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UTCDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, converted to UTC on the way in."""


# terminal escape sequences as a whole (ECMA-48): CSI (`ESC [ … final`, recolouring), OSC
# (`ESC ] … BEL|ST`, a window title or a link) and the two-byte escapes; their C1 forms too
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[@-_]?"
)
# C0 controls but tab and newline, DEL, C1 controls, bidi overrides and isolates (which reorder
# what a reader sees, CVE-2021-42574); a carriage return, vertical tab or form feed becomes a space
_CONTROLS = {
    **dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)]),
    **dict.fromkeys([0x0B, 0x0C, 0x0D], " "),
    **dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
}


def clean_text(text: str) -> str:
    """`text` without terminal escape sequences, control characters (C0 but tab and newline,
    C1) and bidi overrides, so no output, export or page that shows it can be driven by it."""
    return _ESCAPES.sub("", text).translate(_CONTROLS)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cleaned(v) for v in value)
    return value


class _Text(BaseModel):
    """A model whose every string, however deep, is cleaned as it is built (`clean_text`)."""

    @model_validator(mode="before")
    @classmethod
    def _clean_strings(cls, data: Any) -> Any:
        return _cleaned(data) if isinstance(data, dict) else data


class Kind(StrEnum):
    paper = "paper"
    video = "video"
    playlist = "playlist"
    repo = "repo"
    article = "article"


class SourceRef(BaseModel):
    """A parsed link: what it names (kind and canonical id) and where that lives."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    key: str = Field(description="Canonical id, e.g. `arxiv:2512.07461` or `github:owner/name`.")
    url: str = Field(description="Canonical URL of the thing, e.g. `https://arxiv.org/abs/2512.07461`.")
    connector: str = Field(description="Name of the connector that owns this link.")
    companions: tuple[str, ...] = Field(
        default=(),
        description="Other things the same link names (a playlist beside a video), as URLs.",
    )

    def __str__(self) -> str:
        return self.url


class Extra(_Text):
    """What another source adds to a record in the same run (Hugging Face's upvotes and code
    link on an arXiv paper). Stored inside the record, under that source's name."""

    model_config = ConfigDict(extra="forbid")

    metrics: dict[str, int | float] = Field(default_factory=dict, description="Figures for the export (`upvotes`).")
    links: dict[str, Any] = Field(default_factory=dict, description="Related links for the export (`project`).")
    code: list[str] = Field(
        default_factory=list, description="Code links this source knows of; ingested in the same run."
    )
    data: dict[str, Any] = Field(default_factory=dict, description="Whatever else it said (`ai_keywords`).")


class _RecordBase(_Text):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description='Canonical id, e.g. `arxiv:2512.07461` (README "Ids").')
    url: str = Field(description="Canonical URL.")
    title: str = Field(description="Title as the source gives it, whitespace folded.")
    extras: dict[str, Extra] = Field(
        default_factory=dict, description="What other sources added, by source name (`huggingface`)."
    )

    @field_validator("id", "url")
    @classmethod
    def _a_token(cls, value: str, info: ValidationInfo) -> str:
        # an id or URL is one token: a space would split the draft's anchor and the links. A
        # record read back from the database (STORED) keeps the id it was stored under: curate
        # 0.1 kept a web page's canonical link with its space, and that item must stay readable
        if info.context == STORED and value:
            return value
        if not value or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not one token (empty, or has white space)")
        return value

    def byline(self) -> list[str]:
        """Authors for a paper or article, the channel for a video, the owner for a repo."""
        return []

    def blurb_source(self) -> str:
        """The text a draft blurb is made from (abstract, description)."""
        return ""

    def published_at(self) -> datetime | None:
        return None

    def metrics(self) -> dict[str, int | float]:
        """Figures worth tracking over time (stars, views); snapshotted at every fetch."""
        return {}

    def links(self) -> dict[str, Any]:
        """Related links for the export (`pdf`, `code`, `homepage`)."""
        return {}

    def partial(self) -> bool:
        """True when the source gave less than it can (no API key, a spent quota). A partial
        record never replaces a complete one stored earlier."""
        return False

    def all_metrics(self) -> dict[str, int | float]:
        """`metrics()` plus the figures other sources added (`extras`); the record's own win."""
        out: dict[str, int | float] = {}
        for extra in self.extras.values():
            out.update(extra.metrics)
        return {**out, **self.metrics()}

    def all_links(self) -> dict[str, Any]:
        """`links()` plus the links other sources added: their code links join `code` (each
        once, its finder named in `code_sources`: `abstract`, `comment` or the source's name)."""
        out = dict(self.links())
        code = list(out.get("code", []))
        found_in = dict(out.get("code_sources", {}))
        for source, extra in self.extras.items():
            for key, value in extra.links.items():
                out.setdefault(key, value)
            for url in extra.code:
                if url not in code:
                    code.append(url)
                    found_in[url] = source
        if code:
            out["code"] = code
        if found_in:
            out["code_sources"] = found_in
        return out


class Paper(_RecordBase):
    """An arXiv paper, latest version."""

    kind: Literal["paper"] = "paper"
    arxiv_id: str = Field(description="arXiv id without version, e.g. `2512.07461` or `hep-th/9901001`.")
    version: int = Field(ge=1, description="Latest version number the API returned.")
    authors: list[str] = Field(default_factory=list, description="Author names in paper order.")
    abstract: str = ""
    primary_category: str | None = None
    categories: list[str] = Field(default_factory=list, description="All categories, primary first.")
    published: UTCDatetime | None = Field(default=None, description="First version's submission time.")
    updated: UTCDatetime | None = Field(default=None, description="Latest version's submission time.")
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = Field(default=None, description="Bare DOI, e.g. `10.1103/PhysRevD.76.013009`.")
    pdf_url: str | None = None
    code_links: list[str] = Field(
        default_factory=list,
        description="Code links (github.com, gitlab.com, huggingface.co) found in the comment and abstract.",
    )
    code_sources: dict[str, Literal["abstract", "comment"]] = Field(
        default_factory=dict, description="Where each code link was found: the paper's `comment` or its `abstract`."
    )
    withdrawn: bool = Field(default=False, description="The latest version withdraws the paper.")

    def byline(self) -> list[str]:
        return list(self.authors)

    def blurb_source(self) -> str:
        return self.abstract

    def published_at(self) -> datetime | None:
        return self.published

    def links(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.pdf_url:
            out["pdf"] = self.pdf_url
        if self.code_links:
            out["code"] = list(self.code_links)
            sources = {url: self.code_sources[url] for url in self.code_links if url in self.code_sources}
            if sources:
                out["code_sources"] = sources
        if self.doi:
            out["doi"] = f"https://doi.org/{self.doi}"
        return out


FilledBy = Literal["api", "oembed", "feed"]


class Video(_RecordBase):
    """A YouTube video."""

    kind: Literal["video"] = "video"
    video_id: str
    channel: str | None = None
    channel_id: str | None = None
    channel_url: str | None = None
    published: UTCDatetime | None = None
    duration_seconds: int | None = Field(default=None, ge=0)
    views: int | None = Field(default=None, ge=0)
    likes: int | None = Field(default=None, ge=0)
    description: str = ""
    thumbnail: str | None = None
    filled_by: FilledBy = Field(description="How the record was filled: `api` (complete), `oembed` or `feed`.")

    def byline(self) -> list[str]:
        return [self.channel] if self.channel else []

    def blurb_source(self) -> str:
        return self.description

    def published_at(self) -> datetime | None:
        return self.published

    def partial(self) -> bool:
        return self.filled_by != "api"

    def metrics(self) -> dict[str, int | float]:
        out: dict[str, int | float] = {}
        if self.views is not None:
            out["views"] = self.views
        if self.duration_seconds is not None:
            out["duration_seconds"] = self.duration_seconds
        return out


class PlaylistVideo(_Text):
    """One video inside a playlist, in playlist order."""

    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=0)
    video_id: str
    title: str
    duration_seconds: int | None = Field(default=None, ge=0)
    views: int | None = Field(default=None, ge=0)
    published: UTCDatetime | None = None


class Playlist(_RecordBase):
    """A YouTube playlist: one draft item, with its videos inside."""

    kind: Literal["playlist"] = "playlist"
    playlist_id: str
    channel: str | None = None
    channel_id: str | None = None
    published: UTCDatetime | None = None
    description: str = ""
    thumbnail: str | None = None
    video_count: int | None = Field(default=None, ge=0, description="Videos the playlist lists, as the source reports.")
    duration_seconds: int | None = Field(default=None, ge=0, description="Total running time of the available videos.")
    videos: list[PlaylistVideo] = Field(default_factory=list, description="Available videos in order.")
    unavailable_count: int = Field(default=0, ge=0, description="Private or deleted videos skipped.")
    truncated: bool = Field(default=False, description="The item cap stopped the listing early.")
    filled_by: FilledBy

    def byline(self) -> list[str]:
        return [self.channel] if self.channel else []

    def blurb_source(self) -> str:
        return self.description

    def published_at(self) -> datetime | None:
        return self.published

    def partial(self) -> bool:
        return self.filled_by != "api"

    def metrics(self) -> dict[str, int | float]:
        out: dict[str, int | float] = {}
        if self.video_count is not None:
            out["video_count"] = self.video_count
        if self.duration_seconds is not None:
            out["duration_seconds"] = self.duration_seconds
        return out


class Release(_Text):
    model_config = ConfigDict(extra="forbid")

    tag: str
    name: str | None = None
    published: UTCDatetime | None = None
    url: str | None = None


class Repo(_RecordBase):
    """A GitHub repository."""

    kind: Literal["repo"] = "repo"
    full_name: str = Field(description="`Owner/Name` as GitHub spells it.")
    owner: str
    name: str
    description: str | None = None
    stars: int = Field(ge=0)
    forks: int = Field(default=0, ge=0)
    language: str | None = None
    topics: list[str] = Field(default_factory=list)
    license: str | None = Field(default=None, description="SPDX id, when GitHub knows it.")
    homepage: str | None = None
    created: UTCDatetime | None = None
    pushed: UTCDatetime | None = None
    archived: bool = False
    fork: bool = False
    latest_release: Release | None = None
    arxiv_ids: list[str] = Field(default_factory=list, description="arXiv ids named in the description or homepage.")

    def byline(self) -> list[str]:
        return [self.owner]

    def blurb_source(self) -> str:
        return self.description or ""

    def published_at(self) -> datetime | None:
        return self.created

    def metrics(self) -> dict[str, int | float]:
        return {"stars": self.stars, "forks": self.forks}

    def links(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.homepage:
            out["homepage"] = self.homepage
        if self.latest_release and self.latest_release.url:
            out["release"] = self.latest_release.url
        return out


class Article(_RecordBase):
    """A web page: a blog post or article for the Reads section."""

    kind: Literal["article"] = "article"
    site_name: str | None = None
    authors: list[str] = Field(default_factory=list, description="People the page names as its authors.")
    organizations: list[str] = Field(
        default_factory=list,
        description="Organisations the page names as its author (a newsroom, a wire service, the site itself); "
        "kept apart from `authors`, and the byline only when no person is named.",
    )
    published: UTCDatetime | None = None
    published_utc_assumed: bool = Field(
        default=False,
        description="True when the page gave the publish time without a time zone (or only its day): "
        "`published` reads it as UTC.",
    )
    description: str | None = None
    image: str | None = None
    language: str | None = None
    final_url: str | None = Field(default=None, description="Where the fetch landed after redirects.")
    declared_canonical: str | None = Field(
        default=None, description="`<link rel=canonical>` or `og:url` as the page declares it."
    )
    content_type: str | None = None

    def byline(self) -> list[str]:
        return list(self.authors or self.organizations)

    def blurb_source(self) -> str:
        return self.description or ""

    def published_at(self) -> datetime | None:
        return self.published


STORED: dict[str, Any] = {"stored": True}
"""The validation context of a record read back from the database (`record_adapter.validate_python(
data, context=STORED)`): what was accepted when it was stored is not refused on reading."""

Record = Annotated[Paper | Video | Playlist | Repo | Article, Field(discriminator="kind")]
record_adapter: TypeAdapter[Paper | Video | Playlist | Repo | Article] = TypeAdapter(Record)
