"""What the editor's page does to the store: list candidates, triage, order the draft, edit text.

Every change here goes through the same functions and the same locks as the CLI
(`curate mark`, `annotate`, `export`, `publish`), so an edit made on the page shows in
the next `curate export`, and a `curate run` writing meanwhile loses nothing: each write
takes the issue's write lock (`Store.issue_work`) and changes only the rows it names.
Errors are `DeskError`, a one-line message the page shows; nothing is changed then.
This module never prints and never speaks HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pipeline import draft
from pipeline.config import Settings
from pipeline.draft_markdown import details_line
from pipeline.metrics import enrich
from pipeline.newsletter import Newsletter
from pipeline.store import AnnotationRow, Store
from schemas import Annotation, ExportItem, Item, ItemStatus, Kind, SectionKey

TITLE_MAX = 200
INTRO_MAX = 4000
TAKE_PREFIX = "**Take:**"
"""The line that starts the editor's take inside a blurb, as the Markdown draft writes it."""
TRIAGE = (ItemStatus.candidate, ItemStatus.shortlisted, ItemStatus.rejected)
"""The statuses the candidates list shows; published items belong to earlier issues."""


class DeskError(Exception):
    """The action was refused and nothing changed; the message (one line) says why."""


class StaleBlurb(DeskError):
    """The blurb changed since the editor opened it: both texts go back to the page."""

    def __init__(self, item_id: str, current: str, mine: str) -> None:
        super().__init__(f"the blurb of {item_id} changed since you opened it: compare both texts, then save again")
        self.item_id, self.current, self.mine = item_id, current, mine


class StaleTldr(DeskError):
    """The TL;DR changed since the editor opened the page: the page shows it now and the editor's text."""

    def __init__(self, mine: str) -> None:
        super().__init__("the TL;DR changed since you opened it: compare both texts, then save again")
        self.mine = mine


def version(text: str) -> str:
    """A short fingerprint of a blurb, sent with the edit form (optimistic concurrency)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def split_take(blurb: str) -> tuple[str, str]:
    """(blurb, take): the take is the text after the last line starting with `**Take:**`."""
    lines = blurb.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].lstrip().startswith(TAKE_PREFIX):
            take = "\n".join([lines[i].lstrip()[len(TAKE_PREFIX) :].strip(), *lines[i + 1 :]]).strip()
            return "\n".join(lines[:i]).strip(), take
    return blurb.strip(), ""


def join_take(blurb: str, take: str) -> str:
    """The stored blurb: the editor's paragraph, then `**Take:** …` when there is a take."""
    blurb, take = blurb.strip(), take.strip()
    if not take:
        return blurb
    return f"{blurb}\n\n{TAKE_PREFIX} {take}" if blurb else f"{TAKE_PREFIX} {take}"


# ---- reading


@dataclass
class Row:
    """One candidate as the page lists it."""

    item: ExportItem
    status: ItemStatus
    section: SectionKey
    first_seen: datetime
    sources: list[str]
    annotated: bool
    details: str
    """The export's details line (Markdown): links, byline, figures."""
    left_out: bool = False
    """The editor left it out of this issue (an annotated file); shortlisting brings it back."""

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def preview(self) -> str:
        """One line of the blurb as it stands: the editor's, else a model's suggestion, else the drafted summary."""
        note = self.item.annotation
        text = " ".join(
            (note.blurb or (note.suggested_blurb.text if note.suggested_blurb else "") or self.item.summary).split()
        )
        return text if len(text) <= 160 else text[:159].rsplit(" ", 1)[0] + "…"


@dataclass
class Listing:
    number: int
    rows: list[Row]
    total: int
    """Rows matching the filters."""
    hidden: dict[str, int] = field(default_factory=dict)
    """Per section key: matching rows past the page's limit."""
    counts: dict[str, int] = field(default_factory=dict)
    """Rows per status among all candidates (before filters)."""


class Light(NamedTuple):
    """An item's id, status, first-seen time and section, without its record: what sorting and
    counting a week of candidates needs (5,000 records validated would take a second)."""

    id: str
    kind: Kind
    status: ItemStatus
    first_seen: datetime
    section: SectionKey


