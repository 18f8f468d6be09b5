"""Web pages: GET /site/<path> answered the way the sites in fixtures/web/ would answer.

`/site` stands in for each page's own origin: the page's absolute links to that origin
(canonical, og:url, images) and redirect `Location`s are rewritten to `<replay>/site`,
as a site's own links would point at itself. Links to any other origin are left alone.
Besides the fixture pages there are redirect chains, a redirect to a loopback address,
a PDF, an image, a 404 page, pages that name no address of their own, generated pages for
`make bench`, a page that records how many requests are in flight at once and a tarpit
that drips out its headers.

The two non-UTF-8 fixtures were written as text and encoded with Python
(`str.encode("cp1251")`, `str.encode("iso-8859-1")`), so their bytes are what such a
server sends.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from html import escape

from tests.replay.server import Replay, Request, Response, fixture_bytes, route

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Page:
    fixture: str
    origin: str
    """The origin the page was served from; rewritten to `<replay>/site`."""
    content_type: str = HTML


PAGES = {
    "blog/continuous_batching": Page("hf_blog_continuous_batching.html", "https://huggingface.co"),
    "2025/10/09/why-we-moved-our-evals-offline/": Page(
        "wordpress_yoast_graph.html", "https://www.lakeside.example", "text/html; charset=UTF-8"
    ),
    "blog/sharding-a-vector-index": Page("og_only_engineering_blog.html", "https://northwind.example"),
    "~lena/notes/bpe-2.html": Page("title_only_personal_page.html", "https://people.example", "text/html"),
    "ru/kvantovanie-vesov": Page(
        "cp1251_header_charset.html", "https://zametki.example", "text/html; charset=windows-1251"
    ),
    "fr/cafe-des-donnees.html": Page("latin1_meta_charset.html", "https://cafe.example", "text/html"),
    "digest/attention-sinks": Page("cross_host_canonical.html", "https://digest.example"),
    "posts/profiling-a-tokenizer/": Page("hugo_go_time_layout.html", "https://fieldnotes.example"),
    "de/groessenordnungen": Page("meta_charset_utf16_on_utf8_bytes.html", "https://notizblock.example", "text/html"),
}

_lock = threading.Lock()


def site(replay: Replay) -> str:
    """The replay's stand-in origin for every fixture site."""
    return f"{replay.url}/site"


def _page_path(req: Request) -> str:
    return req.path.removeprefix("/site/")


@route("GET", r"/site/r/\d+/.*")
def redirect_chain(req: Request, replay: Replay) -> Response:
    """`/site/r/<n>/<path>` redirects n times, then lands on `/site/<path>` (query kept).

    Hops alternate between a relative and an absolute Location, 301 and 302, as chains
    through link shorteners and `http → https → www` do.
    """
    m = re.fullmatch(r"/site/r/(?P<n>\d+)/(?P<rest>.*)", req.path)
    assert m is not None
    n, rest = int(m["n"]), m["rest"]
    query = req.raw_url.partition("?")[2]
    target = f"/site/{rest}" if n <= 1 else f"/site/r/{n - 1}/{rest}"
    if n % 2:
        target = f"{replay.url}{target}"
    target += f"?{query}" if query else ""
    return Response(
        status=301 if n % 2 else 302,
        headers={"Location": target},
        content_type=HTML,
        body=f'<html><body>Moved to <a href="{escape(target)}">here</a></body></html>',
    )


@route("GET", r"/site/go/to-loopback")
def to_loopback(req: Request, replay: Replay) -> Response:
    """A public page that redirects to the machine's own loopback address (an SSRF attempt)."""
    return Response(status=302, headers={"Location": f"{replay.url}/site/internal/admin"}, content_type=HTML)


@route("GET", r"/site/go/to-file")
def to_file(req: Request, replay: Replay) -> Response:
    return Response(status=302, headers={"Location": "file:///etc/passwd"}, content_type=HTML)


@route("GET", r"/site/go/nowhere")
def no_location(req: Request, replay: Replay) -> Response:
    return Response(status=302, content_type=HTML, body="<html><body>Moved</body></html>")


@route("GET", r"/site/internal/admin")
def internal_admin(req: Request, replay: Replay) -> Response:
    """What a loopback-only service would show; a refused redirect never gets here."""
    return Response(
        content_type=HTML,
        body="<!doctype html><html><head><title>Router admin</title></head><body>internal</body></html>",
    )


