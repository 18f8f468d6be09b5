"""Web ids made before ids were percent-encoded, re-keyed to the id this curate gives the same link.

curate 0.1 kept a web article's URL as it was given (`web:https://example.org/café`); now it
is encoded as the WHATWG URL standard serializes it (`web:https://example.org/caf%C3%A9`, IDN
hosts in punycode), so ingesting the same link again made a second item. Each such item moves
to its new id with every row that names it: metric snapshots, the editor's annotations,
issues' item lists, aliases, suggestions, the search index, and the pending, feed-backlog and
dropped links under the old key. The old id becomes an alias, so `curate show <old id>` and
old drafts still find it. When the new id is stored already (the link was ingested again
after upgrading), the two are merged (see `_merge`). An id this curate refuses as a link (a
raw space) is left as it is.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from alembic import op

from pipeline.store import UTCTime, index_for_search, unindex_for_search

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

# the tables as they are at revision 0005, not as the code declares them later
item = sa.table(
    "item",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("url", sa.String),
    sa.column("title", sa.String),
    sa.column("status", sa.String),
    sa.column("first_seen", UTCTime),
    sa.column("fetched_at", UTCTime),
    sa.column("fetch_count", sa.Integer),
    sa.column("record", sa.JSON),
    sa.column("payload", sa.Text),
    sa.column("sources", sa.JSON),
)
alias = sa.table("alias", sa.column("old_id", sa.String), sa.column("item_id", sa.String))
metric = sa.table("metric", sa.column("item_id", sa.String))
annotation = sa.table("annotation", sa.column("issue", sa.Integer), sa.column("item_id", sa.String))
issue = sa.table("issue", sa.column("number", sa.Integer), sa.column("item_ids", sa.JSON))
suggestion = sa.table("suggestion", sa.column("subject", sa.String))
# links waiting under their key (a feed's backlog and dropped links are keyed by feed and id)
KEYED = {
    "pending": sa.table("pending", sa.column("id", sa.String)),
    "feed_backlog": sa.table("feed_backlog", sa.column("feed_url", sa.String), sa.column("id", sa.String)),
    "feed_dropped": sa.table("feed_dropped", sa.column("feed_url", sa.String), sa.column("id", sa.String)),
}


def rekeyed(old_id: str) -> str | None:
    """The id this curate gives the stored URL of a web id; None when it gives it none (a URL
    with a raw space is refused) or another source now owns the link (a kind cannot change here)."""
    from connectors.web import canonical_url
    from pipeline.links import parse, visible

    url = old_id.removeprefix("web:")
    if any(c.isspace() for c in url):
        return None
    try:
        owner = parse(url).key  # which source owns it; parse also trims what a paste brings (`<…>`)
        # so the id is made from the URL as stored, less the invisible characters parse drops
        new_id = f"web:{canonical_url(visible(url))}"
    except ValueError:  # LinkRefused, or a host IDNA cannot encode
        return None
    return new_id if owner.startswith("web:") else None


def upgrade() -> None:
    conn = op.get_bind()
    moves = {}
    kept = 0
    for (old_id,) in conn.execute(sa.select(item.c.id).where(item.c.id.like("web:%"))):
        new_id = rekeyed(old_id)
        if new_id is None:
            kept += 1
        elif new_id != old_id:
            moves[old_id] = new_id
    aliases = dict(conn.execute(sa.select(alias.c.old_id, alias.c.item_id)).all())
    lists = {n: list(ids or []) for n, ids in conn.execute(sa.select(issue.c.number, issue.c.item_ids))}
    changed: set[int] = set()
    merged = left = 0
    for old_id, new_id in sorted(moves.items()):
        target = aliases.get(new_id, new_id)  # ingested since: the new key may already name an item
        rows = {r.id: r for r in conn.execute(sa.select(item).where(item.c.id.in_([old_id, target])))}
        if target in rows and rows[target].kind != rows[old_id].kind:
            left += 1  # an alias made since points the new key at another kind: not ours to fold
            continue
        if target in rows:
            _merge(conn, rows[old_id], rows[target])
            merged += 1
        else:
            conn.execute(sa.insert(item).values(_moved(rows[old_id]._asdict(), target)))
        _repoint(conn, old_id, target)
        conn.execute(sa.delete(item).where(item.c.id == old_id))
        for number, ids in lists.items():  # the issues that carried it (published or drafted)
            if old_id in ids:
                lists[number] = list(dict.fromkeys(target if i == old_id else i for i in ids))
                changed.add(number)
    for number in sorted(changed):
        conn.execute(sa.update(issue).where(issue.c.number == number).values(item_ids=lists[number]))
    _rekey_aliases(conn)
    _rekey_waiting(conn)
    log.info(
        "migration 0006: %d web ids re-keyed (%d merged into an item stored since), %d left as they were",
        len(moves) - left,
        merged,
        kept + left,
    )


def _moved(row: dict[str, Any], new_id: str) -> dict[str, Any]:
    """An item row under its new id: the record's id and URL (the canonical URL) follow."""
    record = dict(row["record"])
    record["id"], record["url"] = new_id, new_id.removeprefix("web:")
    return {**row, "id": new_id, "url": record["url"], "record": record}


