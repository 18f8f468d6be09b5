"""RSS and Atom feeds: a conditional GET with httpx, then feedparser on the bytes.

Reads arXiv RSS listings, YouTube channel and playlist feeds, blog feeds and GitHub
releases feeds, and turns each entry into the link it is about. Fetches through the web
connector's guarded client (no private addresses, no proxies from the environment). Keeps
no state: the caller passes the ETag / Last-Modified it kept and stores the new ones.
Never touches the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from connectors.errors import BadPayload, FetchError, Refused, Unavailable, from_status
from connectors.registry import Registry, default

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 10 * 1024 * 1024
"""A feed larger than this is refused: the busiest arXiv listings are about 2 MB."""

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

# arXiv RSS descriptions start with "arXiv:2611.17201v1 Announce Type: new \nAbstract: "
# (https://info.arxiv.org/help/rss.html)
_ARXIV_PREFIX = re.compile(r"^arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry, reduced to what the scheduled run filters on and the link it names."""

    link: str
    """What to ingest: the arXiv abs page, the YouTube watch page, the post, the repository."""
    title: str = ""
    summary: str = ""
    categories: tuple[str, ...] = ()
    """arXiv categories, or a blog's tags."""
    announce_type: str | None = None
    """arXiv only: new, cross, replace or replace-cross."""
    figures: Mapping[str, int | float] = field(default_factory=dict)
    """What the feed says of the entry's standing (Hugging Face's `upvotes`), for a source's filters."""


