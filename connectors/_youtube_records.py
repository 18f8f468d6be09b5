"""YouTube payloads → records: Data API resources, oEmbed answers and playlist feeds.

Pure functions only: no I/O, no clock, no settings. `connectors/youtube.py` fetches;
this module only reads what came back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from connectors.errors import IncompleteAnswer
from schemas import Playlist, PlaylistVideo, Video

_DURATION: TypeAdapter[timedelta] = TypeAdapter(timedelta)  # pydantic reads ISO 8601 durations (PT1H2M3S, P1DT2H)
_THUMBNAIL_SIZES = ("maxres", "standard", "high", "medium", "default")
# what playlistItems.list shows in place of a video its owner made private or deleted
_UNAVAILABLE_TITLES = {"Private video", "Deleted video"}
FEED_MAX_ENTRIES = 15
"""A YouTube feed lists at most this many entries (its newest), however long the playlist."""


def video_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def playlist_url(playlist_id: str) -> str:
    return f"https://www.youtube.com/playlist?list={playlist_id}"


def _fold(text: str | None) -> str:
    return " ".join((text or "").split())


def seconds_from_iso(text: str | None) -> int | None:
    """`PT1H2M3S` → 3723; None for a missing or unreadable duration."""
    if not text:
        return None
    try:
        return int(_DURATION.validate_python(text).total_seconds())
    except ValidationError:
        return None


def _count(value: Any) -> int | None:
    """The API sends statistics as strings (`"viewCount": "6512873"`); absent means hidden."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def best_thumbnail(thumbnails: Mapping[str, Any] | None) -> str | None:
    """The URL of the largest thumbnail the API lists (deleted videos list none)."""
    for size in _THUMBNAIL_SIZES:
        url = ((thumbnails or {}).get(size) or {}).get("url")
        if url:
            return url
    return None


def _channel_url(channel_id: str | None) -> str | None:
    return f"https://www.youtube.com/channel/{channel_id}" if channel_id else None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def video_from_item(item: Mapping[str, Any]) -> Video:
    """A Video from one `videos.list` resource (parts snippet, contentDetails, statistics)."""
    item = _map(item)
    video_id = item.get("id")
    snippet, details, stats = _map(item.get("snippet")), _map(item.get("contentDetails")), _map(item.get("statistics"))
    if not isinstance(video_id, str) or not video_id:
        raise IncompleteAnswer("YouTube's answer lacks the video's id; the stored record stays")
    if not _fold(_text(snippet.get("title"))) or not _text(snippet.get("channelTitle")):
        # `{"items": [{"id": …}]}` is an answer, but not one a Video can be made of
        raise IncompleteAnswer("YouTube's answer lacks the video's title or channel; the stored record stays")
    duration = seconds_from_iso(details.get("duration"))
    if snippet.get("liveBroadcastContent") in ("live", "upcoming"):
        duration = None  # a stream in progress or not yet started reports P0D
    return Video(
        id=f"youtube:video:{video_id}",
        url=video_url(video_id),
        title=_fold(_text(snippet.get("title"))),
        video_id=video_id,
        channel=_text(snippet.get("channelTitle")),
        channel_id=_text(snippet.get("channelId")),
        channel_url=_channel_url(_text(snippet.get("channelId"))),
        published=_text(snippet.get("publishedAt")),
        duration_seconds=duration,
        views=_count(stats.get("viewCount")),
        likes=_count(stats.get("likeCount")),
        description=_text(snippet.get("description")) or "",
        thumbnail=best_thumbnail(_map(snippet.get("thumbnails"))),
        filled_by="api",
    )


def video_from_oembed(data: Mapping[str, Any], video_id: str) -> Video:
    """A Video from YouTube's oEmbed answer: title, channel and thumbnail, nothing more.

    oEmbed does not carry the video id, so it comes from the link.
    """
    if not isinstance(data, Mapping) or not data.get("title"):
        raise ValueError("the oEmbed answer has no title")
    return Video(
        id=f"youtube:video:{video_id}",
        url=video_url(video_id),
        title=_fold(data["title"]),
        video_id=video_id,
        channel=data.get("author_name") or None,
        channel_url=data.get("author_url") or None,
        thumbnail=data.get("thumbnail_url") or None,
        filled_by="oembed",
    )


