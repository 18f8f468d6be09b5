"""The naive way, for comparison: every link fetched alone, in order, one library call each.

`python -m tests.bench.naive LINKS_FILE`, with the same CURATE_* environment as the real
run. What a first script would do: a fresh `arxiv.Client` per paper, one `videos.list` per
video (a playlist: `playlists.list` and its item pages), `get_repo` per repository, one
`httpx.get` per page. It parses nothing into records and stores nothing, so it is the
cheapest naive run possible, and the ratio `make bench` prints is a floor.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from connectors.errors import LinkRefused
from pipeline.links import extract, parse
from schemas import Kind


def main(path: str) -> int:
    import arxiv
    import github
    import httplib2
    import httpx
    from googleapiclient.discovery import build
    from googleapiclient.http import HttpRequest

    github.set_log_level(logging.ERROR)
    env = os.environ
    key = env["YOUTUBE_API_KEY"]

    def keyed(*args: object, **kwargs: object) -> HttpRequest:
        request = HttpRequest(*args, **kwargs)
        request.headers["x-goog-api-key"] = key
        return request

    youtube = build(
        "youtube",
        "v3",
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": env["CURATE_YOUTUBE_API_URL"]},
        http=httplib2.Http(timeout=20, proxy_info=None),
        requestBuilder=keyed,
    )
    gh = github.Github(
        base_url=env["CURATE_GITHUB_API_URL"],
        auth=github.Auth.Token(env["GITHUB_TOKEN"]),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    ok = failed = 0
    for link in extract(Path(path).read_text(encoding="utf-8")):
        try:
            ref = parse(link)
        except LinkRefused:
            failed += 1
            continue
        key_id = ref.key.rsplit(":", 1)[-1]
        try:
            if ref.kind == Kind.paper:
                client = arxiv.Client(
                    page_size=1, delay_seconds=float(env.get("CURATE_ARXIV_DELAY", "3")), num_retries=0
                )
                client.query_url_format = env["CURATE_ARXIV_API_URL"] + "?{}"
                found = list(client.results(arxiv.Search(id_list=[key_id], max_results=1)))
            elif ref.kind == Kind.video:
                found = youtube.videos().list(part="snippet,contentDetails,statistics", id=key_id).execute()["items"]
            elif ref.kind == Kind.playlist:
                found = youtube.playlists().list(part="snippet,contentDetails", id=key_id).execute()["items"]
                request = youtube.playlistItems().list(part="snippet,contentDetails", playlistId=key_id, maxResults=50)
                while request is not None:
                    response = request.execute()
                    request = youtube.playlistItems().list_next(request, response)
            elif ref.kind == Kind.repo:
                found = [gh.get_repo(ref.key.removeprefix("github:")).raw_data]
            else:
                response = httpx.get(ref.url, follow_redirects=True, timeout=20)
                found = [response.text] if response.status_code == 200 else []
        except Exception:  # noqa: BLE001 - a failed link counts as failed, the run goes on
            found = []
        if found:
            ok += 1
        else:
            failed += 1
    sys.stderr.write(f"{ok} fetched · {failed} failed\n")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
