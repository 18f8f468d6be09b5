"""GitHub repositories through PyGithub: GraphQL batches with a token, REST without.

Owns github.com/<owner>/<name> in all its forms; refuses an owner alone. Reads the
rate-limit headers of every answer: a short wait is sat out, a spent hourly limit
postpones the remaining refs (`Deferred`) to the next run. Never touches the database.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field

from connectors import http
from connectors._github_payload import alias_errors, arxiv_ids_in, graphql_query, repo_from_graphql, repo_from_rest
from connectors._urls import split
from connectors.base import Fetched
from connectors.errors import (
    BadPayload,
    Deferred,
    FetchError,
    IncompleteAnswer,
    LinkRefused,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from connectors.http import USER_AGENT, Bounds
from connectors.registry import BareId, Credential, Details, HttpUrl, KindRules, Link, Part, Source, Text, stars
from schemas import ExportItem, Kind, SectionKey, SourceRef

if TYPE_CHECKING:
    import github
    from pydantic import SecretStr

__all__ = ["GitHubConnector", "arxiv_ids_in", "repo_from_graphql", "repo_from_rest", "repo_ref"]

log = logging.getLogger(__name__)

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# first path segments that are GitHub's own pages, not owners
_RESERVED = {
    "about",
    "apps",
    "collections",
    "contact",
    "customer-stories",
    "enterprise",
    "events",
    "explore",
    "features",
    "login",
    "join",
    "marketplace",
    "new",
    "notifications",
    "orgs",
    "organizations",
    "pricing",
    "pulls",
    "issues",
    "search",
    "security",
    "settings",
    "sponsors",
    "site",
    "team",
    "topics",
    "trending",
    "codespaces",
    "readme",
    "users",
}
ANONYMOUS_LIMIT = 60
"""REST requests an hour without a token (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api)."""


def repo_ref(owner: str, name: str) -> SourceRef:
    return SourceRef(
        kind=Kind.repo,
        key=f"github:{owner.lower()}/{name.lower()}",
        url=f"https://github.com/{owner}/{name}",
        connector=GitHubConnector.name,
    )


# hosts whose path starts with <owner>/<repo>: raw files, archives, the REST API (after /repos)
_REPO_HOSTS = {"github.com", "raw.githubusercontent.com", "codeload.github.com", "api.github.com"}
_GIST_HOSTS = {"gist.github.com", "gist.githubusercontent.com"}


def _owns(url: str) -> SourceRef | None:
    """The ref for a repository link in any form (blob, tree, raw, issues, releases, `.git`, raw and
    archive hosts, the REST API); LinkRefused for an owner, an organization or a gist, which are not
    repositories; None for GitHub's own pages and other hosts.

    A trailing dot on a segment is taken for the end of the sentence the link was pasted from.
    """
    link = split(url)
    if link is None:
        return None
    if link.host in _GIST_HOSTS:
        raise LinkRefused(
            url, "a GitHub gist, not a repository: curate ingests repositories (github.com/<owner>/<repo>)"
        )
    if link.host not in _REPO_HOSTS:
        return None
    written = link.segments
    if link.host == "api.github.com":
        if written[:1] != ("repos",):
            return None
        written = written[1:]
    seg = tuple(s.rstrip(".") for s in written)
    if link.host == "github.com" and len(seg) >= 2 and seg[0].lower() in ("orgs", "users"):
        what = "an organization" if seg[0].lower() == "orgs" else "a user"
        raise LinkRefused(url, f"{what} on GitHub ({seg[1]}), not a repository: link to github.com/{seg[1]}/<repo>")
    if not seg or not seg[0] or seg[0].lower() in _RESERVED:
        return None
    if len(seg) == 1:
        raise LinkRefused(url, f"a GitHub owner ({seg[0]}), not a repository: link to github.com/{seg[0]}/<repo>")
    owner, name = seg[0], seg[1].removesuffix(".git").rstrip(".")
    if not _OWNER.match(owner) or not _NAME.match(name):
        raise LinkRefused(url, f"{'/'.join(written[:2])} is not a GitHub owner and repository name")
    return repo_ref(owner, name)


# How repositories are pasted from a clone button or a requirements file: git's scp-like form
# `git@github.com:o/n.git`, which is no URL (git-clone(1), "GIT URLS"), and the URLs git and pip
# read: `ssh://`, `git://`, pip's `git+https://…@<ref>#egg=<name>` (pip's "VCS Support" docs).
# giturlparse reads `@<ref>#egg=…` as part of the name and refuses a port, and the name rules
# are the ones above anyway, so: the scp form rewritten to ssh://, the rest read by urlsplit.
_SCP = re.compile(r"^git@(?P<host>[^/:@\s]+):/?(?P<path>[^\s]*)$", re.IGNORECASE)
_CLONE_SCHEMES = {"ssh", "git", "git+https", "git+http", "git+ssh", "git+git"}
_CLONE_HOSTS = {"github.com", "www.github.com", "ssh.github.com"}  # ssh.github.com: GitHub's SSH over port 443
CLONE_PATTERN = (
    r"(?<![\w.+@/-])(?:git@github\.com:/?|(?:ssh|git|git\+(?:https?|ssh|git))://(?:[\w.-]+@)?"
    r"(?:www\.|ssh\.)?github\.com(?::\d+)?/)[A-Za-z0-9-]+/[A-Za-z0-9._-]+"
)
"""A clone link inside free text (a requirements file, notes): up to the repository's name."""


