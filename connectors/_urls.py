"""Small URL helpers shared by the connectors' `owns` functions (stdlib only, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Link:
    """An http(s) URL taken apart: `host` lower-cased, without a leading `www.`/`m.`."""

    url: str
    scheme: str
    host: str
    segments: tuple[str, ...]
    query: dict[str, list[str]]
    fragment: str

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@lru_cache(maxsize=4096)
def split(url: str) -> Link | None:
    """`url` taken apart, or None when it is not an http(s) URL with a host.

    Cached: each source's `owns` asks about the same link in turn (a Link is never changed)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:  # e.g. an invalid IPv6 literal or port
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    segments = tuple(s for s in parts.path.split("/") if s)
    return Link(
        url=url,
        scheme=parts.scheme.lower(),
        host=host,
        segments=segments,
        query=parse_qs(parts.query, keep_blank_values=True),
        fragment=parts.fragment,
    )
