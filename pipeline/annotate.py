"""The editor's side: read an edited draft back (`annotate`), triage items (`mark`), publish an issue.

Each of these is one transaction: a file that names an unknown id or cannot be read as a
draft raises AnnotateError before anything is written. This module never prints.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from pipeline.blurbs import suggested
from pipeline.config import Settings
from pipeline.draft import OPEN, draft_path, remember, summary_of
from pipeline.draft_markdown import (
    LEFT_OUT,
    TLDR_EMPTY,
    MarkdownDraftError,
    blurb_block,
    md_editor,
    md_editor_read,
    md_text,
    normalize_blurb,
    one_line,
    parse,
    tldr_drafted,
    tldr_text,
)
from pipeline.newsletter import Newsletter
from pipeline.store import AnnotationRow, IssueRow, IssueWork, ItemRow, Store
from schemas import STORED, ExportDocument, ItemStatus, SectionKey, record_adapter
from schemas.export import SuggestedBlurb

log = logging.getLogger(__name__)


class AnnotateError(Exception):
    """Nothing was changed; the message (one line) says why."""


class UnreadableFile(AnnotateError):
    """The file given cannot be opened (missing, no permission): a usage error, not a bad draft."""


@dataclass
class Edit:
    id: str
    section: str
    """A section key, or LEFT_OUT (Markdown only)."""
    position: int
    include: bool = True
    blurb: str | None = None
    """The editor's blurb; None when the Markdown shows the blurb as it was drafted."""
    drafted: str | None = None
    """Markdown only: the normalized text under the item, to compare with what was drafted."""
    heading: str | None = None
    """Markdown only: the item's title line as the file holds it, to tell an edited title."""


@dataclass
class Edits:
    number: int
    fmt: str
    title: str | None = None
    intro: str | None = None
    items: list[Edit] = field(default_factory=list)
    sections: set[str] | None = None
    """JSON only: the section keys the file holds (a whole draft holds every one it was exported with)."""
    tldr: dict[str, str] | None = None
    """JSON: the editor's TL;DR by section key, as the file holds it (`issue.tldr`); None when absent."""
    tldr_shown: dict[str, str] | None = None
    """Markdown: the text of each TL;DR line by section key, to compare with what was drafted."""


@dataclass
class Summary:
    number: int
    items: int = 0
    blurbs: int = 0
    left_out: int = 0
    moved: int = 0
    picks: list[str] = field(default_factory=list)
    tldr: int = 0
    """TL;DR lines whose editor's sentence was written, changed or dropped."""
    retitled: list[str] = field(default_factory=list)
    """Ids of items whose title line the editor changed: not read back, the source's title stays."""


# ---- reading files


DRAFT_MAX_BYTES = 5_000_000
"""Largest draft read (CURATE_DRAFT_MAX_BYTES): an issue's draft is tens of kB."""


def read(path: Path, max_bytes: int = DRAFT_MAX_BYTES) -> tuple[Edits, bytes]:
    """The edits in an edited draft (JSON, or Markdown with its anchors), and the file's bytes.

    Only a regular file of at most `max_bytes` is read (`/dev/zero` or a FIFO never is), and
    only a whole draft: see `edits_from_json` and `draft_markdown.parse`. Raises UnreadableFile
    when the file cannot be opened, AnnotateError when it is not a draft curate can read.
    """
    import stat

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise AnnotateError(f"{path}: not a regular file; give the draft file curate export wrote")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise AnnotateError(
            f"{path}: larger than {max_bytes:,} bytes (CURATE_DRAFT_MAX_BYTES), far beyond any draft; nothing was read"
        )
    try:
        text = data.decode("utf-8-sig")  # some editors save a byte-order mark
    except UnicodeDecodeError:
        raise AnnotateError(f"{path}: not UTF-8 text") from None
    is_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() not in (".md", ".markdown") and text.lstrip().startswith("{")
    )
    try:
        return (edits_from_json(text) if is_json else edits_from_markdown(text)), data
    except AnnotateError as exc:
        raise AnnotateError(f"{path}: {exc}") from None


