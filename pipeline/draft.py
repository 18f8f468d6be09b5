"""Select stored items into the next issue's draft and write it as export JSON and Markdown.

Pure with respect to the clock except `generated_at`: the draft describes the database as
of its last stored fetch (`until`; `since`, or the Unix epoch, while nothing is stored), so
the same database gives the same bytes. The editor's annotations (pipeline/annotate.py) are
applied here; this module never prints.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.registry import Registry
from connectors.registry import default as default_registry
from pipeline.config import Settings, parse_duration
from pipeline.metrics import enrich
from pipeline.newsletter import Newsletter
from pipeline.store import IssueRow, Store
from schemas import (
    Annotation,
    ExportDocument,
    ExportItem,
    IssueInfo,
    Item,
    ItemStatus,
    Section,
    SectionKey,
)

log = logging.getLogger(__name__)

SUMMARY_CHARS = 400
OPEN = (ItemStatus.candidate, ItemStatus.shortlisted)
"""Statuses an issue can carry; rejected and published items never come back."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""`until` of a draft with nothing stored and no `since`: a fixed time, so it exports the same twice."""


class DraftError(Exception):
    """The draft cannot be written as asked; the message says what to do instead."""


class DraftEdited(DraftError):
    """A draft file holds edits curate has not read back (`curate annotate`), so it was left as it is."""


# openings that say nothing a reader needs: "In this paper, we propose X" reads as "We propose X"
_BOILERPLATE = re.compile(
    r"^(?:abstract\s*[:.\-—]\s*)?(?:(?:in|within|through) (?:this|the present|our) "
    r"(?:paper|work|article|study|note|report|letter|post|video|talk|course|repository)\s*,?\s*|here\s*,\s*)",
    re.IGNORECASE,
)
# a sentence that only points at the code or data: the draft's link line already carries it
_AVAILABILITY = re.compile(
    r"\b(?:code|implementation|models?|data(?:sets?)?|checkpoints?|weights|project page|demo)\b[^.]*"
    r"\b(?:available|released|open-sourced|at|:)\s*(?:at|on|from|in)?\s*(?:https?://|www\.|github)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")


def sentences(text: str) -> list[str]:
    """`text` split into sentences, with abbreviations (e.g., et al., Fig. 3) and decimals (99.2%) kept whole.

    pysbd's rules (the Golden Rules of sentence boundaries) rather than a split at every
    period, which would cut "vs. 87.1%" in three.
    """
    import pysbd

    return [s for s in pysbd.Segmenter(language="en", clean=False).segment(text) if s.strip()]


