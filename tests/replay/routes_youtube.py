"""YouTube Data API v3 (`/youtube/v3/{videos,playlists,playlistItems}`), oEmbed and playlist feeds.

Answers come from fixtures/youtube/, hand-written in the shapes the live services send
(the API's reference pages and the recorded corpus; ids and titles are made up):
  videos/<id>.json, playlists/<id>.json     one resource each; unknown ids are left out of `items`
  playlistItems/<playlist>/page<N>.json     whole recorded pages, chained by their page tokens
  oembed/<id>.json, oembed/<id>.<status>.txt, oembed/404.txt   oEmbed bodies (errors are plain text)
  feeds/<playlist>.xml                      the playlist's Atom feed
  errors/*.json                             Google error bodies

Like the live API the server checks the key (`x-goog-api-key` header or `key=`), leaves
unknown video and playlist ids out, and answers an unknown playlistId with 404
playlistNotFound. Test hooks in `replay.state`:
  youtube_api_key   the only key accepted (else 400 keyInvalid)
  youtube_quota     units left; at 0 every call gets 403 quotaExceeded
  youtube_video / youtube_playlist / youtube_playlist_items
                    callables id → resource(s) or None, consulted when no fixture exists;
                    `synthesize()` installs them so a demo or benchmark can serve many
                    playlists without a fixture file per video.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.replay.server import FIXTURES, Replay, Request, Response, fixture_bytes, route

JSON = "application/json; charset=UTF-8"
ATOM = "text/xml; charset=UTF-8"
_ALWAYS = ("kind", "etag", "id")
_quota_lock = threading.Lock()


def _fixture_json(relative: str) -> Any | None:
    if not (FIXTURES / relative).exists():
        return None
    return json.loads(fixture_bytes(relative))


def error(relative: str) -> Response:
    """A Google error body from fixtures/youtube/errors/, with the status it carries."""
    body = fixture_bytes(f"youtube/errors/{relative}")
    return Response(status=json.loads(body)["error"]["code"], body=body, content_type=JSON)


def _gate(req: Request, replay: Replay) -> Response | None:
    """What the API answers before it looks at the request: a missing or wrong key, a spent quota."""
    key = req.headers.get("x-goog-api-key") or req.param("key")
    if not key:
        return error("403_missing_key.json")
    expected = replay.state.get("youtube_api_key")
    if expected is not None and key != expected:
        return error("400_keyInvalid.json")
    with _quota_lock:
        left = replay.state.get("youtube_quota")
        if left is not None:
            if left <= 0:
                return error("403_quotaExceeded.json")
            replay.state["youtube_quota"] = left - 1
    return None


def _parts(resource: Mapping[str, Any], parts: Sequence[str]) -> dict[str, Any]:
    """Only the parts asked for, as the API does."""
    return {k: v for k, v in resource.items() if k in _ALWAYS or k in parts}


def _hook(replay: Replay, name: str, key: str) -> Any | None:
    fn = replay.state.get(name)
    return fn(key) if fn is not None else None


def video_resource(video_id: str, replay: Replay) -> dict[str, Any] | None:
    return _fixture_json(f"youtube/videos/{video_id}.json") or _hook(replay, "youtube_video", video_id)


def playlist_resource(playlist_id: str, replay: Replay) -> dict[str, Any] | None:
    return _fixture_json(f"youtube/playlists/{playlist_id}.json") or _hook(replay, "youtube_playlist", playlist_id)


def _list_response(kind: str, items: list[dict[str, Any]]) -> Response:
    body = {
        "kind": kind,
        "etag": _etag(kind, *[i["id"] for i in items]),
        "items": items,
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
    }
    return Response(body=json.dumps(body, indent=2).encode(), content_type=JSON)


@route("GET", r".*/youtube/v3/videos")
def videos(req: Request, replay: Replay) -> Response:
    gate = _gate(req, replay)
    if gate is not None:
        return gate
    ids = req.values("id")
    if len(ids) > 50:  # the live answer to >50 ids is not verified offline: a loud guard
        return Response.json(
            {
                "error": {
                    "code": 400,
                    "message": "replay: more than 50 ids in one call",
                    "errors": [{"reason": "badRequest", "domain": "global"}],
                }
            },
            status=400,
        )
    parts = req.values("part")
    items = [_parts(v, parts) for v in (video_resource(i, replay) for i in ids) if v is not None]
    return _list_response("youtube#videoListResponse", items)


@route("GET", r".*/youtube/v3/playlists")
def playlists(req: Request, replay: Replay) -> Response:
    gate = _gate(req, replay)
    if gate is not None:
        return gate
    parts = req.values("part")
    items = [_parts(p, parts) for p in (playlist_resource(i, replay) for i in req.values("id")) if p is not None]
    return _list_response("youtube#playlistListResponse", items)


def _recorded_pages(playlist_id: str) -> dict[str | None, bytes] | None:
    """Recorded pages by the token that asks for them (None: the first page)."""
    folder = FIXTURES / "youtube" / "playlistItems" / playlist_id
    if not folder.is_dir():
        return None
    bodies = [fixture_bytes(f"youtube/playlistItems/{playlist_id}/{p.name}") for p in sorted(folder.glob("page*.json"))]
    pages: dict[str | None, bytes] = {None: bodies[0]}
    for body, following in zip(bodies, bodies[1:], strict=False):  # each page and the next
        pages[json.loads(body)["nextPageToken"]] = following
    return pages


def page_token(offset: int) -> str:
    """A page token in the look of the live ones (`EAAaBlBUOkNBUQ`); only this server reads it."""
    return base64.urlsafe_b64encode(f"\x10\x00\x1a\x06PT:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    return int(raw.split("PT:", 1)[1])


@route("GET", r".*/youtube/v3/playlistItems")
def playlist_items(req: Request, replay: Replay) -> Response:
    gate = _gate(req, replay)
    if gate is not None:
        return gate
    playlist_id = req.param("playlistId") or ""
    token = req.param("pageToken") or None
    recorded = _recorded_pages(playlist_id)
    if recorded is not None:
        body = recorded.get(token)
        if body is None:
            return Response.json(
                {
                    "error": {
                        "code": 400,
                        "message": "The request specifies an invalid page token.",
                        "errors": [
                            {
                                "domain": "youtube.parameter",
                                "reason": "invalidPageToken",
                                "location": "pageToken",
                                "locationType": "parameter",
                            }
                        ],
                    }
                },
                status=400,
            )
        return Response(body=body, content_type=JSON)
    items = _hook(replay, "youtube_playlist_items", playlist_id)
    if items is None:
        return error("404_playlistNotFound.json")
    per_page = min(int(req.param("maxResults", "5") or 5), 50)  # the API's default page is 5 items
    start = _offset(token) if token else 0
    parts = req.values("part")
    body: dict[str, Any] = {"kind": "youtube#playlistItemListResponse", "etag": _etag(playlist_id, start)}
    if start + per_page < len(items):
        body["nextPageToken"] = page_token(start + per_page)
    if start:
        body["prevPageToken"] = page_token(max(0, start - per_page))
    body["items"] = [_parts(i, parts) for i in items[start : start + per_page]]
    body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": per_page}
    return Response(body=json.dumps(body, indent=2).encode(), content_type=JSON)


# ---- youtube.com without a key


def _video_id_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname == "youtu.be":
        return parts.path.strip("/")
    return (parse_qs(parts.query).get("v") or [""])[0]


@route("GET", r".*/oembed")
def oembed(req: Request, replay: Replay) -> Response:
    video_id = _video_id_of(req.param("url") or "")
    folder = FIXTURES / "youtube" / "oembed"
    if video_id and (folder / f"{video_id}.json").exists():
        return Response(body=fixture_bytes(f"youtube/oembed/{video_id}.json"), content_type=JSON)
    for refused in folder.glob(f"{video_id}.*.txt") if video_id else ():
        status = int(refused.name.split(".")[1])
        # youtube.com labels these plain-text bodies as JSON (recorded corpus, 403 "Forbidden")
        return Response(status=status, body=fixture_bytes(f"youtube/oembed/{refused.name}"), content_type=JSON)
    video = _hook(replay, "youtube_video", video_id) if video_id else None
    if video is None:
        return Response(status=404, body=fixture_bytes("youtube/oembed/404.txt"), content_type=JSON)
    snippet = video["snippet"]
    data = {
        "title": snippet["title"],
        "author_name": snippet["channelTitle"],
        "author_url": f"https://www.youtube.com/channel/{snippet['channelId']}",
        "type": "video",
        "height": 113,
        "width": 200,
        "version": "1.0",
        "provider_name": "YouTube",
        "provider_url": "https://www.youtube.com/",
        "thumbnail_height": 360,
        "thumbnail_width": 480,
        "thumbnail_url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg",
        "html": f'<iframe src="https://www.youtube.com/embed/{video_id}?feature=oembed"></iframe>',
    }
    return Response(
        body=json.dumps(data, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e"), content_type=JSON
    )


@route("GET", r".*/feeds/videos\.xml")
def feed(req: Request, replay: Replay) -> Response:
    """A playlist's feed (`playlist_id=`); a channel's (`channel_id=`) when its fixture exists."""
    feed_id = req.param("playlist_id") or req.param("channel_id") or ""
    if feed_id and (FIXTURES / "youtube" / "feeds" / f"{feed_id}.xml").exists():
        return Response(body=fixture_bytes(f"youtube/feeds/{feed_id}.xml"), content_type=ATOM)
    playlist_id = req.param("playlist_id") or ""
    playlist = _hook(replay, "youtube_playlist", playlist_id) if playlist_id else None
    items = _hook(replay, "youtube_playlist_items", playlist_id) if playlist_id else None
    if playlist is None or items is None:
        # the live body of a feed 404 is not verified offline; a short HTML page here
        return Response(
            status=404, body=b"<html><body>Error 404 (Not Found)</body></html>", content_type="text/html; charset=UTF-8"
        )
    return Response(body=synthetic_feed(playlist, items, replay).encode(), content_type=ATOM)


# ---- synthetic data for demos and benchmarks


def _etag(*parts: Any) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1("|".join(map(str, parts)).encode()).digest()).decode()[:27]


def _number(video_id: str, mod: int) -> int:
    return int(hashlib.sha1(video_id.encode()).hexdigest()[:8], 16) % mod


def synthetic_video(
    video_id: str, channel_id: str = "UCsynthSynthSynthSynth01", channel: str = "Synthetic Lectures"
) -> dict[str, Any]:
    """A full videos.list resource with figures derived from the id (stable across runs)."""
    minutes, seconds = 5 + _number(video_id, 85), _number(video_id + "s", 60)
    title = f"Synthetic lecture {video_id}"
    return {
        "kind": "youtube#video",
        "etag": _etag("v", video_id),
        "id": video_id,
        "snippet": {
            "publishedAt": f"2025-{1 + _number(video_id, 12):02d}-{1 + _number(video_id, 28):02d}T12:00:00Z",
            "channelId": channel_id,
            "title": title,
            "description": f"{title}, made up by the replay server.",
            "thumbnails": {
                "high": {"url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg", "width": 480, "height": 360}
            },
            "channelTitle": channel,
            "categoryId": "27",
            "liveBroadcastContent": "none",
            "localized": {"title": title, "description": f"{title}, made up by the replay server."},
        },
        "contentDetails": {
            "duration": f"PT{minutes}M{seconds}S",
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "contentRating": {},
            "projection": "rectangular",
        },
        "statistics": {
            "viewCount": str(1000 + _number(video_id, 500000)),
            "likeCount": str(_number(video_id, 9000)),
            "favoriteCount": "0",
            "commentCount": str(_number(video_id, 400)),
        },
    }


def synthetic_playlist(
    playlist_id: str, count: int, channel_id: str = "UCsynthSynthSynthSynth01", channel: str = "Synthetic Lectures"
) -> dict[str, Any]:
    title = f"Synthetic course {playlist_id[-6:]}"
    return {
        "kind": "youtube#playlist",
        "etag": _etag("p", playlist_id),
        "id": playlist_id,
        "snippet": {
            "publishedAt": "2025-01-06T09:00:00Z",
            "channelId": channel_id,
            "title": title,
            "description": f"{title}: {count} videos made up by the replay server.",
            "thumbnails": {},
            "channelTitle": channel,
            "localized": {"title": title, "description": ""},
        },
        "contentDetails": {"itemCount": count},
    }


def synthetic_items(
    playlist_id: str,
    video_ids: Sequence[str],
    channel_id: str = "UCsynthSynthSynthSynth01",
    channel: str = "Synthetic Lectures",
) -> list[dict[str, Any]]:
    out = []
    for position, video_id in enumerate(video_ids):
        video = synthetic_video(video_id, channel_id, channel)
        out.append(
            {
                "kind": "youtube#playlistItem",
                "etag": _etag("i", playlist_id, video_id),
                "id": base64.b64encode(f"{playlist_id}.{position:016X}".encode()).decode(),
                "snippet": {
                    "publishedAt": "2025-01-06T09:00:00Z",
                    "channelId": channel_id,
                    "title": video["snippet"]["title"],
                    "description": video["snippet"]["description"],
                    "thumbnails": video["snippet"]["thumbnails"],
                    "channelTitle": channel,
                    "playlistId": playlist_id,
                    "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": video_id},
                    "videoOwnerChannelTitle": channel,
                    "videoOwnerChannelId": channel_id,
                },
                "contentDetails": {"videoId": video_id, "videoPublishedAt": video["snippet"]["publishedAt"]},
            }
        )
    return out


def synthetic_feed(playlist: Mapping[str, Any], items: Sequence[Mapping[str, Any]], replay: Replay) -> str:
    """The playlist's Atom feed: its first 15 videos, as youtube.com lists them."""
    snippet = playlist["snippet"]
    entries = []
    for item in items[:15]:
        video_id = item["contentDetails"]["videoId"]
        video = video_resource(video_id, replay) or synthetic_video(video_id)
        v = video["snippet"]
        entries.append(
            f"<entry><id>yt:video:{video_id}</id><yt:videoId>{video_id}</yt:videoId>"
            f"<yt:channelId>{v['channelId']}</yt:channelId><title>{escape(v['title'])}</title>"
            f'<link rel="alternate" href="https://www.youtube.com/watch?v={video_id}"/>'
            f"<author><name>{escape(v['channelTitle'])}</name></author>"
            f"<published>{v['publishedAt']}</published><updated>{v['publishedAt']}</updated>"
            f"<media:group><media:title>{escape(v['title'])}</media:title>"
            f'<media:thumbnail url="https://i1.ytimg.com/vi/{video_id}/hqdefault.jpg" width="480" height="360"/>'
            f"<media:description>{escape(v['description'])}</media:description>"
            f'<media:community><media:statistics views="{video["statistics"]["viewCount"]}"/></media:community>'
            f"</media:group></entry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">'
        f"<id>yt:playlist:{playlist['id']}</id><yt:playlistId>{playlist['id']}</yt:playlistId>"
        f"<yt:channelId>{snippet['channelId']}</yt:channelId><title>{escape(snippet['title'])}</title>"
        f"<author><name>{escape(snippet['channelTitle'])}</name></author>"
        f"<published>{snippet['publishedAt']}</published>{''.join(entries)}</feed>\n"
    )


def synthesize(replay: Replay, playlists: Mapping[str, Sequence[str]] | None = None, any_video: bool = True) -> None:
    """Serve made-up data: every well-formed video id (when `any_video`), and the given
    playlists (id → its video ids in order), through the API, oEmbed and feed routes."""
    lists = {pid: list(ids) for pid, ids in (playlists or {}).items()}
    if any_video:
        replay.state["youtube_video"] = lambda vid: synthetic_video(vid) if len(vid) == 11 else None
    replay.state["youtube_playlist"] = lambda pid: synthetic_playlist(pid, len(lists[pid])) if pid in lists else None
    replay.state["youtube_playlist_items"] = lambda pid: synthetic_items(pid, lists[pid]) if pid in lists else None
