"""YouTube videos and playlists: the Data API v3 with a key, oEmbed and feeds without one.

Owns watch/short/embed/live/playlist links on every YouTube host; refuses channel links.
Spends as few quota units as the API allows (one `videos.list` pass over every video id
of the run) and never puts the key in a URL. Never touches the database.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin

from pydantic import AliasChoices, BaseModel, Field

from connectors import http
from connectors._urls import split
from connectors._youtube_records import (
    item_video_id,
    playlist_from_api,
    playlist_from_feed,
    video_from_item,
    video_from_oembed,
)
from connectors.base import Alert, Fetched
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
from connectors.registry import Credential, Details, HttpUrl, KindRules, Link, Source, Text, count, duration
from schemas import ExportItem, Kind, SectionKey, SourceRef, Video

if TYPE_CHECKING:
    import httpx
    from pydantic import SecretStr

log = logging.getLogger(__name__)

_HOSTS = {
    "youtube.com",
    "music.youtube.com",
    "gaming.youtube.com",
    "youtube-nocookie.com",
    "youtube.googleapis.com",
    "youtu.be",
}
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
PLAYLIST_ID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
_VIDEO_PATHS = {"shorts", "embed", "live", "v", "e", "watch"}
_CHANNEL_PATHS = {"channel", "c", "user"}
# lists that are not playlists anyone else can read: mixes (RD…), a user's likes and watch later
_PRIVATE_LISTS = ("RD", "LL", "WL")
# pages of YouTube's own that carry the link they lead to in a parameter: the share button's
# attribution_link (u=/watch?v=…), the sign-in and the EU consent pages (next=, continue=)
_WRAPPERS = {"attribution_link": ("u",), "signin": ("next", "continue"), "m": ("continue",)}
_CHANNEL_HINT = (
    "a YouTube channel, not a video: add the channel's feed to data/sources.toml "
    "(https://www.youtube.com/feeds/videos.xml?channel_id=…) so the scheduled run finds its videos"
)

_VIDEO_PARTS = "snippet,contentDetails,statistics"
_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
# the key itself is refused: no later call of this run can succeed with it
_KEY_REASONS = {"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked", "API_KEY_INVALID"}
_KEYLESS_WORKERS = 8
"""Parallel oEmbed/feed requests: one request per link, so a few at a time, to stay polite."""
_API_WORKERS = 8
"""Concurrent Data API calls: playlists paged side by side, videos.list batches at once (the
API limits units a day, not calls at a time)."""


def video_ref(video_id: str, companions: tuple[str, ...] = ()) -> SourceRef:
    return SourceRef(
        kind=Kind.video,
        key=f"youtube:video:{video_id}",
        url=f"https://www.youtube.com/watch?v={video_id}",
        connector=YouTubeConnector.name,
        companions=companions,
    )


def playlist_ref(playlist_id: str) -> SourceRef:
    return SourceRef(
        kind=Kind.playlist,
        key=f"youtube:playlist:{playlist_id}",
        url=f"https://www.youtube.com/playlist?list={playlist_id}",
        connector=YouTubeConnector.name,
    )


def _owns(url: str, _depth: int = 0) -> SourceRef | None:  # noqa: C901 - a flat table of the link shapes YouTube makes, a branch each
    """The ref for a video or playlist link in any form YouTube makes (watch, share, embed, live, shorts,
    music, nocookie, `v/`, `e/`, and the wrappers that carry a watch path in a parameter); LinkRefused for
    a YouTube page that is neither (a channel, a feed, a clip); None for a link on another host."""
    link = split(url)
    if link is None or (link.host not in _HOSTS and link.host != "consent.youtube.com"):
        return None
    seg = link.segments
    wrapped = _WRAPPERS.get(seg[0]) if seg and (link.host == "consent.youtube.com") == (seg[0] == "m") else None
    if wrapped is not None:
        inner = next((v for name in wrapped if (v := link.param(name))), None)
        # the inner link is absolute (consent) or a path on www.youtube.com (attribution_link, signin)
        return _inner(url, urljoin("https://www.youtube.com/", inner) if inner else None, _depth)
    if link.host == "consent.youtube.com":
        return None
    list_id = link.param("list")
    if list_id is not None and not PLAYLIST_ID.match(list_id):
        list_id = None
    video_id: str | None = None
    if link.host == "youtu.be":
        video_id = seg[0] if seg else None
    elif seg[:1] == ("watch",) and link.param("v") is not None:
        video_id = link.param("v")
    elif seg[:1] in ((), ("watch",)) and link.fragment.lstrip("!/").startswith(("watch?", "v=")):
        # the hash-bang links of the 2010s: /#!/watch?v=…, /watch#!v=…
        query = link.fragment.lstrip("!/").removeprefix("watch").lstrip("?")
        return _inner(url, f"https://www.youtube.com/watch?{query}", _depth)
    elif seg[:1] == ("watch",) and len(seg) == 1 and link.param("list"):  # plays the playlist from its start
        return _list_ref(url, link.param("list"))
    elif seg[:1] == ("embed",) and (len(seg) == 1 or seg[1] == "videoseries"):
        # the embed forms of a list: /embed?listType=playlist&list=PL…, /embed/videoseries?list=PL…
        list_type = link.param("listType") or "playlist"
        if list_type == "user_uploads":
            raise LinkRefused(url, f"an embed of {_CHANNEL_HINT}")
        if list_type != "playlist":
            raise LinkRefused(url, f"a YouTube embed of a {list_type}, not a video or a playlist")
        return _list_ref(url, link.param("list"))
    elif seg[:2] == ("embed", "live_stream"):
        raise LinkRefused(url, f"the live stream of {_CHANNEL_HINT}")
    elif len(seg) >= 2 and seg[0] in _VIDEO_PATHS:
        video_id = seg[1]
    elif seg[:1] == ("playlist",):
        return _list_ref(url, link.param("list"))
    elif seg[:1] == ("browse",) and len(seg) >= 2 and seg[1].startswith("VL"):  # YouTube Music's playlist page
        return _list_ref(url, seg[1][2:])
    elif seg and (seg[0].startswith("@") or seg[0] in _CHANNEL_PATHS):
        raise LinkRefused(url, _CHANNEL_HINT)
    elif seg[:1] == ("feeds",):
        raise LinkRefused(
            url, "a YouTube feed, not a video: add it to data/sources.toml so the scheduled run finds its videos"
        )
    elif seg[:1] == ("clip",):
        raise LinkRefused(url, "a YouTube clip, which the API cannot look up: link to the video it was cut from")
    elif seg[:1] == ("redirect",) and link.param("q"):  # a link in a video's description, through YouTube
        target = link.param("q") or ""
        target_link = split(target)
        if target_link is not None and target_link.host in _HOSTS:
            return _inner(url, target, _depth)
        raise LinkRefused(url, f"a YouTube redirect to another site: ingest {target} itself")
    if video_id is None:
        raise LinkRefused(url, "a YouTube page that is neither a video nor a playlist")
    # old embed and share links glued their options to the id with `&` in the path (/v/ID&hl=en&fs=1);
    # an id never holds a dot, so a trailing one is the full stop of the sentence the link was pasted from
    video_id = video_id.split("&", 1)[0].rstrip(".")
    if not VIDEO_ID.match(video_id):
        raise LinkRefused(url, f"{video_id!r} is not a YouTube video id (11 letters, digits, - or _)")
    companions = (playlist_ref(list_id).url,) if list_id and not list_id.startswith(_PRIVATE_LISTS) else ()
    return video_ref(video_id, companions)


def _list_ref(url: str, list_id: str | None) -> SourceRef:
    """The ref for a list= id; LinkRefused for one no one else can read (a mix, Watch later, Liked)."""
    if list_id in ("WL", "LL", "LM"):
        raise LinkRefused(
            url,
            "a YouTube list private to its owner's account (Watch later, Liked videos), not a playlist others can see",
        )
    if list_id and list_id.startswith("RD"):
        seed = list_id[2:]
        hint = (
            f"link the video it starts from (https://www.youtube.com/watch?v={seed})"
            if VIDEO_ID.match(seed)
            else "link its videos one by one"
        )
        raise LinkRefused(url, f"a YouTube mix, made anew for each viewer, not a playlist: {hint}")
    if not list_id or not PLAYLIST_ID.match(list_id):
        raise LinkRefused(url, f"a YouTube playlist link without a valid list= id ({list_id or 'none'})")
    return playlist_ref(list_id)


def _inner(url: str, inner: str | None, depth: int) -> SourceRef:
    """The ref of the link a wrapper carries; LinkRefused naming the wrapper when it carries none."""
    try:
        ref = _owns(inner, depth + 1) if inner and depth < 3 else None
    except LinkRefused as exc:
        raise LinkRefused(url, f"leads to {exc.reason}") from None
    if ref is None:
        raise LinkRefused(url, "a YouTube redirect that does not lead to a video or a playlist")
    return ref


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _id_of(ref: SourceRef) -> str:
    return ref.key.rsplit(":", 1)[1]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def quota_reset(now: datetime) -> datetime:
    """When the daily quota comes back: the next midnight, Pacific time (Google's rule)."""
    try:
        from zoneinfo import ZoneInfo

        pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    except Exception:  # noqa: BLE001 - no tz database: Pacific standard time is close enough
        pacific = now.astimezone(timezone(timedelta(hours=-8)))
    midnight = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


class _Said403Filter(logging.Filter):
    """Drops googleapiclient's warning on every 403: the connector reports a spent quota or a
    refused key once in its notes and a per-link error otherwise, so the warning only repeats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Encountered 403 Forbidden")


_SAID_403 = _Said403Filter()


class _ApiStopped(Exception):
    """The API cannot be used for the rest of the run (quota spent, key refused)."""


class YouTubeConnector:
    name: ClassVar[str] = "youtube"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.video, Kind.playlist)
    batch_size: ClassVar[int] = 50  # ids per videos/playlists.list and items per playlistItems page: the API's limit

    def __init__(
        self,
        api_url: str,
        web_url: str,
        api_key: SecretStr | None = None,
        max_items: int = 500,
        retries: int = 3,
        timeout: float = 20.0,
        bounds: http.Bounds | None = None,
    ) -> None:
        self.api_url, self.web_url = api_url.rstrip("/"), web_url.rstrip("/")
        self.bounds = bounds or http.Bounds(deadline=timeout)
        self.api_key = api_key if api_key is not None and api_key.get_secret_value() else None
        self.max_items, self.retries, self.timeout = max_items, retries, timeout
        self.units = 0
        """Quota units spent this run: 1 per list call (retries of one call not counted)."""
        self._stopped: tuple[str, str] | None = None  # why the API is not used any more this run, and what to do
        self._quota_out = False
        self._fallback = 0  # links filled without the API after it stopped
        self._keyless = 0  # links filled without the API because there is no key
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> YouTubeConnector:
        return cls(
            api_url=settings.youtube_api_url,
            web_url=settings.youtube_web_url,
            api_key=settings.youtube_api_key,
            max_items=settings.youtube_playlist_max_items,
            retries=settings.youtube_retries,
            timeout=settings.http_timeout,
            bounds=http.Bounds.from_settings(settings),
        )

    owns = staticmethod(_owns)

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        """One Fetched per ref, in order: through the API while it is usable, then without it."""
        refs = list(refs)
        done: dict[str, Fetched] = {}
        if self.api_key is not None and self._stopped is None:
            done = _ApiRun(self).run(refs)
        rest = [ref for ref in refs if ref.key not in done]
        if rest:
            done.update(self._fetch_keyless(rest))
        for ref in refs:
            yield done[ref.key]

    def notes(self) -> list[str]:
        out: list[str] = []
        if self.units:
            out.append(f"YouTube Data API: {_plural(self.units, 'quota unit')} spent (10,000 a day by default)")
        if self._stopped is not None:
            why, then = self._stopped
            filled = (
                f": {_plural(self._fallback, 'link')} filled without the API (title and channel only)"
                if self._fallback
                else ""
            )
            out.append(Alert(f"{why}{filled}; {then}"))
        elif self._keyless:
            out.append(
                Alert(
                    f"YouTube: no YOUTUBE_API_KEY, so {_plural(self._keyless, 'link')} got title and channel "
                    "only (oEmbed, feed); a key gives complete data: dates, durations, views and whole playlists"
                )
            )
        return out

    # ---- the Data API

    def service(self) -> Any:
        """A YouTube Data API client; one serves every thread of a run (its requests go through
        a thread-safe httpx client, never through httplib2, which is not thread-safe).

        The discovery document comes from the package, never the network. The key
        travels as the `x-goog-api-key` header on every request (pages too), because
        `developerKey` would put it in the URL, and so in errors and logs.
        """
        from googleapiclient.discovery import build
        from googleapiclient.http import HttpRequest

        assert self.api_key is not None
        key = self.api_key.get_secret_value()
        logging.getLogger("googleapiclient.http").addFilter(_SAID_403)  # a set: adding twice is harmless

        def keyed(*args: Any, **kwargs: Any) -> HttpRequest:
            request = HttpRequest(*args, **kwargs)
            request.headers["x-goog-api-key"] = key
            request.headers["user-agent"] = http.USER_AGENT
            return request

        # the shim serves googleapiclient's requests with our bounded httpx client (httplib2 reads
        # a body whole, however slow or large); passing http= also skips the ADC lookup
        return build(
            "youtube",
            "v3",
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.api_url},
            http=http.Httplib2Shim(http.client(timeout=self.timeout, bounds=self.bounds), self.bounds),
            requestBuilder=keyed,
        )

    def execute(self, request: Any) -> dict[str, Any]:
        """Run one list call, count its unit, and stop the API for the run on a spent quota or a refused key."""
        from googleapiclient.errors import HttpError

        with self._lock:
            if self._stopped is not None:  # another thread saw the quota go
                raise _ApiStopped
            self.units += 1
        try:
            answer = request.execute(num_retries=self.retries)
        except HttpError as exc:
            reasons = google_reasons(exc)
            if _QUOTA_REASONS.intersection(reasons):
                reason = next(r for r in reasons if r in _QUOTA_REASONS)
                with self._lock:
                    self.units -= 1  # a call refused for quota is not charged
                    self._quota_out = True
                reset = quota_reset(datetime.now(UTC))
                self._stop(
                    f"YouTube quota used up ({reason}) after {_plural(self.units, 'unit')} this run",
                    f"it comes back at {reset:%H:%M} UTC; run again with --refresh then for complete data",
                )
                raise _ApiStopped from None
            if _KEY_REASONS.intersection(reasons):
                reason = next(r for r in reasons if r in _KEY_REASONS)
                self._stop(
                    f"YouTube refused YOUTUBE_API_KEY ({reason})",
                    "check the key, then run again with --refresh for complete data",
                )
                raise _ApiStopped from None
            raise
        # googleapiclient hands back a non-JSON 200 (a proxy's HTML page) as a plain string
        items = answer.get("items", []) if isinstance(answer, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
            raise _Malformed("the YouTube API answered with something that is not a list response")
        return answer

    @property
    def stopped(self) -> bool:
        """The API is not used any more this run (quota spent, key refused)."""
        return self._stopped is not None

    def _stop(self, why: str, then: str) -> None:
        with self._lock:
            if self._stopped is None:
                self._stopped = (why, then)
                log.info("youtube: %s; the rest of the run goes without the API", why)

    # ---- without a key: oEmbed for videos, the Atom feed for playlists

    def _fetch_keyless(self, refs: Sequence[SourceRef]) -> dict[str, Fetched]:
        with http.client(timeout=self.timeout, bounds=self.bounds, follow_redirects=True) as client:
            with ThreadPoolExecutor(max_workers=min(_KEYLESS_WORKERS, len(refs))) as pool:
                fetched = list(pool.map(lambda ref: self._keyless_one(client, ref), refs))
        return {f.ref.key: f for f in fetched}

    def _keyless_one(self, client: httpx.Client, ref: SourceRef) -> Fetched:
        try:
            if ref.kind == Kind.playlist:
                result = self._from_feed(client, ref)
            else:
                result = self._from_oembed(client, ref)
        except Exception as exc:  # noqa: BLE001 - every failure becomes this ref's value
            error = _classify(exc, ref)
            if self._quota_out and isinstance(exc, _EmbedRefused):
                # the API would give this video's data: try again when the quota is back
                error = Deferred(
                    ref,
                    "the owner disabled embedding, so only the API can read this video: "
                    "postponed until the YouTube quota is back",
                    until=quota_reset(datetime.now(UTC)),
                )
            return Fetched(ref, error=error)
        with self._lock:
            if self._stopped is not None:
                self._fallback += 1
            else:
                self._keyless += 1
        return result

    def _from_oembed(self, client: httpx.Client, ref: SourceRef) -> Fetched:
        response = client.get(f"{self.web_url}/oembed", params={"url": ref.url, "format": "json"})
        if response.status_code in (401, 403):
            # embedding disabled (or a video oEmbed may not show); the body is a bare "Unauthorized"
            raise _EmbedRefused(response.status_code)
        response.raise_for_status()
        data = response.json()  # a plain-text body despite a JSON content type raises ValueError
        return Fetched(ref, record=video_from_oembed(data, _id_of(ref)), payload=data)

    def _from_feed(self, client: httpx.Client, ref: SourceRef) -> Fetched:
        from xml.sax import SAXException

        import feedparser

        response = client.get(f"{self.web_url}/feeds/videos.xml", params={"playlist_id": _id_of(ref)})
        response.raise_for_status()
        # bytes: a str would be taken for a URL or a path. Whitespace before `<?xml` is the one
        # syntax slip seen on good feeds (recorded feeds start with a newline), so it goes first.
        feed = feedparser.parse(response.content.lstrip())
        # `bozo` alone is no verdict (charset quirks set it on good feeds), but an XML syntax
        # error is: the document was cut off or garbled, and what the loose parser salvaged
        # from it (a first entry, no title) would replace a stored playlist with a stub
        broken = feed.get("bozo_exception")
        if isinstance(broken, SAXException):
            raise _FeedBroken(broken)
        if not feed.feed.get("title"):
            raise _NotAFeed("the playlist feed has no title: it is not a YouTube playlist feed")
        return Fetched(
            ref,
            record=playlist_from_feed(feed, _id_of(ref)),
            payload=response.content.decode("utf-8", errors="replace"),
        )


class _ApiRun:
    """One fetch through the Data API: playlists, their items, then every video id once.

    Loose video links and the videos inside the playlists share one `videos.list` pass
    (50 ids a call), so a video linked alone and listed in a playlist costs nothing extra.
    Every playlist is paged side by side and the `videos.list` calls run concurrently, all
    through one client built once. A link is settled only when every call it needs succeeded;
    when the API stops (quota, key) the links not settled yet are left for the keyless path.
    """

    def __init__(self, connector: YouTubeConnector) -> None:
        self.c = connector
        self.out: dict[str, Fetched] = {}
        self._yt: Any = None
        self._lock = threading.Lock()

    def _call(self, make: Callable[[Any], Any]) -> Any:
        """One list call: the answer, or the exception as a value."""
        try:
            with self._lock:  # built once: reading the discovery document costs as much as a request
                if self._yt is None:
                    self._yt = self.c.service()
            return self.c.execute(make(self._yt))
        except Exception as exc:  # noqa: BLE001 - sorted out by the caller, per ref
            return exc

    def run(self, refs: Sequence[SourceRef]) -> dict[str, Fetched]:
        videos = [r for r in refs if r.kind == Kind.video]
        playlists = [r for r in refs if r.kind == Kind.playlist]
        with ThreadPoolExecutor(max_workers=_API_WORKERS, thread_name_prefix="youtube-api") as pool:
            meta = self._playlists(pool, playlists)
            if self.c.stopped:
                return self.out
            # only playlists that exist are paged: an unknown one costs no page (a quota unit each)
            listings = self._listings(
                [(ref, pool.submit(self._pages, _id_of(ref))) for ref in playlists if ref.key not in self.out]
            )
            if self.c.stopped:
                return self.out
            wanted = [_id_of(r) for r in videos]
            for items, _ in listings.values():
                wanted += [v for v in map(item_video_id, items) if v]
            found, failed, answered = self._videos(pool, list(dict.fromkeys(wanted)))
        for ref in videos:
            vid = _id_of(ref)
            if vid in found:
                self._settle(ref, lambda: Fetched(ref, record=video_from_item(found[vid]), payload=found[vid]))  # noqa: B023 - called at once
            elif vid in failed:
                self.out[ref.key] = Fetched(ref, error=_classify(failed[vid], ref))
            elif vid in answered:
                self.out[ref.key] = Fetched(
                    ref, error=NotFound(ref, "video not found on YouTube (removed, private or a wrong id)")
                )
        for ref in playlists:
            if ref.key in self.out or _id_of(ref) not in listings:
                continue
            items, truncated = listings[_id_of(ref)]
            ids = [v for v in map(item_video_id, items) if v]
            errors = [failed[v] for v in ids if v in failed]
            if errors:
                self.out[ref.key] = Fetched(ref, error=_classify(errors[0], ref))
            elif all(v in answered for v in ids):
                self._settle(ref, lambda: self._playlist(ref, meta[_id_of(ref)], items, truncated, found))  # noqa: B023 - called at once
        log.info(
            "youtube: %d videos, %d playlists through the API; %d units spent so far",
            len(videos),
            len(playlists),
            self.c.units,
        )
        return self.out

    def _settle(self, ref: SourceRef, make: Callable[[], Fetched]) -> None:
        try:
            self.out[ref.key] = make()
        except (ValueError, KeyError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            self.out[ref.key] = Fetched(ref, error=_classify(exc, ref))

    @staticmethod
    def _playlist(
        ref: SourceRef,
        meta: dict[str, Any],
        items: list[dict[str, Any]],
        truncated: bool,
        found: dict[str, dict[str, Any]],
    ) -> Fetched:
        ids = {v for v in map(item_video_id, items) if v}
        videos: dict[str, Video] = {}
        for v in ids & found.keys():
            try:
                videos[v] = video_from_item(found[v])
            except IncompleteAnswer:  # counted as unavailable, as a private video is
                continue
        record = playlist_from_api(meta, items, videos, truncated=truncated)
        warnings = (
            [f"only the first {len(items)} items listed (CURATE_YOUTUBE_PLAYLIST_MAX_ITEMS)"] if truncated else []
        )
        payload = {"playlist": meta, "items": items, "videos": [found[v] for v in ids if v in found]}
        return Fetched(ref, record=record, payload=payload, warnings=warnings)

    def _playlists(self, pool: ThreadPoolExecutor, refs: Sequence[SourceRef]) -> dict[str, dict[str, Any]]:
        """playlists.list for every playlist, 50 ids a call; unknown ids become NotFound."""
        batches = list(_chunks(refs, self.c.batch_size))
        answers = pool.map(
            lambda batch: self._call(
                lambda yt: yt.playlists().list(
                    part="snippet,contentDetails", id=",".join(map(_id_of, batch)), maxResults=self.c.batch_size
                )
            ),
            batches,
        )
        meta: dict[str, dict[str, Any]] = {}
        for batch, answer in zip(batches, answers, strict=True):
            if isinstance(answer, _ApiStopped):
                continue
            if isinstance(answer, Exception):
                self.out.update({ref.key: Fetched(ref, error=_classify(answer, ref)) for ref in batch})
                continue
            meta.update({item["id"]: item for item in answer.get("items") or []})
            for ref in batch:
                if _id_of(ref) not in meta:
                    self.out[ref.key] = Fetched(
                        ref, error=NotFound(ref, "playlist not found on YouTube (removed, private or a wrong id)")
                    )
        return meta

    def _listings(self, pages: Sequence[tuple[SourceRef, Future[Any]]]) -> dict[str, tuple[list[dict[str, Any]], bool]]:
        """Each playlist's items in order (pages follow nextPageToken up to the item cap), paged side by side."""
        listings: dict[str, tuple[list[dict[str, Any]], bool]] = {}
        for ref, page in pages:
            answer = page.result()
            if isinstance(answer, _ApiStopped):
                continue
            if isinstance(answer, Exception):
                self.out[ref.key] = Fetched(ref, error=_classify(answer, ref))
            else:
                listings[_id_of(ref)] = answer
        return listings

    def _page(self, playlist_id: str, want: int, token: str | None) -> Any:
        """One playlistItems.list call: up to `want` items from the page `token` names."""
        return self._call(
            lambda yt: yt.playlistItems().list(
                part="snippet,contentDetails", playlistId=playlist_id, maxResults=want, pageToken=token
            )
        )

    def _pages(self, playlist_id: str) -> tuple[list[dict[str, Any]], bool] | Exception:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            want = min(self.c.batch_size, self.c.max_items - len(items))
            answer = self._page(playlist_id, want, token)
            if isinstance(answer, Exception):
                return answer
            page = answer.get("items") or []
            items += page[:want]
            token = answer.get("nextPageToken")
            if not token or not page:
                return items, False
            if len(items) >= self.c.max_items:
                return items, True

    def _videos(
        self, pool: ThreadPoolExecutor, ids: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, Exception], set[str]]:
        """videos.list over `ids`, 50 a call: (resources found, error per id of a failed call, ids answered).

        Ids of a call the stopped API did not answer are in none of the three: they go the keyless way.
        """
        found: dict[str, Any] = {}
        failed: dict[str, Exception] = {}
        answered: set[str] = set()
        batches = list(_chunks(ids, self.c.batch_size))
        answers = pool.map(
            lambda batch: self._call(lambda yt: yt.videos().list(part=_VIDEO_PARTS, id=",".join(batch))), batches
        )
        for batch, answer in zip(batches, answers, strict=True):
            if isinstance(answer, _ApiStopped):
                continue
            if isinstance(answer, Exception):
                failed.update({v: answer for v in batch})
                continue
            answered.update(batch)
            found.update({item["id"]: item for item in answer.get("items") or []})
        return found, failed, answered