def summary_of(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The draft blurb of a record's text: whole sentences that fit in about `limit` characters.

    Skips a boilerplate opening ("In this paper, we" → "We") and sentences that only say
    where the code is; ends at a sentence end (the first sentence is kept whole up to twice
    `limit`, only a longer one is cut at a word with "…"). When the sentences that fit hold
    no figure, the first later sentence with one is added, so the key number stays.
    """
    text = " ".join(text.split())
    if not text:
        return ""
    # segments keep their own spacing, so gluing neighbours back gives the text as written
    short = len(text) <= limit and not _AVAILABILITY.search(text)
    # nothing past about three times the limit can be picked: segmenting only that much keeps a
    # long abstract cheap; the cut-off last piece is dropped, it is not a whole sentence
    window = text[: 3 * limit]
    parts = [text] if short else sentences(window)
    if len(window) < len(text) and len(parts) > 1:
        parts = parts[:-1]
    parts = [p for p in parts if not _AVAILABILITY.search(p)] or parts
    opening = _BOILERPLATE.sub("", parts[0], count=1)
    if opening.strip() and opening != parts[0]:
        parts[0] = opening[0].upper() + opening[1:]
    chosen: list[int] = []
    size = 0
    for i, sentence in enumerate(parts):
        if chosen and size + len(sentence.strip()) > limit:
            break
        chosen.append(i)
        size += len(sentence)
    if not any(_NUMBER.search(parts[i]) for i in chosen):
        later = next(
            (
                i
                for i in range(len(chosen), len(parts))
                if _NUMBER.search(parts[i]) and size + len(parts[i]) <= limit * 1.5
            ),
            None,
        )
        if later is not None:
            chosen.append(later)
    out = ""
    for i in chosen:
        out += parts[i] if not out or out[-1].isspace() else " " + parts[i]
    out = out.strip()
    if len(out) > 2 * limit:
        out = out[:limit].rsplit(" ", 1)[0] + "…"
    return out


# ---- issues: which number comes next and where it starts


def next_number(store: Store) -> int:
    """The number of the issue being drafted: the last published one + 1."""
    last = store.last_published()
    return last.number + 1 if last else 1


def default_since(store: Store) -> datetime | None:
    """Where the next issue starts: the as-of time of the last published issue's draft."""
    last = store.last_published()
    if last is None:
        return None
    if last.until is None:
        return last.published_at
    # that draft showed everything stored up to `until` inclusive; `since` is inclusive too
    return last.until + timedelta(microseconds=1)


def parse_since(text: str, now: datetime) -> datetime:
    """`--since`: an ISO date or time (UTC unless it says otherwise) or a duration back from now (`7d`)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            back = parse_duration(text)
        except ValueError:
            back = None
        if back is None or isinstance(back, str):
            raise ValueError(f"{text!r} is neither a date (2026-11-17, 2026-11-17T09:00) nor a duration (7d)") from None
        return now - back  # type: ignore[operator]
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---- ordering


def score(item: ExportItem, registry: Registry | None = None) -> tuple[float, ...]:
    """Higher comes first inside a section, after the shortlisted items (README "Export a draft"):
    the rule its kind's source declares (repos: stars gained, then stars; videos: views;
    papers and articles: publication time)."""
    return (registry or default_registry()).rules(item.kind).score(item)


def featured_before(store: Store, items: Sequence[Item]) -> dict[str, list[int]]:
    """For each of `items` that went out before: the numbers of the published issues, oldest first.

    An item went out with an issue that carried it (one id stands for every version of a
    paper), with the paper whose code repository it is (the paper's code links, or the paper
    the repository names), and with the item its page names as canonical.
    """
    carried = {item_id: set(numbers) for item_id, numbers in store.featured().items()}
    if not carried:
        return {}
    from pipeline.metrics import _repo_key

    aliases = store.aliases()
    for paper_id, urls in store.code_links(carried).items():
        for url in urls:
            key = _repo_key(url)
            if key is not None:
                carried.setdefault(aliases.get(key, key), set()).update(carried[paper_id])
    out: dict[str, list[int]] = {}
    for item in items:
        numbers = set(carried.get(item.id, ()))
        for arxiv_id in getattr(item.record, "arxiv_ids", ()):  # a repository names its paper
            numbers |= carried.get(f"arxiv:{arxiv_id}", set())
        canonical = getattr(item.record, "declared_canonical", None)
        if canonical:
            from connectors.errors import LinkRefused
            from pipeline.links import parse

            try:
                key = parse(canonical).key
            except LinkRefused:
                key = None
            if key is not None and key != item.id:
                numbers |= carried.get(aliases.get(key, key), set())
        if numbers:
            out[item.id] = sorted(numbers)
    return out


def export_item(item: Item, metrics: dict[str, int | float], links: dict, annotation: Annotation) -> ExportItem:
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
        annotation=annotation,
    )


# ---- the draft


@dataclass
class Draft:
    """An issue draft: the export document plus what only the Markdown shows."""

    doc: ExportDocument
    intro: str = ""
    capped: dict[str, int] = field(default_factory=dict)
    """Items a per-section cap left out, by section key."""
    fmt: Newsletter = field(default_factory=Newsletter)
    """The newsletter's format the Markdown is laid out in."""
    tldr: dict[str, str] = field(default_factory=dict)
    """A model's TL;DR sentence per section key (suggestions; the Markdown shows them)."""
    titles: list[str] = field(default_factory=list)
    """A model's title ideas, shown in the intro's comment."""

    @property
    def number(self) -> int:
        return self.doc.issue.number

    def ids(self) -> list[str]:
        return [item.id for section in self.doc.sections for item in section.items]

    def to_json(self) -> str:
        return to_json(self.doc)

    def to_markdown(self) -> str:
        from pipeline.draft_markdown import render

        return render(self.doc, self.intro, self.fmt, self.tldr, self.titles)


