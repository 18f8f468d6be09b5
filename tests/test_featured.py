"""Featured before: a candidate that went out in a published issue says so and sorts last."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline import annotate, draft
from pipeline.store import Store
from schemas import Article, SectionKey
from tests.conftest import BACKENDS
from tests.draft_records import T0, article, paper, repo, save


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def mirror(slug: str, canonical: str) -> Article:
    """A page that names another item's address as its canonical one (a blog's copy of a paper page)."""
    url = f"https://mirror.example.com/{slug}"
    return Article(
        id=f"web:{url}",
        url=url,
        title=f"Mirror {slug}",
        site_name="Mirror",
        authors=["Grace Hopper"],
        published=T0,
        description="A copy.",
        declared_canonical=canonical,
    )


def publish_first_issue(store: Store, settings) -> None:
    save(store, [paper(1, code=["https://github.com/acme/Fastlib"]), paper(2)], T0 - timedelta(days=8))
    first = draft.prepare(store, now=T0 - timedelta(days=7))
    draft.record(store, first)
    annotate.publish(store, 1, T0 - timedelta(days=7))


def section(doc, key: SectionKey) -> list:
    return next(s for s in doc.sections if s.key == key).items


def test_what_went_out_before_says_which_issue_and_sorts_last(settings):
    store = Store(settings.db)
    publish_first_issue(store, settings)
    store.set_status(["arxiv:2511.00002"], __import__("schemas").ItemStatus.candidate)  # back on the table
    save(
        store,
        [
            repo("Fastlib", 900),
            repo("Newlib", 10),
            paper(3),
            article("fresh"),
            mirror("one", "https://arxiv.org/abs/2511.00001"),
        ],
        T0,
    )

    second = draft.prepare(store, now=T0, since=T0 - timedelta(days=10))

    assert second.number == 2
    tools = section(second.doc, SectionKey.tools)
    assert [(e.id, e.featured_in) for e in tools] == [("github:acme/newlib", []), ("github:acme/fastlib", [1])]
    papers = section(second.doc, SectionKey.papers)
    assert [(e.id, e.featured_in) for e in papers] == [("arxiv:2511.00003", []), ("arxiv:2511.00002", [1])]
    reads = {e.id: e.featured_in for e in section(second.doc, SectionKey.reads)}
    assert reads == {"web:https://blog.example.com/fresh": [], "web:https://mirror.example.com/one": [1]}
    exported = second.doc.model_dump(mode="json")
    assert next(e for s in exported["sections"] for e in s["items"] if e["id"] == "github:acme/fastlib")[
        "featured_in"
    ] == [1]
    assert "featured in #1" in second.to_markdown()


def test_the_editor_can_place_a_featured_item_first(settings, tmp_path):
    store = Store(settings.db)
    publish_first_issue(store, settings)
    save(store, [repo("Fastlib", 900), repo("Newlib", 10)], T0)
    second = draft.prepare(store, now=T0, since=T0 - timedelta(days=10))
    edits = annotate.Edits(
        number=2,
        fmt="json",
        items=[
            annotate.Edit(id="github:acme/fastlib", section="tools", position=1, include=True, blurb=""),
            annotate.Edit(id="github:acme/newlib", section="tools", position=2, include=True, blurb=""),
        ],
    )
    draft.record(store, second)
    annotate.apply(store, settings, edits)
    placed = draft.prepare(store, now=T0, since=T0 - timedelta(days=10))
    assert [(e.id, e.featured_in) for e in section(placed.doc, SectionKey.tools)] == [
        ("github:acme/fastlib", [1]),
        ("github:acme/newlib", []),
    ]


def test_curate_search_featured_lists_what_went_out_issue_by_issue(curate, settings):
    store = Store(settings.db)
    publish_first_issue(store, settings)
    result = curate("search", "--featured")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1\tarxiv:2511.00001\tpaper\tPaper number 1",
        "1\tarxiv:2511.00002\tpaper\tPaper number 2",
    ]
    assert curate("search", "--featured", "number 2").stdout == "1\tarxiv:2511.00002\tpaper\tPaper number 2\n"