@dataclass
class Week:
    """The next issue's number, start, annotations and candidates' envelopes, read once per page."""

    number: int
    since: datetime | None
    notes: dict[str, AnnotationRow]
    lights: list[Light]


def week(store: Store, fmt: Newsletter, statuses: Sequence[ItemStatus] = TRIAGE) -> Week:
    """The next issue's candidates in `statuses`, sectioned as `fmt` says; an item stored only
    because a paper links to it is left out unless the editor placed it (as the draft does)."""
    number = draft.next_number(store)
    since = draft.default_since(store)
    notes = _notes(store, number)
    return Week(number, since, notes, _window(store, fmt, since, notes, statuses))


def _notes(store: Store, number: int) -> dict[str, AnnotationRow]:
    return store.annotations(number)


_KINDS = {k.value: k for k in Kind}
_STATUSES = {s.value: s for s in ItemStatus}


def _window(
    store: Store,
    fmt: Newsletter,
    since: datetime | None,
    notes: dict[str, AnnotationRow],
    statuses: Sequence[ItemStatus] = TRIAGE,
) -> list[Light]:
    """Envelopes of the items first seen since `since` (plus the annotated ones) in `statuses`, newest first."""
    homes = {k.value: fmt.section_of(k) for k in Kind}
    moved = {i: SectionKey(n.section) for i, n in notes.items() if n.section in SectionKey.__members__}
    return [
        Light(i, _KINDS[k], _STATUSES[st], seen, moved.get(i) or homes[k])
        for i, k, st, seen, linked in store.window(statuses, since, list(notes))
        if not linked or i in notes
    ]


def _full(store: Store, lights: Sequence[Light]) -> list[Item]:
    """The items of these envelopes, records validated (two queries per 500)."""
    ids = [light.id for light in lights]
    records = store.records(ids)
    rows = store.envelopes(ids)
    out = []
    for light in lights:
        if light.id not in records or light.id not in rows:
            continue
        url, title, fetched_at, fetch_count, sources = rows[light.id]
        out.append(
            Item(
                id=light.id,
                kind=light.kind,
                url=url,
                title=title,
                status=light.status,
                first_seen=light.first_seen,
                fetched_at=fetched_at,
                fetch_count=fetch_count,
                sources=sources,
                record=records[light.id],
            )
        )
    return out


def _entries(
    store: Store, items: Sequence[Item], notes: dict[str, AnnotationRow], since: datetime | None
) -> dict[str, ExportItem]:
    """Export entries (figures, links, blurb, the model's latest suggestion) for `items`, as the draft builds them."""
    from pipeline.blurbs import suggested

    until = store.as_of() or since or draft.EPOCH
    extra = enrich(store, items, since, until)
    latest = store.latest_suggestions([i.id for i in items])
    out = {}
    for i in items:
        note = notes.get(i.id)
        metrics, links = extra[i.id]
        out[i.id] = draft.export_item(
            i,
            metrics,
            links,
            Annotation(
                blurb=note.blurb if note else "",
                include=note.include if note else True,
                suggested_blurb=suggested(latest[i.id]) if i.id in latest else None,
            ),
        )
    return out


DATE_FIELDS = ("published", "pushed", "created")
"""The record fields "newest first" reads, first found wins: papers', videos', playlists' and
articles' `published`; a repo's last push, else its creation. Read inside the database (no
record is validated), so the candidates page stays fast on a week of thousands."""


def _newest_first(store: Store, lights: list[Light]) -> list[Light]:
    """`lights` by their own publication date, newest first; one without a date by when it was first stored."""
    found = store.record_values([light.id for light in lights], DATE_FIELDS)

    def when(light: Light) -> datetime:
        text = found.get(light.id)
        if text:
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                return light.first_seen
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return light.first_seen

    return sorted(lights, key=when, reverse=True)