def caps_of(settings: Settings) -> dict[SectionKey, int]:
    caps = {
        SectionKey.papers: settings.cap_papers,
        SectionKey.videos: settings.cap_videos,
        SectionKey.reads: settings.cap_reads,
        SectionKey.tools: settings.cap_tools,
    }
    return {key: cap for key, cap in caps.items() if cap is not None}


def prepare(
    store: Store,
    now: datetime,
    since: datetime | None = None,
    caps: Mapping[SectionKey, int] | None = None,
    fmt: Newsletter | None = None,
    registry: Registry | None = None,
) -> Draft:
    """The next issue's draft.

    Candidates are the candidate and shortlisted items first seen at or after `since`
    (default: where the last published issue stopped), plus any item the editor annotated
    for this issue. Inside a section the editor's order comes first, then shortlisted
    items, then `score`; a cap cuts only items the editor has not annotated.
    """
    now = now.astimezone(UTC)
    fmt = fmt or Newsletter()
    registry = registry or default_registry()
    number = next_number(store)
    if since is None:
        since = default_since(store)
    until = store.as_of() or since or EPOCH
    row = store.issue(number)
    notes = store.annotations(number)
    items = [
        i
        for i in store.items(statuses=OPEN, since=since, also=notes)  # filtered in SQL: the archive stays unread
        if i.status in OPEN
        and (since is None or i.first_seen >= since or i.id in notes)
        and (i.id in notes or not i.linked_only())  # a paper's code shows on the paper, unless placed
    ]
    extra = enrich(store, items, since, until)
    featured = featured_before(store, items)
    placed: dict[SectionKey, list[tuple[tuple, ExportItem]]] = {key: [] for key in SectionKey}
    for item in items:
        note = notes.get(item.id)
        home = fmt.section_of(item.kind)
        key = SectionKey(note.section) if note and note.section in SectionKey.__members__ else home
        annotation = Annotation(blurb=note.blurb if note else "", include=note.include if note else True)
        metrics, links = extra[item.id]
        entry = export_item(item, metrics, links, annotation)
        entry.featured_in = featured.get(item.id, [])
        if note is not None:
            rank: tuple = (0, note.position, item.id)
        else:
            # an item that went out before sorts last, unless the editor placed it
            rank = (
                1,
                bool(entry.featured_in),
                item.status != ItemStatus.shortlisted,
                tuple(-x for x in score(entry, registry)),
                -item.first_seen.timestamp(),
                item.id,
            )
        placed[key].append((rank, entry))
    caps = dict(caps or {})
    capped: dict[str, int] = {}
    sections = []
    for key in (s.key for s in fmt.sections):
        ordered = [entry for _, entry in sorted(placed[key], key=lambda pair: pair[0])]
        cap = caps.get(key)
        if cap is not None and len(ordered) > cap:
            keep = [e for e in ordered if e.id in notes]
            room = max(cap - len(keep), 0)
            fresh = [e for e in ordered if e.id not in notes]
            capped[key.value] = len(fresh) - room
            kept_ids = {e.id for e in keep + fresh[:room]}
            ordered = [e for e in ordered if e.id in kept_ids]
        for position, entry in enumerate(ordered, start=1):
            entry.annotation.order = position
        sections.append(Section(key=key, title=fmt.section(key).name, items=ordered))
    title = (row.title if row and row.title else None) or fmt.default_title(number)
    doc = ExportDocument(
        issue=IssueInfo(
            number=number,
            title=title,
            generated_at=now,
            since=since,
            until=until,
            tldr=dict(row.tldr or {}) if row else {},
        ),
        sections=sections,
    )
    prepared = Draft(doc=doc, intro=row.intro if row else "", capped=capped, fmt=fmt)
    from pipeline.blurbs import attach  # it builds on this module

    attach(store, prepared)
    return prepared


