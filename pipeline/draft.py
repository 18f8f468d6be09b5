"""Select stored items into a draft issue and render it as the export JSON or Markdown.

Pure with respect to the clock: the caller passes `now`, so the same database gives the
same document except `generated_at`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from pipeline.metrics import enrich
from pipeline.store import Store
from schemas import (
    SECTION_TITLES,
    Annotation,
    ExportDocument,
    ExportItem,
    IssueInfo,
    Item,
    ItemStatus,
    Section,
    SectionKey,
)
from schemas.export import SECTION_OF_KIND

SUMMARY_CHARS = 400


def summary_of(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first sentences of `text` that fit in `limit` characters (cut at a word if none fit)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out or text[:limit].rsplit(" ", 1)[0] + "…"


def export_item(item: Item, order: int, metrics: dict[str, int | float], links: dict) -> ExportItem:
    record = item.record
    return ExportItem(
        id=item.id,
        kind=item.kind,
        url=item.url,
        title=item.title,
        authors=record.byline(),
        summary=summary_of(record.blurb_source()),
        published=record.published_at(),
        metrics=metrics,
        links=links,
        details=record.model_dump(mode="json"),
        annotation=Annotation(order=order),
    )


def build(store: Store, now: datetime, number: int = 1, since: datetime | None = None) -> ExportDocument:
    """The draft: every candidate or shortlisted item, grouped by section."""
    now = now.astimezone(timezone.utc)
    sections = {key: Section(key=key, title=SECTION_TITLES[key]) for key in SectionKey}
    items = [
        i for i in store.items()
        if i.status in (ItemStatus.candidate, ItemStatus.shortlisted) and (since is None or i.first_seen >= since)
    ]
    items.sort(key=lambda i: (i.status != ItemStatus.shortlisted, -(i.first_seen.timestamp()), i.id))
    extra = enrich(store, items, since, now)
    for item in items:
        section = sections[SECTION_OF_KIND[item.kind]]
        metrics, links = extra[item.id]
        section.items.append(export_item(item, len(section.items) + 1, metrics, links))
    return ExportDocument(
        issue=IssueInfo(number=number, title=f"Issue #{number}", generated_at=now, since=since, until=now),
        sections=list(sections.values()),
    )


def to_json(doc: ExportDocument) -> str:
    return json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def to_markdown(doc: ExportDocument) -> str:
    lines = [f"# {doc.issue.title}", ""]
    for section in doc.sections:
        lines += [f"## {section.title} ({len(section.items)})", ""]
        for item in section.items:
            by = ", ".join(item.authors)
            lines.append(f"- [{item.title}]({item.url})" + (f" — {by}" if by else ""))
        lines.append("")
    return "\n".join(lines)


def json_schema() -> dict:
    return ExportDocument.model_json_schema()
