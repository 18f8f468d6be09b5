"""Settings, read once from `CURATE_*` environment variables (and the two credentials).

The CLI builds one `Settings` and passes it down; no other module reads os.environ.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>w|d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: object) -> object:
    """`24h`, `90m`, `1h30m`, `2d`, `3600` (seconds) → timedelta; anything else is left to pydantic."""
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = list(_DURATION.finditer(text))
    if not parts or "".join(p.group(0) for p in parts).replace(" ", "") != text.replace(" ", ""):
        raise ValueError(f"{value!r} is not a duration such as 24h, 90m, 1h30m or 2d")
    return timedelta(seconds=sum(float(p["n"]) * _UNIT_SECONDS[p["unit"].lower()] for p in parts))


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _http_url(value: object) -> object:
    """An http(s) root with a host, without a trailing slash; anything else is refused by name."""
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip().rstrip("/")
    return value


HttpUrl = Annotated[str, BeforeValidator(_http_url)]


def _credential(value: object) -> object:
    """Credentials pasted from an env file often carry a newline; an empty one means unset."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class Settings(BaseSettings):
    """Every knob of curate. Tests construct it directly; users set `CURATE_<NAME>`."""

    # a .env file in the working directory is read too; the environment wins over it
    model_config = SettingsConfigDict(env_prefix="CURATE_", extra="ignore", populate_by_name=True,
                                      env_file=".env", env_file_encoding="utf-8")

    db: str = "data/curate.db"
    """SQLite path or any SQLAlchemy URL."""
    arxiv_api_url: HttpUrl = "https://export.arxiv.org/api/query"
    arxiv_delay: float = Field(default=3.0, ge=0)
    """Seconds between arXiv requests: arXiv's API terms ask for one request every 3 s."""
    arxiv_retries: int = Field(default=3, ge=0)
    """Retries of a failed arXiv request (arxiv.py retries at once, spaced only by the delay)."""
    github_api_url: HttpUrl = "https://api.github.com"
    github_max_wait: float = Field(default=60.0, ge=0)
    """Longest GitHub rate-limit wait sat out in a run; GitHub asks for a minute after a secondary limit."""
    github_retries: int = Field(default=3, ge=0)
    """Retries of a GitHub request that failed with a 5xx or a dropped connection."""
    youtube_api_url: HttpUrl = "https://www.googleapis.com"
    youtube_web_url: HttpUrl = "https://www.youtube.com"
    youtube_playlist_max_items: int = Field(default=500, ge=1)
    """Playlist items listed per playlist (50 per quota unit): enough for a long course, bounded for a channel's uploads."""
    youtube_retries: int = Field(default=3, ge=0)
    """Retries of a failed YouTube API call (5xx, 429, rate limits; googleapiclient backs off 1, 2, 4 s at most)."""
    max_age: Duration = timedelta(hours=24)
    """A record fetched less than this long ago is not fetched again (`--refresh` overrides)."""
    sources: Path = Path("data/sources.toml")
    """The feeds `curate run` reads (a TOML file of `[[feeds]]` tables)."""
    refresh_age: Duration = timedelta(hours=24)
    """`curate run` fetches again repos, videos and playlists whose figures (stars, views) are older than this."""
    allow_private_hosts: bool = False
    """Let the web connector and the scheduled run's feeds fetch loopback and private addresses (tests only)."""
    web_max_bytes: int = Field(default=5_000_000, gt=0)
    """Largest web page body read (decoded bytes); a bigger or endless page is an error, not an out-of-memory."""
    web_concurrency: int = Field(default=8, ge=1)
    """Web pages fetched at once (never more than 2 from one host, whatever this says)."""
    http_timeout: float = Field(default=20.0, gt=0)
    """Seconds for the whole of any one HTTP answer, every byte of its body included, from every source."""
    http_max_bytes: int = Field(default=16_000_000, gt=0)
    """Largest API or feed answer read (decoded bytes, after gzip); a bigger one is a bad answer of its links."""
    http_max_depth: int = Field(default=64, ge=1)
    """Deepest JSON or XML nesting read in an answer; the answers curate reads nest fewer than 15 levels."""
    drafts_dir: Path = Path("data/drafts")
    """Where `curate export` writes issue-<N>.json and issue-<N>.md."""
    newsletter: Path = Path("data/newsletter.toml")
    """The newsletter's own format: name, sections, headings, line formats, prompts (the built-in default when
    this default path is missing)."""
    cap_papers: int | None = Field(default=None, ge=1)
    """Most papers a draft carries (unset: every candidate, so nothing is hidden from the editor)."""
    cap_videos: int | None = Field(default=None, ge=1)
    """Most videos and playlists a draft carries (unset: all)."""
    cap_reads: int | None = Field(default=None, ge=1)
    """Most articles a draft carries (unset: all)."""
    cap_tools: int | None = Field(default=None, ge=1)
    """Most repositories a draft carries (unset: all)."""

    serve_token: Annotated[SecretStr | None, BeforeValidator(_credential)] = None
    """`curate serve` on any address but loopback asks for this token once (then a cookie keeps it)."""

    github_token: Annotated[SecretStr | None, BeforeValidator(_credential)] = Field(
        default=None, validation_alias=AliasChoices("GITHUB_TOKEN", "CURATE_GITHUB_TOKEN")
    )
    youtube_api_key: Annotated[SecretStr | None, BeforeValidator(_credential)] = Field(
        default=None, validation_alias=AliasChoices("YOUTUBE_API_KEY", "CURATE_YOUTUBE_API_KEY")
    )

    def secrets(self) -> list[str]:
        """The credential values, for redacting anything that could echo them."""
        return [s.get_secret_value() for s in (self.github_token, self.youtube_api_key, self.serve_token) if s and s.get_secret_value()]
