"""arXiv API: GET /api/query?id_list=… answered the way export.arxiv.org does.

Known ids come from fixtures/arxiv/entries/<id>.xml (old-style `/` written `_`); unknown
well-formed ids are silently dropped, a malformed id fails the whole request with a 400
Atom error entry, as the live API behaves (the recorded arxiv.py answers in ../shared/corpus/arxiv show both).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from tests.replay.server import FIXTURES, Replay, Request, Response, fixture_bytes, route

ATOM = "application/atom+xml; charset=UTF-8"
_ID = re.compile(r"^(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$")
_HEAD = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/replay</id>
  <title>arXiv Query: {title}</title>
  <updated>{now}</updated>
  <link href="https://arxiv.org/api/query?{title}" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_for(arxiv_id: str, replay: Replay) -> str | None:
    """The `<entry>` for an id, or None when arXiv would not know it."""
    synth = replay.state.get("arxiv_synthesize")
    if synth is not None:
        return synth(arxiv_id)
    name = arxiv_id.replace("/", "_") + ".xml"
    if not (FIXTURES / "arxiv" / "entries" / name).exists():
        return None
    return fixture_bytes(f"arxiv/entries/{name}").decode("utf-8")


def error_feed(bad: str) -> str:
    now = _now()
    return (
        _HEAD.format(title="error", now=now, per_page=1, total=1, start=0).replace(
            "<title>arXiv Query: error</title>", "<title>arXiv Search Results</title>"
        )
        + f"""  <entry>
    <id>https://arxiv.org/api/errors#incorrect_id_format_for_{escape(bad)}</id>
    <title>Error</title>
    <updated>{now}</updated>
    <link href="https://arxiv.org/api/errors#incorrect_id_format_for_{escape(bad)}" rel="alternate" type="text/html"/>
    <summary>incorrect id format for {escape(bad)}</summary>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""
    )


@route("GET", r".*/api/query")
def query(req: Request, replay: Replay) -> Response:
    ids = req.values("id_list")
    for arxiv_id in ids:
        if not _ID.match(arxiv_id):
            return Response(status=400, body=error_feed(arxiv_id).encode(), content_type=ATOM)
    start = int(req.param("start", "0") or 0)
    per_page = int(req.param("max_results", "10") or 10)
    entries = [e for e in (entry_for(_ID.match(i).group("id"), replay) for i in ids) if e is not None]  # type: ignore[union-attr]
    page = entries[start : start + per_page]
    title = escape(f"search_query=&id_list={','.join(ids)}&start={start}&max_results={per_page}")
    body = _HEAD.format(title=title, now=_now(), per_page=per_page, total=len(entries), start=start)
    body += "".join(page) + "</feed>\n"
    return Response(body=body.encode("utf-8"), content_type=ATOM)
