"""Link parsing: every form of one thing gives one id; everything else is refused by name."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from connectors.errors import LinkRefused
from connectors.web import canonical_url
from pipeline.links import extract, parse

SAME_THING = {
    "arxiv:2512.07461": [
        "https://arxiv.org/abs/2512.07461", "http://arxiv.org/abs/2512.07461v1", "arxiv.org/pdf/2512.07461v2",
        "https://arxiv.org/pdf/2512.07461.pdf", "https://arxiv.org/pdf/2512.07461v2.pdf",
        "https://arxiv.org/html/2512.07461v1", "https://export.arxiv.org/abs/2512.07461",
        "https://www.arxiv.org/abs/2512.07461", "https://alphaxiv.org/abs/2512.07461",
        "https://www.alphaxiv.org/overview/2512.07461", "https://huggingface.co/papers/2512.07461",
        "https://doi.org/10.48550/arXiv.2512.07461", "https://doi.org/10.48550/arxiv.2512.07461",
        "2512.07461", "2512.07461v3", "arXiv:2512.07461", " arxiv:2512.07461v2 ",
        "https://arxiv.org/abs/2512.07461?context=cs#section",
    ],
    "arxiv:hep-th/9901001": [
        "hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001v2", "arxiv.org/pdf/hep-th/9901001",
    ],
    "arxiv:math.GT/0309136": ["https://arxiv.org/abs/math.GT/0309136"],
    "youtube:video:dQw4w9WgXcQ": [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ?t=42",
        "https://youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube.com/embed/dQw4w9WgXcQ?start=3",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=abc", "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=1m2s",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&index=2",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    ],
    "youtube:playlist:PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ": [
        "https://www.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ",
        "https://m.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&si=x",
    ],
    "github:gokumohandas/made-with-ml": [
        "https://github.com/GokuMohandas/Made-With-ML", "https://github.com/GokuMohandas/Made-With-ML.git",
        "github.com/GokuMohandas/Made-With-ML/tree/main/notebooks", "https://www.github.com/gokumohandas/made-with-ml",
        "https://github.com/GokuMohandas/Made-With-ML/blob/main/README.md#setup",
        "https://github.com/GokuMohandas/Made-With-ML/issues/3", "https://github.com/GokuMohandas/Made-With-ML/pull/12",
        "https://github.com/GokuMohandas/Made-With-ML/releases/tag/v1.0",
    ],
    "web:https://huggingface.co/blog/continuous_batching": [
        "https://huggingface.co/blog/continuous_batching?utm_source=x&utm_medium=social",
        "https://HuggingFace.co/blog/continuous_batching#top", "https://huggingface.co:443/blog/continuous_batching?fbclid=1",
        "huggingface.co/blog/continuous_batching?ref=newsletter&gclid=2",
    ],
}


@pytest.mark.parametrize(
    ("expected", "text"), [(key, text) for key, texts in SAME_THING.items() for text in texts], ids=lambda v: v
)
def test_every_form_of_one_thing_gives_one_id(expected, text):
    assert parse(text).key == expected


def test_canonical_urls_follow_design():
    assert parse("2512.07461").url == "https://arxiv.org/abs/2512.07461"
    assert parse("youtu.be/dQw4w9WgXcQ").url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert parse("https://github.com/GokuMohandas/Made-With-ML.git").url == "https://github.com/GokuMohandas/Made-With-ML"
    assert parse("https://Example.com/a?b=1&utm_campaign=z#x").url == "https://example.com/a?b=1"
    # kept query pairs are left byte for byte: the page fetched is the page linked
    assert canonical_url("https://Example.com/a?flag&q=a%20b+c&utm_source=x&e=") == "https://example.com/a?flag&q=a%20b+c&e="


def test_video_link_with_list_names_its_playlist_as_a_companion():
    ref = parse("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ")
    assert ref.kind == "video"
    assert [parse(u).key for u in ref.companions] == ["youtube:playlist:PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not-a-link", "not a link"),
        ("ftp://example.com/paper.pdf", "ftp: links are not supported"),
        ("javascript:alert(1)", "javascript: links are not supported"),
        ("mailto:editor@example.com", "mailto: links are not supported"),
        ("", "empty input"),
        ("https://www.youtube.com/@3blue1brown", "add the channel's feed"),
        ("https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw", "add the channel's feed"),
        ("https://github.com/torvalds", "a GitHub owner (torvalds), not a repository"),
        ("https://www.youtube.com/watch?v=short", "is not a YouTube video id"),
        ("http://", "no host"),
        ("https://example.com:99999/post", "not a valid http(s) URL"),
        ("https://example.com:80x/post", "not a valid http(s) URL"),
        ("http://[::1/x", "not a valid http(s) URL"),
    ],
    ids=lambda v: v or "empty",
)
def test_refused_inputs_name_the_input_and_say_why(text, reason):
    with pytest.raises(LinkRefused) as info:
        parse(text)
    assert reason in str(info.value)
    assert str(info.value).startswith(text.strip() or "")


@pytest.mark.parametrize("text", ["2513.00001", "0703.0001", "1412.12345", "1501.1234", "https://arxiv.org/abs/2500.12345"])
def test_impossible_arxiv_ids_are_refused_before_they_can_fail_a_batch(text):
    with pytest.raises(LinkRefused, match="is not a valid arXiv id"):
        parse(text)


def test_old_style_ids_are_spelled_as_arxiv_spells_them():
    assert parse("arXiv:HEP-TH/9901001v2").key == "arxiv:hep-th/9901001"
    assert parse("Math.gt/0309136").key == "arxiv:math.GT/0309136"


def test_arxiv_owned_links_never_fall_through_to_the_web():
    assert parse("https://huggingface.co/papers/2512.07461").connector == "arxiv"
    assert parse("https://huggingface.co/blog/some-post").connector == "web"
    assert parse("https://arxiv.org/list/cs.LG/recent").connector == "web"


def test_links_are_extracted_from_markdown_html_and_text():
    text = (
        "Read [this](https://arxiv.org/abs/2512.07461). Also <a href=\"https://example.com/post?a=1&amp;b=2\">x</a>\n"
        "and https://github.com/o/n, plus arXiv:2511.13945 (again https://arxiv.org/abs/2512.07461)."
    )
    assert extract(text) == [
        "https://arxiv.org/abs/2512.07461", "https://example.com/post?a=1&b=2", "https://github.com/o/n", "arXiv:2511.13945",
    ]


# ---- properties

new_ids = st.builds(
    lambda yymm, n: f"{yymm:04d}.{n:0{5 if yymm >= 1501 else 4}d}",
    st.integers(704, 2912).filter(lambda v: 1 <= v % 100 <= 12), st.integers(1, 9999),
)
old_ids = st.builds(
    lambda arch, yy, mm, n: f"{arch}/{yy:02d}{mm:02d}{n:03d}",
    st.sampled_from(["hep-th", "astro-ph", "math.GT", "quant-ph", "cond-mat"]),
    st.sampled_from([91, 95, 99, 0, 3, 7]), st.integers(1, 12), st.integers(1, 999),
)
ARXIV_FORMS = [
    "{id}", "{id}v{v}", "arXiv:{id}", "https://arxiv.org/abs/{id}", "https://arxiv.org/abs/{id}v{v}",
    "arxiv.org/pdf/{id}v{v}", "https://arxiv.org/pdf/{id}.pdf", "https://arxiv.org/html/{id}v{v}",
    "https://export.arxiv.org/abs/{id}", "https://alphaxiv.org/abs/{id}", "https://huggingface.co/papers/{id}",
]
DOI_FORM = "https://doi.org/10.48550/arXiv.{id}"


@given(arxiv_id=new_ids | old_ids, form=st.sampled_from(ARXIV_FORMS), version=st.integers(1, 20))
def test_every_arxiv_form_gives_one_key(arxiv_id, form, version):
    assert parse(form.format(id=arxiv_id, v=version)).key == f"arxiv:{arxiv_id}"


@given(arxiv_id=new_ids)
def test_arxiv_doi_gives_the_paper(arxiv_id):
    assert parse(DOI_FORM.format(id=arxiv_id)).key == f"arxiv:{arxiv_id}"


video_ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=11, max_size=11)
VIDEO_FORMS = [
    "https://www.youtube.com/watch?v={id}", "https://youtu.be/{id}?t={t}", "https://youtube.com/shorts/{id}",
    "https://www.youtube.com/embed/{id}", "https://www.youtube.com/live/{id}", "https://m.youtube.com/watch?v={id}&t={t}s",
    "https://music.youtube.com/watch?v={id}", "https://www.youtube.com/watch?v={id}&list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ",
]


@given(video_id=video_ids, form=st.sampled_from(VIDEO_FORMS), t=st.integers(0, 9999))
def test_every_youtube_form_gives_one_key(video_id, form, t):
    assert parse(form.format(id=video_id, t=t)).key == f"youtube:video:{video_id}"


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,20}", fullmatch=True)
repo_names = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,30}", fullmatch=True).filter(lambda n: not n.endswith(".git"))
GITHUB_FORMS = [
    "https://github.com/{o}/{n}", "https://github.com/{o}/{n}.git", "github.com/{o}/{n}/tree/main/src",
    "https://www.github.com/{o}/{n}/issues/3", "https://github.com/{o}/{n}/blob/main/README.md",
    "https://github.com/{o}/{n}/pull/7", "https://github.com/{o}/{n}/releases",
]


@given(owner=names.filter(lambda o: o.lower() not in {"orgs", "topics", "settings", "about", "features", "login", "new",
                                                        "search", "explore", "marketplace", "sponsors", "users", "pulls",
                                                        "issues", "apps", "collections", "contact", "enterprise", "events",
                                                        "join", "notifications", "organizations", "pricing", "security",
                                                        "site", "team", "trending", "codespaces", "readme",
                                                        "customer-stories"}),
       name=repo_names, form=st.sampled_from(GITHUB_FORMS))
def test_every_github_form_gives_one_key(owner, name, form):
    assert parse(form.format(o=owner, n=name)).key == f"github:{owner.lower()}/{name.lower()}"


article_urls = st.builds(
    lambda scheme, host, path, params, frag: f"{scheme}://{host}/{path}" + (f"?{params}" if params else "") + (f"#{frag}" if frag else ""),
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["Example.com", "blog.example.org", "www.example.net:8080", "news.example.co.uk:443"]),
    st.from_regex(r"[a-z0-9/_-]{0,20}", fullmatch=True),
    st.lists(st.sampled_from(["a=1", "utm_source=x", "b=two", "fbclid=9", "ref=hn", "q=a%20b", "gclid=1", "flag", "s=x+y"]), max_size=4).map("&".join),
    st.sampled_from(["", "top", "sec-2"]),
)


@given(url=article_urls)
def test_canonical_url_is_idempotent(url):
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@given(url=article_urls)
def test_tracking_parameters_and_fragments_never_change_the_article_id(url):
    stripped = canonical_url(url)
    assert "utm_" not in stripped and "fbclid" not in stripped and "#" not in stripped
    assert parse(url).key == parse(stripped).key == f"web:{stripped}"


def test_bare_ids_and_scheme_less_links_are_taken_beside_full_urls():
    notes = ("https://arxiv.org/abs/2512.07461\n2512.08296\narxiv.org/abs/2511.13945 and github.com/o/n;\n"
             "python 3.11 and 3.14159, id 2513.00001 is impossible, see hep-th/9901001 and src/main.py")
    assert extract(notes) == [
        "https://arxiv.org/abs/2512.07461", "2512.08296", "arxiv.org/abs/2511.13945", "github.com/o/n", "hep-th/9901001",
    ]
