"""Hugging Face Papers: what the community adds to an arXiv paper, and the daily papers list.

Adds to every arXiv paper in the run that fetches it (`curate ingest`, `curate run` and
its refresh of old figures): `GET {CURATE_HF_API_URL}/api/papers/{id}` gives its upvotes,
the GitHub repository people linked (`githubRepo`), a project page and AI keywords. The
repository is ingested through the GitHub connector in the same run, so the draft shows
its stars. A paper nobody has put on the Hub answers 404: normal, nothing added. Requests
are paced under the Hub's published limit for its API (https://huggingface.co/docs/hub/rate-limits):
500 requests per 5-minute window without a token, 1,000 with `HF_TOKEN` (a free account).

Reads the daily papers list (`{CURATE_HF_API_URL}/api/daily_papers`, told apart by its URL)
as a `[[feeds]]` entry: each entry is the paper's arXiv abs page, ingested through the
arXiv connector, with its upvotes for the table's `min_upvotes`. Never touches the database.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from pydantic import AliasChoices, BaseModel, Field

from connectors import http
from connectors.arxiv import canonical_id, code_links, make_ref
from connectors.base import Alert
from connectors.errors import BadPayload, FetchError, RateLimited, Unauthorized, Unavailable, from_status
from connectors.feeds import FeedEntry
from connectors.registry import Credential, HttpUrl, Part, Source, Text, count
from schemas import ExportItem, Extra, Kind, Paper

if TYPE_CHECKING:
    import httpx
    from pydantic import SecretStr

log = logging.getLogger(__name__)

WINDOW = 300.0
"""The Hub counts requests over 5-minute windows."""
ANONYMOUS_LIMIT = 500
"""Hub API requests per window without a token (per IP address)."""
TOKEN_LIMIT = 1000
"""Hub API requests per window with a free account's token."""
WORKERS = 4
"""Paper pages asked for at once: a batch of 100 papers takes a few seconds, not a minute."""
DAILY_PAPERS = "/api/daily_papers"


# ---- payload → what curate keeps (pure)


def extra_from_paper(paper: Mapping[str, Any]) -> Extra:
    """What a paper object (`/api/papers/{id}`, or `paper` in a daily list) adds to the arXiv record.

    Optional keys are absent in the Hub's answers, not null: `githubRepo` (cut to the
    repository's root), `projectPage` (kept when it is an http(s) URL), `ai_keywords`.
    """
    upvotes = paper.get("upvotes")
    metrics = {"upvotes": int(upvotes)} if isinstance(upvotes, int) and upvotes >= 0 else {}
    repo = paper.get("githubRepo")
    code = code_links(repo) if isinstance(repo, str) else []
    page = paper.get("projectPage")
    project = page.strip() if isinstance(page, str) and urlsplit(page.strip()).scheme in ("http", "https") else None
    keywords = [k for k in paper.get("ai_keywords") or [] if isinstance(k, str)]
    data: dict[str, Any] = {
        "upvotes": metrics.get("upvotes"),
        "github_repo": code[0] if code else None,
        "project_page": project,
        "ai_keywords": keywords,
    }
    return Extra(
        metrics=metrics,
        links={"project": project} if project else {},
        code=code[:1],
        data={k: v for k, v in data.items() if v not in (None, [])},
    )


def entries_from_daily(body: bytes, url: str) -> list[FeedEntry]:
    """The daily papers list as feed entries: the paper's abs page, its title and summary, its
    upvotes as a figure. BadPayload when the body is not a JSON list; an item without a valid
    arXiv id is skipped."""
    try:
        items = json.loads(body)
    except ValueError:
        raise BadPayload(url, "the answer is not JSON; check the feed's URL") from None
    if not isinstance(items, list):
        raise BadPayload(url, "the answer is not a list of daily papers; check the feed's URL")
    entries: list[FeedEntry] = []
    for item in items:
        paper = item.get("paper") if isinstance(item, dict) else None
        arxiv_id = canonical_id(str(paper.get("id") or "")) if isinstance(paper, dict) else None
        if arxiv_id is None:
            log.info("hf daily papers %s: an item without an arXiv id skipped", url)
            continue
        upvotes = paper.get("upvotes")  # type: ignore[union-attr]
        entries.append(
            FeedEntry(
                link=make_ref(arxiv_id).url,
                title=" ".join(str(item.get("title") or paper.get("title") or "").split()),  # type: ignore[union-attr]
                summary=" ".join(str(item.get("summary") or paper.get("summary") or "").split()),  # type: ignore[union-attr]
                figures={"upvotes": upvotes} if isinstance(upvotes, int) else {},
            )
        )
    return entries


# ---- pacing


