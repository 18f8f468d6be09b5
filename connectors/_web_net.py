"""The web connector's HTTP client: our User-Agent, no automatic redirects, and an address guard.

The guard sits where httpcore opens a TCP connection: it resolves the host once, refuses
loopback, private, link-local, multicast and reserved addresses, and dials the address it
checked, so a second DNS answer can never slip a private address past it (DNS rebinding).
Imported only when the web connector fetches: it imports httpx and httpcore at the top.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
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


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system gives for `host`, in its order, each once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def refusal(address: str) -> str | None:
    """Why `address` may not be fetched (`loopback`, `private`, …), or None for a public address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
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


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket layer with the address check in front of every new connection.

    With `allow_private` the check is skipped and the host is dialled as given (tests,
    an intranet install). `inner` does the real dialling (tests pass a fake network).
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
        if self.allow_private:
            return self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = self.resolver(host, port)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from exc
            if not addresses:
                raise httpcore.ConnectError(f"cannot resolve {host}")
        # every answer is checked, not just the first: a name that resolves to a public and
        # a private address at once is a rebinding trick, not a web site
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise AddressRefused(host, address, why)
        last: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not web pages")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: httpcore.NetworkBackend, max_connections: int) -> None:
        super().__init__(trust_env=False)
        # httpx 0.28 takes no network backend (encode/httpx#3749 proposes one), so the pool it
        # built is swapped for one made through httpcore's public constructor. TLS still uses the
        # URL's host for SNI and certificate checks; only the TCP dial goes to the checked address.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def client(
    timeout: float,
    *,
    allow_private: bool,
    resolver: Resolver | None = None,
    network: httpcore.NetworkBackend | None = None,
    max_connections: int = 20,
) -> httpx.Client:
    """An httpx client that follows no redirect by itself and dials only checked addresses.

    Proxies from the environment are not used: a proxy would connect on our behalf and the
    address check would then only see the proxy.
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
