"""The HTTP identity and the bounds every answer of every source is read within.

One place gives each request a deadline for its whole answer, a cap on the decoded bytes
read (a 2 MB gzip body can inflate to 2 GB) and a cap on JSON/XML nesting (deep nesting
makes parsers recurse until they fail). A connector gets them through the client it uses:

- httpx: `client(timeout, bounds=...)`, a client whose every answer is read within them;
- requests (arxiv.py, PyGithub): `mount(session, bounds)` or `bound_pygithub(github, bounds)`;
- googleapiclient: `Httplib2Shim(client(...))` in place of an `httplib2.Http`.

A broken bound raises `TooSlow`, `TooLarge` or `TooDeep`; `fetch_error` turns one into the
ref's FetchError. Client libraries are imported inside the functions that use them.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    import requests

    from connectors.errors import FetchError
    from schemas import SourceRef

log = logging.getLogger(__name__)

VERSION = "0.1.0"
USER_AGENT = f"curate/{VERSION} (newsletter link metadata; +https://pypi.org/project/curate/)"

_CHUNK = 65_536


@dataclass(frozen=True)
class Bounds:
    """How much of one answer is read. Settings: CURATE_HTTP_TIMEOUT, _MAX_BYTES, _MAX_DEPTH."""

    deadline: float = 20.0
    """Seconds for the whole answer: connect, headers and every byte of the body."""
    max_bytes: int = 16_000_000
    """Decoded bytes of one body (after gzip/deflate); an API answer of curate's is a few hundred kB."""
    max_depth: int = 64
    """Nesting levels of a JSON or XML body; the answers curate reads nest fewer than 15."""

    @classmethod
    def from_settings(cls, settings: Any) -> Bounds:
        return cls(deadline=settings.http_timeout, max_bytes=settings.http_max_bytes, max_depth=settings.http_max_depth)


class AnswerRefused(Exception):
    """An answer broke one of the bounds; it is not read further and not retried in this request."""


class TooSlow(AnswerRefused):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s (CURATE_HTTP_TIMEOUT)")
        self.seconds = seconds