class Pace:
    """At most `limit` requests in any `window` seconds; `wait()` blocks until the next may go.

    A moving window never exceeds the Hub's fixed 5-minute windows. Written here because
    the dozen lines it takes are less than a dependency: `limits` only answers yes or no,
    and pyrate-limiter's blocking and bucket APIs have changed with each major version.
    """

    def __init__(
        self,
        limit: int,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window, self.clock, self.sleep = limit, window, clock, sleep
        self.waited = 0.0
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:  # held while sleeping: the others queue behind
            while True:
                now = self.clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                delay = self._sent[0] + self.window - now
                self.waited += delay
                self.sleep(delay)


# ---- the enricher


class _Stop(Exception):
    """The Hub will not answer more of this run (rate limited, the token refused)."""


class HuggingFacePapers:
    """Adds the Hub's figures and links to arXiv papers, a batch at a time (Enricher)."""

    kinds: ClassVar[tuple[Kind, ...]] = (Kind.paper,)
    refreshes: ClassVar[bool] = True  # upvotes move: papers are fetched again once their figures are old

    def __init__(
        self,
        api_url: str,
        token: SecretStr | None = None,
        timeout: float = 20.0,
        bounds: http.Bounds | None = None,
        pace: Pace | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token if token is not None and token.get_secret_value() else None
        self.timeout, self.bounds = timeout, bounds or http.Bounds(deadline=timeout)
        self.pace = pace or Pace(TOKEN_LIMIT if self._token else ANONYMOUS_LIMIT)
        self.requests = 0
        self.known = 0
        self._stopped: str | None = None
        self._skipped = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> HuggingFacePapers:
        return cls(
            api_url=settings.hf_api_url,
            token=settings.hf_token,
            timeout=settings.http_timeout,
            bounds=http.Bounds.from_settings(settings),
        )

    def enrich(self, records: Sequence[Any]) -> list[tuple[Extra | None, list[str]]]:
        """For each paper, in order: the Hub's Extra (None when it does not know the paper), and
        a warning when the Hub could not be asked. Old-style ids (`hep-th/9901001`) predate
        the Hub's paper pages and are not asked for."""
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        with http.client(self.timeout, bounds=self.bounds, headers=headers) as client:
            with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hf") as pool:
                return list(pool.map(lambda record: self._one(client, record), records))

    def _one(self, client: httpx.Client, record: Any) -> tuple[Extra | None, list[str]]:
        if not isinstance(record, Paper) or "/" in record.arxiv_id:
            return None, []
        if self._stopped is not None:
            with self._lock:
                self._skipped += 1
            return None, []
        self.pace.wait()
        try:
            extra = self._get(client, record)
        except _Stop:
            return None, []
        except FetchError as error:
            log.info("hf: %s: %s", record.arxiv_id, error.reason)
            return None, [f"Hugging Face Papers not read: {error.reason}"]
        if extra is not None:
            with self._lock:
                self.known += 1
        return extra, []

    def _get(self, client: httpx.Client, record: Paper) -> Extra | None:
        import httpx

        url = f"{self.api_url}/api/papers/{quote(record.arxiv_id)}"
        ref = make_ref(record.arxiv_id)
        with self._lock:
            self.requests += 1
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001 - every failure becomes this paper's warning
            error = http.fetch_error(exc, ref, "Hugging Face")
            if error is None:
                what = "did not answer in time" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
                error = Unavailable(ref, f"Hugging Face {what}")
            raise error from None
        log.info("hf: GET %s -> HTTP %d", url, response.status_code)
        if response.status_code == 404:  # nobody has put this paper on the Hub
            return None
        if response.status_code >= 400:
            error = from_status(ref, response.status_code, "Hugging Face", response.headers.get("retry-after"))
            if response.status_code == 401:
                error = Unauthorized(
                    ref, "Hugging Face refused HF_TOKEN (HTTP 401): renew it, or unset it to go without"
                )
            if isinstance(error, (RateLimited, Unauthorized)):
                self._stop(error)
            raise error
        try:
            paper = response.json()
        except ValueError:
            raise BadPayload(ref, "Hugging Face answered with something that is not JSON") from None
        if not isinstance(paper, dict):
            raise BadPayload(ref, "Hugging Face answered in a shape curate does not know")
        return extra_from_paper(paper)

    def _stop(self, error: FetchError) -> None:
        with self._lock:
            if self._stopped is None:
                self._stopped = error.reason
                self._skipped += 1
        raise _Stop()

    def notes(self) -> list[str]:
        out: list[str] = []
        if self._stopped is not None:
            out.append(
                Alert(
                    f"Hugging Face Papers stopped for this run ({self._stopped}): {self._skipped} papers "
                    "without upvotes or community links; the next refresh asks again"
                )
            )
        if self.pace.waited >= 1:
            out.append(
                f"Hugging Face Papers: waited {self.pace.waited:.0f} s to stay within "
                f"{self.pace.limit} requests per 5 minutes"
            )
        return out


# ---- the daily papers list as a feed


class DailyPapers:
    """The daily papers endpoint read as a feed (FeedFormat)."""

    def reads(self, url: str) -> bool:
        return urlsplit(url).path.rstrip("/").endswith(DAILY_PAPERS)

    def entries(self, body: bytes, url: str) -> list[FeedEntry]:
        return entries_from_daily(body, url)


class DailyPapersOptions(BaseModel):
    min_upvotes: int | None = Field(
        default=None,
        ge=0,
        description="Hugging Face daily papers only: keep papers with at least this many upvotes.",
    )


def _keep(feed: Any, entry: FeedEntry) -> bool:
    """`min_upvotes` keeps entries with that many upvotes; entries of other feeds carry none and pass."""
    if feed.min_upvotes is None or "upvotes" not in entry.figures:
        return True
    return entry.figures["upvotes"] >= feed.min_upvotes


def _facts(item: ExportItem) -> list[Part]:
    upvotes = item.metrics.get("upvotes")
    if upvotes is None:
        return []
    return [Text(f"▲ {count(upvotes)} upvote{'' if upvotes == 1 else 's'}")]


class HuggingFaceSettings(BaseModel):
    hf_api_url: HttpUrl = "https://huggingface.co"
    """Hugging Face Papers API root (`/api/papers/{id}`, `/api/daily_papers`)."""
    hf_token: Credential = Field(default=None, validation_alias=AliasChoices("HF_TOKEN", "CURATE_HF_TOKEN"))
    """A Hugging Face token: 1,000 Hub API requests per 5 minutes instead of 500."""


SOURCE = Source(
    name="huggingface",
    enricher=HuggingFacePapers,
    extra_facts=_facts,
    settings=HuggingFaceSettings,
    feed_format=DailyPapers(),
    feed_options=DailyPapersOptions,
    feed_keep=_keep,
)
