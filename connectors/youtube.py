"""YouTube videos and playlists: the Data API v3 with a key, oEmbed and feeds without one.

Owns watch/short/embed/live links on every YouTube host; refuses channel links.
Never touches the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from connectors._urls import split
from connectors.base import Fetched
from connectors.errors import LinkRefused, Unavailable
from schemas import Kind, SourceRef

log = logging.getLogger(__name__)

_HOSTS = {"youtube.com", "music.youtube.com", "youtube-nocookie.com", "youtu.be"}
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
PLAYLIST_ID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
_VIDEO_PATHS = {"shorts", "embed", "live", "v", "e"}
_CHANNEL_PATHS = {"channel", "c", "user"}


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


def _owns(url: str) -> SourceRef | None:
    link = split(url)
    if link is None or link.host not in _HOSTS:
        return None
    seg = link.segments
    list_id = link.param("list")
    if list_id is not None and not PLAYLIST_ID.match(list_id):
        list_id = None
    video_id: str | None = None
    if link.host == "youtu.be":
        video_id = seg[0] if seg else None
    elif seg[:1] == ("watch",):
        video_id = link.param("v")
    elif len(seg) >= 2 and seg[0] in _VIDEO_PATHS:
        video_id = seg[1]
    elif seg[:1] == ("playlist",):
        if list_id is None:
            raise LinkRefused(url, "a YouTube playlist link without a valid list= id")
        return playlist_ref(list_id)
    elif seg and (seg[0].startswith("@") or seg[0] in _CHANNEL_PATHS):
        raise LinkRefused(
            url,
            "a YouTube channel, not a video: add the channel's feed to data/sources.toml "
            "(https://www.youtube.com/feeds/videos.xml?channel_id=…) so the scheduled run finds its videos",
        )
    if video_id is None:
        return None
    if not VIDEO_ID.match(video_id):
        raise LinkRefused(url, f"{video_id!r} is not a YouTube video id (11 letters, digits, - or _)")
    companions = (playlist_ref(list_id).url,) if list_id else ()
    return video_ref(video_id, companions)


class YouTubeConnector:
    name: ClassVar[str] = "youtube"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.video, Kind.playlist)

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Any) -> "YouTubeConnector":
        return cls(settings)

    owns = staticmethod(_owns)

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        for ref in refs:
            yield Fetched(ref, error=Unavailable(ref, "the YouTube connector is not built yet (issue #4)"))

    def notes(self) -> list[str]:
        return []