def candidates(
    store: Store,
    fmt: Newsletter,
    now: datetime,
    *,
    section: str | None = None,
    status: str | None = None,
    query: str = "",
    order: str = "newest",
    limit: int = 30,
    all_week: Week | None = None,
) -> Listing:
    """The next issue's candidates (candidate, shortlisted and rejected items first seen since the
    last published issue, plus any annotated for it), filtered, grouped by section, at most
    `limit` rows a section.

    `order` is `newest` (the item's own publication date, else when it was first stored) or `score` (the draft's order: stars gained, views, date;
    it reads every matching record, so it is the slower one). `query` keeps the rows
    `curate search` finds for it. `all_week` is `week(store, fmt)` when the caller has it already.
    """
    everything = all_week or week(store, fmt)
    counts = {s.value: 0 for s in TRIAGE}
    for light in everything.lights:
        counts[light.status.value] += 1
    lights = list(everything.lights)
    if query.strip():  # `curate search`: every word, stemmed, in the title, authors or text
        found = set(store.search_ids(query, limit=None))
        lights = [light for light in lights if light.id in found]
    notes, since = everything.notes, everything.since
    if status:
        lights = [i for i in lights if i.status.value == status]
    if section:
        lights = [i for i in lights if i.section.value == section]
    if order == "newest":
        lights = _newest_first(store, lights)
    elif order == "score":
        entries = _entries(store, _full(store, lights), notes, since)
        by_id = {light.id: light for light in lights}
        lights = [by_id[e.id] for e in sorted(entries.values(), key=lambda e: tuple(-x for x in draft.score(e)))]
    keys = {s.key: n for n, s in enumerate(fmt.sections)}
    lights.sort(key=lambda light: keys[light.section])  # stable: the order inside a section stays
    shown: list[Light] = []
    per: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for light in lights:
        key = light.section.value
        per[key] = per.get(key, 0) + 1
        if per[key] <= limit:
            shown.append(light)
        else:
            hidden[key] = hidden.get(key, 0) + 1
    items = _full(store, shown)
    entries = _entries(store, items, notes, since)
    by_light = {light.id: light for light in shown}
    rows = [
        Row(
            item=entries[i.id],
            status=i.status,
            section=by_light[i.id].section,
            first_seen=i.first_seen,
            sources=list(i.sources),
            annotated=i.id in notes,
            details=details_line(entries[i.id], fmt),
            left_out=i.id in notes and not notes[i.id].include,
        )
        for i in items
    ]
    return Listing(number=everything.number, rows=rows, total=len(lights), hidden=hidden, counts=counts)


@dataclass
class DraftView:
    """The next issue as the page shows it: the items the editor placed, in the export's order."""

    number: int
    title: str
    intro: str
    pinned: dict[str, list[ExportItem]]
    """Per section key: the items whose place the editor decided (annotated or shortlisted), in order."""
    rest: dict[str, int]
    """Per section key: the candidates that follow them in the export, by score (not triaged yet)."""
    left_out: int
    following: dict[str, list[ExportItem]] = field(default_factory=dict)
    """Per section key: those candidates themselves, in the export's order; empty when more
    than `draft_view`'s `follow` candidates follow in all (then only `rest` counts them)."""


def draft_view(
    store: Store, fmt: Newsletter, now: datetime, all_week: Week | None = None, follow: int = 0
) -> DraftView:
    """The draft's placed items, in the order `draft.prepare` gives them, without building the
    whole draft: only the annotated and shortlisted items' records are read.

    Inside a section the editor's order comes first (annotation position, then id), then the
    shortlisted items by `draft.score`, newest first on a tie, as the export orders them.
    When at most `follow` untriaged candidates follow them in all, their records are read too
    and `following` lists them in the export's order (one that went out before last, then by
    `draft.score`, newest first on a tie); past that the page only counts them, to stay fast.
    """
    w = all_week or week(store, fmt)
    notes = w.notes
    lights = [i for i in w.lights if i.status in draft.OPEN]
    placed = [
        i
        for i in lights
        if (i.id in notes and notes[i.id].include) or (i.id not in notes and i.status == ItemStatus.shortlisted)
    ]
    entries = _entries(store, _full(store, placed), notes, w.since)
    pinned: dict[str, list[tuple[tuple, ExportItem]]] = {k.value: [] for k in SectionKey}
    for light in placed:
        entry = entries.get(light.id)
        if entry is None:
            continue
        note = notes.get(light.id)
        rank: tuple = (
            (0, note.position, light.id)
            if note is not None
            else (1, tuple(-x for x in draft.score(entry)), -light.first_seen.timestamp(), light.id)
        )
        pinned[light.section.value].append((rank, entry))
    rest = {k.value: 0 for k in SectionKey}
    placed_ids = {i.id for i in placed}
    left_out = 0
    for light in lights:
        if light.id in notes and not notes[light.id].include:
            left_out += 1
        elif light.id not in placed_ids:
            rest[light.section.value] += 1
    following: dict[str, list[ExportItem]] = {k.value: [] for k in SectionKey}
    if 0 < sum(rest.values()) <= follow:
        after = [i for i in lights if i.id not in placed_ids and i.id not in notes]
        items = _full(store, after)
        featured = draft.featured_before(store, items)
        fresh = _entries(store, items, notes, w.since)
        by_id = {light.id: light for light in after}
        ranked = sorted(
            ((bool(featured.get(i)), tuple(-x for x in draft.score(e)), -by_id[i].first_seen.timestamp(), i), e)
            for i, e in fresh.items()
        )
        for _, entry in ranked:
            following[by_id[entry.id].section.value].append(entry)
    row = store.issue(w.number)
    return DraftView(
        number=w.number,
        title=(row.title if row and row.title else None) or fmt.default_title(w.number),
        intro=row.intro if row else "",
        pinned={k: [e for _, e in sorted(v, key=lambda pair: pair[0])] for k, v in pinned.items()},
        rest=rest,
        left_out=left_out,
        following=following,
    )


