"""The HTTP identity and client settings every connector shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

VERSION = "0.1.0"
USER_AGENT = f"curate/{VERSION} (newsletter link metadata; +https://pypi.org/project/curate/)"


def client(timeout: float = 20.0, **kwargs: Any) -> "httpx.Client":
    """An httpx client with our User-Agent and a timeout; httpx is imported only when needed."""
    import httpx

    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    return httpx.Client(timeout=timeout, headers=headers, **kwargs)
