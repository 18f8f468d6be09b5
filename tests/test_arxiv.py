"""The arXiv connector against the replay server: fields, batching and every failure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.arxiv import ArxivConnector, code_links, make_ref
from connectors.errors import BadPayload, NotFound, Unavailable
from pipeline.links import parse
from tests.conftest import corpus_file
from tests.replay.server import Response


@pytest.fixture
def arxiv(replay):
    return ArxivConnector(api_url=f"{replay.url}/api/query", delay=0, retries=0, timeout=2)


def fetch(connector, *texts):
    return {f.ref.key: f for f in connector.fetch([parse(t) for t in texts])}


def test_paper_fields_come_through_normalized(arxiv):
    paper = fetch(arxiv, "https://arxiv.org/abs/2512.07461")["arxiv:2512.07461"].record
    assert paper.title == "Sparse Mixture-of-Experts Routing with Learned Capacity for Long-Context Language Models"
    assert paper.authors == ["Zoë Müller-Łukasiewicz", "Jiří Dvořák", "佐藤 花子"]
    assert paper.abstract.startswith("Mixture-of-experts (MoE) layers")
    assert paper.primary_category == "cs.LG" and paper.categories == ["cs.LG", "cs.CL"]
    assert paper.published == datetime(2025, 12, 8, 11, 39, 43, tzinfo=UTC)
    assert paper.updated == datetime(2025, 12, 10, 17, 2, 11, tzinfo=UTC)
    assert paper.version == 2
    assert paper.comment == "14 pages, 6 figures. Code: https://github.com/curate-fixtures/moe-capacity."
    assert paper.pdf_url == "https://arxiv.org/pdf/2512.07461v2"
    assert paper.code_links == ["https://github.com/curate-fixtures/moe-capacity"]
    assert paper.doi is None and paper.journal_ref is None and not paper.withdrawn


def test_doi_journal_ref_old_style_ids_falsy_titles_and_withdrawals(arxiv):
    got = fetch(arxiv, "2511.13945", "hep-th/9901001", "2512.08296", "2512.01234")
    assert got["arxiv:2511.13945"].record.doi == "10.1145/3712345.3712399"
    assert got["arxiv:2511.13945"].record.journal_ref == "Proceedings of ICLR 2026"
    assert got["arxiv:hep-th/9901001"].record.url == "https://arxiv.org/abs/hep-th/9901001"
    assert got["arxiv:hep-th/9901001"].record.categories == ["hep-th", "gr-qc"]
    assert got["arxiv:2512.08296"].record.title == "0"
    assert got["arxiv:2512.01234"].record.withdrawn is True


def test_raw_entry_is_kept_as_the_payload(arxiv):
    payload = fetch(arxiv, "2512.07461")["arxiv:2512.07461"].payload
    assert payload.startswith("<entry") and "http://arxiv.org/abs/2512.07461v2" in payload


def test_unknown_id_is_not_found_and_its_batch_neighbours_are_fetched(arxiv, replay):
    got = fetch(arxiv, "2512.07461", "2512.99999", "2511.13945")
    assert replay.count(r".*/api/query") == 1
    assert isinstance(got["arxiv:2512.99999"].error, NotFound)
    assert got["arxiv:2512.99999"].error.reason == "not found on arXiv"
    assert got["arxiv:2512.07461"].ok and got["arxiv:2511.13945"].ok


def _synthetic_entry(arxiv_id: str) -> str:
    return f"""<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>Paper {arxiv_id}</title>
