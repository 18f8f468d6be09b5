"""Web articles (the Reads section): any http(s) page no other connector owns.

Owns every http(s) URL, so it is asked last. Fetches pages concurrently (a bounded pool,
at most `per_host` at a time on one host), follows redirects itself so that every hop is
checked, and reads what the page says about itself (`article_from_html`). A page that is
too large, too slow, not HTML or on a private address is an error of that link only.
Never touches the database.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from email.message import Message
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

from pydantic import BaseModel, Field

from connectors._urls import split
from connectors._web_meta import PageMeta, Unparseable, metadata_html, page_meta, parse
from connectors._web_values import decode
from connectors.base import Fetched
from connectors.errors import BadPayload, FetchError, Refused, Unavailable, from_status
from connectors.registry import Details, KindRules, Link, Source
from schemas import Article, ExportItem, Kind, SectionKey, SourceRef

if TYPE_CHECKING:
    import httpcore
    import httpx
    from lxml.html import HtmlElement

log = logging.getLogger(__name__)

_TRACKING = {"fbclid", "gclid", "ref", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_REDIRECTS = {301, 302, 303, 307, 308}


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped,
    what a URL may not hold percent-encoded (WHATWG URL's percent-encode sets; IDNA hosts).

    The query is filtered as the raw `&`-separated pairs it is, never decoded and encoded
    again: `?flag` stays `?flag` and `%20` stays `%20`, so the URL fetched is the one given.
    Idempotent: `canonical_url(canonical_url(u)) == canonical_url(u)`.
    """
    from w3lib.url import safe_url_string

    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _tracking(pair))
    path = parts.path or "/"
    # percent-encoded as the WHATWG URL standard does (w3lib), so the id is one token: a space,
    # a quote or a `>` in a page's canonical link cannot split the draft's anchor or a link
    return safe_url_string(urlunsplit((scheme, host, path, query, "")))


def _tracking(pair: str) -> bool:
    """A raw `name=value` query pair whose name is a tracking parameter (the name read decoded)."""
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name.startswith("utm_") or name in _TRACKING


def article_ref(url: str) -> SourceRef:
    canonical = canonical_url(url)
    return SourceRef(kind=Kind.article, key=f"web:{canonical}", url=canonical, connector=WebConnector.name)


def _owns(url: str) -> SourceRef | None:
    if split(url) is None:
        return None
    return article_ref(url)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def same_site(a: str, b: str) -> bool:
    """Both URLs are on one host; `www.` is ignored (sites serve both and point one at the other)."""
    host_a, host_b = _host(a), _host(b)
    return bool(host_a) and host_a.removeprefix("www.") == host_b.removeprefix("www.")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _article(meta: PageMeta, url: str, content_type: str | None) -> Article:
    # a canonical on the page's own host names the page (tracking variants, paginated
    # copies); one on another host is only a claim by the page's content, kept but not obeyed,
    # so a post copied onto another site stays a separate item
    chosen = meta.canonical if meta.canonical and same_site(meta.canonical, url) else url
    canonical = canonical_url(chosen)
    return Article(
        id=f"web:{canonical}",
        url=canonical,
        title=meta.title or _host(url),
        site_name=meta.site_name or _host(url).removeprefix("www.") or None,
        authors=meta.authors,
        organizations=meta.organizations,
        published=meta.published
        if meta.published is None or meta.published.tzinfo
        else meta.published.replace(tzinfo=UTC),
        published_utc_assumed=meta.published is not None and meta.published.tzinfo is None,
        description=meta.description,
        image=meta.image,
        language=meta.language,
        final_url=url,
        declared_canonical=meta.canonical,
        content_type=_media_type(content_type) or None,
    )


def article_from_html(body: bytes | str, url: str, headers: Mapping[str, str] | None = None) -> Article:
    """The Article a page describes. `url` is where it was fetched from (after redirects);
    `headers` are the response's (their charset decodes `body` when it is bytes).

    Raises Unparseable for a body that is not a readable HTML document or has no title.
    """
    return _read_page(body, url, headers)[0]


