"""GitHub payloads → Repo records, and the batched GraphQL query: pure functions, no I/O.

`repo_from_rest` reads the REST `GET /repos/{owner}/{name}` body, `repo_from_graphql`
one `repository` node of `graphql_query`; both give the same Repo for the same repo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.arxiv import ID_PATTERN, ArxivConnector, canonical_id
from connectors.errors import IncompleteAnswer, LinkRefused
from schemas import Release, Repo

# "arXiv:2512.07461", "arXiv 2512.07461v2", "arxiv.org/abs/…" without a scheme; links with
# a scheme go through ArxivConnector.owns so every arXiv link form counts
_ARXIV_MENTION = re.compile(rf"\barxiv(?:\.org/(?:abs|pdf|html)/|\s*:\s*|\s+)(?P<id>{ID_PATTERN})", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>()\[\]{}\"',;]+", re.IGNORECASE)

# the fields a Repo needs; repositoryTopics(first: 20) matches what the GitHub page shows
REPO_FIELDS = """nameWithOwner url name owner { login } description homepageUrl
  stargazerCount forkCount isArchived isFork createdAt pushedAt
  primaryLanguage { name } licenseInfo { spdxId }
  repositoryTopics(first: 20) { nodes { topic { name } } }
  latestRelease { tagName name publishedAt url }"""


def arxiv_ids_in(*texts: str | None) -> list[str]:
    """arXiv ids named in free text (a link in any form, or `arXiv:<id>`), in order, each once."""
    found: list[str] = []
    for text in texts:
        if not text:
            continue
        hits: list[tuple[int, str]] = []
        for m in _URL.finditer(text):
            try:
                ref = ArxivConnector.owns(m.group(0).rstrip(".:;!?"))
            except LinkRefused:  # a listing or an impossible id: not a paper the README names
                continue
            if ref is not None:
                hits.append((m.start(), ref.key.removeprefix("arxiv:")))
        hits += [(m.start(), i) for m in _ARXIV_MENTION.finditer(text) if (i := canonical_id(m.group("id")))]
        for _, arxiv_id in sorted(hits):
            if arxiv_id not in found:
                found.append(arxiv_id)
    return found


def _license(spdx: str | None) -> str | None:
    # GitHub says NOASSERTION for a license file it cannot match to an SPDX id
    return spdx if spdx and spdx != "NOASSERTION" else None


def _repo(full_name: str, description: str | None, homepage: str | None, **fields: Any) -> Repo:
    owner, name = full_name.split("/", 1)
    description = " ".join(description.split()) if description else None
    homepage = (homepage or "").strip() or None
    return Repo(
        id=f"github:{full_name.lower()}",
        url=f"https://github.com/{full_name}",
        title=full_name,
        full_name=full_name,
        owner=owner,
        name=name,
        description=description,
        homepage=homepage,
        arxiv_ids=arxiv_ids_in(description, homepage),
        **fields,
    )


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _whole(full_name: Any, stars: Any) -> tuple[str, int]:
    """The two fields a Repo cannot be without; IncompleteAnswer when either is missing or null."""
    if not isinstance(full_name, str) or full_name.count("/") != 1 or not all(full_name.split("/")):
        raise IncompleteAnswer("GitHub's answer lacks the repository's owner/name; the stored record stays")
    if isinstance(stars, bool) or not isinstance(stars, int):
        raise IncompleteAnswer("GitHub's answer lacks the repository's star count; the stored record stays")
    return full_name, stars


def repo_from_rest(data: Mapping[str, Any]) -> Repo:
    """A Repo from the REST repository body (releases are not in it: `latest_release` stays None).

    Any field but the name and the stars may be missing or null; IncompleteAnswer without those."""
    if not isinstance(data, Mapping) or "full_name" not in data:
        raise KeyError("full_name")  # not a repository body at all (an HTML page PyGithub wrapped)
    full_name, stars = _whole(data.get("full_name"), data.get("stargazers_count"))
    return _repo(
        full_name,
        description=_str(data.get("description")),
        homepage=_str(data.get("homepage")),
        stars=stars,
        forks=data.get("forks_count") if isinstance(data.get("forks_count"), int) else 0,
        language=_str(data.get("language")),
        topics=[t for t in (data.get("topics") or []) if isinstance(t, str)],
        license=_license(_str(_map(data.get("license")).get("spdx_id"))),
        created=data.get("created_at"),
        pushed=data.get("pushed_at"),
        archived=bool(data.get("archived")),
        fork=bool(data.get("fork")),
    )


def repo_from_graphql(node: Mapping[str, Any]) -> Repo:
    """A Repo from one `repository` node carrying `REPO_FIELDS`.

    Any field but the name and the stars may be missing or null; IncompleteAnswer without those."""
    node = _map(node)
    full_name, stars = _whole(node.get("nameWithOwner"), node.get("stargazerCount"))
    release = _map(node.get("latestRelease"))
    topics = _map(node.get("repositoryTopics")).get("nodes") or []
    return _repo(
        full_name,
        description=_str(node.get("description")),
        homepage=_str(node.get("homepageUrl")),
        stars=stars,
        forks=node.get("forkCount") if isinstance(node.get("forkCount"), int) else 0,
        language=_str(_map(node.get("primaryLanguage")).get("name")),
        topics=[
            name
            for name in (_str(_map(_map(t).get("topic")).get("name")) for t in topics if isinstance(topics, list))
            if name
        ],
        license=_license(_str(_map(node.get("licenseInfo")).get("spdxId"))),
        created=node.get("createdAt"),
        pushed=node.get("pushedAt"),
        archived=bool(node.get("isArchived")),
        fork=bool(node.get("isFork")),
        latest_release=Release(
            tag=release["tagName"],
            name=_str(release.get("name")),
            published=release.get("publishedAt"),
            url=_str(release.get("url")),
        )
        if _str(release.get("tagName"))
        else None,
    )


def graphql_query(pairs: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """One query for many repos: alias `r<i>` for `pairs[i]` (owner, name), plus `rateLimit`.

    Owners and names travel as variables, never spliced into the query text.
    """
    params = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(len(pairs)))
    fields = "\n".join(f"  r{i}: repository(owner: $o{i}, name: $n{i}) {{ ...R }}" for i in range(len(pairs)))
    query = (
        f"query({params}) {{\n{fields}\n  rateLimit {{ cost remaining resetAt }}\n}}\n"
        f"fragment R on Repository {{\n  {REPO_FIELDS}\n}}\n"
    )
    variables: dict[str, str] = {}
    for i, (owner, name) in enumerate(pairs):
        variables[f"o{i}"], variables[f"n{i}"] = owner, name
    return query, variables


def alias_errors(body: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The `errors` of a GraphQL answer split into those about one alias (`path[0]`) and the rest."""
    by_alias: dict[str, dict[str, Any]] = {}
    general: list[dict[str, Any]] = []
    for error in body.get("errors") or []:
        path = error.get("path") or []
        if path and isinstance(path[0], str):
            by_alias.setdefault(path[0], error)
        else:
            general.append(error)
    return by_alias, general
