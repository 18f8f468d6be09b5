"""GitHub repositories through PyGithub: GraphQL batches with a token, REST without.

Owns github.com/<owner>/<name> in all its forms; refuses an owner alone.
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

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# first path segments that are GitHub's own pages, not owners
_RESERVED = {
    "about", "apps", "collections", "contact", "customer-stories", "enterprise", "events",
    "explore", "features", "login", "join", "marketplace", "new", "notifications", "orgs",
    "organizations", "pricing", "pulls", "issues", "search", "security", "settings",
    "sponsors", "site", "team", "topics", "trending", "codespaces", "readme", "users",
}


def repo_ref(owner: str, name: str) -> SourceRef:
    return SourceRef(
        kind=Kind.repo,
        key=f"github:{owner.lower()}/{name.lower()}",
        url=f"https://github.com/{owner}/{name}",
        connector=GitHubConnector.name,
    )


def _owns(url: str) -> SourceRef | None:
    link = split(url)
    if link is None or link.host != "github.com":
        return None
    seg = link.segments
    if not seg or seg[0].lower() in _RESERVED:
        return None
    if len(seg) == 1:
        raise LinkRefused(url, f"a GitHub owner ({seg[0]}), not a repository: link to github.com/{seg[0]}/<repo>")
    owner, name = seg[0], seg[1].removesuffix(".git")
    if not _OWNER.match(owner) or not _NAME.match(name) or name in (".", ".."):
        raise LinkRefused(url, "not a GitHub repository name")
    return repo_ref(owner, name)


class GitHubConnector:
    name: ClassVar[str] = "github"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.repo,)

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Any) -> "GitHubConnector":
        return cls(settings)

    owns = staticmethod(_owns)

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        for ref in refs:
            yield Fetched(ref, error=Unavailable(ref, "the GitHub connector is not built yet (issue #5)"))

    def notes(self) -> list[str]:
        return []