@route("GET", r"/site/files/scaling-report\.pdf")
def pdf(req: Request, replay: Replay) -> Response:
    body = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n" + b"0" * 4096 + b"\n%%EOF\n"
    return Response(
        body=body,
        content_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="Scaling laws report 2025.pdf"',
            "Content-Language": "en",
            "Last-Modified": "Tue, 04 Nov 2025 10:00:00 GMT",
        },
    )


@route("GET", r"/site/images/chart\.png")
def png(req: Request, replay: Replay) -> Response:
    return Response(body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


TARPIT_DRIP = 0.05
"""Seconds between the tarpit's bytes."""


@route("GET", r"/site/tarpit")
def tarpit(req: Request, replay: Replay) -> Response:
    """A server that holds its client: a byte every 50 ms, and a hang-up after 3 s, still inside
    the headers. Each read sees a byte well within any timeout; only a deadline on the whole
    exchange ends the request before the hang-up does."""
    pad = {f"X-Pad-{n}": "." * 20 for n in range(4)}
    return Response(
        content_type=HTML,
        headers=pad,
        body="<title>never reached</title>",
        trickle=TARPIT_DRIP,
        truncate=int(3 / TARPIT_DRIP),
    )


@route("GET", r"/site/synthetic/\d+")
def synthetic(req: Request, replay: Replay) -> Response:
    """A generated blog post per number, for `make bench` (no fixture: any count works)."""
    n = int(req.path.rsplit("/", 1)[1])
    # the page names itself on the host it was asked on (the bench serves "sites" on 127.0.0.x)
    url = f"http://{req.headers.get('host') or replay.url.removeprefix('http://')}/site/synthetic/{n}"
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Synthetic post {n} | Bench Blog</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="Synthetic post {n}"><meta property="og:url" content="{url}">
<meta property="og:site_name" content="Bench Blog"><meta property="og:description" content="Post number {n}, made up for the benchmark.">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"BlogPosting","headline":"Synthetic post {n}",
"datePublished":"2025-11-{1 + n % 28:02d}T09:00:00Z","author":{{"@type":"Person","name":"Author {n % 7}"}}}}</script>
</head><body><h1>Synthetic post {n}</h1>{"<p>Filler paragraph for a realistic page size.</p>" * 200}</body></html>"""
    return Response(body=body, content_type=HTML)


@route("GET", r"/site/inflight/\d+")
def inflight(req: Request, replay: Replay) -> Response:
    """A page that takes 0.15 s and records the most requests in flight at once, per Host and overall.

    `replay.state["web_inflight_max"]` is `{host: n, "*": n}` afterwards.
    """
    host = req.headers.get("host", "")
    with _lock:
        now = replay.state.setdefault("web_inflight_now", {})
        peak = replay.state.setdefault("web_inflight_max", {})
        for key in (host, "*"):
            now[key] = now.get(key, 0) + 1
            peak[key] = max(peak.get(key, 0), now[key])
    try:
        time.sleep(0.15)
    finally:
        with _lock:
            for key in (host, "*"):
                now[key] -= 1
    n = req.path.rsplit("/", 1)[1]
    return Response(
        content_type=HTML, body=f"<!doctype html><html><head><title>Page {n}</title></head><body></body></html>"
    )


@route("GET", r"/site/plain/.*")
def plain(req: Request, replay: Replay) -> Response:
    """A page that names no address of its own (no canonical, no og:url), titled after its path
    as sent (percent-encoded): its id is made from the link alone (`/site/plain/café`)."""
    name = escape(req.path.removeprefix("/site/plain/"))
    return Response(
        content_type=HTML,
        body=f"<!doctype html><html><head><title>Plain page {name}</title></head><body><p>{name}</p></body></html>",
    )


@route("GET", r"/site/.*")
def page(req: Request, replay: Replay) -> Response:
    """A fixture page with its own origin rewritten to the replay's; an HTML 404 page otherwise."""
    found = PAGES.get(_page_path(req))
    if found is None:
        return Response(
            status=404,
            content_type=HTML,
            body="<!doctype html><html><head><title>404 – Page not found</title></head>"
            "<body><h1>Page not found</h1></body></html>",
        )
    body = fixture_bytes(f"web/{found.fixture}").replace(found.origin.encode(), site(replay).encode())
    return Response(body=body, content_type=found.content_type)


def synthetic_urls(replay: Replay, count: int) -> list[str]:
    """`count` distinct generated pages (for `make bench`)."""
    return [f"{site(replay)}/synthetic/{n}" for n in range(count)]
