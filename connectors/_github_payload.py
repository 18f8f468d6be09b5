"""GitHub payloads → Repo records, and the batched GraphQL query: pure functions, no I/O.

`repo_from_rest` reads the REST `GET /repos/{owner}/{name}` body, `repo_from_graphql`
one `repository` node of `graphql_query`; both give the same Repo for the same repo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.arxiv import ID_PATTERN, ArxivConnector, canonical_id
from connectors.errors import LinkRefused
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


def repo_from_rest(data: Mapping[str, Any]) -> Repo:
    """A Repo from the REST repository body (releases are not in it: `latest_release` stays None)."""
    return _repo(
        data["full_name"],
        description=data.get("description"),
        homepage=data.get("homepage"),
        stars=data["stargazers_count"],
        forks=data.get("forks_count") or 0,
        language=data.get("language"),
        topics=list(data.get("topics") or []),
        license=_license((data.get("license") or {}).get("spdx_id")),
        created=data.get("created_at"),
        pushed=data.get("pushed_at"),
        archived=bool(data.get("archived")),
        fork=bool(data.get("fork")),
    )


def repo_from_graphql(node: Mapping[str, Any]) -> Repo:
    """A Repo from one `repository` node carrying `REPO_FIELDS`."""
    release = node.get("latestRelease")
    topics = ((node.get("repositoryTopics") or {}).get("nodes")) or []
    return _repo(
        node["nameWithOwner"],
        description=node.get("description"),
        homepage=node.get("homepageUrl"),
        stars=node["stargazerCount"],
        forks=node.get("forkCount") or 0,
        language=(node.get("primaryLanguage") or {}).get("name"),
        topics=[t["topic"]["name"] for t in topics if t and t.get("topic")],
        license=_license((node.get("licenseInfo") or {}).get("spdxId")),
        created=node.get("createdAt"),
        pushed=node.get("pushedAt"),
        archived=bool(node.get("isArchived")),
        fork=bool(node.get("isFork")),
        latest_release=Release(
            tag=release["tagName"], name=release.get("name") or None,
            published=release.get("publishedAt"), url=release.get("url"),
        ) if release else None,
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