def read_page(body: bytes | str, url: str, headers: Mapping[str, str] | None = None) -> tuple[Article, PageMeta]:
    """`article_from_html`'s Article, with the PageMeta it was made from (its `published`
    keeps the time zone the page wrote, which the record converts to UTC)."""
    article, _tree, meta = _read_page(body, url, headers)
    return article, meta


def _read_page(body: bytes | str, url: str, headers: Mapping[str, str] | None) -> tuple[Article, HtmlElement, PageMeta]:
    content_type = _header(headers, "content-type")
    text = body if isinstance(body, str) else decode(body, content_type)
    tree = parse(text)
    meta = page_meta(tree, url)
    if not meta.title:
        raise Unparseable("the page has no title")
    return _article(meta, url, content_type or "text/html"), tree, meta


def article_from_headers(url: str, headers: Mapping[str, str]) -> Article:
    """An Article for a document that is not HTML (a PDF), from what its response headers say."""
    filename = None
    disposition = _header(headers, "content-disposition")
    if disposition:
        msg = Message()
        msg["content-disposition"] = disposition
        filename = msg.get_filename()  # handles RFC 6266 `filename*=UTF-8''…` too
    if not filename:
        filename = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    meta = PageMeta(title=" ".join((filename or "").split()) or None, language=_header(headers, "content-language"))
    return _article(meta, url, _header(headers, "content-type"))


@dataclass
class _Body:
    """A page's body as read off the network, parsed later by the thread that reads results."""

    url: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any]


class _Failure(Exception):
    """A page-level failure found while fetching; `_classify` turns it into a FetchError."""