def item(store: Store, fmt: Newsletter, item_id: str) -> tuple[ExportItem, SectionKey]:
    """One item of the next issue's draft as the export shows it, and its section."""
    w = week(store, fmt, statuses=draft.OPEN)
    lights = [i for i in w.lights if i.id == item_id]
    if not lights:
        raise DeskError(f"{item_id} is not in issue {w.number}'s draft (unknown, rejected or published)")
    entry = _entries(store, _full(store, lights), w.notes, w.since)[item_id]
    return entry, lights[0].section


# ---- triage


def set_status(store: Store, item_id: str, status: ItemStatus) -> None:
    """Shortlist, reject, or put back as a candidate (`curate mark`). Shortlisting an item the
    editor left out of this issue (in an annotated file) brings it back into the draft."""
    from pipeline import annotate

    if status not in TRIAGE:
        raise DeskError(f"{status.value!r} is not a triage status (candidate, shortlisted, rejected)")
    try:
        annotate.mark(store, [item_id], status)
    except annotate.AnnotateError as exc:
        raise DeskError(str(exc)) from None
    if status == ItemStatus.shortlisted:
        number = draft.next_number(store)
        with store.issue_work(number) as work:
            note = work.annotations().get(item_id)
            if note is not None and not note.include:
                note.include = True
                work.annotate(note)


def _place(work: Any, number: int, order: dict[str, list[str]], notes: dict[str, AnnotationRow]) -> None:
    """Annotate each id in `order` (section key → ids) with its section and 1-based position."""
    for key, ids in order.items():
        for position, item_id in enumerate(ids, start=1):
            prev = notes.get(item_id)
            work.annotate(
                AnnotationRow(
                    issue=number,
                    item_id=item_id,
                    section=key,
                    position=position,
                    include=True,
                    blurb=prev.blurb if prev else "",
                )
            )


def _pinned_view(store: Store, fmt: Newsletter, now: datetime) -> tuple[int, dict[str, list[ExportItem]]]:
    view = draft_view(store, fmt, now)
    return view.number, view.pinned


def _pinned_order(store: Store, fmt: Newsletter, now: datetime) -> tuple[int, dict[str, list[str]]]:
    number, pinned = _pinned_view(store, fmt, now)
    return number, {key: [i.id for i in items] for key, items in pinned.items()}


def _check_section(key: str) -> SectionKey:
    try:
        return SectionKey(key)
    except ValueError:
        raise DeskError(f"unknown section {key!r} (one of {', '.join(k.value for k in SectionKey)})") from None


class Moved(NamedTuple):
    """Where a `move` left an item: its title, section key, 1-based position among the section's
    placed items and how many are placed there; `changed` is False when it was already there (nothing written)."""

    title: str
    section: str
    position: int
    placed: int
    changed: bool
    other_section: bool
    """True when it went to another section."""


