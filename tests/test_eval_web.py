"""`make eval-web`'s scoring rules, and what it says when the development set is not there."""

from __future__ import annotations

import json

import pytest

from tests import eval_web
from tests.eval_web import Extracted, right

CASE = {
    "url": "https://www.news.example/2020/01/a",
    "title": "Berlin confronts its past",
    "author": ["Ada Quinn", "Ben Ross"],
    "date": "2020-01-19",
    "publisher": "News Example",
    "description": "A  five-year\u00a0project.",
    "alternatives": {"publisher": ["NEWS.EXAMPLE"]},
}


def got(**fields: object) -> Extracted:
    base = {
        "title": "Berlin confronts its past",
        "author": ["Ada Quinn", "Ben Ross"],
        "date": "2020-01-19",
        "publisher": "News Example",
        "description": "a five-year project.",
    }
    return Extracted(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("title", "Berlin Confronts Its Past | News Example", True),  # a site suffix, case folded
        ("title", "News Example - Berlin confronts its past", True),  # a site prefix
        ("title", "Berlin confronts", False),
        ("author", ["ada quinn", "Ben Ross", "Cy Park"], True),  # extra names are not held against it
        ("author", ["Ada Quinn"], False),  # a name missing
        ("date", "2020-01-20", False),
        ("publisher", "news.example", True),  # an alternative
        ("publisher", "www.news.example", False),  # the host counts only where the set names no site
        ("description", "A five-year project", False),
    ],  # punctuation is not folded
    ids=[
        "title-suffix",
        "title-prefix",
        "title-cut",
        "author-superset",
        "author-missing",
        "date-next-day",
        "publisher-alternative",
        "publisher-host",
        "description-punctuation",
    ],
)
def test_a_value_is_right_by_the_written_rules(field, value, ok):
    assert right(field, got(**{field: value}), CASE) is ok


def test_where_the_set_names_nothing_only_nothing_or_the_host_is_right():
    case = {**CASE, "author": None, "publisher": None}
    assert right("author", got(author=[]), case) and not right("author", got(author=["Someone"]), case)
    assert right("publisher", got(publisher="news.example"), case)
    assert right("publisher", got(publisher=None), case) and not right("publisher", got(publisher="News"), case)


def test_without_the_corpus_it_says_so_and_exits_zero(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(eval_web, "DEV_SET", tmp_path / "web-dev")
    assert eval_web.main([]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "eval-web: skipped: the development set is not there" in captured.err


def test_the_development_set_is_read_by_both_tools_page_by_page():
    from tests.conftest import corpus_file

    expected = corpus_file("web-dev/expected.json")
    cases = json.loads(expected.read_text(encoding="utf-8"))[:6]
    results = eval_web.evaluate(cases, expected.parent)
    assert results["pages"] == 6
    for tool in eval_web.TOOLS:
        assert len(results[tool]["ms"]) == 6
        assert results[tool]["right"]["title"] >= 5  # every page of the first six names its title in its metadata
    report = eval_web.report(results, show_misses=False)
    assert report.splitlines()[-3].startswith("total")