class _Status(_Failure):
    def __init__(self, status: int, retry_after: str | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.retry_after = status, retry_after


class _TooLarge(_Failure):
    pass


class _TooSlow(_Failure):
    pass


class _NotHtml(_Failure):
    pass


class _BadRedirect(_Failure):
    pass


class _BadScheme(_Failure):
    pass


class WebConnector:
    name: ClassVar[str] = "web"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.article,)
    per_host: ClassVar[int] = 2  # politeness: never more than two requests in flight to one site
    max_redirects: ClassVar[int] = 5

    def __init__(
        self,
        timeout: float = 20.0,
        max_bytes: int = 5_000_000,
        concurrency: int = 8,
        allow_private_hosts: bool = False,
        resolver: Callable[[str, int], list[str]] | None = None,
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        """`resolver` (host, port → addresses) and `network` (httpcore's socket layer) default to
        the operating system's; tests pass a fake DNS and a fake network to check the address guard."""
        self.timeout, self.max_bytes, self.concurrency = timeout, max_bytes, concurrency
        self.allow_private_hosts = allow_private_hosts
        self.resolver, self.network = resolver, network
        self.requests = 0
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> WebConnector:
        return cls(
            timeout=settings.http_timeout,
            max_bytes=settings.web_max_bytes,
            concurrency=settings.web_concurrency,
            allow_private_hosts=settings.allow_private_hosts,
        )

    owns = staticmethod(_owns)

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        """One Fetched per ref, in order; pages are fetched `concurrency` at a time meanwhile.

        A page is started only when its host has a free slot (two at a time on one host), so no
        network thread waits for a host while another host's pages could go, and the moment a
        page is read the next one starts. Pages are parsed here, on the thread that reads the
        results, not on the network threads.
        """
        if not refs:
            return
        from connectors import _web_net

        started = time.monotonic()
        client = _web_net.client(
            self.timeout,
            allow_private=self.allow_private_hosts,
            resolver=self.resolver,
            network=self.network,
            max_connections=max(self.concurrency * 2, 10),
        )
        workers = min(self.concurrency, len(refs))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="web")
        done: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        waiting: dict[str, deque[int]] = {}  # host → indexes of its pages not started yet, hosts in turn
        for i, ref in enumerate(refs):
            waiting.setdefault(_host(ref.url), deque()).append(i)
        dispatch = threading.Lock()
        running, stopped = 0, False

        def download(i: int, host: str) -> None:
            nonlocal running
            try:
                got: Any = self._download(client, refs[i], host)
            except Exception as exc:  # noqa: BLE001 - every failure becomes this link's error value
                got = exc
            with dispatch:
                running -= 1
            done.put((i, got))
            start_more()

        def start_more() -> None:
            """Start pages while a network thread is free and some waiting host has a free slot."""
            nonlocal running
            with dispatch:
                while not stopped and running < workers and waiting:
                    for host in list(waiting):
                        if self._slot_of(host).acquire(blocking=False):
                            line = waiting.pop(host)
                            i = line.popleft()
                            if line:
                                waiting[host] = line  # to the back of the line: hosts take turns
                            break
                    else:
                        return  # every waiting host has its slots taken: a finishing page starts the next
                    running += 1
                    pool.submit(download, i, host)

        pending: dict[int, Fetched] = {}
        turn = 0
        try:
            start_more()
            while turn < len(refs):
                i, got = done.get()
                pending[i] = self._finish(refs[i], got)
                while turn in pending:
                    yield pending.pop(turn)
                    turn += 1
        finally:
            with dispatch:
                stopped = True
            pool.shutdown(wait=True, cancel_futures=True)
            client.close()
            log.info("web: %d pages, %d requests in %.2f s", len(refs), self.requests, time.monotonic() - started)

    def _slot_of(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))

    def _finish(self, ref: SourceRef, got: Any) -> Fetched:
        """The Fetched of a download: the page read (parsed here), or the failure classified."""
        try:
            if isinstance(got, Exception):
                raise got
            if isinstance(got, _Body):
                article, tree, _meta = _read_page(got.body, got.url, got.headers)
                got.payload["head"] = metadata_html(tree)
                return Fetched(ref, record=article, payload=got.payload)
            article, payload = got
            return Fetched(ref, record=article, payload=payload)
        except Exception as exc:  # noqa: BLE001 - every failure becomes this link's error value
            error = _classify(exc, ref, self)
            log.info("web: %s: %s", ref.url, error.reason)
            return Fetched(ref, error=error)

    def _download(self, client: httpx.Client, ref: SourceRef, held: str) -> _Body | tuple[Article, dict[str, Any]]:
        """Follow redirects by hand (every hop's scheme and address checked) and read one page's body.

        The caller holds a slot of `held` (the page's host) for the first hop; the deadline starts
        now, so time spent waiting for that slot never counts against the page.
        """
        import httpx

        deadline = time.monotonic() + self.timeout
        url = ref.url
        hops: list[str] = []
        first = True
        try:
            for _ in range(self.max_redirects + 1):
                scheme = urlsplit(url).scheme.lower()
                if scheme not in ("http", "https"):
                    raise _BadScheme(f"redirected to a {scheme or 'schemeless'}: URL; only http and https are fetched")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _TooSlow()
                slot = self._slot_of(_host(url)) if not first else self._slot_of(held)
                if not first and not slot.acquire(
                    timeout=left
                ):  # a redirect to a busy host: its slot, within the deadline
                    raise _TooSlow()
                first = False
                try:
                    request = client.build_request("GET", url, timeout=httpx.Timeout(left))
                    with self._lock:
                        self.requests += 1
                    response = client.send(request, stream=True)
                    try:
                        if response.status_code in _REDIRECTS:
                            location = response.headers.get("location")
                            if not location:
                                raise _BadRedirect(f"HTTP {response.status_code} without a Location header")
                            hops.append(url)
                            url = str(response.url.join(location.strip()))
                            continue
                        if response.status_code >= 400:
                            raise _Status(response.status_code, response.headers.get("retry-after"))
                        media = _media_type(response.headers.get("content-type"))
                        payload = {
                            "final_url": url,
                            "redirects": hops,
                            "status": response.status_code,
                            "content_type": response.headers.get("content-type"),
                        }
                        if media == "application/pdf":  # a paper or report: its headers are all we read
                            return article_from_headers(url, response.headers), payload
                        if media and media not in _HTML_TYPES:
                            raise _NotHtml(media)
                        body = self._read(response)
                        if not media and not body.lstrip()[:256].lower().startswith((b"<!doctype html", b"<html")):
                            raise _NotHtml("no content type, and the body does not look like HTML")
                        return _Body(url, dict(response.headers), body, payload)
                    finally:
                        response.close()
                finally:
                    slot.release()
            raise _BadRedirect(f"more than {self.max_redirects} redirects")
        finally:
            if first:  # never got as far as the first request: the slot taken for it is given back
                self._slot_of(held).release()

    def _read(self, response: httpx.Response) -> bytes:
        """The body, stopped at `max_bytes` (decoded size); the client's deadline bounds the time."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _TooLarge()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    def notes(self) -> list[str]:
        return []


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 100_000 else f"{n:,} bytes"


def _classify(exc: BaseException, ref: SourceRef, connector: WebConnector) -> FetchError:
    """Map a fetch failure (ours, httpx's, the address guard's) onto our error vocabulary."""
    import httpx

    from connectors._web_net import AddressRefused

    if isinstance(exc, AddressRefused):
        return Refused(ref, f"refused: {exc} (CURATE_ALLOW_PRIVATE_HOSTS=true allows it)")
    if isinstance(exc, _BadScheme):
        return Refused(ref, f"refused: {exc}")
    if isinstance(exc, _BadRedirect):
        return BadPayload(ref, str(exc))
    if isinstance(exc, _TooLarge):
        return BadPayload(ref, f"too large: the page is over {_size(connector.max_bytes)} (CURATE_WEB_MAX_BYTES)")
    if isinstance(exc, (_TooSlow, httpx.TimeoutException)):
        return Unavailable(ref, f"too slow: no complete page within {connector.timeout:g} s (CURATE_HTTP_TIMEOUT)")
    if isinstance(exc, _NotHtml):
        return BadPayload(ref, f"not an HTML page ({exc})")
    if isinstance(exc, Unparseable):
        return BadPayload(ref, f"not parseable: {exc}")
    if isinstance(exc, _Status):
        return from_status(ref, exc.status, "the site", exc.retry_after)
    if isinstance(exc, httpx.ConnectError):
        return Unavailable(ref, f"could not connect to {_host(ref.url)} ({exc})")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return Unavailable(ref, f"the connection broke off ({exc})")
    if isinstance(exc, httpx.DecodingError):
        return BadPayload(ref, f"not parseable: the body could not be decompressed ({exc})")
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return Refused(ref, f"refused: not a URL we can fetch ({exc})")
    return BadPayload(ref, f"{type(exc).__name__}: {exc}")


# ---- what the registry knows of web pages


class WebSettings(BaseModel):
    web_max_bytes: int = Field(default=5_000_000, gt=0)
    """Largest web page body read (decoded bytes); a bigger or endless page is an error, not an out-of-memory."""
    web_concurrency: int = Field(default=8, ge=1)
    """Web pages fetched at once (never more than 2 from one host, whatever this says)."""


def _article_details(item: ExportItem) -> Details:
    """The site's name (or host) as the link."""
    site = item.details.get("site_name") or urlsplit(item.url).hostname or "link"
    return Details(lead=[Link(site, item.url)])


SOURCE = Source(
    name="web",
    connector=WebConnector,
    owns=_owns,
    kinds={Kind.article: KindRules(section=SectionKey.reads, details=_article_details)},
    settings=WebSettings,
    fallback=True,
)