def clone_ref(text: str) -> SourceRef | None:
    """The ref for a GitHub repository given as a clone link (`git@github.com:o/n.git`,
    `ssh://git@github.com/o/n.git`, `git://github.com/o/n`, `git+https://github.com/o/n.git@v1#egg=n`);
    None for anything else (another host's clone link is refused where other links are);
    LinkRefused for a GitHub clone link whose path is not an owner and a repository name.
    """
    scp = _SCP.match(text)
    if scp is not None:
        host, path = scp["host"].lower(), scp["path"]
    else:
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        except ValueError:
            return None
        if parts.scheme.lower() not in _CLONE_SCHEMES:
            return None
        path = parts.path
    if host not in _CLONE_HOSTS:
        return None
    path = path.partition("@")[0]  # pip's `@<ref>`: a branch, tag or commit, not part of the name
    seg = [s.rstrip(".") for s in path.strip("/").split("/")]
    if len(seg) == 2:
        owner, name = seg[0], seg[1].removesuffix(".git").rstrip(".")
        if _OWNER.match(owner) and owner.lower() not in _RESERVED and _NAME.match(name):
            return repo_ref(owner, name)
    raise LinkRefused(text, f"{path.strip('/') or 'an empty path'} is not a GitHub owner and repository name")


def _valid_clone(text: str) -> bool:
    try:
        return clone_ref(text) is not None
    except LinkRefused:
        return False


def _owner_name(ref: SourceRef) -> tuple[str, str]:
    owner, name = ref.url.removeprefix("https://github.com/").split("/", 1)
    return owner, name


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _clock(when: datetime) -> str:
    return (
        when.strftime("%H:%M UTC")
        if abs((when - datetime.now(UTC)).total_seconds()) < 86400
        else when.strftime("%Y-%m-%d %H:%M UTC")
    )


