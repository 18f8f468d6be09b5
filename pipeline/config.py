"""Settings, read once from `CURATE_*` environment variables (and the sources' credentials).

The CLI builds one `Settings` and passes it down; no other module reads os.environ.
`Settings` holds curate's own settings plus each source's (its endpoints, credentials and
knobs, declared in its module under `connectors/`), with the same names as always.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.registry import Credential
from connectors.registry import default as default_registry

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


class CoreSettings(BaseSettings):
    """curate's own settings, the same for every source."""

    # a .env file in the working directory is read too; the environment wins over it
    model_config = SettingsConfigDict(
        env_prefix="CURATE_", extra="ignore", populate_by_name=True, env_file=".env", env_file_encoding="utf-8"
    )

    db: str = "data/curate.db"
    """SQLite path or any SQLAlchemy URL."""
    max_age: Duration = timedelta(hours=24)
    """A record fetched less than this long ago is not fetched again (`--refresh` overrides)."""
    sources: Path = Path("data/sources.toml")
    """The feeds `curate run` reads (a TOML file of `[[feeds]]` tables)."""
    refresh_age: Duration = timedelta(hours=24)
    """`curate run` fetches again repos, videos and playlists whose figures (stars, views) are older than this."""
    allow_private_hosts: bool = False
    """Let the web connector and the scheduled run's feeds fetch loopback and private addresses (tests only)."""
    http_timeout: float = Field(default=20.0, gt=0)
    """Seconds for the whole of any one HTTP answer, every byte of its body included, from every source."""
    http_max_bytes: int = Field(default=16_000_000, gt=0)
    """Largest API or feed answer read (decoded bytes, after gzip); a bigger one is a bad answer of its links."""
    http_max_depth: int = Field(default=64, ge=1)
    """Deepest JSON or XML nesting read in an answer; the answers curate reads nest fewer than 15 levels."""
    draft_max_bytes: int = Field(default=5_000_000, gt=0)
    """Largest draft `curate annotate` reads, in bytes; an issue's draft is tens of kB."""
    blurb_max_chars: int = Field(default=5_000, gt=0)
    """Longest blurb `curate annotate` takes for one item, in characters (a few paragraphs)."""
    drafts_dir: Path = Path("data/drafts")
    """Where `curate export` writes issue-<N>.json and issue-<N>.md."""
    llm_model: str | None = None
    """An `llm` model id (`llm models` lists them); when set, blurbs, TL;DR and titles are drafted as suggestions."""
    llm_timeout: float = Field(default=120.0, gt=0)
    """Seconds to wait for one answer of the model (a local model on a laptop may take a minute)."""
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

    serve_token: Credential = None
    """`curate serve` on any address but loopback asks for this token once (then a cookie keeps it)."""


class Settings(CoreSettings, *default_registry().settings_models()):  # type: ignore[misc]
    """Every knob of curate: its own and every source's. Tests construct it directly; users
    set `CURATE_<NAME>` (credentials also under the name their service uses)."""

    model_config = CoreSettings.model_config

    def secrets(self) -> list[str]:
        """The credential values, for redacting anything that could echo them."""
        values = (getattr(self, name) for name in type(self).model_fields)
        return [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v.get_secret_value()]