class _EmbedRefused(Exception):
    """oEmbed answered 401/403: the owner disabled embedding, so oEmbed says nothing about it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class _NotAFeed(Exception):
    """The feed URL answered 200 with a well-formed document that is not a playlist feed."""


class _FeedBroken(Exception):
    """The feed URL answered 200 with XML that is not well-formed (cut off in transit, most often)."""

    def __init__(self, error: Exception) -> None:
        line = getattr(error, "getLineNumber", lambda: None)()
        super().__init__(f"line {line}" if line else type(error).__name__)


class _Malformed(ValueError):
    """The API answered 200 with something that is not a list response."""


def google_reasons(exc: Any) -> list[str]:
    """The `reason`s of a Google API error body (`quotaExceeded`, `playlistNotFound`, `API_KEY_INVALID`…).

    Read from the body, not googleapiclient's `error_details`, whose shape changes with the
    error; a refused key says so only in `details` (`badRequest` in `errors`).
    """
    try:
        error = json.loads(exc.content)["error"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    found = [e.get("reason") for e in (error.get("errors") or []) + (error.get("details") or []) if isinstance(e, dict)]
    return [str(r) for r in found if r]


def _statuses(exc: Any) -> list[str]:
    """The `status` of a Google API error body (`PERMISSION_DENIED`: a call without an API key)."""
    try:
        return [str(json.loads(exc.content)["error"]["status"])]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _classify(exc: BaseException, ref: SourceRef) -> FetchError:  # noqa: C901 - a branch per failure the clients raise
    """Map a googleapiclient, httplib2, httpx or parsing exception onto our error vocabulary.

    Never quotes the exception text of a client library: it may hold a request URL.
    """
    from http.client import HTTPException

    import httplib2
    import httpx
    from googleapiclient.errors import HttpError

    what = "playlist" if ref.kind == Kind.playlist else "video"
    bounded = http.fetch_error(exc, ref, "YouTube")
    if bounded is not None:
        return bounded
    if isinstance(exc, IncompleteAnswer):
        return BadPayload(ref, str(exc))
    if isinstance(exc, HttpError):
        status, reasons = exc.status_code, google_reasons(exc)
        reason = reasons[0] if reasons else ""
        if status == 404 or any(r.endswith("NotFound") for r in reasons):
            return NotFound(ref, f"{what} not found on YouTube (removed, private or a wrong id)")
        if "playlistItemsNotAccessible" in reasons:
            return NotFound(ref, "the playlist is private: YouTube does not list its videos")
        if _QUOTA_REASONS.intersection(reasons):
            until = quota_reset(datetime.now(UTC))
            return Deferred(
                ref, f"YouTube quota used up; postponed to the next run after {until:%H:%M} UTC", until=until
            )
        if _KEY_REASONS.intersection(reasons) or (status == 403 and "PERMISSION_DENIED" in _statuses(exc)):
            return Unauthorized(
                ref, "YouTube refused YOUTUBE_API_KEY (or got none): check the key, or unset it to go without the API"
            )
        if status == 429 or {"rateLimitExceeded", "userRateLimitExceeded"}.intersection(reasons):
            return RateLimited(
                ref,
                "YouTube asked to slow down; try again later",
                retry_after=_retry_after(exc.resp.get("retry-after")),
            )
        if status >= 500:
            return Unavailable(ref, f"YouTube answered HTTP {status}; try again later")
        return BadPayload(ref, f"YouTube refused the request (HTTP {status}{' ' + reason if reason else ''})")
    if isinstance(exc, _EmbedRefused):
        return FetchError(
            ref,
            f"the owner disabled embedding, so YouTube's oEmbed gives nothing (HTTP {exc.status}); "
            "set YOUTUBE_API_KEY to read this video",
        )
    if isinstance(exc, (_NotAFeed, _Malformed)):
        return BadPayload(ref, str(exc))
    if isinstance(exc, _FeedBroken):
        return Unavailable(
            ref, f"YouTube's playlist feed was cut off or garbled (an XML error at {exc}); try again later"
        )
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status in (400, 404):
            return NotFound(ref, f"{what} not found on YouTube (removed, private or a wrong id)")
        if status == 429:
            return RateLimited(
                ref,
                "YouTube asked to slow down; try again later",
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            )
        if status >= 500:
            return Unavailable(ref, f"YouTube answered HTTP {status}; try again later")
        return BadPayload(ref, f"YouTube refused the request (HTTP {status})")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return Unavailable(ref, "YouTube did not answer in time")
    if isinstance(exc, (HTTPException, httpx.RemoteProtocolError)):
        return Unavailable(ref, "YouTube's answer was cut off; try again later")
    if isinstance(exc, (httpx.TransportError, httplib2.HttpLib2Error, OSError)):
        return Unavailable(ref, "could not connect to YouTube")
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return BadPayload(ref, f"YouTube answered in a shape curate does not know ({type(exc).__name__})")
    return FetchError(ref, f"unexpected {type(exc).__name__} while reading YouTube")


# ---- what the registry knows of YouTube


class YouTubeSettings(BaseModel):
    youtube_api_url: HttpUrl = "https://www.googleapis.com"
    """YouTube Data API root (`/youtube/v3/...` below it)."""
    youtube_web_url: HttpUrl = "https://www.youtube.com"
    """oEmbed and RSS feeds, for use without an API key."""
    youtube_playlist_max_items: int = Field(default=500, ge=1)
    """Playlist items listed per playlist (50 per quota unit): enough for a long course, bounded for a channel's uploads."""
    youtube_retries: int = Field(default=3, ge=0)
    """Retries of a failed YouTube API call (5xx, 429, rate limits; googleapiclient backs off 1, 2, 4 s at most)."""
    youtube_api_key: Credential = Field(
        default=None, validation_alias=AliasChoices("YOUTUBE_API_KEY", "CURATE_YOUTUBE_API_KEY")
    )
    """A YouTube Data API key: views, durations and whole playlists (without one: oEmbed and feeds)."""