class GitHubConnector:
    name: ClassVar[str] = "github"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.repo,)
    batch_size: ClassVar[int] = 50
    """Repos per GraphQL query: 50 aliases cost 1 point and stay far below GitHub's node limits."""

    def __init__(
        self,
        api_url: str,
        token: SecretStr | None = None,
        timeout: float = 20.0,
        max_wait: float = 60.0,
        retries: int = 3,
        bounds: Bounds | None = None,
    ) -> None:
        self.api_url, self.max_wait, self.retries = api_url.rstrip("/"), max_wait, retries
        self.bounds = bounds or Bounds(deadline=timeout)
        self.timeout = max(1, math.ceil(timeout))  # PyGithub asserts that its timeout is an int
        self._token = token if token is not None and token.get_secret_value() else None
        self.requests = 0
        self._gh: github.Github | None = None
        self._paused_until: datetime | None = None
        self._pause_reason = ""

    @classmethod
    def from_settings(cls, settings: Any) -> GitHubConnector:
        return cls(
            api_url=settings.github_api_url,
            token=settings.github_token,
            timeout=settings.http_timeout,
            max_wait=settings.github_max_wait,
            retries=settings.github_retries,
            bounds=Bounds.from_settings(settings),
        )

    owns = staticmethod(_owns)

    @property
    def anonymous(self) -> bool:
        return self._token is None

    def _client(self) -> github.Github:
        if self._gh is None:
            import github
            from github import Auth, Github

            github.set_log_level(logging.WARNING)  # it logs retries and redirects at INFO to its own stderr handler
            for handler in list(github.logger.handlers):  # ours (root, redacted) is enough
                github.logger.removeHandler(handler)
            self._gh = Github(
                base_url=self.api_url,
                auth=Auth.Token(self._token.get_secret_value()) if self._token else None,
                timeout=self.timeout,
                user_agent=USER_AGENT,
                retry=_retry(self.retries, self.max_wait),
                # GitHub asks for serial requests, which these are; its one-second rule is for
                # requests that create content, and our GraphQL POSTs only read
                seconds_between_requests=None,
                seconds_between_writes=None,
            )
            http.bound_pygithub(self._gh, self.bounds)
        return self._gh

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        if self.anonymous:
            for ref in refs:
                yield from self._fetch_rest(ref)
        else:
            for start in range(0, len(refs), self.batch_size):
                yield from self._fetch_graphql(refs[start : start + self.batch_size])

    # ---- rate limits

    def _paused(self) -> bool:
        return self._paused_until is not None and self._paused_until > datetime.now(UTC)

    def _postponed(self, ref: SourceRef) -> Fetched:
        return Fetched(ref, error=Deferred(ref, self._pause_reason, until=self._paused_until))

    def _pause(self, until: datetime, reason: str) -> None:
        if self._paused_until != until:  # each postponed link is reported on its own line
            log.info("github: %s", reason)
        self._paused_until, self._pause_reason = until, reason

    def _spent_reason(self, until: datetime) -> str:
        limit = f" ({ANONYMOUS_LIMIT} requests an hour without GITHUB_TOKEN)" if self.anonymous else ""
        return f"GitHub rate limit used up{limit}; postponed to the next run after {_clock(until)}"

    def _after_response(self) -> None:
        """Pause before the next request when the last answer said the hourly limit is spent."""
        assert self._gh is not None
        remaining, _limit = self._gh.requester.rate_limiting
        reset = self._gh.requester.rate_limiting_resettime
        if remaining == 0 and reset and _utc(reset) > datetime.now(UTC):
            self._pause(_utc(reset), self._spent_reason(_utc(reset)))

    def _after_error(self, error: FetchError) -> None:
        if isinstance(error, Deferred) and error.until is not None:
            self._pause(error.until, error.reason)
        elif isinstance(error, RateLimited):
            # keep off for the wait asked (a minute when unsaid) rather than press on with the rest
            wait = error.retry_after or 60.0
            until = datetime.fromtimestamp(time.time() + wait, UTC)
            self._pause(
                until,
                f"GitHub asked to slow down (secondary rate limit); postponed to the next run after {_clock(until)}",
            )

    # ---- REST, one request per repo (no token)

    def _fetch_rest(self, ref: SourceRef) -> Iterator[Fetched]:
        if self._paused():
            yield self._postponed(ref)
            return
        gh = self._client()
        owner, name = _owner_name(ref)
        self.requests += 1
        try:
            data = gh.get_repo(f"{owner}/{name}").raw_data  # follows a 301 to /repositories/<id>
            record = repo_from_rest(data)
        except Exception as exc:  # noqa: BLE001 - every failure becomes this ref's value
            error = _classify(exc, ref, self.anonymous)
            self._after_response()
            self._after_error(error)
            yield Fetched(ref, error=error)
            return
        self._after_response()
        yield Fetched(ref, record=record, payload=data)

    # ---- GraphQL, up to 50 repos per request (token)

    def _fetch_graphql(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        if self._paused():
            for ref in refs:
                yield self._postponed(ref)
            return
        gh = self._client()
        query, variables = graphql_query([_owner_name(ref) for ref in refs])
        started = time.monotonic()
        self.requests += 1
        try:
            headers, body = gh.requester.requestJsonAndCheck(
                "POST", gh.requester.graphql_url, input={"query": query, "variables": variables}
            )
        except Exception as exc:  # noqa: BLE001
            self._after_response()
            errors = [_classify(exc, ref, self.anonymous) for ref in refs]
            self._after_error(errors[0])
            for ref, error in zip(refs, errors, strict=True):
                yield Fetched(ref, error=error)
            return
        self._after_response()
        if (
            not isinstance(body, Mapping)
            or not isinstance(body.get("data"), (Mapping, type(None)))
            or ("data" not in body and not body.get("errors"))
        ):
            for ref in refs:
                yield Fetched(ref, error=BadPayload(ref, "GitHub answered the GraphQL query in an unknown shape"))
            return
        rate = (body.get("data") or {}).get("rateLimit") or {}
        if rate:
            log.info(
                "github: %d repos in one GraphQL request in %.2f s (cost %s, %s points left)",
                len(refs),
                time.monotonic() - started,
                rate.get("cost"),
                rate.get("remaining"),
            )
        yield from self._graphql_results(refs, body, headers)

    def _graphql_results(
        self, refs: Sequence[SourceRef], body: Mapping[str, Any], headers: Mapping[str, Any]
    ) -> Iterator[Fetched]:
        data = body.get("data") or {}
        by_alias, general = alias_errors(body)
        limited = [
            e
            for e in general
            if str(e.get("type", "")).startswith("RATE_LIMIT")
            or str(e.get("message", "")).lower().startswith("api rate limit")
        ]
        if limited:
            # a spent GraphQL limit is an HTTP 200 whose only content is this error
            reset = headers.get("x-ratelimit-reset")
            until = _utc(int(float(reset))) if reset else datetime.fromtimestamp(time.time() + 3600, UTC)
            self._pause(until, self._spent_reason(until))
            for ref in refs:
                yield self._postponed(ref)
            return
        for i, ref in enumerate(refs):
            alias = f"r{i}"
            node = data.get(alias)
            error = by_alias.get(alias)
            if node:
                try:
                    record = repo_from_graphql(node)
                except Exception as exc:  # noqa: BLE001 - one odd node is its repo's error, never the batch's
                    yield Fetched(ref, error=_classify(exc, ref))
                    continue
                yield Fetched(ref, record=record, payload=node)
            elif error is None and alias not in data:
                reason = (
                    f"GitHub refused the query: {general[0].get('message', '')}"
                    if general
                    else "GitHub's GraphQL answer lacks this repository"
                )
                yield Fetched(ref, error=BadPayload(ref, reason))
            elif error is None or error.get("type") == "NOT_FOUND":
                yield Fetched(ref, error=NotFound(ref, "not found on GitHub (deleted, renamed away or private)"))
            else:
                yield Fetched(
                    ref, error=FetchError(ref, f"GitHub said {error.get('type', 'error')}: {error.get('message', '')}")
                )

    def notes(self) -> list[str]:
        if not self.anonymous or not self.requests:
            return []
        remaining = self._gh.requester.rate_limiting[0] if self._gh else -1
        left = f", {remaining} left this hour" if remaining >= 0 else ""
        return [
            f"GitHub without a token: {ANONYMOUS_LIMIT} requests an hour, one per repo{left}. "
            "Set GITHUB_TOKEN to a personal access token (no scopes needed) for 5,000 an hour, "
            f"{self.batch_size} repos per request and latest releases"
        ]


def _retry(total: int, max_wait: float) -> github.GithubRetry:
    """PyGithub's retry, with a ceiling on the Retry-After it will sleep.

    GithubRetry caps the wait for a primary limit's reset (`max_rate_limit_wait`) but sleeps
    any Retry-After in full ; a longer one raises here instead, and the
    connector reports it. `raise_on_status=False` hands the last answer back to PyGithub
    once retries are spent, so the error keeps its status instead of a bare RetryError.
    """
    from github import GithubRetry
    from github.GithubException import RateLimitExceededExceedsMaxWait

    class CappedRetry(GithubRetry):
        def increment(
            self,
            method: Any = None,
            url: Any = None,
            response: Any = None,
            error: Any = None,
            _pool: Any = None,
            _stacktrace: Any = None,
        ) -> Any:
            value = response.headers.get("Retry-After") if response is not None else None
            if value:
                wait = _retry_after_wait(value)
                if wait is not None and self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                    raise RateLimitExceededExceedsMaxWait(response.status, None, dict(response.headers), wait=wait)
                if wait:
                    log.info("github: HTTP %d, waiting %.0f s as Retry-After asks", response.status, wait)
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return CappedRetry(total=total, backoff_factor=0.5, raise_on_status=False, max_rate_limit_wait=max_wait)


def _retry_after_wait(value: str) -> float | None:
    """Seconds a `Retry-After` asks for (delta-seconds or an HTTP date, RFC 9110 §10.2.3), as the
    server said it: urllib3's own parser cuts it to 6 h (`retry_after_max`), and a user told
    "21600 s" for 99999 would be told wrong. None when unreadable."""
    from email.utils import parsedate_to_datetime

    from connectors.errors import retry_after_seconds

    seconds = retry_after_seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reset_of(headers: Mapping[str, Any] | None) -> datetime | None:
    value = (headers or {}).get("x-ratelimit-reset")
    try:
        return _utc(int(float(value))) if value else None
    except ValueError:
        return None


def _classify(exc: BaseException, ref: SourceRef, anonymous: bool = False) -> FetchError:  # noqa: C901 - a branch per failure the clients raise
    """Map a PyGithub/requests exception onto our error vocabulary."""
    import requests
    import urllib3
    from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait, RateLimitExceededException

    bounded = http.fetch_error(exc, ref, "GitHub")
    if bounded is not None:
        return bounded
    if isinstance(exc, IncompleteAnswer):
        return BadPayload(ref, str(exc))
    if isinstance(exc, GithubException):
        headers = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
        data = exc.data if isinstance(exc.data, Mapping) else {}
        message = str(data.get("message") or "")
        primary = headers.get("x-ratelimit-remaining") == "0" or message.lower().startswith("api rate limit")
        if primary and (exc.status in (403, 429) or isinstance(exc, RateLimitExceededException)):
            until = _reset_of(headers) or datetime.fromtimestamp(time.time() + 3600, UTC)
            limit = f" ({ANONYMOUS_LIMIT} requests an hour without GITHUB_TOKEN)" if anonymous else ""
            return Deferred(
                ref, f"GitHub rate limit used up{limit}; postponed to the next run after {_clock(until)}", until=until
            )
        if isinstance(exc, RateLimitExceededException) or exc.status == 429:
            wait = exc.wait if isinstance(exc, RateLimitExceededExceedsMaxWait) else None
            waited = f"{wait:.0f} s, more than CURATE_GITHUB_MAX_WAIT" if wait else "a while"
            return RateLimited(
                ref, f"GitHub asked to slow down for {waited} (secondary rate limit); try again later", retry_after=wait
            )
        if exc.status == 404:
            return NotFound(ref, "not found on GitHub (deleted, renamed away or private)")
        if exc.status == 451:
            return NotFound(ref, "blocked on GitHub for legal reasons (HTTP 451)")
        if exc.status == 401:
            return Unauthorized(
                ref, "GitHub refused GITHUB_TOKEN (401 Bad credentials): renew it, or unset it to go without"
            )
        if exc.status >= 500:
            return Unavailable(ref, f"GitHub answered HTTP {exc.status}; try again later")
        if exc.status == 403:  # e.g. "Resource not accessible by integration": the token lacks a permission
            return Unauthorized(ref, f"GitHub refused the request (HTTP 403{': ' + message if message else ''})")
        return BadPayload(ref, f"GitHub refused the request (HTTP {exc.status}{': ' + message if message else ''})")
    # once urllib3's retries are spent, a read timeout arrives as a ConnectionError around it
    cause = getattr(exc.args[0], "reason", None) if isinstance(exc, requests.ConnectionError) and exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        return Unavailable(ref, "GitHub did not answer in time")
    if isinstance(exc, requests.ConnectionError):
        return Unavailable(ref, "could not connect to GitHub")
    if isinstance(exc, requests.RequestException):
        return Unavailable(ref, f"the connection to GitHub failed ({type(exc).__name__})")
    if isinstance(exc, ValueError):  # a JSON body cut short, or a record that does not validate
        return BadPayload(ref, f"GitHub answered in a shape we do not know ({type(exc).__name__})")
    if isinstance(exc, KeyError):  # e.g. an HTML page, which PyGithub wraps as {"data": "<html>…"}
        return BadPayload(ref, f"GitHub answered in a shape we do not know (no {exc} field)")
    if isinstance(exc, TypeError):
        return BadPayload(ref, f"GitHub answered in a shape we do not know ({exc})")
    if isinstance(exc, (RuntimeError, AssertionError)):  # PyGithub's check on a redirect to another host
        return BadPayload(ref, "GitHub redirected to another host or protocol; check CURATE_GITHUB_API_URL")
    return FetchError(ref, f"{type(exc).__name__}: {exc}")


# ---- what the registry knows of GitHub


class GitHubSettings(BaseModel):
    github_api_url: HttpUrl = "https://api.github.com"
    """GitHub REST root (GraphQL at `<root>/graphql`)."""
    github_max_wait: float = Field(default=60.0, ge=0)
    """Longest GitHub rate-limit wait sat out in a run; GitHub asks for a minute after a secondary limit."""
    github_retries: int = Field(default=3, ge=0)
    """Retries of a GitHub request that failed with a 5xx or a dropped connection."""
    github_token: Credential = Field(default=None, validation_alias=AliasChoices("GITHUB_TOKEN", "CURATE_GITHUB_TOKEN"))
    """A GitHub token: GraphQL batches of 50 repos and 5,000 requests an hour instead of 60."""


def _feed_link(entry: Mapping[str, Any], href: str | None) -> str | None:
    """A release entry of a repository's releases.atom is about the repository."""
    link = split(href or "")
    if link is not None and link.host == "github.com" and len(link.segments) >= 3 and link.segments[2] == "releases":
        return f"https://github.com/{link.segments[0]}/{link.segments[1]}"
    return None


def _repo_details(item: ExportItem) -> Details:
    """`GitHub ★ 812 (+40)`, then the language."""
    lead: list[Part] = [Link("GitHub", item.url)]
    figures = stars(item.metrics)
    if figures:
        lead.append(Text(figures))
    language = item.details.get("language")
    return Details(lead=[tuple(lead)], facts=[Text(language)] if language else [])


def _repo_score(item: ExportItem) -> tuple[float, ...]:
    """Stars gained since the last issue, then stars."""
    return (float(item.metrics.get("stars_gained", 0)), float(item.metrics.get("stars", 0)))


SOURCE = Source(
    name="github",
    connector=GitHubConnector,
    owns=_owns,
    hosts=("github.com", "raw.githubusercontent.com", "gist.github.com"),
    bare_id=BareId(parse=clone_ref, pattern=CLONE_PATTERN, valid=_valid_clone),
    kinds={Kind.repo: KindRules(section=SectionKey.tools, details=_repo_details, score=_repo_score, refreshed=True)},
    settings=GitHubSettings,
    feed_link=_feed_link,
)