def edits_from_json(text: str) -> Edits:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnnotateError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    try:
        doc = ExportDocument.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise AnnotateError(f"not a curate draft: {where}: {first['msg']}{more}") from None
    if "schema_version" not in raw:
        raise AnnotateError("not a whole curate draft: schema_version is missing")
    if not raw.get("sections"):
        raise AnnotateError("not a whole curate draft: it has no sections")
    edits = Edits(
        number=doc.issue.number,
        fmt="json",
        title=doc.issue.title,
        sections={section.key.value for section in doc.sections},
        tldr=doc.issue.tldr if "tldr" in raw.get("issue", {}) else None,
    )  # drafts before 0005 lack it
    for section in doc.sections:
        # the `order` field decides; items with the same order keep their place in the array
        ranked = sorted(enumerate(section.items), key=lambda pair: (pair[1].annotation.order, pair[0]))
        for position, (_, item) in enumerate(ranked, start=1):
            edits.items.append(
                Edit(
                    id=item.id,
                    section=section.key.value,
                    position=position,
                    include=item.annotation.include,
                    blurb=item.annotation.blurb,
                )
            )
    return edits


def edits_from_markdown(text: str) -> Edits:
    try:
        parsed = parse(text)
    except MarkdownDraftError as exc:
        raise AnnotateError(str(exc)) from None
    edits = Edits(number=parsed.number, fmt="md", title=parsed.title, intro=parsed.intro, tldr_shown=parsed.tldr)
    positions: dict[str, int] = {}
    for item in parsed.items:
        positions[item.section] = positions.get(item.section, 0) + 1
        edits.items.append(
            Edit(
                id=item.id,
                section=item.section,
                position=positions[item.section],
                include=item.section != LEFT_OUT,
                drafted=item.blurb,
                heading=item.heading,
            )
        )
    return edits


# ---- storing


def _check_number(last: IssueRow | None, number: int) -> None:
    expected = last.number + 1 if last else 1
    if number <= (last.number if last else 0):
        raise AnnotateError(f"issue {number} is already published; the draft now is issue {expected}")
    if number != expected:
        raise AnnotateError(f"there is no issue {number} yet: the draft now is issue {expected}")


def _resolve(store: Store, work: IssueWork, ids: Sequence[str]) -> tuple[dict[str, str], dict[str, ItemRow]]:
    seen: set[str] = set()
    dupes = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if dupes:
        raise AnnotateError(f"{dupes[0]} appears twice; each item belongs in one place")
    resolved = store.resolve(ids)
    rows = work.items(resolved.values())
    unknown = [given for given, stored in resolved.items() if stored not in rows]
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise AnnotateError(f"unknown item id{plural} {', '.join(unknown)}: not in the database (nothing was changed)")
    return resolved, rows


def _drafted_texts(
    row: ItemRow, prev: AnnotationRow | None, fmt: Newsletter, suggested: Sequence[SuggestedBlurb] = ()
) -> set[str]:
    """The normalized texts the Markdown may have shown under this item when it was exported:
    the editor's blurb, else the draft blurb or any suggestion a model drafted for it."""
    summary = summary_of(record_adapter.validate_python(row.record, context=STORED).blurb_source())
    blurb = prev.blurb if prev else ""
    shown = {normalize_blurb(blurb_block(blurb, summary, fmt.take))}
    if not blurb.strip():
        shown |= {normalize_blurb(blurb_block("", summary, fmt.take, s)) for s in suggested}
    return shown


def tldr_read_back(shown: dict[str, str], stored: dict[str, str], drafted: dict[str, set[str]]) -> dict[str, str]:
    """The editor's TL;DR after reading back the text each line `shown`, by section key.

    A text that is one the draft may have shown without the editor (`drafted`: the default
    line, a model's sentence) leaves the section as it was: an untouched suggestion stays a
    suggestion. An emptied line drops the editor's sentence; any other text becomes it.
    """
    out = dict(stored)
    for key, text in shown.items():
        text, mine = one_line(text), one_line(stored.get(key, ""))
        if text in (mine, md_editor(mine)) or text in drafted.get(key, set()):
            continue
        if text:
            out[key] = md_editor_read(text, mine)
        else:
            out.pop(key, None)
    return out