def to_json(doc: ExportDocument) -> str:
    return json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect pydantic generates (draft 2020-12)."""


def json_schema() -> dict:
    """The JSON Schema of what an export writes: every field it always writes is required.

    Objects stay open (no `additionalProperties: false`): fields may be added to the export
    without a new `schema_version`, so a reader validating against this schema must not
    break on the first new field. curate's own models still refuse unknown fields.
    """

    def open_objects(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: open_objects(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
        if isinstance(node, list):
            return [open_objects(v) for v in node]
        return node

    schema = open_objects(ExportDocument.model_json_schema(mode="serialization"))
    version = ExportDocument.model_fields["schema_version"].default
    return {"$schema": SCHEMA_DIALECT, "$id": f"urn:curate:export:schema_version:{version}", **schema}


# ---- files


EXTENSIONS = ("json", "md")


def draft_path(settings: Settings, number: int, ext: str) -> Path:
    return settings.drafts_dir / f"issue-{number}.{ext}"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


KEPT_DIGESTS = 8
"""Hashes kept per draft file. Two exports at once may leave either one's bytes, so each is kept."""


def known_digests(digests: Mapping[str, Any], ext: str) -> list[str]:
    """The hashes of what curate lately wrote or read back as `issue-<N>.<ext>`, oldest first."""
    value = digests.get(ext)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)  # a single string: a database of 0.1.0


def remember(row: IssueRow, ext: str, data: bytes) -> None:
    """Note `data` as something curate wrote or read back for this issue's `.<ext>` draft."""
    new = digest(data)
    kept = [h for h in known_digests(row.digests, ext) if h != new] + [new]
    row.digests = {**row.digests, ext: kept[-KEPT_DIGESTS:]}


def _edited(path: Path, known: Sequence[str]) -> bool:
    """True when `path` holds something other than what curate lately wrote or read back there."""
    return bool(known) and path.exists() and digest(path.read_bytes()) not in known


def record(store: Store, draft: Draft) -> None:
    """Remember what this export showed the editor: its ids and as-of time."""
    with store.issue_work(draft.number) as work:  # two first exports at once would both insert the row
        work.issue.since, work.issue.until = draft.doc.issue.since, draft.doc.issue.until
        work.issue.item_ids = draft.ids()


def _claim(store: Store, number: int, files: Mapping[Path, tuple[str, bytes]], force: bool) -> None:
    """Refuse to overwrite edits, then note the hashes about to be written, in one locked transaction.

    Noted before the files are replaced, so an export killed halfway, or one that another
    overtook, leaves files curate knows it wrote, never files that look edited.
    """
    with store.issue_work(number) as work:
        row = work.issue
        for path, (ext, _) in files.items():
            if not force and _edited(path, known_digests(row.digests, ext)):
                raise DraftEdited(
                    f"{path} has edits curate has not read back: run `curate annotate {path}` to keep them, "
                    "or export with --force to overwrite them"
                )
        for ext, data in files.values():
            remember(row, ext, data)


def _replace(path: Path, data: bytes) -> None:
    """Put `data` at `path` whole: a reader sees the old file or the new one, never half of one.

    The temporary file is new for each write (two exports at once never share one) and in
    the same folder (so the rename is atomic). Opened with "x" rather than through
    tempfile.mkstemp, whose files are private (0600): the draft keeps the umask's mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write(
    store: Store,
    settings: Settings,
    draft: Draft,
    formats: Sequence[str] = EXTENSIONS,
    output: Path | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the draft files (default `<drafts_dir>/issue-<N>.<ext>`) and record the export.

    Refuses (DraftError, nothing written) to overwrite a default-path draft the editor has
    edited since curate wrote it, unless `force`: those edits belong in `curate annotate`.
    """
    if output is not None and len(formats) != 1:
        raise DraftError("--output needs a single format (--format json or --format markdown)")
    files = {
        output or draft_path(settings, draft.number, ext): (
            ext,
            (draft.to_json() if ext == "json" else draft.to_markdown()).encode("utf-8"),
        )
        for ext in formats
    }
    if output is None:
        _claim(store, draft.number, files, force)
    for path, (_, data) in files.items():
        _replace(path, data)
    record(store, draft)
    log.info("draft: issue %d, %d items, %d files", draft.number, len(draft.ids()), len(files))
    return list(files)