def _merge(conn: sa.Connection, old: Any, new: Any) -> None:
    """Fold the 0.1 item `old` into `new`, the item stored under the new id.

    The newer record wins (the later fetch): its title, record and payload. Kept from both: the
    first time either was seen, the fetches counted together, the sources of both. The status
    is the editor's: published if either went out in an issue; else the new item's unless it is
    still a candidate (a decision taken since upgrading); else the old one's (a shortlisting
    made before). The annotations are moved by `_repoint`, where the old one's wins.
    """
    winner = old if old.fetched_at > new.fetched_at else new
    values = _moved(winner._asdict(), new.id) if winner is old else {}
    if winner is old and values["payload"] is None:
        values["payload"] = new.payload
    if "published" in (old.status, new.status):
        status = "published"
    else:
        status = new.status if new.status != "candidate" else old.status
    values.update(
        status=status,
        first_seen=min(old.first_seen, new.first_seen),
        fetch_count=old.fetch_count + new.fetch_count,
        sources=list(dict.fromkeys([*(old.sources or []), *(new.sources or [])])),
    )
    values.pop("id", None)
    conn.execute(sa.update(item).where(item.c.id == new.id).values(**values))


def _repoint(conn: sa.Connection, old_id: str, new_id: str) -> None:
    """Every row that names `old_id` names `new_id` instead (issues' lists aside); `old_id`
    becomes an alias of it."""
    # the editor's annotation of an issue: the old item's wins when both have one, since it was
    # written in the draft the editor worked on before upgrading, and the new item's (made by an
    # ingest since) holds at most what an export put there
    taken = sa.select(annotation.c.issue).where(annotation.c.item_id == old_id).scalar_subquery()
    conn.execute(sa.delete(annotation).where(annotation.c.item_id == new_id, annotation.c.issue.in_(taken)))
    conn.execute(sa.update(annotation).where(annotation.c.item_id == old_id).values(item_id=new_id))
    conn.execute(sa.update(metric).where(metric.c.item_id == old_id).values(item_id=new_id))
    conn.execute(sa.update(suggestion).where(suggestion.c.subject == old_id).values(subject=new_id))
    conn.execute(sa.update(alias).where(alias.c.item_id == old_id).values(item_id=new_id))
    conn.execute(sa.delete(alias).where(alias.c.old_id.in_([old_id, new_id])))
    conn.execute(sa.insert(alias).values(old_id=old_id, item_id=new_id))
    unindex_for_search(conn, [old_id])  # the new id's entry is replaced below
    row = conn.execute(sa.select(item.c.title, item.c.record).where(item.c.id == new_id)).one()
    index_for_search(conn, [(new_id, row.title, row.record)])


def _rekey_aliases(conn: sa.Connection) -> None:
    """An alias kept under a 0.1 web key (the link given, when the page named another address)
    is kept under the new key too, so the same link is still known as fresh."""
    aliases = dict(conn.execute(sa.select(alias.c.old_id, alias.c.item_id)).all())
    stored = {i for (i,) in conn.execute(sa.select(item.c.id).where(item.c.id.like("web:%")))}
    added: dict[str, str] = {}
    for old_id, item_id in aliases.items():
        new_id = rekeyed(old_id) if old_id.startswith("web:") else None
        if new_id and new_id != old_id and new_id not in aliases and new_id not in stored and new_id not in added:
            added[new_id] = item_id
    if added:
        conn.execute(sa.insert(alias), [{"old_id": k, "item_id": v} for k, v in added.items()])


def _rekey_waiting(conn: sa.Connection) -> None:
    """Postponed, backlogged and dropped links under a 0.1 web key move to the new key (a row
    that already has one under the new key wins), so the next run matches them."""
    for table in KEYED.values():
        scope = [c for c in table.c if c.name != "id"]
        rows = conn.execute(sa.select(*scope, table.c.id).where(table.c.id.like("web:%"))).all()
        present = {tuple(r) for r in rows}
        for r in rows:
            *where, old_id = tuple(r)
            new_id = rekeyed(old_id)
            if new_id is None or new_id == old_id:
                continue
            match = [c == v for c, v in zip(scope, where, strict=True)] + [table.c.id == old_id]
            if (*where, new_id) in present:
                conn.execute(sa.delete(table).where(*match))
            else:
                conn.execute(sa.update(table).where(*match).values(id=new_id))
                present.add((*where, new_id))
