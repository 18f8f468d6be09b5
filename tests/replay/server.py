"""A loopback replay server that stands in for every API curate talks to.

One ThreadingHTTPServer on 127.0.0.1:<free port>. Routes live in `routes_<source>.py`
modules beside this file (each registers handlers with `@route`); they answer from
fixture files in the real wire formats. The server logs every request so tests can
count them, and serves injected faults (status sequences, Retry-After, slow or cut-off
bodies, answers held until the test lets them go) before the normal routes.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_url: str

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def values(self, name: str) -> list[str]:
        """All values of a parameter, accepting both `id=a,b` and `id=a&id=b`."""
        out: list[str] = []
        for v in self.query.get(name, []):
            out += [p for p in v.split(",") if p]
        return out

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"
    delay: float = 0.0
    """Seconds to wait before answering (a slow server)."""
    truncate: int | None = None
    """Send only this many bytes of the body, then close (a cut-off answer)."""
    endless: bool = False
    """Stream the body again and again without end (tests a size cap)."""
    trickle: float = 0.0
    """Send the whole answer, status line and headers included, one byte every this many
    seconds (a server that holds its client); `truncate` then counts bytes of the whole answer."""
    arrived: threading.Event | None = None
    """Set the moment the request this answers comes in, so a test waits on the request, not a clock."""
    hold: threading.Event | None = None
    """Answer only once the test sets this event (a request left in flight); 120 s at most, so a
    broken test cannot hang the suite."""

    @classmethod
    def json(cls, data: Any, status: int = 200, **kw: Any) -> Response:
        return cls(status=status, body=json.dumps(data).encode(), **kw)


class ReplayHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that stays quiet when a client hangs up."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client hanging up (a size cap, a timeout, a closed keep-alive) is routine here
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            super().handle_error(request, client_address)


Handler = Callable[[Request, "Replay"], Response]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for `method` and a path regex (matched in full)."""

    def register(fn: Handler) -> Handler:
        _ROUTES.append((method.upper(), re.compile(pattern), fn))
        return fn

    return register


def fixture_path(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.exists():
        raise FileNotFoundError(
            f"missing fixture tests/fixtures/{relative}: write it in the API's real wire format "
            f"(each routes_<source>.py module says which files it reads and in what format)"
        )
    USED_FIXTURES.add(path)
    return path


def fixture_bytes(relative: str) -> bytes:
    return fixture_path(relative).read_bytes()


USED_FIXTURES: set[Path] = set()


def _load_routes() -> None:
    import tests.replay as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("routes_"):
            importlib.import_module(f"tests.replay.{mod.name}")


class Replay:
    """The running server: its base URL, its request log and its fault queue."""

    def __init__(self, latency: float = 0.0) -> None:
        _load_routes()
        self.latency = latency
        self.requests: list[Request] = []
        self.state: dict[str, Any] = {}
        """Per-test state a route may keep (reset with the log)."""
        self._faults: list[tuple[str, re.Pattern[str], list[Response]]] = []
        self._lock = threading.Lock()
        self._server = ReplayHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Replay:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self.state.clear()

    def count(self, path: str = "", method: str | None = None) -> int:
        """Requests whose path starts with `path` (regex allowed), optionally of one method."""
        pattern = re.compile(path)
        return sum(
            1 for r in list(self.requests) if pattern.match(r.path) and (method is None or r.method == method.upper())
        )

    def fault(self, path: str, *responses: Response, method: str | None = None) -> None:
        """Answer the next requests to `path` (a regex matched at the start) with `responses`, in order."""
        with self._lock:
            self._faults.append((method.upper() if method else "", re.compile(path), list(responses)))

    def _take_fault(self, req: Request) -> Response | None:
        with self._lock:
            for method, pattern, queue in self._faults:
                if queue and (not method or method == req.method) and pattern.match(req.path):
                    return queue.pop(0)
        return None

    def dispatch(self, req: Request) -> Response:
        fault = self._take_fault(req)
        if fault is not None:
            return fault
        for method, pattern, handler in _ROUTES:
            if method == req.method and pattern.fullmatch(req.path):
                return handler(req, self)
        return Response.json({"message": "Not Found", "path": req.path}, status=404)

    def _before_answering(self, resp: Response) -> None:
        """Tell a waiting test the request came, then hold or delay the answer as `resp` asks."""
        if resp.arrived is not None:
            resp.arrived.set()
        if resp.hold is not None:
            resp.hold.wait(120)
        delay = self.latency + resp.delay
        if delay:
            time.sleep(delay)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # else each keep-alive response stalls ~40 ms (Nagle's algorithm meets delayed ACKs)
            )

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    raw_url=self.path,
                )
                with replay._lock:
                    replay.requests.append(req)
                try:
                    resp = replay.dispatch(req)
                except Exception as exc:  # a broken route shows up as a 599 the test will see
                    resp = Response(status=599, body=f"replay route failed: {exc!r}", content_type="text/plain")
                replay._before_answering(resp)
                try:
                    self._write(resp)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up (a size cap, a timeout, a killed run)

            def _write(self, resp: Response) -> None:
                body = resp.body.encode() if isinstance(resp.body, str) else resp.body
                if resp.trickle:
                    self._trickle(resp, body)
                    return
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.content_type)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                if resp.endless:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = body or b"x" * 65536
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        self.wfile.write(chunk)
                    return
                if resp.truncate is not None:
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body[: resp.truncate])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _trickle(self, resp: Response, body: bytes) -> None:
                head = [
                    f"HTTP/1.1 {resp.status} {self.responses.get(resp.status, ('',))[0]}",
                    f"Content-Type: {resp.content_type}",
                    *(f"{k}: {v}" for k, v in resp.headers.items()),
                    f"Content-Length: {len(body)}",
                    "Connection: close",
                ]
                raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
                self.close_connection = True
                for i in range(len(raw) if resp.truncate is None else min(resp.truncate, len(raw))):
                    self.wfile.write(raw[i : i + 1])
                    self.wfile.flush()
                    time.sleep(resp.trickle)

            do_GET = do_POST = do_HEAD = _serve

        return _Handler


def source_env(replay: Replay) -> dict[str, str]:
    """Each source's settings as a replayed run needs them, read from what the sources declare:
    every endpoint (a setting typed `HttpUrl`) at the replay server with its default's path
    (`https://export.arxiv.org/api/query` → `<replay>/api/query`), and each `Offline` value."""
    from connectors.registry import Endpoint, Offline, default

    env: dict[str, str] = {}
    for model in default().settings_models():
        for name, info in model.model_fields.items():
            for marker in info.metadata:
                if isinstance(marker, Endpoint):
                    env[f"CURATE_{name.upper()}"] = replay.url + urlsplit(str(info.default)).path.rstrip("/")
                elif isinstance(marker, Offline):
                    env[f"CURATE_{name.upper()}"] = marker.value
    return env


def replay_env(replay: Replay, folder: Path) -> dict[str, str]:
    """CURATE_* variables that point every source at the replay server and keep every file in `folder`."""
    return {
        "CURATE_DB": str(folder / "curate.db"),
        **source_env(replay),
        "CURATE_ALLOW_PRIVATE_HOSTS": "true",
        "CURATE_DRAFTS_DIR": str(folder / "drafts"),
        "CURATE_SOURCES": str(folder / "sources.toml"),
        "CURATE_HTTP_TIMEOUT": "5",
    }