<updated>2025-12-01T00:00:00Z</updated><published>2025-12-01T00:00:00Z</published>
<summary>About {arxiv_id}.</summary><author><name>A. Author</name></author>
<link href="https://arxiv.org/pdf/{arxiv_id}v1" rel="related" type="application/pdf" title="pdf"/>
<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry>"""


def test_250_ids_cost_3_requests_of_at_most_100(arxiv, replay):
    replay.state["arxiv_synthesize"] = _synthetic_entry
    ids = [f"2512.{n:05d}" for n in range(1, 251)]
    results = list(arxiv.fetch([parse(i) for i in ids]))
    assert [r.ref.key for r in results] == [f"arxiv:{i}" for i in ids]
    assert all(r.ok for r in results)
    assert replay.count(r".*/api/query") == 3
    assert max(len(r.values("id_list")) for r in replay.requests) == 100


@pytest.mark.parametrize(
    ("response", "error", "reason"),
    [
        (
            Response(status=503, body="Service Unavailable", content_type="text/plain"),
            Unavailable,
            "arXiv answered HTTP 503",
        ),
        (Response(status=500, body="", content_type="text/plain"), Unavailable, "HTTP 500"),
        (
            Response(body="<html><body>Rate exceeded</body></html>", content_type="text/html"),
            Unavailable,
            "text/html, not Atom",
        ),
        (
            Response(
                body="<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry><id>http://arxiv.org/abs/2512",
                content_type="application/atom+xml",
            ),
            Unavailable,
            "malformed Atom",
        ),
        (
            Response(
                body=b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>" + b"x" * 5000,
                content_type="application/atom+xml",
                truncate=100,
            ),
            Unavailable,
            "arXiv",
        ),
        (Response(delay=3, body="", content_type="application/atom+xml"), Unavailable, "no complete answer within 2 s"),
    ],
    ids=["503", "500", "html-error-page", "malformed-xml", "cut-off-body", "too-slow"],
)
def test_server_faults_fail_the_batch_with_a_reason_not_a_crash(arxiv, replay, response, error, reason):
    replay.fault(r".*/api/query", response)
    got = fetch(arxiv, "2512.07461", "2511.13945")
    for fetched in got.values():
        assert isinstance(fetched.error, error)
        assert reason in fetched.error.reason


def test_an_id_arxiv_refuses_fails_alone_and_its_batch_is_asked_again(arxiv, replay):
    from schemas import Kind, SourceRef

    bad = SourceRef(kind=Kind.paper, key="arxiv:abc", url="https://arxiv.org/abs/abc", connector="arxiv")
    got = {f.ref.key: f for f in arxiv.fetch([parse("2512.07461"), bad, parse("2511.13945")])}
    assert isinstance(got["arxiv:abc"].error, BadPayload)
    assert got["arxiv:abc"].error.reason == "arXiv says abc is not a valid id"
    assert got["arxiv:2512.07461"].ok and got["arxiv:2511.13945"].ok
    assert [r.values("id_list") for r in replay.requests] == [
        ["2512.07461", "abc", "2511.13945"],
        ["2512.07461", "2511.13945"],
    ]


def test_an_empty_answer_for_several_ids_is_retryable_not_not_found(arxiv, replay):
    replay.fault(r".*/api/query", Response(body=corpus_free_empty_feed(), content_type="application/atom+xml"))
    got = fetch(arxiv, "2512.07461", "2511.13945")
    assert all(isinstance(f.error, Unavailable) and f.error.retryable for f in got.values())
    assert "none of the 2 papers" in got["arxiv:2512.07461"].error.reason


def corpus_free_empty_feed() -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\" "
        'xmlns="http://www.w3.org/2005/Atom"><id>https://arxiv.org/api/x</id><title>arXiv Query</title>'
        "<updated>2026-11-25T00:00:00Z</updated><opensearch:itemsPerPage>100</opensearch:itemsPerPage>"
        "<opensearch:totalResults>0</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex></feed>"
    )


def test_code_links_are_cut_to_the_project_and_deduplicated():
    text = (
        "Code: https://github.com/org/repo/tree/main/src. Mirror https://gitlab.com/org/repo.git, "
        "weights at https://huggingface.co/org/model; see https://github.com/org/repo and https://github.com/papers/x"
    )
    assert code_links(text) == [
        "https://github.com/org/repo",
        "https://gitlab.com/org/repo",
        "https://huggingface.co/org/model",
    ]


# ---- real recorded answers (../shared/corpus), served unchanged through the replay server


def _serve_corpus(replay, name):
    body = corpus_file(f"arxiv/{name}").read_bytes()
    replay.fault(r".*/api/query", Response(body=body, content_type="application/atom+xml; charset=UTF-8"))


def test_corpus_old_style_entry_with_affiliations_and_journal_ref(arxiv, replay):
    _serve_corpus(replay, "arxivpy_id_astro-ph_0601001.body.xml")
    paper = fetch(arxiv, "astro-ph/0601001")["arxiv:astro-ph/0601001"].record
    assert paper.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.abstract.startswith("We derive the frequencies")


def test_corpus_batch_with_one_unknown_id_keeps_the_known_one(arxiv, replay):
    _serve_corpus(replay, "arxivpy_id_list_0808.05394_1707.08567.body.xml")
    # 0808.05394 cannot exist (5 digits before 2015): curate refuses it locally, so send it as-is
    got = {f.ref.key: f for f in arxiv.fetch([make_ref("0808.05394"), parse("1707.08567")])}
    assert isinstance(got["arxiv:0808.05394"].error, NotFound)
    paper = got["arxiv:1707.08567"].record
    assert "Dirk Wübben" in paper.authors and len(paper.authors) == 34


def test_corpus_legacy_backend_format_still_parses(arxiv, replay):
    _serve_corpus(replay, "arxivpy_legacy_id_list_1111.2011v2.xml")
    paper = fetch(arxiv, "1111.2011")["arxiv:1111.2011"].record
    assert "\n" not in paper.title and paper.doi and paper.version == 2


def test_corpus_code_link_in_a_comment_becomes_a_code_link(arxiv, replay):
    _serve_corpus(replay, "arxivpy_search_testing_start40_max10.body.xml")
    page = (
        "1704.08347 2202.09076 2505.05162 2502.09460 2306.07400 2507.10541 2007.09895 1601.06222 1706.00679 2107.07364"
    )
    got = fetch(arxiv, *page.split())
    assert all(f.ok for f in got.values())
    fetched = got["arxiv:1706.00679"]
    assert fetched.record.code_links == ["https://github.com/ydecastro/super-resolution-testing"]
    assert fetched.follow == ["https://github.com/ydecastro/super-resolution-testing"]