def _feed_link(entry: Mapping[str, Any], href: str | None) -> str | None:
    """A YouTube feed entry is about its video's watch page (a Short's too)."""
    video_id = entry.get("yt_videoid")
    return f"https://www.youtube.com/watch?v={video_id}" if video_id else None


def _video_details(item: ExportItem) -> Details:
    m = item.metrics
    facts: list = []
    if "views" in m:
        facts.append(Text(f"{count(m['views'])} views"))
    if "duration_seconds" in m:
        facts.append(Text(duration(m["duration_seconds"])))
    return Details(lead=[Link("YouTube", item.url)], facts=facts)


def _playlist_details(item: ExportItem) -> Details:
    m = item.metrics
    facts: list = []
    if "video_count" in m:
        facts.append(Text(f"{count(m['video_count'])} video{'s' if m['video_count'] != 1 else ''}"))
    if "duration_seconds" in m:
        facts.append(Text(f"{duration(m['duration_seconds'])} in all"))
    return Details(lead=[Link("YouTube playlist", item.url)], facts=facts)


def _video_score(item: ExportItem) -> tuple[float, ...]:
    return (float(item.metrics.get("views", 0)),)


def _playlist_score(item: ExportItem) -> tuple[float, ...]:
    """Its views, else the views of its videos added up."""
    views = item.metrics.get("views")
    if views is None:
        views = sum(v.get("views") or 0 for v in item.details.get("videos", []))
    return (float(views),)


SOURCE = Source(
    name="youtube",
    connector=YouTubeConnector,
    owns=_owns,
    hosts=("youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com", "youtu.be"),
    kinds={
        Kind.video: KindRules(section=SectionKey.videos, details=_video_details, score=_video_score, refreshed=True),
        Kind.playlist: KindRules(
            section=SectionKey.videos, details=_playlist_details, score=_playlist_score, refreshed=True
        ),
    },
    settings=YouTubeSettings,
    feed_link=_feed_link,
)
