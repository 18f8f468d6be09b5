"""Run the editor's page under uvicorn: bind, say where, optionally open a browser, serve until Ctrl+C."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

from pipeline.config import Settings


class ServeError(Exception):
    """The page cannot be served as asked (address in use, token missing); one line says why."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or ServeError naming the problem."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: not an address this machine has ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is in use: stop the other server or pick --port") from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run_server(settings: Settings, host: str, port: int, open_browser: bool, say: Callable[[str], None]) -> None:
    import uvicorn

    from pipeline.desk.actions import DeskError
    from pipeline.desk.app import create_app
    from pipeline.store import StoreError

    token = settings.serve_token.get_secret_value() if settings.serve_token else None
    try:
        app = create_app(settings, host=host, token=token)
    except (DeskError, StoreError) as exc:
        raise ServeError(str(exc)) from None
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{bound}/"
    say(f"curate serve: {url} (Ctrl+C stops)" + (" · sign in with CURATE_SERVE_TOKEN" if token else ""))
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
