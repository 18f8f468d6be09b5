"""Feeds for the scheduled run: arXiv RSS, a YouTube channel feed, blogs, a releases feed.

Each answers a conditional GET as real servers do: 304 and no body when `If-None-Match`
names its ETag or `If-Modified-Since` is not older than its Last-Modified. Paths sit under
`/rss/` (arXiv's own shape) and `/feeds/<kind>/…`, clear of the YouTube connector's
`/feeds/videos.xml`. Per-test switches in `replay.state`:

- `feeds:<path>`: serve another fixture at that path (the next day's listing);
- `feeds:gates`: {path: threading.Event}: hold the answer until the test sets the event
  (a run caught mid-way, for the lock and SIGKILL tests), and set `feeds:arrived`'s event
  for that path, if any, the moment the request comes in (so a test waits on the request,
  not on a clock);
- `feeds:cut`: {path: n}: send only the first n bytes of the body, as a complete answer
  (Content-Length of the cut body) with the whole feed's validators: a body cut off by a
  proxy or a server that crashed mid-write, which HTTP cannot tell from a whole one;
- `feeds:answers` (read): the (path, status) of every feed answer, in order.
"""

from __future__ import annotations

import hashlib
from email.utils import parsedate_to_datetime

from tests.replay.server import Replay, Request, Response, fixture_bytes, route

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
YT = "text/xml; charset=UTF-8"

# Last-Modified of each fixture, as its server would send it (fixtures without one send none)
LAST_MODIFIED = {
    "arxiv_rss_cs.LG+cs.CL.xml": "Tue, 09 Dec 2025 05:00:00 GMT",
    "arxiv_rss_cs.LG+cs.CL_previous_day.xml": "Mon, 08 Dec 2025 05:00:00 GMT",
    "blog_link_notes.atom": "Wed, 10 Dec 2025 09:30:00 GMT",
}


def _not_modified(req: Request, etag: str | None, last_modified: str | None) -> bool:
    sent_tag = req.headers.get("if-none-match")
    if sent_tag is not None:  # RFC 9110 §13.1.2: If-None-Match wins over If-Modified-Since
        return etag is not None and etag in [t.strip() for t in sent_tag.split(",")]
    since = req.headers.get("if-modified-since")
    if since and last_modified:
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
    return False


# origins of the pages tests/replay/routes_web.py serves under <replay>/site: a feed's links to
# them are rewritten the same way, so the web connector fetches them from the replay server
SITE_ORIGINS = (b"https://northwind.example", b"https://people.example")


def serve_feed(
    req: Request, replay: Replay, fixture: str, content_type: str, *, etag: bool = True, weak: bool = False
) -> Response:
    gate = replay.state.get("feeds:gates", {}).get(req.path)
    if gate is not None:
        arrived = replay.state.get("feeds:arrived", {}).get(req.path)
        if arrived is not None:
            arrived.set()
        gate.wait(120)  # a bound only so a broken test cannot hang the suite
    name = replay.state.get(f"feeds:{req.path}", fixture)
    body = fixture_bytes(f"feeds/{name}")
    for origin in SITE_ORIGINS:
        body = body.replace(origin, f"{replay.url}/site".encode())
    tag = None
    if etag:
        tag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        tag = f"W/{tag}" if weak else tag
    last_modified = LAST_MODIFIED.get(name)
    headers = {k: v for k, v in (("ETag", tag), ("Last-Modified", last_modified)) if v}
    status = 304 if _not_modified(req, tag, last_modified) else 200
    replay.state.setdefault("feeds:answers", []).append((req.path, status))
    if status == 304:
        return Response(status=304, body=b"", headers=headers, content_type=content_type)
    cut = replay.state.get("feeds:cut", {}).get(req.path)
    return Response(body=body[:cut] if cut is not None else body, headers=headers, content_type=content_type)


@route("GET", r"/rss/(?P<cats>[^/]+)")
def arxiv_rss(req: Request, replay: Replay) -> Response:
    cats = req.path.rsplit("/", 1)[1]
    return serve_feed(req, replay, f"arxiv_rss_{cats}.xml", RSS)


@route("GET", r"/feeds/youtube/videos\.xml")
def youtube_channel(req: Request, replay: Replay) -> Response:
    # YouTube's feeds carry no validators: every read is a full 200
    if req.param("channel_id") != "UCm1Q8vX3pLr7TzK2nWc9bYd":
        return Response(status=404, body=b"", content_type="text/html; charset=utf-8")
    return serve_feed(req, replay, "youtube_channel_feed.xml", YT, etag=False)


@route("GET", r"/feeds/blog/notes\.atom")
def blog_notes(req: Request, replay: Replay) -> Response:
    return serve_feed(req, replay, "blog_link_notes.atom", ATOM, etag=False)  # Last-Modified only


@route("GET", r"/feeds/blog/engineering\.atom")
def blog_engineering(req: Request, replay: Replay) -> Response:
    return serve_feed(req, replay, "blog_engineering.atom", ATOM)


@route("GET", r"/feeds/blog/rss\.xml")
def blog_rss(req: Request, replay: Replay) -> Response:
    return serve_feed(req, replay, "blog_rss2.xml", RSS, weak=True)  # a weak ETag, no Last-Modified


@route("GET", r"/feeds/blog/bom\.atom")
def blog_bom(req: Request, replay: Replay) -> Response:
    # a byte-order mark and a CRLF before `<?xml` (EF BB BF 0D 0A 3C 3F 78 6D 6C), as some CMS templates send
    resp = serve_feed(req, replay, "blog_engineering.atom", ATOM, etag=False)
    return Response(body=b"\xef\xbb\xbf\r\n" + resp.body, headers=resp.headers, content_type=ATOM)


@route("GET", r"/feeds/blog/feedburner\.xml")
def blog_feedburner(req: Request, replay: Replay) -> Response:
    # FeedBurner's proxy links point at the replay too, so a run that followed one would fail here, not online
    resp = serve_feed(req, replay, "feedburner_rss2_origlink.xml", RSS, etag=False)
    return Response(
        body=resp.body.replace(b"http://feedproxy.google.com", f"{replay.url}/site/proxy".encode()),
        headers=resp.headers,
        content_type=RSS,
    )


@route("GET", r"/feeds/github/[^/]+/[^/]+/releases\.atom")
def releases(req: Request, replay: Replay) -> Response:
    return serve_feed(req, replay, "github_releases.atom", ATOM)


@route("GET", r"/feeds/broken\.xml")
def broken(req: Request, replay: Replay) -> Response:
    # a feed URL that now answers with an HTML page, status 200: a common way for a feed to break
    replay.state.setdefault("feeds:answers", []).append((req.path, 200))
    return Response(body=fixture_bytes("feeds/not_a_feed.html"), content_type="text/html; charset=utf-8")


@route("GET", r"/feeds/go/to-(?P<where>loopback|metadata|file)\.xml")
def redirect_away(req: Request, replay: Replay) -> Response:
    """A public feed URL that redirects to this machine, the cloud metadata address or a file."""
    where = req.path.rsplit("to-", 1)[1].removesuffix(".xml")
    target = {
        "loopback": f"{replay.url}/rss/cs.LG+cs.CL",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "file": "file:///etc/passwd",
    }[where]
    return Response(status=302, headers={"Location": target}, body=b"", content_type="text/html; charset=utf-8")