class TooLarge(AnswerRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(f"an answer over {_size(limit)} once decoded (CURATE_HTTP_MAX_BYTES)")
        self.limit = limit


class TooDeep(AnswerRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(f"an answer nested deeper than {limit} levels (CURATE_HTTP_MAX_DEPTH)")
        self.limit = limit


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"


def fetch_error(exc: BaseException, ref: SourceRef, source: str) -> FetchError | None:
    """The FetchError of `ref` for a broken bound (found on `exc` or its causes), else None.

    Too slow is Unavailable (a later run may find the server well); too large or too deep is
    BadPayload: the same request would get the same answer.
    """
    from connectors.errors import BadPayload, Unavailable

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, TooSlow):
            return Unavailable(ref, f"{source} sent {cause}")
        if isinstance(cause, AnswerRefused):
            return BadPayload(ref, f"{source} sent {cause}")
        cause = cause.__cause__ or cause.__context__
    return None


# ---- the body checks, shared by every client below


def read_capped(chunks: Iterable[bytes], bounds: Bounds, deadline: float | None = None) -> bytes:
    """The joined `chunks` (decoded bytes), TooLarge past `bounds.max_bytes`, TooSlow past `deadline`
    (a time.monotonic() value); the iterator is abandoned at once when either is crossed."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > bounds.max_bytes:
            raise TooLarge(bounds.max_bytes)
        if deadline is not None and time.monotonic() > deadline:
            raise TooSlow(bounds.deadline)
        parts.append(chunk)
    return b"".join(parts)


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0, `[]` is 1), walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            deepest = max(deepest, depth + 1)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth + 1)
            stack.extend((v, depth + 1) for v in item)
    return deepest


def check_depth(body: bytes, content_type: str, max_depth: int) -> None:
    """TooDeep when a JSON or XML `body` nests deeper than `max_depth`; other bodies, and
    malformed ones (their reader reports those), pass."""
    kind = content_type.split(";")[0].strip().lower()
    if "json" in kind:
        try:
            # the C decoder guards its recursion: a nesting past Python's recursion limit is a
            # RecursionError here, never a crash; what parses is measured without recursion
            parsed = json.loads(body)
        except RecursionError:
            raise TooDeep(max_depth) from None
        except ValueError:
            return
        if json_depth(parsed) > max_depth:
            raise TooDeep(max_depth)
    elif "xml" in kind:
        from lxml import etree

        depth = 0
        try:
            for event, _ in etree.iterparse(
                io.BytesIO(body), events=("start", "end"), resolve_entities=False, no_network=True
            ):
                depth += 1 if event == "start" else -1
                if depth > max_depth:
                    raise TooDeep(max_depth)
        except etree.XMLSyntaxError as exc:
            if "depth" in str(exc).lower():  # libxml2 itself stops at 256 levels
                raise TooDeep(max_depth) from None


# ---- httpx


def client(timeout: float = 20.0, *, bounds: Bounds | None = None, **kwargs: Any) -> httpx.Client:
    """An httpx client with our User-Agent whose every answer is read within `bounds`.

    `timeout` (or a request's own) bounds the whole of each request, body included; the body
    is read when the answer arrives (event hook), so `client.stream()` reads it whole too.
    A late answer raises httpx.TimeoutException; a big or deep one TooLarge or TooDeep.
    """
    import httpx

    from connectors import _web_net

    bounds = bounds or Bounds(deadline=timeout)
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    hooks = kwargs.pop("event_hooks", {})

    def stamp(request: httpx.Request) -> None:
        request.extensions["curate_sent"] = time.monotonic()

    def read_within_bounds(response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > bounds.max_bytes and not response.headers.get("content-encoding"):
            response.close()
            raise TooLarge(bounds.max_bytes)
        # the deadline transport ends a late exchange by itself; a transport httpx mounts for a
        # proxy named in the environment (HTTPS_PROXY) does not, so the body is also read
        # against the deadline here, counted from when the request was sent, in the pieces the
        # network gives (a fixed chunk size would wait for 64 kB before the first check)
        sent = response.request.extensions.get("curate_sent")
        deadline = None if sent is None else sent + bounds.deadline
        try:
            body = read_capped(response.iter_bytes(), bounds, deadline)
        except AnswerRefused:
            response.close()
            raise
        # httpx has no size limit of its own; what Response.read() would set, read within the cap
        response._content = body
        check_depth(body, response.headers.get("content-type", ""), bounds.max_depth)

    return httpx.Client(
        timeout=timeout,
        headers=headers,
        transport=_web_net.deadline_transport(),
        event_hooks={
            **hooks,
            "request": [*hooks.get("request", []), stamp],
            "response": [*hooks.get("response", []), read_within_bounds],
        },
        **kwargs,
    )


class Httplib2Shim:
    """What googleapiclient calls on an `httplib2.Http` (`request`, `close`), served by a bounded
    httpx client, so the YouTube Data API's answers are read within the same bounds.

    A late answer is TooSlow, which googleapiclient does not retry (a server that trickles
    would hold the run once per retry); a failed connection comes back as ConnectionError,
    which it retries; a cut-off answer stays an httpx.RemoteProtocolError.
    """

    def __init__(self, client: httpx.Client, bounds: Bounds) -> None:
        self.client, self.bounds = client, bounds

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[Any, bytes]:
        import httplib2
        import httpx

        try:
            resp = self.client.request(method, uri, content=body, headers=dict(headers or {}))
        except httpx.TimeoutException as exc:
            raise TooSlow(self.bounds.deadline) from exc
        except (httpx.ConnectError, httpx.NetworkError) as exc:
            raise ConnectionError("could not connect") from exc
        info = {
            k.lower(): v for k, v in resp.headers.items() if k.lower() not in ("content-encoding", "content-length")
        }
        info["status"] = str(resp.status_code)
        answer = httplib2.Response(info)
        answer.reason = resp.reason_phrase
        return answer, resp.content

    def close(self) -> None:
        self.client.close()


# ---- requests (arxiv.py, PyGithub)


class _Watch:
    """The socket one request attempt reads from, shut down when the attempt's deadline passes.

    A socket's timeout holds for each read alone, so a server that sends a byte every half
    second (head or body) would hold a read for ever; shutting the socket down ends the
    wait where it stands. The clock starts when the request is sent, once per attempt, so a
    retry after a Retry-After wait (urllib3's, inside the adapter) gets its own deadline.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sock: socket.socket | None = None
        self.fired = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def begin(self, sock: socket.socket | None) -> None:
        with self._lock:
            self.stop()
            self.sock, self.fired = sock, False
            self._timer = threading.Timer(self.seconds, self.fire)
            self._timer.daemon = True
            self._timer.start()

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            if self.sock is not None:
                _shut(self.sock)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


_local = threading.local()


@functools.cache
def _adapter_class() -> type:  # noqa: C901 - counts the methods of the classes it defines
    import requests
    import urllib3
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    # a head cut off at the deadline is reported once, as TooSlow, not also as urllib3's warning
    logging.getLogger("urllib3.connection").setLevel(logging.ERROR)

    class WatchedHTTP(HTTPConnection):
        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            watch = getattr(_local, "watch", None)
            if watch is not None:
                watch.begin(self.sock)
            return super().getresponse(*args, **kwargs)

    class WatchedHTTPS(HTTPSConnection):
        getresponse = WatchedHTTP.getresponse

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTP

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPS

    def _read_timeout(exc: BaseException) -> bool:
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(exc, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError)) or isinstance(
            reason, urllib3.exceptions.ReadTimeoutError
        )

    class BoundedAdapter(requests.adapters.HTTPAdapter):
        """requests' adapter that reads each body itself, within the bounds (requests has no cap)."""

        def __init__(self, bounds: Bounds, **kwargs: Any) -> None:
            self.bounds = bounds
            super().__init__(**kwargs)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}

        def send(
            self,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Any = None,
        ) -> requests.Response:
            watch = _Watch(self.bounds.deadline)
            _local.watch = watch
            deadline = time.monotonic() + self.bounds.deadline
            try:
                resp = self._send(request, timeout, verify, cert, proxies, deadline)
                if watch.fired:  # cut off inside the head, http.client may take what came as a whole answer
                    resp.close()
                    raise TooSlow(self.bounds.deadline)
                return resp
            except AnswerRefused:
                raise
            except Exception as exc:
                # a read timeout is the same event seen first by the socket: one name for both
                if watch.fired or _read_timeout(exc):
                    raise TooSlow(self.bounds.deadline) from exc
                raise
            finally:
                watch.stop()
                _local.watch = None

        def _send(
            self,
            request: requests.PreparedRequest,
            timeout: Any,
            verify: Any,
            cert: Any,
            proxies: Any,
            deadline: float,
        ) -> requests.Response:
            resp = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
            declared = resp.headers.get("content-length", "")
            if (
                declared.isdigit()
                and int(declared) > self.bounds.max_bytes
                and not resp.headers.get("content-encoding")
            ):
                resp.close()
                raise TooLarge(self.bounds.max_bytes)

            def chunks() -> Iterable[bytes]:
                # read1 hands back what one socket read brings, and urllib3 (2.6 on) inflates at
                # most the amount asked, so a gzip bomb is stopped at the cap, not in memory
                while chunk := resp.raw.read1(_CHUNK, decode_content=True):
                    yield chunk

            try:
                # the watch ends a late exchange on the pools above; one through a proxy from the
                # environment (HTTPS_PROXY) uses urllib3's own pools, so the body is also read
                # against the deadline here
                body = read_capped(chunks(), self.bounds, deadline)
            except AnswerRefused:
                resp.close()
                raise
            except urllib3.exceptions.ReadTimeoutError as exc:
                resp.close()
                raise requests.exceptions.ConnectionError(exc, request=request) from exc
            except urllib3.exceptions.ProtocolError as exc:
                resp.close()
                raise requests.exceptions.ChunkedEncodingError(exc) from exc
            except urllib3.exceptions.DecodeError as exc:
                resp.close()
                raise requests.exceptions.ContentDecodingError(exc) from exc
            # what requests' Response.content sets once it has read the body
            resp._content, resp._content_consumed = body, True
            resp.raw.release_conn()
            check_depth(body, resp.headers.get("content-type", ""), self.bounds.max_depth)
            return resp

    return BoundedAdapter


def mount(session: requests.Session, bounds: Bounds, **adapter_kwargs: Any) -> requests.Session:
    """`session` with every http(s) answer read within `bounds`; adapter_kwargs go to HTTPAdapter."""
    adapter = _adapter_class()(bounds, **adapter_kwargs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def bound_pygithub(gh: Any, bounds: Bounds) -> Any:
    """`gh` (a github.Github) with every answer read within `bounds`.

    PyGithub builds its requests session inside its connection class and takes no session
    or adapter; the requester's connection class is swapped for one that mounts ours, with
    the same retry object and pool size.
    """
    requester = gh.requester
    base = requester._Requester__connectionClass  # noqa: SLF001 - set per requester in its __init__

    class Bounded(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.adapter = _adapter_class()(
                bounds, max_retries=self.retry, pool_connections=self.pool_size, pool_maxsize=self.pool_size
            )
            self.session.mount(f"{self.protocol}://", self.adapter)

    requester._Requester__connectionClass = Bounded
    return gh
