"""GitHub REST and GraphQL, answered the way api.github.com does.

Routes: `GET /repos/{owner}/{name}` (a renamed repo answers 301 to `/repositories/{id}`),
`GET /repositories/{id}`, `POST /graphql` (aliased `repository(owner:, name:)` fields,
a null alias plus an `errors` entry of type NOT_FOUND for an unknown repo). Every answer
carries the `X-RateLimit-*` headers; `https://api.github.com` in bodies and `Location`
is rewritten to the replay base, as PyGithub refuses to follow another host.

Per-test knobs in `replay.state` (helpers below):
- `github_rate`: {"remaining", "limit", "reset"}; once remaining is 0 REST answers a
  primary-limit 403 and GraphQL a 200 with a RATE_LIMITED error (`set_rate_limit`);
- `github_stars`: {"owner/name" lower-cased: stars} overrides a repo's star count;
- `github_synthesize`: callable(owner, name) -> REST body or None, for repos without a
  fixture (`synthetic_repo` builds one; used for request counts and `make bench`).

Assumption (not checkable offline): GraphQL `repository(owner:, name:)`
follows a rename the way REST's 301 does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.replay.server import FIXTURES, Replay, Request, Response, fixture_bytes, route

GITHUB = "https://api.github.com"
_DIR = FIXTURES / "github"
_ALIAS = re.compile(
    r"(?P<alias>\w+)\s*:\s*repository\s*\(\s*owner\s*:\s*\$(?P<o>\w+)\s*,\s*name\s*:\s*\$(?P<n>\w+)\s*\)"
)


def _index(folder: str) -> dict[str, str]:
    """Fixture files of a folder by lower-cased `owner/name` (files are named `Owner__Name.json`)."""
    return {
        p.stem.replace("__", "/", 1).lower(): f"github/{folder}/{p.name}"
        for p in sorted((_DIR / folder).glob("*.json"))
    }


REST = _index("repos")
GRAPHQL = _index("graphql")
RENAMES: dict[str, str] = {k.lower(): v for k, v in json.loads((_DIR / "renames.json").read_text()).items()}


def _rewrite(text: str, replay: Replay) -> str:
    return text.replace(GITHUB, replay.url)


def _json(data: Any, replay: Replay, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status=status, body=_rewrite(json.dumps(data, ensure_ascii=False), replay).encode(), headers=headers or {}
    )


def set_rate_limit(replay: Replay, remaining: int, reset_in: float = 3600, limit: int | None = None) -> int:
    """Let only `remaining` more requests through before the hourly limit is spent; returns the reset epoch."""
    reset = int(time.time() + reset_in)
    replay.state["github_rate"] = {"remaining": remaining, "limit": limit, "reset": reset}
    return reset


def _rate(req: Request, replay: Replay, resource: str) -> tuple[dict[str, str], bool]:
    """The X-RateLimit-* headers for this request, and whether the limit was already spent."""
    limit = 5000 if "authorization" in req.headers else 60
    state = replay.state.get("github_rate")
    if state is None:  # unlimited unless a test says otherwise, but the headers still count down
        used = replay.state["github_used"] = replay.state.get("github_used", 0) + 1
        remaining, reset, spent = max(limit - used, 1), int(time.time()) + 3600, False
    else:
        limit = state["limit"] or limit
        spent = state["remaining"] <= 0
        if not spent:
            state["remaining"] -= 1
        remaining, reset = state["remaining"], state["reset"]
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Used": str(limit - remaining),
        "X-RateLimit-Resource": resource,
        "X-GitHub-Media-Type": "github.v3; format=json",
    }, spent


def synthetic_repo(owner: str, name: str, stars: int = 100, repo_id: int | None = None) -> dict[str, Any]:
    """A REST body in the shape of the fixtures, for a repo that has none."""
    base = json.loads(fixture_bytes("github/repos/curate-fixtures__moe-capacity.json"))
    text = json.dumps(base).replace("curate-fixtures/moe-capacity", f"{owner}/{name}")
    text = text.replace("/users/curate-fixtures", f"/users/{owner}").replace('"curate-fixtures"', json.dumps(owner))
    text = text.replace("github.com/curate-fixtures", f"github.com/{owner}")
    data = json.loads(text)
    data.update(
        name=name,
        full_name=f"{owner}/{name}",
        stargazers_count=stars,
        watchers_count=stars,
        watchers=stars,
        id=repo_id or abs(hash((owner.lower(), name.lower()))) % 10**9,
        description=f"Synthetic repository {owner}/{name}",
        homepage="",
    )
    return data


def graphql_node(rest: dict[str, Any], release: dict[str, Any] | None = None) -> dict[str, Any]:
    """The GraphQL `repository` node (curate's fields) for a REST body."""
    lic = rest.get("license") or None
    return {
        "nameWithOwner": rest["full_name"],
        "url": rest["html_url"],
        "name": rest["name"],
        "owner": {"login": rest["owner"]["login"]},
        "description": rest.get("description"),
        "homepageUrl": rest.get("homepage") or None,
        "stargazerCount": rest["stargazers_count"],
        "forkCount": rest["forks_count"],
        "isArchived": rest["archived"],
        "isFork": rest["fork"],
        "createdAt": rest["created_at"],
        "pushedAt": rest["pushed_at"],
        "primaryLanguage": {"name": rest["language"]} if rest.get("language") else None,
        "licenseInfo": {"spdxId": lic["spdx_id"]} if lic else None,
        "repositoryTopics": {"nodes": [{"topic": {"name": t}} for t in rest.get("topics", [])]},
        "latestRelease": release,
    }


def _full_name(owner: str, name: str) -> str:
    key = f"{owner}/{name}".lower()
    return RENAMES.get(key, key).lower()


def _rest_body(owner: str, name: str, replay: Replay) -> dict[str, Any] | None:
    """The REST body for a repo by its current name, stars overridden; None when GitHub would 404."""
    key = f"{owner}/{name}".lower()
    if key in REST:
        data = json.loads(fixture_bytes(REST[key]))
    else:
        synth: Callable[[str, str], dict[str, Any] | None] | None = replay.state.get("github_synthesize")
        data = synth(owner, name) if synth else None
        if data is None:
            return None
    stars = replay.state.get("github_stars", {}).get(key)
    if stars is not None:
        data.update(stargazers_count=stars, watchers_count=stars, watchers=stars)
    return data


def _spent_rest(req: Request, replay: Replay, headers: dict[str, str]) -> Response:
    name = "token" if "authorization" in req.headers else "anonymous"
    body = json.loads(fixture_bytes(f"github/errors/rate_limit_exceeded_{name}.json"))
    return _json(body, replay, status=403, headers=headers)


def _not_found(replay: Replay, headers: dict[str, str]) -> Response:
    return _json(json.loads(fixture_bytes("github/errors/not_found.json")), replay, status=404, headers=headers)


@route("GET", r"(?:/.*)?/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)")
def get_repo(req: Request, replay: Replay) -> Response:
    headers, spent = _rate(req, replay, "core")
    if spent:
        return _spent_rest(req, replay, headers)
    owner, name = req.path.rstrip("/").split("/")[-2:]
    key = f"{owner}/{name}".lower()
    if key in RENAMES:
        target = RENAMES[key]
        body = _rest_body(*target.split("/"), replay)
        if body is None:
            return _not_found(replay, headers)
        location = f"{GITHUB}/repositories/{body['id']}"
        moved = {
            "message": "Moved Permanently",
            "url": location,
            "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects",
        }
        return _json(moved, replay, status=301, headers={**headers, "Location": _rewrite(location, replay)})
    body = _rest_body(owner, name, replay)
    if body is None:
        return _not_found(replay, headers)
    return _json(body, replay, headers={**headers, "ETag": f'W/"{abs(hash(json.dumps(body))):032x}"'})


@route("GET", r"(?:/.*)?/repositories/(?P<id>\d+)")
def get_repository_by_id(req: Request, replay: Replay) -> Response:
    headers, spent = _rate(req, replay, "core")
    if spent:
        return _spent_rest(req, replay, headers)
    repo_id = int(req.path.rstrip("/").split("/")[-1])
    for key in REST:
        data = json.loads(fixture_bytes(REST[key]))
        if data["id"] == repo_id:
            return _json(_rest_body(*data["full_name"].split("/"), replay), replay, headers=headers)
    return _not_found(replay, headers)


def _node(owner: str, name: str, replay: Replay) -> dict[str, Any] | None:
    current = _full_name(owner, name)
    rest = _rest_body(*current.split("/"), replay)
    if rest is None:
        return None
    if current in GRAPHQL:
        node = json.loads(fixture_bytes(GRAPHQL[current]))
        node["stargazerCount"] = rest["stargazers_count"]
        return node
    return graphql_node(rest)


@route("POST", r"(?:/.*)?/graphql")
def graphql(req: Request, replay: Replay) -> Response:
    if "authorization" not in req.headers:  # GitHub's GraphQL API has no anonymous access
        return _json(
            {
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql"
                "#authenticating-with-graphql",
            },
            replay,
            status=401,
        )
    headers, spent = _rate(req, replay, "graphql")
    if spent:
        return _json(json.loads(fixture_bytes("github/graphql_answers/rate_limited.json")), replay, headers=headers)
    payload = req.json() or {}
    query, variables = payload.get("query", ""), payload.get("variables") or {}
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    lines = query.splitlines()
    for m in _ALIAS.finditer(query):
        alias, owner, name = m.group("alias"), variables.get(m.group("o")), variables.get(m.group("n"))
        node = _node(owner, name, replay) if owner and name else None
        data[alias] = node
        if node is None:
            line = next((i + 1 for i, text in enumerate(lines) if f"{alias}:" in text), 1)
            errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": [alias],
                    "locations": [{"line": line, "column": lines[line - 1].index(alias) + 1 if lines else 1}],
                    "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                }
            )
    if "rateLimit" in query:
        reset = int(headers["X-RateLimit-Reset"])
        data["rateLimit"] = {
            "cost": 1,
            "remaining": int(headers["X-RateLimit-Remaining"]),
            "resetAt": datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = errors
    return _json(body, replay, headers=headers)


def secondary_limit(retry_after: int = 1) -> Response:
    """A secondary-rate-limit 403 with Retry-After, as GitHub sends it (for `replay.fault`)."""
    return Response(
        status=403,
        body=fixture_bytes("github/errors/secondary_rate_limit.json"),
        headers={
            "Retry-After": str(retry_after),
            "X-RateLimit-Remaining": "4990",
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
        },
    )


def error(status: int, fixture: str, **headers: str) -> Response:
    """An error answer from `fixtures/github/errors/<fixture>.json` (for `replay.fault`)."""
    return Response(status=status, body=fixture_bytes(f"github/errors/{fixture}.json"), headers=dict(headers))
