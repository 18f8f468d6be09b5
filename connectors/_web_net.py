"""The web connector's HTTP client: our User-Agent, no automatic redirects, an address guard
and a deadline on the whole exchange.

The guard sits where httpcore opens a TCP connection: it resolves the host once, refuses
loopback, private, link-local, multicast and reserved addresses, and dials the address it
checked, so a second DNS answer can never slip a private address past it (DNS rebinding).
The deadline sits in the same socket layer: see `_DeadlineStream`.
Imported only when the web connector fetches: it imports httpx and httpcore at the top.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import httpcore
import httpx

from connectors.http import USER_AGENT

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
"""`(host, port) -> addresses`, as getaddrinfo would answer; tests pass their own (a fake DNS)."""


class AddressRefused(Exception):
    """A hop's host resolves to an address the connector must not reach."""

    def __init__(self, host: str, address: str, why: str) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(f"{shown} is a {why} address")
        self.host, self.address, self.why = host, address, why


DNS_TIMEOUT = 20.0
"""Seconds a lookup may take when the request sets no timeout of its own."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system gives for `host`, in its order, each once.

    getaddrinfo takes no timeout: `GuardedBackend` runs every resolver in a thread it
    stops waiting for (`_resolve`).
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def _resolve(resolver: Resolver, host: str, port: int, timeout: float) -> list[str]:
    """`resolver(host, port)`, given up after `timeout` seconds (httpcore.ConnectTimeout).

    A lookup cannot be interrupted, so it runs in a daemon thread that is left to finish
    on its own; the worker that asked is free at once and the process can still exit.
    """
    answer: dict[str, Any] = {}

    def lookup() -> None:
        try:
            answer["addresses"] = resolver(host, port)
        except BaseException as exc:  # noqa: BLE001 - handed back to the waiting thread
            answer["error"] = exc

    thread = threading.Thread(target=lookup, name=f"dns-{host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout:g} s")
    if "error" in answer:
        raise answer["error"]
    return answer["addresses"]


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the low 32 bits are an IPv4 address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches through a gateway (6to4, Teredo,
    NAT64) or stands for (IPv4-mapped), or None."""
    if ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002:7f00:1:: is routed by a 6to4 relay to 127.0.0.1
        return ip.sixtofour
    if ip.teredo is not None:  # (server, client): the client is the address reached
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(address: str) -> str | None:
    """Why `address` may not be fetched (`loopback`, `private`, …), or None for a public address.

    An IPv6 address that carries an IPv4 one is judged by that IPv4 address too: a 6to4 or
    NAT64 form of 10.0.0.1 reaches 10.0.0.1.
    """
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = refusal(str(inner))
            # a NAT64 address is the IPv4 host it translates to (an IPv6-only network's DNS64
            # gives these for every IPv4-only site), though the prefix sits in IPv6's reserved range
            if why is not None or ip in _NAT64 or ip.ipv4_mapped is not None:
                return why
    for why, hit in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if hit:
            return why
    if not ip.is_global:  # shared address space (100.64.0.0/10) and the like
        return "non-public"
    return None


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


_local = threading.local()


def _time_left(timeout: float | None, late: type[Exception]) -> float | None:
    """`timeout` cut to what is left of this thread's request deadline; `late` raised once it is past."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the request ran past its deadline")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait ends at the running request's deadline.

    httpcore gives each socket operation the timeout afresh, so a server sending a byte
    a second keeps a request alive for ever; here each read, write and TLS handshake gets
    only what is left of the whole exchange (`_GuardedTransport.handle_request` sets it).
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self.inner.start_tls(ssl_context, server_hostname, _time_left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket layer, every connection bounded by the request's deadline (no address check)."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self.inner.connect_tcp(
            host, port, _time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket layer with the address check in front of every new connection, and
    every connection bounded by the request's deadline.

    With `allow_private` the check is skipped (tests, an intranet install); the host is
    still resolved here, so that a lookup is bounded too. `inner` does the real dialling
    (tests pass a fake network).
    """

    def __init__(self, resolver: Resolver, inner: httpcore.NetworkBackend, allow_private: bool) -> None:
        self.resolver, self.inner, self.allow_private = resolver, inner, allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            wait = _time_left(timeout, httpcore.ConnectTimeout)
            try:
                addresses = _resolve(self.resolver, host, port, DNS_TIMEOUT if wait is None else wait)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from exc
            if not addresses:
                raise httpcore.ConnectError(f"cannot resolve {host}")
        # every answer is checked, not just the first: a name that resolves to a public and
        # a private address at once is a rebinding trick, not a web site
        for address in addresses if not self.allow_private else ():
            why = refusal(address)
            if why is not None:
                raise AddressRefused(host, address, why)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(
                    address, port, _time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
            else:
                return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not web pages")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


@cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (certifi's CA bundle, as httpx verifies by default), shared by
    every transport: loading the bundle takes 13 ms here, and each transport needed two."""
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on the guarded backend; a request's whole exchange ends at its deadline."""

    def __init__(self, backend: httpcore.NetworkBackend, max_connections: int) -> None:
        super().__init__(verify=tls_context(), trust_env=False)
        # httpx 0.28 takes no network backend (encode/httpx#3749 proposes one), so the pool it
        # built is swapped for one made through httpcore's public constructor. TLS still uses the
        # URL's host for SNI and certificate checks; only the TCP dial goes to the checked address.
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # the request's timeout bounds its whole exchange: lookup, connect, TLS, headers and the
        # body, read later from this same thread (httpx's sync client reads where it sends).
        # It holds until this thread's next request sets its own.
        waits = [t for t in (request.extensions.get("timeout") or {}).values() if t is not None]
        _local.deadline = time.monotonic() + max(waits) if waits else None
        return super().handle_request(request)


def deadline_transport(max_connections: int = 20) -> httpx.HTTPTransport:
    """An httpx transport (no address check) whose every request's whole exchange ends at its timeout."""
    return _GuardedTransport(DeadlineBackend(), max_connections)


def client(
    timeout: float,
    *,
    allow_private: bool,
    resolver: Resolver | None = None,
    network: httpcore.NetworkBackend | None = None,
    max_connections: int = 20,
) -> httpx.Client:
    """An httpx client that follows no redirect by itself and dials only checked addresses.

    `timeout` (or a request's own) bounds the whole of each request, body included: a server
    that trickles its answer is cut off then with an httpx.TimeoutException. Proxies from
    the environment are not used: a proxy would connect on our behalf and the address check
    would then only see the proxy.
    """
    backend = GuardedBackend(resolver or system_resolver, network or httpcore.SyncBackend(), allow_private)
    return httpx.Client(
        transport=_GuardedTransport(backend, max_connections),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.5,*/*;q=0.1",
        },
    )
