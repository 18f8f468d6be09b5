"""The GitHub connector against the replay server: records, batching, renames, rate limits,
paper → code links and stars over time."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.base import Fetched
from connectors.errors import BadPayload, Deferred, NotFound, RateLimited, Unauthorized, Unavailable
from connectors.github import GitHubConnector, arxiv_ids_in, repo_from_graphql, repo_from_rest
from pipeline.ingest import Ingest, Status
from pipeline.links import parse
from pipeline.metrics import enrich
from pipeline.store import Store
from schemas import Paper
from tests.replay.routes_github import error, secondary_limit, set_rate_limit, synthetic_repo
from tests.replay.server import FIXTURES, Response

TOKEN = "ghp_TESTtokenNeverShown0123456789abcdef"
MOE = "https://github.com/curate-fixtures/moe-capacity"
MWM = "https://github.com/GokuMohandas/Made-With-ML"
OLD = "https://github.com/curate-fixtures/old-name"
GONE = "https://github.com/curate-fixtures/vanished-code"


def load(relative: str) -> dict:
    return json.loads((FIXTURES / "github" / relative).read_text(encoding="utf-8"))


@pytest.fixture(params=["rest", "graphql"])
def mode(request) -> str:
    """Run a test without a token (REST) and with one (GraphQL)."""
    return request.param


def connector(settings, token: bool, **changes) -> GitHubConnector:
    update = {"github_retries": 1, **changes}
    if token:
        update["github_token"] = SecretStr(TOKEN)
    return GitHubConnector.from_settings(settings.model_copy(update=update))


def fetch(settings, urls: list[str], token: bool = False, **changes) -> list[Fetched]:
    return list(connector(settings, token, **changes).fetch([parse(u) for u in urls]))


def token_env(mode: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN} if mode == "graphql" else {}


def export(curate) -> dict:
    doc = json.loads(curate("export", "--format", "json", "--output", "-").stdout)
    return {item["id"]: item for section in doc["sections"] for item in section["items"]}


# ---- payload → record (pure)


def test_rest_body_gives_every_repo_field():
    repo = repo_from_rest(load("repos/curate-fixtures__moe-capacity.json"))
    assert (repo.id, repo.url, repo.title) == (
        "github:curate-fixtures/moe-capacity",
        MOE,
        "curate-fixtures/moe-capacity",
    )
    assert (repo.owner, repo.name, repo.stars, repo.forks) == ("curate-fixtures", "moe-capacity", 812, 57)
    assert (repo.language, repo.license, repo.homepage) == ("Python", "Apache-2.0", "https://arxiv.org/abs/2512.07461")
    assert repo.topics == ["mixture-of-experts", "long-context", "llm", "pytorch"]
    assert repo.created == datetime(2025, 11, 2, 9, 14, 55, tzinfo=UTC)
    assert repo.pushed == datetime(2025, 12, 11, 18, 3, 20, tzinfo=UTC)
    assert (repo.archived, repo.fork, repo.latest_release) == (False, False, None)
    assert repo.arxiv_ids == ["2512.07461"]


def test_graphql_node_gives_the_same_repo_and_its_latest_release():
    rest = repo_from_rest(load("repos/curate-fixtures__moe-capacity.json"))
    graphql = repo_from_graphql(load("graphql/curate-fixtures__moe-capacity.json"))
    assert graphql.model_dump(exclude={"latest_release"}) == rest.model_dump(exclude={"latest_release"})
    assert graphql.latest_release is not None
    assert (graphql.latest_release.tag, graphql.latest_release.url) == (
        "v0.2.0",
        "https://github.com/curate-fixtures/moe-capacity/releases/tag/v0.2.0",
    )


@pytest.mark.parametrize("source", ["repos", "graphql"])
def test_unmatched_license_empty_homepage_and_no_description_become_none(source):
    data = load(f"{source}/CurateFixtures__New-Name.json")
    repo = repo_from_rest(data) if source == "repos" else repo_from_graphql(data)
    assert (repo.license, repo.homepage, repo.description, repo.archived) == (None, None, None, True)
    assert repo.url == "https://github.com/CurateFixtures/New-Name" and repo.id == "github:curatefixtures/new-name"


def test_made_with_ml_has_no_release_and_names_no_paper():
    repo = repo_from_graphql(load("graphql/GokuMohandas__Made-With-ML.json"))
    assert repo.full_name == "GokuMohandas/Made-With-ML" and repo.latest_release is None and repo.arxiv_ids == []
    assert repo.language == "Jupyter Notebook" and repo.stars == 38412


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Code for arXiv:2512.07461 (NeurIPS)", ["2512.07461"]),
        ("see https://arxiv.org/pdf/2512.07461v2 and arxiv.org/abs/2511.13945", ["2512.07461", "2511.13945"]),
        ("https://huggingface.co/papers/2512.08296", ["2512.08296"]),
        ("Paper: https://alphaxiv.org/abs/hep-th/9901001.", ["hep-th/9901001"]),
        ("version 2024.10001 of the tool, 1.2345 speedup", []),
    ],
    ids=["mention", "abs-and-pdf-links", "hugging-face", "old-style", "numbers-are-not-ids"],
)
def test_arxiv_ids_are_found_in_any_link_form_or_mention(text, ids):
    assert arxiv_ids_in(text) == ids


# ---- batching and request counts


def test_sixty_repos_with_a_token_cost_two_requests(settings, replay):
    replay.state["github_synthesize"] = lambda owner, name: synthetic_repo(owner, name, stars=int(name.split("-")[1]))
    urls = [f"https://github.com/synth/repo-{i}" for i in range(60)]
    results = fetch(settings, urls, token=True)
    assert replay.count("/graphql", method="POST") == 2
    assert [r.record.id for r in results if r.record] == [f"github:synth/repo-{i}" for i in range(60)]
    assert [r.record.stars for r in results if r.record][:3] == [0, 1, 2]
    assert all(r.headers["authorization"] == f"token {TOKEN}" for r in replay.requests)


def test_without_a_token_each_repo_is_one_rest_request_and_the_summary_says_how_to_add_one(curate, replay):
    result = curate("ingest", MOE, MWM)
    assert result.returncode == 0, result.stderr
    assert replay.count("/repos/", method="GET") == 2 and replay.count("/graphql") == 0
    assert "authorization" not in replay.requests[0].headers
    assert replay.requests[0].headers["user-agent"].startswith("curate/")
    assert "60 requests an hour" in result.stderr and "Set GITHUB_TOKEN" in result.stderr
    assert "stored\tgithub:gokumohandas/made-with-ml\trepo\tGokuMohandas/Made-With-ML\n" in result.stdout


def test_with_a_token_the_summary_has_no_token_advice_and_releases_are_kept(curate, replay):
    result = curate("ingest", MOE, MWM, extra_env={"GITHUB_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    assert replay.count("/graphql") == 1 and replay.count("/repos/") == 0
    assert "GITHUB_TOKEN" not in result.stderr
    shown = json.loads(curate("show", MOE).stdout)
    assert shown["record"]["latest_release"]["tag"] == "v0.2.0"


def ingest(settings, mode: str, urls: list[str], **kw):
    """An in-process ingest run (as the CLI does it) without or with a token; returns (report, store)."""
    if mode == "graphql":
        settings = settings.model_copy(update={"github_token": SecretStr(TOKEN)})
    store = Store(settings.db)
    return Ingest(settings, store).run(urls, **kw), store


def test_a_fresh_repo_is_not_fetched_again(settings, replay, mode):
    ingest(settings, mode, [MOE])
    report, _ = ingest(settings, mode, ["github.com/curate-fixtures/moe-capacity/tree/main/src"])
    assert [(o.status, o.item_id) for o in report.outcomes] == [(Status.fresh, "github:curate-fixtures/moe-capacity")]
    assert len(replay.requests) == 1


# ---- renames and missing repos


def test_renamed_repo_is_stored_under_its_new_name_and_the_old_id_points_to_it(settings, replay, mode):
    report, store = ingest(settings, mode, [OLD])
    assert [(o.status, o.item_id, o.title) for o in report.outcomes] == [
        (Status.stored, "github:curatefixtures/new-name", "CurateFixtures/New-Name")
    ]
    if mode == "rest":
        assert [r.path for r in replay.requests] == ["/repos/curate-fixtures/old-name", "/repositories/700000001"]
    item = store.get("github:curate-fixtures/old-name")
    assert (item.id, item.url) == ("github:curatefixtures/new-name", "https://github.com/CurateFixtures/New-Name")
    again, _ = ingest(settings, mode, [OLD, "https://github.com/CurateFixtures/New-Name"])
    assert [o.status for o in again.outcomes] == [Status.fresh, Status.fresh]
    assert [i.id for i in store.items()] == ["github:curatefixtures/new-name"]


def test_renamed_repo_shows_under_its_old_link(curate, replay):
    assert curate("ingest", OLD).stdout == "stored\tgithub:curatefixtures/new-name\trepo\tCurateFixtures/New-Name\n"
    assert json.loads(curate("show", OLD).stdout)["id"] == "github:curatefixtures/new-name"


def test_missing_or_private_repo_is_not_found_and_its_neighbours_are_stored(curate, replay):
    result = curate("ingest", MOE, GONE, MWM, extra_env={"GITHUB_TOKEN": TOKEN})
    assert result.returncode == 1
    assert f"✗ {GONE}  not found on GitHub (deleted, renamed away or private)" in result.stderr
    assert result.stderr.strip().endswith("2 stored · 1 not found")
    assert (
        "github:curate-fixtures/moe-capacity" in result.stdout and "github:gokumohandas/made-with-ml" in result.stdout
    )
    assert replay.count("/graphql") == 1


def test_graphql_answer_with_a_null_alias_and_a_not_found_error_fails_only_that_repo(settings, replay):
    body = (FIXTURES / "github/graphql_answers/two_repos_one_missing.json").read_bytes()
    replay.fault("/graphql", Response(body=body))
    moe, gone = fetch(settings, [MOE, GONE], token=True)
    assert moe.record is not None and moe.record.stars == 812
    assert isinstance(gone.error, NotFound) and gone.record is None


def test_a_github_owner_alone_is_refused_with_a_clear_message(curate, replay):
    result = curate("ingest", "https://github.com/curate-fixtures")
    assert result.returncode == 2
    assert "a GitHub owner (curate-fixtures), not a repository" in result.stderr
    assert len(replay.requests) == 0


# ---- rate limits and faults


def test_secondary_limit_with_a_short_retry_after_is_waited_out(settings, replay):
    replay.fault("/repos/", secondary_limit(retry_after=1))
    (result,) = fetch(settings, [MOE])
    assert result.record is not None and result.record.stars == 812
    assert replay.count("/repos/") == 2


def test_secondary_limit_longer_than_max_wait_fails_the_link_and_postpones_the_rest(settings, replay, mode):
    replay.fault("/(repos|graphql)", secondary_limit(retry_after=120))
    refs = [MOE, MWM, OLD]
    first, *rest = fetch(settings, refs, token=mode == "graphql")
    assert isinstance(first.error, RateLimited) and first.error.retry_after == 120
    assert "more than CURATE_GITHUB_MAX_WAIT" in first.error.reason
    if mode == "rest":  # the others were not tried: postponed, not failed
        assert all(isinstance(r.error, Deferred) for r in rest)
    assert len(replay.requests) == 1


def test_spent_hourly_limit_defers_the_rest_and_the_next_run_picks_them_up(settings, replay):
    reset = set_rate_limit(replay, remaining=2)
    store = Store(settings.db)
    urls = [MOE, MWM, OLD, "https://github.com/curate-fixtures/moe-capacity.git"]
    report = Ingest(settings, store).run(urls)
    assert [o.status for o in report.outcomes] == [Status.stored, Status.stored, Status.deferred]
    postponed = report.outcomes[2]
    until = datetime.fromtimestamp(reset, UTC)
    assert f"postponed to the next run after {until:%H:%M} UTC" in postponed.message
    assert "60 requests an hour without GITHUB_TOKEN" in postponed.message
    assert [(p.id, p.until) for p in store.pending()] == [("github:curate-fixtures/old-name", until)]
    assert replay.count("/repos/") == 2  # the spent limit was read from the headers: no request wasted

    set_rate_limit(replay, remaining=60)
    early = Ingest(settings, store).run([], now=until - timedelta(minutes=5))
    assert early.outcomes == [] and len(store.pending()) == 1  # not before the reset
    later = Ingest(settings, store).run([], now=until + timedelta(minutes=1))
    assert [(o.status, o.item_id) for o in later.outcomes] == [(Status.stored, "github:curatefixtures/new-name")]
    assert store.pending() == []


def test_spent_limit_answer_postpones_links_through_the_cli_without_failing(curate, replay, mode):
    set_rate_limit(replay, remaining=0)
    result = curate("ingest", MOE, MWM, extra_env=token_env(mode))
    assert result.returncode == 0
    assert f"! {MOE}  GitHub rate limit used up" in result.stderr
    assert result.stderr.strip().endswith("2 postponed")
    assert len(replay.requests) == 1


@pytest.mark.parametrize(
    ("faults", "expected", "text"),
    [
        ([error(404, "not_found")], NotFound, "not found on GitHub"),
        ([error(451, "access_blocked_451")], NotFound, "blocked on GitHub for legal reasons"),
        ([error(401, "bad_credentials")], Unauthorized, "GitHub refused GITHUB_TOKEN"),
        ([error(502, "server_error")] * 2, Unavailable, "GitHub answered HTTP 502"),
        (
            [
                error(
                    403,
                    "rate_limit_exceeded_token",
                    **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"},
                )
            ],
            Deferred,
            "postponed to the next run after 2100-01-01 00:00 UTC",
        ),
        (
            [Response(status=429, body=b'{"message": "Too Many Requests"}', headers={"Retry-After": "600"})],
            RateLimited,
            "asked to slow down for 600 s",
        ),
        ([Response(body=b"<html><body>Unicorn!</body></html>", content_type="text/html")], BadPayload, "shape"),
        (
            [Response(body=b'{"full_name": "curate-fixtures/moe-capacity", "stargaz', truncate=30)],
            Unavailable,
            "GitHub",
        ),
        ([Response(body=b'{"id": 1, "stargazers_count": "many"}')], BadPayload, "GitHub"),
    ],
    ids=[
        "404",
        "451-blocked",
        "401-bad-token",
        "502-twice",
        "403-primary",
        "429-long",
        "html-200",
        "cut-off",
        "bad-json",
    ],
)
def test_each_failure_becomes_one_typed_error_naming_the_link(settings, replay, mode, faults, expected, text):
    replay.fault("/(repos|graphql)", *faults)
    (result,) = fetch(settings, [MOE], token=mode == "graphql")
    assert type(result.error) is expected and result.error.ref.url == MOE
    assert text in str(result.error) and str(result.error).startswith(MOE)
    assert TOKEN not in str(result.error)


@pytest.mark.parametrize(
    ("fault", "changes", "expected", "text"),
    [
        (
            Response(status=403, body=b'{"message": "Resource not accessible by integration"}'),
            {},
            Unauthorized,
            "GitHub refused the request (HTTP 403: Resource not accessible by integration)",
        ),
        (
            Response(status=301, body=b"{}", headers={"Location": "https://api.github.com/repositories/1"}),
            {},
            BadPayload,
            "redirected to another host or protocol",
        ),
        (
            Response(body=b"{}", delay=1.5),
            {"http_timeout": 1, "github_retries": 0},
            Unavailable,
            "no complete answer within 1 s",
        ),
        (None, {"github_api_url": "http://127.0.0.1:9"}, Unavailable, "could not connect to GitHub"),
    ],
    ids=["403-other", "301-to-https", "timeout", "connection-refused"],
)
def test_transport_failures_and_odd_answers_are_typed_errors_too(settings, replay, fault, changes, expected, text):
    if fault is not None:
        replay.fault("/repos/", fault)
    (result,) = fetch(settings, [MOE], **changes)
    assert type(result.error) is expected and text in result.error.reason


def test_token_is_sent_but_never_printed_logged_stored_or_exported(curate, replay, env):
    secret = {"GITHUB_TOKEN": TOKEN}
    replay.fault("/graphql", error(401, "bad_credentials"))
    failed = curate("--debug", "ingest", MOE, extra_env=secret)
    stored = curate("--verbose", "--debug", "ingest", "--refresh", MOE, "2512.07461", extra_env=secret)
    exported = curate("export", "--format", "json", "--output", "-", extra_env=secret)
    shown = curate("show", "--payload", MOE, extra_env=secret)
    assert failed.returncode == 1 and "GitHub refused GITHUB_TOKEN" in failed.stderr
    assert stored.returncode == 0, stored.stderr
    assert all(r.headers.get("authorization") == f"token {TOKEN}" for r in replay.requests if r.path == "/graphql")
    text = "".join(p.stdout + p.stderr for p in (failed, stored, exported, shown))
    assert TOKEN not in text
    for path in Path(env["CURATE_DB"]).parent.glob("curate.db*"):
        assert TOKEN.encode() not in path.read_bytes()
    with sqlite3.connect(env["CURATE_DB"]) as conn:
        dump = "\n".join(conn.iterdump())
    assert TOKEN not in dump


# ---- paper → code, and stars over time


def test_paper_code_repo_is_ingested_in_the_same_run_and_linked_both_ways(curate, replay):
    result = curate("ingest", "https://arxiv.org/abs/2512.07461", extra_env={"GITHUB_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    assert replay.count("/api/query") == 1 and replay.count("/(repos|graphql)") == 1
    assert "1 linked repo stored" in result.stderr
    items = export(curate)
    paper = items["arxiv:2512.07461"]
    assert paper["links"]["code"] == [MOE] and paper["links"]["repo"] == MOE
    assert paper["metrics"] == {"stars": 812}
    assert "github:curate-fixtures/moe-capacity" not in items  # shown on its paper, not as a tool of its own
    assert curate("ingest", MOE).returncode == 0  # asked for by name: a tool too, linked back to its paper
    repo = export(curate)["github:curate-fixtures/moe-capacity"]
    assert repo["links"]["paper"] == "https://arxiv.org/abs/2512.07461"
    assert repo["metrics"] == {"stars": 812, "forks": 57} and repo["authors"] == ["curate-fixtures"]


def test_paper_whose_code_repo_is_gone_is_stored_with_a_warning(curate, replay):
    result = curate("ingest", "2512.10101", "2512.07461")
    assert result.returncode == 0
    assert f"! {GONE}  linked code not fetched: not found on GitHub" in result.stderr
    assert "stored\tarxiv:2512.10101\tpaper" in result.stdout
    items = export(curate)
    assert items["arxiv:2512.10101"]["links"]["code"] == [GONE]
    assert "stars" not in items["arxiv:2512.10101"]["metrics"]


def test_stars_gained_appears_after_a_second_ingest_with_more_stars(curate, replay):
    curate("ingest", "2512.07461", MWM)
    first = export(curate)
    assert "stars_gained" not in first["arxiv:2512.07461"]["metrics"]
    replay.state["github_stars"] = {"curate-fixtures/moe-capacity": 900, "gokumohandas/made-with-ml": 38400}
    curate("ingest", "--refresh", MOE, MWM)
    items = export(curate)
    assert items["github:curate-fixtures/moe-capacity"]["metrics"] == {"stars": 900, "forks": 57, "stars_gained": 88}
    assert items["github:gokumohandas/made-with-ml"]["metrics"]["stars_gained"] == -12
    assert items["arxiv:2512.07461"]["metrics"] == {"stars": 900, "stars_gained": 88}


T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _repo_fetch(text: str, stars: int, full_name: str | None = None, arxiv_ids: tuple[str, ...] = ()) -> Fetched:
    data = synthetic_repo(*(full_name or text.removeprefix("https://github.com/")).split("/"), stars=stars)
    data["description"] = " ".join(f"arXiv:{a}" for a in arxiv_ids) or None
    return Fetched(parse(text), record=repo_from_rest(data), payload=data)


def _paper_fetch(arxiv_id: str, code: list[str]) -> Fetched:
    ref = parse(arxiv_id)
    return Fetched(ref, record=Paper(id=ref.key, url=ref.url, title="P", arxiv_id=arxiv_id, version=1, code_links=code))


def test_stars_gained_counts_from_the_last_reading_before_the_issue_started(tmp_path):
    store = Store(str(tmp_path / "c.db"))
    for days, stars in [(0, 100), (5, 150), (9, 170), (12, 230)]:
        store.save([_repo_fetch("https://github.com/o/steady", stars)], now=T0 + timedelta(days=days))
    store.save([_repo_fetch("https://github.com/o/newcomer", 10)], now=T0 + timedelta(days=8))
    store.save([_repo_fetch("https://github.com/o/newcomer", 25)], now=T0 + timedelta(days=11))
    items = {i.id: i for i in store.items()}
    since, now = T0 + timedelta(days=7), T0 + timedelta(days=14)
    out = enrich(store, list(items.values()), since, now)
    assert out["github:o/steady"][0]["stars_gained"] == 80  # 230 now, 150 at day 5 (the last reading before day 7)
    assert out["github:o/newcomer"][0]["stars_gained"] == 15  # first seen inside the issue: counted from then
    assert enrich(store, list(items.values()), None, T0 + timedelta(days=9))["github:o/steady"][0]["stars_gained"] == 70
    assert (
        "stars_gained"
        not in enrich(store, [items["github:o/newcomer"]], None, T0 + timedelta(days=9))["github:o/newcomer"][0]
    )


def test_paper_code_link_to_a_renamed_repo_gets_the_new_repos_stars(tmp_path):
    store = Store(str(tmp_path / "c.db"))
    store.save([_paper_fetch("2512.07461", [OLD]), _repo_fetch(OLD, 44, full_name="CurateFixtures/New-Name")], now=T0)
    paper = store.get("arxiv:2512.07461")
    metrics, links = enrich(store, [paper], None, T0 + timedelta(hours=1))["arxiv:2512.07461"]
    assert metrics == {"stars": 44} and links["code"] == [OLD]


def test_a_repo_naming_a_paper_in_the_export_becomes_that_papers_code(tmp_path):
    store = Store(str(tmp_path / "c.db"))
    store.save(
        [_paper_fetch("2511.13945", []), _repo_fetch("https://github.com/o/agents", 300, arxiv_ids=("2511.13945",))],
        now=T0,
    )
    out = enrich(store, store.items(), None, T0)
    assert out["arxiv:2511.13945"] == (
        {"stars": 300},
        {"code": ["https://github.com/o/agents"], "repo": "https://github.com/o/agents"},
    )
    assert out["github:o/agents"][1]["paper"] == "https://arxiv.org/abs/2511.13945"