def item_video_id(item: Mapping[str, Any]) -> str | None:
    """The video a `playlistItems.list` resource points at, or None if it is private or deleted."""
    snippet = item.get("snippet") or {}
    details = item.get("contentDetails") or {}
    video_id = details.get("videoId") or (snippet.get("resourceId") or {}).get("videoId")
    if not video_id or snippet.get("title") in _UNAVAILABLE_TITLES:
        return None
    # an available video has an owner and a publish time; a private or deleted one has neither
    if not (snippet.get("videoOwnerChannelId") or details.get("videoPublishedAt")):
        return None
    return video_id


def playlist_from_api(
    playlist: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    videos: Mapping[str, Video],
    truncated: bool = False,
) -> Playlist:
    """A Playlist from its `playlists.list` resource, its `playlistItems.list` items in order,
    and the Videos of those items (from `videos.list`).

    An item whose video is private, deleted or missing from `videos` is counted in
    `unavailable_count` and left out; `duration_seconds` sums the videos kept.
    """
    playlist_id = playlist["id"]
    snippet = playlist.get("snippet") or {}
    kept: list[PlaylistVideo] = []
    for index, item in enumerate(items):
        video = videos.get(item_video_id(item) or "")
        if video is None:
            continue
        position = (item.get("snippet") or {}).get("position")
        kept.append(
            PlaylistVideo(
                position=position if isinstance(position, int) and position >= 0 else index,
                video_id=video.video_id,
                title=video.title,
                duration_seconds=video.duration_seconds,
                views=video.views,
                published=video.published,
            )
        )
    return Playlist(
        id=f"youtube:playlist:{playlist_id}",
        url=playlist_url(playlist_id),
        title=_fold(snippet.get("title")) or playlist_id,
        playlist_id=playlist_id,
        channel=snippet.get("channelTitle") or None,
        channel_id=snippet.get("channelId") or None,
        published=snippet.get("publishedAt"),
        description=snippet.get("description") or "",
        thumbnail=best_thumbnail(snippet.get("thumbnails")),
        video_count=_count((playlist.get("contentDetails") or {}).get("itemCount")),
        duration_seconds=sum(v.duration_seconds or 0 for v in kept),
        videos=kept,
        unavailable_count=len(items) - len(kept),
        truncated=truncated,
        filled_by="api",
    )


def _utc(parsed: Any) -> datetime | None:
    """feedparser's struct_time (always UTC) as an aware datetime."""
    return datetime(*parsed[:6]).replace(tzinfo=UTC) if parsed else None


def _channel_id(value: str | None) -> str | None:
    # some feeds give the feed-level channel id without its `UC` prefix (seen in a January 2025 channel feed)
    if value and len(value) == 22 and not value.startswith("UC"):
        return "UC" + value
    return value or None


def playlist_from_feed(feed: Any, playlist_id: str) -> Playlist:
    """A Playlist from the playlist's public Atom feed, as parsed by feedparser.

    The feed lists at most 15 videos and no durations: when it is full, `video_count`
    is unknown (None) and `truncated` is set.
    """
    meta = feed.feed
    entries = list(feed.entries)
    videos: list[PlaylistVideo] = []
    for index, entry in enumerate(entries):
        video_id = entry.get("yt_videoid") or (entry.get("id") or "").removeprefix("yt:video:")
        if not video_id:
            continue
        videos.append(
            PlaylistVideo(
                position=index,
                video_id=video_id,
                title=_fold(entry.get("title")) or video_id,
                views=_count((entry.get("media_statistics") or {}).get("views")),
                published=_utc(entry.get("published_parsed")),
            )
        )
    full = len(entries) >= FEED_MAX_ENTRIES
    thumbnails = entries[0].get("media_thumbnail") if entries else None
    return Playlist(
        id=f"youtube:playlist:{playlist_id}",
        url=playlist_url(playlist_id),
        title=_fold(meta.get("title")) or playlist_id,
        playlist_id=playlist_id,
        channel=meta.get("author") or None,
        channel_id=_channel_id(meta.get("yt_channelid")),
        published=_utc(meta.get("published_parsed")),
        thumbnail=(thumbnails[0].get("url") if thumbnails else None) or None,
        video_count=None if full else len(videos),
        videos=videos,
        truncated=full,
        filled_by="feed",
    )
