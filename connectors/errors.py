"""Typed fetch errors. Each carries the ref it is about; none ever carries a credential.

A connector maps its client library's exceptions onto these in one `_classify`
function, so the pipeline and the CLI only ever see this small vocabulary.
"""

from __future__ import annotations

from datetime import datetime

from schemas import SourceRef


class LinkRefused(ValueError):
    """An input that names something curate cannot ingest (a channel, a GitHub owner, ftp://…)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text}: {reason}")
        self.text, self.reason = text, reason


class FetchError(Exception):
    """Fetching one ref failed; the neighbours in its batch are unaffected."""

    retryable = False
    label = "failed"

    def __init__(self, ref: SourceRef, reason: str) -> None:
        super().__init__(f"{ref.url}: {reason}")
        self.ref, self.reason = ref, reason


class NotFound(FetchError):
    """The source says it does not exist (or it is private)."""

    label = "not found"


class BadPayload(FetchError):
    """The source answered in a shape we do not understand (malformed XML/JSON, an HTML error page)."""

    label = "bad answer"


class Refused(FetchError):
    """Fetching it would be unsafe (a private address, a redirect to a file: URL); not retried."""

    label = "refused"


class Unavailable(FetchError):
    """5xx, timeout, connection refused: trying again later may work."""

    retryable = True
    label = "unavailable"


class RateLimited(FetchError):
    """The source asked us to slow down for longer than we are willing to wait."""

    retryable = True
    label = "rate limited"

    def __init__(self, ref: SourceRef, reason: str, retry_after: float | None = None) -> None:
        super().__init__(ref, reason)
        self.retry_after = retry_after


class Deferred(FetchError):
    """Not attempted in this run (a spent quota); the next run picks it up."""

    retryable = True
    label = "deferred"

    def __init__(self, ref: SourceRef, reason: str, until: datetime | None = None) -> None:
        super().__init__(ref, reason)
        self.until = until