def tldr_drafts(store: Store, settings: Settings, fmt: Newsletter, number: int) -> dict[str, set[str]]:
    """By section key, the TL;DR texts a draft of issue `number` may have shown without the editor:
    the line the draft shows now, every sentence a model drafted, and the empty-section line.
    """
    from pipeline.blurbs import tldr_subject
    from pipeline.draft import caps_of, prepare

    now = prepare(store, datetime.now(UTC), caps=caps_of(settings), fmt=fmt)
    out: dict[str, set[str]] = {k.value: set(TLDR_EMPTY) for k in (f.key for f in fmt.sections)}
    for section_fmt, section in zip(fmt.sections, now.doc.sections, strict=True):
        items = [i for i in section.items if i.annotation.include]
        out[section_fmt.key.value].add(
            tldr_drafted(section_fmt, items, fmt.tldr.style, now.tldr.get(section_fmt.key.value))
        )
    subjects = {tldr_subject(number, key): key for key in out}
    for subject, rows in store.suggestions_of(subjects).items():
        out[subjects[subject]] |= {one_line(md_text(r.text)) for r in rows}
    return out


def apply(  # noqa: C901 - each kind of edit, in one transaction
    store: Store,
    settings: Settings,
    edits: Edits,
    path: Path | None = None,
    data: bytes | None = None,
    fmt: Newsletter | None = None,
) -> Summary:
    """Store the edits as the annotations of their issue, in one transaction.

    An item the last export showed but the file no longer holds is left out
    (include = false). When `path` is the issue's default draft file, its digest is kept,
    so the next export knows these edits are safe to overwrite.
    """
    summary = Summary(number=edits.number)
    fmt = fmt or Newsletter()
    if edits.sections is not None:
        missing = [k.value for k in (f.key for f in fmt.sections) if k.value not in edits.sections]
        if missing:
            raise AnnotateError(
                f"not a whole curate draft: section {missing[0]!r} is missing; "
                "move items between sections, but keep every section"
            )
    # built before the lock: it reads the draft as the export did
    drafted = tldr_drafts(store, settings, fmt, edits.number) if edits.tldr_shown is not None else {}
    with store.issue_work(edits.number) as work:  # an export running meanwhile waits, and keeps our digest
        issue = work.issue
        _check_number(work.last_published(), edits.number)
        resolved, rows = _resolve(store, work, [e.id for e in edits.items])
        previous = work.annotations()
        drafts = {
            k: [suggested(r) for r in found]  # what a model drafted for them
            for k, found in store.suggestions_of(resolved.values()).items()
        }
        placed: set[str] = set()
        for edit in edits.items:
            item_id = resolved[edit.id]
            row = rows[item_id]
            prev = previous.get(item_id)
            home = fmt.section_of(row.kind).value
            prev_section = prev.section if prev else home
            prev_include = prev.include if prev else True
            blurb = edit.blurb
            if edit.drafted is not None and edit.drafted not in _drafted_texts(row, prev, fmt, drafts.get(item_id, ())):
                blurb = md_editor_read(edit.drafted, prev.blurb if prev else "")
            if blurb is None:
                blurb = prev.blurb if prev else ""
            if len(blurb) > settings.blurb_max_chars:
                raise AnnotateError(
                    f"the blurb of {item_id} is {len(blurb):,} characters, over "
                    f"{settings.blurb_max_chars:,} (CURATE_BLURB_MAX_CHARS); nothing was changed"
                )
            if edit.section == LEFT_OUT:
                section, include, position = prev_section, False, prev.position if prev else 10_000 + edit.position
            else:
                section, include, position = edit.section, edit.include, edit.position
            if edit.heading is not None and " ".join(edit.heading.split()) != md_text(row.title):
                summary.retitled.append(item_id)
            summary.items += 1
            summary.blurbs += blurb != (prev.blurb if prev else "")
            summary.left_out += prev_include and not include
            summary.moved += include and section != prev_section
            if include and section == "pick":
                summary.picks.append(item_id)
            work.annotate(
                AnnotationRow(
                    issue=edits.number,
                    item_id=item_id,
                    section=section,
                    position=position,
                    include=include,
                    blurb=blurb,
                )
            )
            placed.add(item_id)
        for item_id in issue.item_ids:
            if item_id in placed:
                continue
            prev = previous.get(item_id)
            if prev is not None and not prev.include:
                continue
            kind_row = work.items([item_id]).get(item_id)
            if kind_row is None:
                continue
            home = fmt.section_of(kind_row.kind).value
            work.annotate(
                AnnotationRow(
                    issue=edits.number,
                    item_id=item_id,
                    section=prev.section if prev else home,
                    position=prev.position if prev else 10_000,
                    include=False,
                    blurb=prev.blurb if prev else "",
                )
            )
            summary.left_out += 1
        if edits.title is not None:
            default_titles = (f"Issue #{edits.number}", fmt.default_title(edits.number))  # the first: drafts of 0.1.0
            title = edits.title
            if edits.fmt == "md":  # the Markdown shows the title with its raw HTML escaped
                title = md_editor_read(title, issue.title or "")
            issue.title = None if title in default_titles else title
        if edits.intro is not None and edits.intro != normalize_blurb(md_editor((issue.intro or "").strip())):
            issue.intro = md_editor_read(edits.intro, issue.intro or "")
        before = dict(issue.tldr or {})
        if edits.tldr is not None:  # JSON: `issue.tldr` is the editor's, as the file holds it
            issue.tldr = {k: one_line(v) for k, v in edits.tldr.items() if one_line(v)}
        elif edits.tldr_shown is not None:
            # the line built from the items this file holds in each section is drafted too: the
            # draft may have gained items since it was exported
            titles: dict[str, list[str]] = {}
            for edit in edits.items:
                if edit.section != LEFT_OUT:
                    titles.setdefault(edit.section, []).append(rows[resolved[edit.id]].title)
            for key, shown in titles.items():
                drafted.setdefault(key, set()).add(tldr_text(shown, fmt.tldr.style))
            issue.tldr = tldr_read_back(edits.tldr_shown, dict(issue.tldr or {}), drafted)
        summary.tldr = sum(before.get(k) != (issue.tldr or {}).get(k) for k in {*before, *(issue.tldr or {})})
        for key, text in (issue.tldr or {}).items():
            if key not in {k.value for k in SectionKey}:
                raise AnnotateError(
                    f"the TL;DR names no section {key!r} (one of {', '.join(k.value for k in SectionKey)})"
                )
            if len(text) > settings.blurb_max_chars:
                raise AnnotateError(
                    f"the TL;DR of {key} is {len(text):,} characters, over {settings.blurb_max_chars:,} "
                    "(CURATE_BLURB_MAX_CHARS); nothing was changed"
                )
        issue.item_ids = list(dict.fromkeys([*issue.item_ids, *placed]))
        if path is not None and data is not None:
            default_path = draft_path(settings, edits.number, edits.fmt)
            if default_path.exists() and path.resolve() == default_path.resolve():
                remember(issue, edits.fmt, data)
    log.info("annotate: issue %d, %d items", summary.number, summary.items)
    return summary


