"""Hugging Face Papers API: `GET /api/papers/{arxiv id}` and `GET /api/daily_papers`.

Answers from fixtures/huggingface/, hand-written in the shapes huggingface.co sends
(../shared/corpus/hf holds recorded daily lists and searches): `papers/<id>.json` is one
paper object as `/api/papers/{id}` returns it (optional keys absent, not null); an id
without a file answers 404 with a JSON error, as for a paper nobody has put on the Hub.
`daily_papers.json` is a day's list. The daily list carries an ETag and answers 304 to it.

Per-test knobs in `replay.state`:
- `hf_upvotes`: {arxiv id: upvotes} overrides a paper's upvotes (in both routes);
- `hf_token`: when set, `/api/papers` wants `Authorization: Bearer <it>` (else 401).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.replay.server import FIXTURES, Replay, Request, Response, fixture_bytes, route


def _with_upvotes(paper: dict[str, Any], replay: Replay) -> dict[str, Any]:
    upvotes = replay.state.get("hf_upvotes", {}).get(paper.get("id"))
    return {**paper, "upvotes": upvotes} if upvotes is not None else paper


@route("GET", r"/api/papers/[^/]+")
def paper(req: Request, replay: Replay) -> Response:
    arxiv_id = req.path.rsplit("/", 1)[-1]
    token = replay.state.get("hf_token")
    if token is not None and req.headers.get("authorization") != f"Bearer {token}":
        return Response.json({"error": "Invalid credentials in Authorization header"}, status=401)
    if not (FIXTURES / "huggingface" / "papers" / f"{arxiv_id}.json").exists():
        return Response.json({"error": "Paper not found"}, status=404)
    return Response.json(_with_upvotes(json.loads(fixture_bytes(f"huggingface/papers/{arxiv_id}.json")), replay))


@route("GET", r"/api/daily_papers")
def daily_papers(req: Request, replay: Replay) -> Response:
    items = json.loads(fixture_bytes("huggingface/daily_papers.json"))
    body = json.dumps([{**item, "paper": _with_upvotes(item["paper"], replay)} for item in items]).encode()
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    if req.headers.get("if-none-match") == etag:
        return Response(status=304, body=b"", headers={"ETag": etag})
    return Response(body=body, headers={"ETag": etag})
