"""Web articles (the Reads section): any http(s) page no other connector owns.

Owns every http(s) URL, so it is asked last. Never touches the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connectors._urls import split
from connectors.base import Fetched
from connectors.errors import Unavailable
from schemas import Kind, SourceRef

log = logging.getLogger(__name__)

_TRACKING = {"fbclid", "gclid", "ref", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"}


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped.

    Idempotent: `canonical_url(canonical_url(u)) == canonical_url(u)`.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def article_ref(url: str) -> SourceRef:
    canonical = canonical_url(url)
    return SourceRef(kind=Kind.article, key=f"web:{canonical}", url=canonical, connector=WebConnector.name)


def _owns(url: str) -> SourceRef | None:
    if split(url) is None:
        return None
    return article_ref(url)


class WebConnector:
    name: ClassVar[str] = "web"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.article,)

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Any) -> "WebConnector":
        return cls(settings)

    owns = staticmethod(_owns)

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        for ref in refs:
            yield Fetched(ref, error=Unavailable(ref, "the web connector is not built yet (issue #6)"))

    def notes(self) -> list[str]:
        return []