def move(
    store: Store,
    fmt: Newsletter,
    now: datetime,
    item_id: str,
    *,
    section: str | None = None,
    by: int = 0,
    to: int | None = None,
) -> Moved:
    """Move an item of the draft: to another section (at its end), `by` places up (-) or down (+),
    or `to` a 1-based position. The item is shortlisted; its section's placed items keep their order.
    `section` naming the item's own section is a move inside it. Moving the first item up or the
    last one down changes nothing and writes nothing (`Moved.changed` is False).
    """
    number, view = _pinned_view(store, fmt, now)
    order = {key: [i.id for i in items] for key, items in view.items()}
    titles = {i.id: i.title for items in view.values() for i in items}
    current = next((key for key, ids in order.items() if item_id in ids), None)
    changed = current is None
    if current is None:
        entry, key = item(store, fmt, item_id)  # raises for an id not in the draft
        titles[item_id] = entry.title
        current = key.value
        order[current].append(item_id)
        set_status(store, item_id, ItemStatus.shortlisted)
    target = _check_section(section).value if section else current
    ids = order[current]
    index = ids.index(item_id)
    ids.pop(index)
    if target != current:
        order[target].append(item_id)
        changed = True
    else:
        new = max(0, min(len(ids), (to - 1) if to is not None else index + by))
        ids.insert(new, item_id)
        changed = changed or new != index
    if changed:
        _write_order(store, number, {k: order[k] for k in {current, target}})
    placed = order[target]
    return Moved(titles[item_id], target, placed.index(item_id) + 1, len(placed), changed, target != current)


def reorder(store: Store, fmt: Newsletter, now: datetime, section: str, ids: Sequence[str]) -> None:
    """Set the order of a section's placed items (a drag and drop): `ids` as the page shows them."""
    key = _check_section(section).value
    number, order = _pinned_order(store, fmt, now)
    if sorted(ids) != sorted(order[key]):
        raise DeskError("the draft changed since the page was loaded: reload it and drag again")
    _write_order(store, number, {key: list(ids)})


def pick(store: Store, fmt: Newsletter, now: datetime, item_id: str) -> str | None:
    """Make an item the pick of the week; the previous pick goes back to its own section. Returns its id."""
    number, order = _pinned_order(store, fmt, now)
    entry, key = item(store, fmt, item_id)
    previous = [i for i in order[SectionKey.pick.value] if i != item_id]
    for ids in order.values():
        if item_id in ids:
            ids.remove(item_id)
    order[SectionKey.pick.value] = [item_id]
    for old in previous:
        old_entry, _ = item(store, fmt, old)
        order[fmt.section_of(old_entry.kind).value].append(old)
    set_status(store, item_id, ItemStatus.shortlisted)
    _write_order(store, number, order)
    return previous[0] if previous else None


def unpick(store: Store, fmt: Newsletter, now: datetime, item_id: str) -> SectionKey:
    """Put the pick of the week back in its own section, after the items placed there, and
    return that section: what moving its block out of the pick section of the Markdown does
    once `curate annotate` reads it back (the pick section is then empty, and the item stays
    shortlisted). Raises DeskError, changing nothing, when the item is not the pick.
    """
    number, order = _pinned_order(store, fmt, now)
    pick_key = SectionKey.pick.value
    if item_id not in order[pick_key]:
        raise DeskError(f"{item_id} is not the pick of issue {number}'s draft (nothing was changed)")
    entry, _ = item(store, fmt, item_id)
    home = fmt.section_of(entry.kind)
    order[pick_key].remove(item_id)
    order[home.value].append(item_id)
    _write_order(store, number, {pick_key: order[pick_key], home.value: order[home.value]})
    return home


def _write_order(store: Store, number: int, order: dict[str, list[str]]) -> None:
    with store.issue_work(number) as work:
        _place(work, number, order, work.annotations())


# ---- text