@dataclass
class FeedRead:
    """The outcome of one conditional GET: new entries, `unchanged` (a 304), or an error."""

    url: str
    status: int | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    error: FetchError | None = None
    """Why the feed could not be read (a FetchError named by the feed's URL, `ref` None)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return self.status == 304


def _text(html: str | None) -> str:
    return " ".join(_TAGS.sub(" ", html or "").split())


def link_of_entry(entry: Mapping[str, Any], base_url: str = "", registry: Registry | None = None) -> str | None:
    """The link a feed entry is about, in the form our sources own; None if it has none.

    Each source may claim an entry (a YouTube entry gives the watch page, also for Shorts;
    an arXiv entry the abs page without a version; a GitHub release its repository);
    any other entry gives its own link, made absolute against the feed's URL. A FeedBurner
    entry's own link is its original post (`feedburner:origLink`), not the proxy link.
    """
    # FeedBurner replaces each link with its own click-counting proxy and keeps the post's address in
    # <feedburner:origLink> (http://rssnamespace.org/feedburner/ext/1.0): the post is the item
    href = (entry.get("feedburner_origlink") or "").strip()
    if not href.lower().startswith(("http://", "https://")):
        href = (entry.get("link") or "").strip()
    if href and base_url:
        href = urljoin(base_url, href)
    return (registry or default()).feed_link(entry, href or None)


def entry_from_feedparser(
    entry: Mapping[str, Any], base_url: str = "", registry: Registry | None = None
) -> FeedEntry | None:
    """A FeedEntry from one feedparser entry, or None when it names no link."""
    link = link_of_entry(entry, base_url, registry)
    if link is None:
        return None
    summary = _text(entry.get("summary"))
    announce = entry.get("arxiv_announce_type")
    if announce:
        summary = _ARXIV_PREFIX.sub("", summary)
    tags = tuple(t["term"] for t in entry.get("tags") or () if t.get("term"))
    return FeedEntry(
        link=link,
        title=" ".join((entry.get("title") or "").split()),
        summary=summary,
        categories=tags,
        announce_type=announce.strip().lower() if announce else None,
    )


# what some servers send before the document: byte-order marks (several, when templates are
# concatenated) and blank lines. XML allows one BOM and no whitespace before `<?xml`, yet
# feedparser reads past both, so they are no reason to refuse a feed.
_LEAD = re.compile(rb"(?:\xef\xbb\xbf|[ \t\r\n])+")
_BOM = b"\xef\xbb\xbf"

# an entity reference other than XML's five: HTML's `&nbsp;`, `&eacute;`… (numeric ones are fine)
_NAMED_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)[A-Za-z][A-Za-z0-9._-]*;")


def syntax_error(body: bytes, parsed: Mapping[str, Any], lines_before: int = 0) -> str | None:
    """Where the feed document stops being well-formed XML, or None when it is well-formed
    but for what feedparser reads in full anyway.

    feedparser falls back to a forgiving parser on any XML error, so a body cut off in
    transit still yields the entries before the cut (and half of the one it cuts). Not
    errors here: a charset other than the declared one (not a SAX error:
    feedparser re-decodes), whitespace before `<?xml`, and HTML entities such as `&nbsp;`
    (`entries_from_bytes` drops byte-order marks and whitespace before the document first).
    expat stops at its first error, so after either of the last two the body is judged
    again without it: a cut-off further down must not hide behind them.
    """
    from xml.parsers.expat import errors
    from xml.sax import SAXParseException

    import feedparser

    exc = parsed.get("bozo_exception")
    if not isinstance(exc, SAXParseException):
        return None
    message = exc.getMessage()
    again = body
    if message == errors.XML_ERROR_MISPLACED_XML_PI:
        again = body.lstrip()
        lines_before += body[: len(body) - len(again)].count(b"\n")
    elif message == errors.XML_ERROR_UNDEFINED_ENTITY:
        again = _NAMED_ENTITY.sub(b"", body)  # removes whole references only: lines stay where they were
    if again != body:
        return syntax_error(again, feedparser.parse(again), lines_before)
    return f"{message} at line {(exc.getLineNumber() or 0) + lines_before}, column {(exc.getColumnNumber() or 0) + 1}"


def entries_from_bytes(body: bytes, url: str, content_type: str = "") -> list[FeedEntry]:
    """The entries of a feed document; BadPayload when the body is not a feed at all,
    Unavailable when it is not well-formed XML (`syntax_error`): most likely cut off on the
    way, so the next run tries again.

    A document that breaks off or breaks its own structure gives nothing, not the entries
    before the break: the forgiving parser opens an entry at its start tag, so the entry a
    cut falls in arrives with a cut link, and nothing in the result tells it from a whole
    one. The caller keeps no validator for a failed read, so the next run reads it in full.
    """
    import feedparser

    lead = _LEAD.match(body)
    skipped = 0
    if lead is not None:  # one BOM is kept: it names the encoding, as the declaration may not
        skipped = lead.group(0).count(b"\n")
        body = (_BOM if _BOM in lead.group(0) else b"") + body[lead.end() :]
    parsed = feedparser.parse(body)  # bytes: a str would be taken for a URL or a file path
    if not parsed.entries and not parsed.get("version"):
        kind = content_type.split(";")[0].strip()
        what = "an HTML page" if "html" in kind else kind
        answer = f"the answer is {what}, not an RSS or Atom feed" if what else "the answer is not an RSS or Atom feed"
        raise BadPayload(url, f"{answer}; check the feed's URL")
    broken = syntax_error(body, parsed, skipped)
    if broken is not None:
        raise Unavailable(
            url,
            f"not well-formed XML ({broken}), so cut off or broken on the way; nothing was "
            "taken from it, and the next run reads it again in full",
        )
    entries = []
    for raw in parsed.entries:
        entry = entry_from_feedparser(raw, url)
        if entry is None:
            log.info("feed %s: an entry without a link skipped (%s)", url, raw.get("title", "untitled"))
            continue
        entries.append(entry)
    return entries


def client(timeout: float, *, allow_private: bool, **kwargs: Any) -> httpx.Client:
    """The web connector's guarded client, for feeds: a feed's host, and every host it
    redirects to, must resolve to public addresses unless `allow_private` (tests, an intranet).

    The guard sits under every TCP connection the client opens, so the redirects httpx
    follows for `read_feed` are checked hop by hop as the web connector's own are; and the
    client takes no proxy from the environment, which would hide the address. `kwargs`
    (resolver, network) go to `_web_net.client`: tests pass a fake DNS and network.
    """
    from connectors import _web_net

    return _web_net.client(timeout, allow_private=allow_private, **kwargs)


def _classify(exc: Exception, url: str, timeout: float) -> FetchError:
    """Every httpx failure (and the address guard's refusal) as a FetchError with a reason a user can act on."""
    import httpx

    from connectors._web_net import AddressRefused

    if isinstance(exc, FetchError):
        return exc
    if isinstance(exc, AddressRefused):
        return Refused(url, f"refused: {exc} (CURATE_ALLOW_PRIVATE_HOSTS=true allows it)")
    if isinstance(exc, httpx.UnsupportedProtocol):  # a redirect to file:, ftp:…
        return Refused(url, f"refused: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return Unavailable(url, f"no answer within {timeout:g} s")
    if isinstance(exc, httpx.ConnectError):
        return Unavailable(url, "cannot connect")
    if isinstance(exc, httpx.RemoteProtocolError):
        return Unavailable(url, "the answer was cut off")
    if isinstance(exc, httpx.TooManyRedirects):
        return BadPayload(url, "too many redirects")
    if isinstance(exc, httpx.HTTPError):
        return Unavailable(url, f"HTTP error: {type(exc).__name__}")
    return FetchError(url, f"{type(exc).__name__}: {exc}")


def read_feed(
    http: httpx.Client,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 20.0,
    registry: Registry | None = None,
) -> FeedRead:
    """One conditional GET of `url` with `http` (made by `client()`); never raises: a
    failure is `FeedRead.error`, with no entries and no validators.

    Sends If-None-Match / If-Modified-Since when a validator is known, so an unchanged
    feed costs one 304 and no parsing. The validators returned are those to keep. A feed
    that a source's `feed_format` reads (told apart by its URL) is read by it; any other
    as RSS or Atom.
    """
    feed_format = (registry or default()).feed_format(url)
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    result = FeedRead(url=url)
    try:
        with http.stream("GET", url, headers=headers, follow_redirects=True) as resp:
            result.status = resp.status_code
            if resp.status_code == 304:
                # a 304 may omit the validators; the ones we sent stay valid
                result.etag = resp.headers.get("etag") or etag
                result.last_modified = resp.headers.get("last-modified") or last_modified
                log.debug("feed %s: unchanged (304)", url)
                return result
            if resp.status_code >= 400:
                raise from_status(url, resp.status_code, "the feed's server", resp.headers.get("retry-after"))
            if any(r.status_code in (301, 308) for r in resp.history):
                result.warnings.append(f"feed {url} moved permanently to {resp.url}: update the sources file")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_FEED_BYTES:
                    raise BadPayload(url, f"larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
                chunks.append(chunk)
            result.etag = resp.headers.get("etag")
            result.last_modified = resp.headers.get("last-modified")
            body = b"".join(chunks)
            if feed_format is not None:
                result.entries = feed_format.entries(body, str(resp.url))
            else:
                result.entries = entries_from_bytes(body, str(resp.url), resp.headers.get("content-type", ""))
    except Exception as exc:  # one feed's failure is a value, never an exception for the run
        result.error = _classify(exc, url, timeout)
        result.entries, result.etag, result.last_modified = [], None, None
        log.debug("feed %s: %s", url, result.error.reason)
        return result
    log.debug("feed %s: %d entries (HTTP %d, %d bytes)", url, len(result.entries), result.status, size)
    return result
