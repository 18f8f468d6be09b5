"""Typed errors, one vocabulary from the connectors to the CLI. None ever carries a credential.

    Exception
    ├── LinkRefused (ValueError)   an input curate cannot ingest (a channel, ftp://…); nothing fetched
    └── FetchError                 fetching one ref, or reading one feed, failed; its neighbours are unaffected
        ├── NotFound               the source says it does not exist, or withholds it (404, 410, 451, private)
        ├── BadPayload             it answered in a shape we do not understand (malformed JSON, an HTML page)
        ├── Refused                fetching it would be unsafe (a private address, a redirect to file:)
        ├── Unauthorized           the source refused our credential, or wants one (401, a bad API key)
        ├── Unavailable        ↻   5xx, timeout, connection refused, an answer cut off
        ├── RateLimited        ↻   asked to slow down for longer than we wait (`retry_after`, seconds)
        └── Deferred           ↻   not attempted in this run (a spent quota); `until` when it may be

↻ marks `retryable`: trying again later may work, so the scheduled run keeps the link and
tries again in its next runs (a Deferred one without counting it as a failed attempt).
Every other FetchError is final for this link: the scheduled run drops it from its feed's
backlog at once. Decisions are taken on the type and `retryable`, never on the text;
`label` is only the word the run summary counts them under.

Each connector maps its client library's exceptions onto these in one `_classify`
function; the sources that read plain HTTP share `from_status` for the status codes.
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
    """Fetching one ref (or one feed, named by its URL) failed; the neighbours in its batch are unaffected."""

    retryable = False
    label = "failed"

    def __init__(self, ref: SourceRef | str, reason: str) -> None:
        self.ref: SourceRef | None = ref if isinstance(ref, SourceRef) else None
        self.url: str = ref.url if isinstance(ref, SourceRef) else ref
        super().__init__(f"{self.url}: {reason}")
        self.reason = reason


class NotFound(FetchError):
    """The source says it does not exist (or it is private, or withheld)."""

    label = "not found"


class BadPayload(FetchError):
    """The source answered in a shape we do not understand (malformed XML/JSON, an HTML error page)."""

    label = "bad answer"


class Refused(FetchError):
    """Fetching it would be unsafe (a private address, a redirect to a file: URL); not retried."""

    label = "refused"


class Unauthorized(FetchError):
    """The source refused the credential curate sent, or wants one it was not given; fix the setting."""

    label = "unauthorized"


class Unavailable(FetchError):
    """5xx, timeout, connection refused, an answer cut off: trying again later may work."""

    retryable = True
    label = "unavailable"


class RateLimited(FetchError):
    """The source asked us to slow down for longer than we are willing to wait."""

    retryable = True
    label = "rate limited"

    def __init__(self, ref: SourceRef | str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(ref, reason)
        self.retry_after = retry_after


class Deferred(FetchError):
    """Not attempted in this run (a spent quota); the next run picks it up."""

    retryable = True
    label = "deferred"

    def __init__(self, ref: SourceRef | str, reason: str, until: datetime | None = None) -> None:
        super().__init__(ref, reason)
        self.until = until


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header in seconds (RFC 9110 §10.2.3); None for a date or anything else."""
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def from_status(ref: SourceRef | str, status: int, site: str, retry_after: str | None = None) -> FetchError:
    """The error for an HTTP error status from a source read over plain HTTP (web pages, feeds,
    Hugging Face). `site` names who answered in the reason (`the site`, `Hugging Face`).

    401 and 403 are Unavailable, not final: on the open web they are mostly a bot wall or a
    passing block rather than a verdict on the page. A source with credentials maps them
    itself (Unauthorized). 429 carries `Retry-After` in seconds when the server gave them.
    """
    if status in (404, 410):
        return NotFound(ref, f"not found (HTTP {status})")
    if status == 451:
        return NotFound(ref, f"{site} withholds it for legal reasons (HTTP 451)")
    if status in (401, 403):
        return Unavailable(ref, f"{site} refused us (HTTP {status}); it may let us in on a later run")
    if status == 429:
        wait = retry_after_seconds(retry_after)
        after = f"; retry after {wait:g} s" if wait is not None else ""
        return RateLimited(ref, f"{site} asked us to slow down (HTTP 429){after}", retry_after=wait)
    if status == 408 or status >= 500:
        return Unavailable(ref, f"{site} answered HTTP {status}; try again later")
    return BadPayload(ref, f"{site} answered HTTP {status}")


class IncompleteAnswer(ValueError):
    """A payload that lacks what makes its record whole (a video without a title, a repo node
    without its name): a normalizer raises it instead of building a poorer record, and the
    connector reports it as that link's BadPayload, so the record stored earlier stays."""