def save_blurb(store: Store, settings: Settings, fmt: Newsletter, item_id: str, text: str, base: str) -> None:
    """Store an item's blurb if it is still the text the editor started from (`base` is its `version`).

    Raises StaleBlurb (with both texts) when another tab, `curate annotate` or anyone else
    changed it meanwhile; DeskError when it is over CURATE_BLURB_MAX_CHARS or the item is not in the draft.
    """
    text = text.replace("\r\n", "\n").strip()
    if len(text) > settings.blurb_max_chars:  # the same limit as `curate annotate`
        raise DeskError(
            f"the blurb is {len(text):,} characters, over {settings.blurb_max_chars:,} "
            "(CURATE_BLURB_MAX_CHARS); nothing was saved"
        )
    entry, key = item(store, fmt, item_id)
    number = draft.next_number(store)
    with store.issue_work(number) as work:
        note = work.annotations().get(item_id)
        current = note.blurb if note else ""
        if version(current) != base:
            raise StaleBlurb(item_id, current, text)
        if note is None:
            note = AnnotationRow(
                issue=number,
                item_id=item_id,
                section=key.value,
                position=10_000 + entry.annotation.order,
                include=True,
                blurb=text,
            )
        else:
            note.blurb = text
        work.annotate(note)


def blurb_of(store: Store, item_id: str) -> str:
    """The editor's current blurb of an item in the next issue ('' when none)."""
    number = draft.next_number(store)
    note = _notes(store, number).get(item_id)
    return note.blurb if note else ""


def tldr_box(store: Store, settings: Settings, fmt: Newsletter, now: datetime) -> tuple[str, str]:
    """The TL;DR lines as the export shows them (one per section), and the `version` of the editor's TL;DR."""
    from pipeline.draft_markdown import context

    d = prepare(store, settings, fmt, now)
    lines = [s["tldr"] for s in context(d.doc, d.intro, d.fmt, d.tldr, d.titles)["sections"]]
    return "\n".join(lines), tldr_version(d.doc.issue.tldr)


def tldr_version(tldr: dict[str, str]) -> str:
    import json

    return version(json.dumps(tldr, sort_keys=True, ensure_ascii=False))


def save_issue(
    store: Store,
    fmt: Newsletter,
    title: str,
    intro: str,
    tldr: str | None = None,
    base: str = "",
    settings: Settings | None = None,
) -> None:
    """The next issue's title (empty: `Issue #N`), intro (Markdown) and, when `tldr` is given, its TL;DR.

    `tldr` is the box's lines as `tldr_box` shows them, read back as `curate annotate` reads
    the Markdown's: a line left as drafted stays drafted, an emptied one drops the editor's
    sentence. Raises StaleTldr when the editor's TL;DR is no longer the one `base` names
    (another tab or `curate annotate` changed it), DeskError on a bad box; nothing is saved then.
    """
    title, intro = " ".join(title.split()), intro.replace("\r\n", "\n").strip()
    if len(title) > TITLE_MAX:
        raise DeskError(f"the title is {len(title)} characters; the limit is {TITLE_MAX}")
    if len(intro) > INTRO_MAX:
        raise DeskError(f"the intro is {len(intro):,} characters; the limit is {INTRO_MAX:,}")
    number = draft.next_number(store)
    shown: dict[str, str] | None = None
    drafted: dict[str, set[str]] = {}
    if tldr is not None:
        from pipeline.annotate import tldr_drafts
        from pipeline.draft_markdown import MarkdownDraftError, parse_tldr

        settings = settings or Settings()
        lines = list(enumerate(tldr.replace("\r\n", "\n").splitlines(), start=1))
        try:
            shown = parse_tldr(lines, [f.key.value for f in fmt.sections])
        except MarkdownDraftError as exc:
            raise DeskError(f"TL;DR: {exc}") from None
        drafted = tldr_drafts(store, settings, fmt, number)
    with store.issue_work(number) as work:
        work.issue.title = None if title in ("", fmt.default_title(number)) else title
        work.issue.intro = intro
        if shown is not None and settings is not None:
            from pipeline.annotate import tldr_read_back

            stored = dict(work.issue.tldr or {})
            if tldr_version(stored) != base:
                raise StaleTldr(tldr or "")
            mine = tldr_read_back(shown, stored, drafted)
            for key, text in mine.items():
                if len(text) > settings.blurb_max_chars:
                    raise DeskError(
                        f"the TL;DR of {key} is {len(text):,} characters, over {settings.blurb_max_chars:,} "
                        "(CURATE_BLURB_MAX_CHARS); nothing was saved"
                    )
            work.issue.tldr = mine