# ---- triage and publishing


def key_of(text: str) -> str:
    """An id as given (`arxiv:2512.07461`, `github:o/n`) or the id of a link (`https://youtu.be/…`)."""
    from connectors.errors import LinkRefused
    from pipeline.links import parse as parse_link

    if ":" in text and "://" not in text and not text.lower().startswith("arxiv:"):
        return text
    try:
        return parse_link(text).key
    except LinkRefused:
        return text


def mark(store: Store, inputs: Sequence[str], status: ItemStatus) -> list[str]:
    """Set the status of items named by id or link; KeyError-free: an unknown one changes nothing."""
    keys = [key_of(t) for t in inputs]
    try:
        return store.set_status(keys, status)
    except KeyError as exc:
        raise AnnotateError(
            f"not in the database: {exc.args[0]} (nothing was changed; curate list shows what is)"
        ) from None


@dataclass
class Published:
    number: int
    ids: list[str]
    next_since: datetime | None


def publish(store: Store, number: int, now: datetime) -> Published:
    """Mark the included items of issue `number`'s last export published; the next draft starts after it."""
    with store.issue_work(number) as work:
        _check_number(work.last_published(), number)
        issue = work.issue
        if issue.until is None:
            raise AnnotateError(f"issue {number} has no draft yet: run `curate export` first")
        notes = work.annotations()
        resolved = store.resolve(issue.item_ids)
        rows = work.items(resolved.values())
        ids = []
        for given in issue.item_ids:
            row = rows.get(resolved[given])
            note = notes.get(given) or notes.get(resolved[given])
            if row is None or ItemStatus(row.status) not in OPEN or (note is not None and not note.include):
                continue
            ids.append(row.id)
        if not ids:
            raise AnnotateError(f"issue {number} includes no item: nothing to publish")
        work.publish(ids, now.astimezone(UTC))
        until = issue.until
    log.info("publish: issue %d, %d items", number, len(ids))
    return Published(number=number, ids=ids, next_since=until)
