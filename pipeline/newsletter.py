"""The newsletter's own format (`data/newsletter.toml`, or the file CURATE_NEWSLETTER names).

Sections (order, headings, which kinds go where), how an item's lines read, the TL;DR
style, the prompts a model is given, and an optional Jinja2 template for the whole
Markdown layout. Loading checks the file (and the template) and raises NewsletterError
naming the key or the missing marker; nothing here reads the database or prints.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connectors.registry import default as default_registry
from schemas import Kind, SectionKey

DEFAULT_PATH = Path("data/newsletter.toml")


class NewsletterError(Exception):
    """The format file cannot be used; the message names the file and the key or marker."""


class SectionFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SectionKey
    name: str = Field(min_length=1, description="The section's name, plural: the export's `sections[].title`.")
    singular: str | None = None
    """The name when the section holds one item (default: `name`)."""
    emoji: str = ""
    heading: str = "{emoji} {count} {name}"
    empty: str | None = None
    """The heading of an empty section (default: `heading` with a count of 0)."""
    kinds: list[Kind] = Field(default_factory=list)

    def title(self, count: int) -> str:
        """The heading text for `count` items, extra spaces from an empty emoji dropped."""
        template = self.empty if count == 0 and self.empty is not None else self.heading
        name = self.singular if count == 1 and self.singular else self.name
        return " ".join(template.format(emoji=self.emoji, count=count, name=name).split())


def _default_sections() -> list[SectionFormat]:
    rows = [
        (SectionKey.papers, "📄", "Papers", "Paper", [Kind.paper], None),
        (SectionKey.videos, "🎥", "Videos", "Video", [Kind.video, Kind.playlist], None),
        (SectionKey.reads, "📰", "Curated Reads", "Curated Read", [Kind.article], None),
        (SectionKey.tools, "🛠", "Tools & Repos", "Tool & Repo", [Kind.repo], None),
        (SectionKey.pick, "🎓", "Pick of the Week", "Pick of the Week", [], "{emoji} {name}"),
    ]
    return [
        SectionFormat(key=k, emoji=e, name=n, singular=s, kinds=kinds, empty=empty) for k, e, n, s, kinds, empty in rows
    ]


class ItemFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(default_factory=lambda: ["{lead}", "{byline} · {facts} · {date}"], min_length=1)
    """Each a line under the title; placeholders {lead}, {byline}, {facts}, {date}."""
    link: Literal["url", "label"] = "url"
    """`url`: the item's own link shows its address (`https://arxiv.org/abs/…`); `label`: a word (`arXiv`)."""
    authors_shown: int = Field(default=3, ge=1)
    """Names before "et al."."""

    @model_validator(mode="after")
    def _known_placeholders(self) -> ItemFormat:
        import string

        for line in self.lines:
            for _, field_name, _, _ in string.Formatter().parse(line):
                if field_name is not None and field_name not in ("lead", "byline", "facts", "date"):
                    raise ValueError(
                        f"unknown placeholder {{{field_name}}} in {line!r} "
                        "(use {lead}, {byline}, {facts}, {date})"
                    )
        return self


class TldrFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heading: str = "TL;DR"
    style: Literal["sentence", "titles"] = "sentence"


SYSTEM_PROMPT = (
    "You draft short texts for a weekly newsletter about machine learning. Write plain prose in a calm, "
    "precise voice. No hype words (revolutionary, groundbreaking, game-changing, unlock), no emoji, no "
    "Markdown, no links. Use only facts from the text you are given."
)
BLURB_PROMPT = (
    "Write a blurb of 3 to 5 sentences for this {kind}: what it does, its key result with its number, and "
    "why it matters to a practitioner.\n\nTitle: {title}\nBy: {authors}\nFigures: {figures}\n\n{text}"
)
TLDR_PROMPT = (
    "Write one sentence (at most 30 words) that sums up this week's {section} for a reader skimming the "
    "newsletter. The items:\n\n{items}"
)
TITLES_PROMPT = (
    "Suggest three titles for this newsletter issue, one per line, each under 60 characters, no numbering "
    "and no quotes. The issue's items:\n\n{items}"
)


class Prompts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = SYSTEM_PROMPT
    blurb: str = BLURB_PROMPT
    tldr: str = TLDR_PROMPT
    titles: str = TITLES_PROMPT


class Newsletter(BaseModel):
    """The format of one newsletter; `Newsletter()` is the shipped default (data/newsletter.toml)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "The Tokenizer"
    title: str = "{name} #{number}"
    """The issue's title until the editor writes one."""
    take: bool = True
    """An empty `**Take:**` line under each drafted blurb."""
    template: Path | None = None
    """A Jinja2 template for the whole Markdown draft, relative to the format file."""
    tldr: TldrFormat = Field(default_factory=TldrFormat)
    item: ItemFormat = Field(default_factory=ItemFormat)
    sections: list[SectionFormat] = Field(default_factory=_default_sections)
    prompts: Prompts = Field(default_factory=Prompts)

    @model_validator(mode="after")
    def _every_section_once(self) -> Newsletter:
        keys = [s.key for s in self.sections]
        missing = [k.value for k in SectionKey if k not in keys]
        twice = sorted({k.value for k in keys if keys.count(k) > 1})
        if missing or twice:
            raise ValueError(
                "sections: "
                + "; ".join(
                    ([f"missing {', '.join(missing)}"] if missing else [])
                    + ([f"{', '.join(twice)} twice"] if twice else [])
                )
                + " (each of papers, videos, reads, tools, pick once)"
            )
        kinds = [k for s in self.sections for k in s.kinds]
        doubled = sorted({k.value for k in kinds if kinds.count(k) > 1})
        if doubled:
            raise ValueError(f"sections: kind {', '.join(doubled)} is listed in two sections")
        return self

    def default_title(self, number: int) -> str:
        return self.title.format(name=self.name, number=number)

    def section(self, key: SectionKey | str) -> SectionFormat:
        return next(s for s in self.sections if s.key == key)

    @cached_property
    def _homes(self) -> dict[Kind, SectionKey]:
        return {kind: s.key for s in self.sections for kind in s.kinds}

    def section_of(self, kind: Kind | str) -> SectionKey:
        """The section a kind's items go to: as listed here, else the kind's own section."""
        kind = Kind(kind)
        return self._homes.get(kind) or default_registry().section_of(kind)

    template_text: str | None = Field(default=None, exclude=True, repr=False)
    """The template's source, read when the file is loaded."""


def load(path: Path, *, default_path: Path = DEFAULT_PATH) -> Newsletter:
    """The format in `path`. The shipped default path may be missing (the built-in default);
    any other missing, unreadable or invalid file raises NewsletterError naming it."""
    if not path.exists():
        if path == default_path:
            return Newsletter()
        raise NewsletterError(f"{path} (CURATE_NEWSLETTER): no such file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NewsletterError(f"{path} (CURATE_NEWSLETTER): cannot read it: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NewsletterError(f"{path} (CURATE_NEWSLETTER): not TOML: {exc}") from None
    try:
        fmt = Newsletter.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise NewsletterError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None
    if fmt.template is not None:
        template = fmt.template if fmt.template.is_absolute() else path.parent / fmt.template
        try:
            fmt.template_text = template.read_text(encoding="utf-8")
        except OSError as exc:
            raise NewsletterError(f"{path}: template {template}: {exc.strerror}") from None
        from pipeline.draft_markdown import TemplateError, check_template

        try:
            check_template(fmt)
        except TemplateError as exc:
            raise NewsletterError(f"{path}: template {template}: {exc}") from None
    return fmt