# ---- export, publish, add links


def prepare(store: Store, settings: Settings, fmt: Newsletter, now: datetime) -> draft.Draft:
    """The draft exactly as `curate export` builds it (caps and format included)."""
    return draft.prepare(store, now=now, caps=draft.caps_of(settings), fmt=fmt)


def export(
    store: Store, settings: Settings, fmt: Newsletter, now: datetime, force: bool = False
) -> tuple[draft.Draft, list[str]]:
    """`curate export`: write issue-<N>.json and .md; refuses (DeskError) to overwrite unread edits.

    With CURATE_LLM_MODEL set, a model first drafts the suggestions the draft lacks, as the
    command does (answers already stored cost no call).
    """
    d = prepare(store, settings, fmt, now)
    if settings.llm_model:
        from pipeline.blurbs import Drafter, attach

        Drafter(store, settings.llm_model, d.fmt, secrets=settings.secrets(), timeout=settings.llm_timeout).run(d)
        attach(store, d)
    try:
        paths = draft.write(store, settings, d, force=force)
    except draft.DraftError as exc:
        raise DeskError(str(exc)) from None
    return d, [str(p) for p in paths]


def publish(store: Store, number: int, now: datetime) -> Any:
    """`curate publish N`."""
    from pipeline import annotate

    try:
        return annotate.publish(store, number, now.astimezone(UTC))
    except annotate.AnnotateError as exc:
        raise DeskError(str(exc)) from None


@dataclass
class Added:
    """One input of the Add links box and what became of it, as `curate ingest` reports it."""

    input: str
    status: str
    """stored, fresh, failed, postponed or refused; `retried` rows were postponed by an earlier run."""
    reason: str = ""
    """One line: the reason `curate ingest` prints for a refused or failed link; for a fresh one, why it was kept."""
    item_id: str | None = None
    title: str | None = None


@dataclass
class AddReport:
    rows: list[Added]
    """One per input, in the order given, then the links an earlier run postponed (`retried`)."""
    retried: list[Added]
    notes: list[str]


def _inputs(text: str) -> list[str]:
    """The box's inputs in order: every link or arXiv id a line holds, else the line itself when
    it is one word (a mistyped link, refused with its reason); lines of prose without a link
    and `#` lines are text around the links."""
    from pipeline.links import extract

    out: list[str] = []
    for line in text.splitlines():
        found = extract(line)
        word = line.strip()
        if not found and word and not word.startswith("#") and len(word.split()) == 1:
            found = [word]
        out += [f for f in found if f not in out]
    return out


def _age(delta: Any) -> str:
    """CURATE_MAX_AGE as it is usually written: `24h`, `90m`, `2d`."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size and seconds % size == 0:  # 24h reads as 24h, not 1d
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def add_links(store: Store, settings: Settings, text: str) -> AddReport:
    """`curate ingest` on every input of `text` (links and arXiv ids, one per line or in prose):
    one row per input in the order given; a second form of the same item says so."""
    from connectors.errors import LinkRefused
    from pipeline.ingest import Ingest, Status
    from pipeline.links import parse

    inputs = _inputs(text)
    if not inputs:
        raise DeskError("no link found: paste one or more links or arXiv ids")
    report = Ingest(settings, store).run(inputs)
    words = {Status.deferred: "postponed"}

    def row(o: Any) -> Added:
        reason = o.message
        if o.status == Status.fresh and o.message == "fresh, not fetched again":
            reason = f"fetched less than {_age(settings.max_age)} ago (CURATE_MAX_AGE), not fetched again"
        return Added(o.input, words.get(o.status, o.status.value), reason, o.item_id, o.title)

    mine = {o.input: o for o in report.outcomes if not o.retried}
    by_key = {o.ref.key: o for o in mine.values() if o.ref is not None}
    rows = []
    for given in inputs:
        if given in mine:
            rows.append(row(mine[given]))
            continue
        try:
            first = by_key.get(parse(given).key)
        except LinkRefused:
            first = None
        if first is not None:
            rows.append(Added(given, row(first).status, f"the same item as {first.input}", first.item_id, first.title))
    retried = [row(o) for o in report.outcomes if o.retried]
    return AddReport(rows, retried, report.notes)
