"""Link parsing: every form of one thing gives one id; everything else is refused by name."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from connectors.errors import LinkRefused
from connectors.web import canonical_url
from pipeline.cli import app
from pipeline.links import extract, parse, visible
from tests.replay.routes_youtube import synthesize

SAME_THING = {
    "arxiv:2512.07461": [
        "https://arxiv.org/abs/2512.07461",
        "http://arxiv.org/abs/2512.07461v1",
        "arxiv.org/pdf/2512.07461v2",
        "https://arxiv.org/pdf/2512.07461.pdf",
        "https://arxiv.org/pdf/2512.07461v2.pdf",
        "https://arxiv.org/html/2512.07461v1",
        "https://export.arxiv.org/abs/2512.07461",
        "https://www.arxiv.org/abs/2512.07461",
        "https://alphaxiv.org/abs/2512.07461",
        "https://www.alphaxiv.org/overview/2512.07461",
        "https://huggingface.co/papers/2512.07461",
        "https://doi.org/10.48550/arXiv.2512.07461",
        "https://doi.org/10.48550/arxiv.2512.07461",
        "2512.07461",
        "2512.07461v3",
        "arXiv:2512.07461",
        " arxiv:2512.07461v2 ",
        "https://arxiv.org/abs/2512.07461?context=cs#section",
        # copied from a web page or a chat: invisible format characters come along
        "https://arxiv.org/abs/2512.07461\u200b",
        "\ufeff2512.07461",
        "\u200e2512.07461\u2060",
        # typed with a CJK input method: full-width digits, read in their NFKC form
        "２５１２.０７４６１",
        "arXiv:２５１２.０７４６１v2",
    ],
    "arxiv:hep-th/9901001": [
        "hep-th/9901001",
        "https://arxiv.org/abs/hep-th/9901001v2",
        "arxiv.org/pdf/hep-th/9901001",
    ],
    # before 2007 an id could carry a subject class; it is not part of the id (arXiv redirects to the class-less page)
    "arxiv:math/9811037": [
        "https://arxiv.org/abs/math.AT/9811037",
        "https://arxiv.org/abs/math/9811037v1",
        "math.AT/9811037",
        "arXiv:math.AT/9811037v2",
        "https://arxiv.org/pdf/math.AT/9811037v1.pdf",
        "https://doi.org/10.48550/arXiv.math/9811037",
    ],
    "arxiv:1601.07616": ["arXiv:hep-th/1601.07616", "hep-th/1601.07616v2", "https://arxiv.org/abs/hep-th/1601.07616"],
    "youtube:video:dQw4w9WgXcQ": [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?t=42",
        "https://youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=3",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=abc",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=1m2s",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
        "youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&index=2",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/attribution_link?a=8g8kPrPIi-ecwIsS&u=%2Fwatch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare",
        "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3DdQw4w9WgXcQ%26cbrd%3D1&gl=DE",
        "http://www.youtube.com/v/dQw4w9WgXcQ&hl=en_US&fs=1&",
        "https://www.youtube.com/e/dQw4w9WgXcQ",
        "https://www.youtube.com/watch#!v=dQw4w9WgXcQ",
    ],
    "youtube:playlist:PL4CFF79651DB8159B": [
        "https://www.youtube.com/embed?listType=playlist&list=PL4CFF79651DB8159B",
        "https://www.youtube.com/embed/videoseries?list=PL4CFF79651DB8159B",
    ],
    "youtube:playlist:PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ": [
        "https://www.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ",
        "https://m.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&si=x",
    ],
    "github:gokumohandas/made-with-ml": [
        "https://github.com/GokuMohandas/Made-With-ML",
        "https://github.com/GokuMohandas/Made-With-ML.git",
        "github.com/GokuMohandas/Made-With-ML/tree/main/notebooks",
        "https://www.github.com/gokumohandas/made-with-ml",
        "https://github.com/GokuMohandas/Made-With-ML/blob/main/README.md#setup",
        "https://github.com/GokuMohandas/Made-With-ML/issues/3",
        "https://github.com/GokuMohandas/Made-With-ML/pull/12",
        "https://github.com/GokuMohandas/Made-With-ML/releases/tag/v1.0",
        "https://raw.githubusercontent.com/GokuMohandas/Made-With-ML/main/README.md",
        "https://github.com/GokuMohandas/Made-With-ML.",
        "https://github.com/GokuMohandas/Made-With-ML/",
        # as a clone button or a requirements file gives it
        "git@github.com:GokuMohandas/Made-With-ML.git",
        "ssh://git@github.com/GokuMohandas/Made-With-ML.git",
        "git+https://github.com/GokuMohandas/Made-With-ML.git",
        "git://github.com/GokuMohandas/Made-With-ML",
        "git+https://github.com/GokuMohandas/Made-With-ML.git@v1.0#egg=madewithml",
    ],
    "web:https://huggingface.co/blog/continuous_batching": [
        "https://huggingface.co/blog/continuous_batching?utm_source=x&utm_medium=social",
        "https://HuggingFace.co/blog/continuous_batching#top",
        "https://huggingface.co:443/blog/continuous_batching?fbclid=1",
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
    assert (
        parse("https://github.com/GokuMohandas/Made-With-ML.git").url == "https://github.com/GokuMohandas/Made-With-ML"
    )
    assert parse("https://Example.com/a?b=1&utm_campaign=z#x").url == "https://example.com/a?b=1"
    # kept query pairs are left byte for byte: the page fetched is the page linked
    assert (
        canonical_url("https://Example.com/a?flag&q=a%20b+c&utm_source=x&e=")
        == "https://example.com/a?flag&q=a%20b+c&e="
    )


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
        ("arXiv:hep-th/abc", "'hep-th/abc' is not an arXiv id"),
        ("https://arxiv.org/abs/2512.074610", "'2512.074610' is not an arXiv id"),
        ("https://export.arxiv.org/pdf/hep-th", "'hep-th' is not an arXiv id"),
        (
            "https://arxiv.org/a/warner_s_1",
            "add the author's feed (https://arxiv.org/a/warner_s_1.atom2) to data/sources.toml",
        ),
        (
            "https://arxiv.org/list/cs.LG/new",
            "add the listing's feed (https://rss.arxiv.org/rss/cs.LG) to data/sources.toml",
        ),
        ("https://arxiv.org/list/cs.LG/recent", "an arXiv listing, not a paper"),
        ("https://rss.arxiv.org/rss/cs.LG", "an arXiv feed, not a paper: add it to data/sources.toml"),
        ("https://www.youtube.com/embed?listType=user_uploads&list=fieldnotes", "add the channel's feed"),
        (
            "https://www.youtube.com/feeds/videos.xml?channel_id=UCx",
            "a YouTube feed, not a video: add it to data/sources.toml",
        ),
        ("https://www.youtube.com/clip/UgkxZ3b0", "a YouTube clip"),
        (
            "https://www.youtube.com/redirect?event=video_description&q=https%3A%2F%2Fexample.com%2Fpost",
            "a YouTube redirect to another site: ingest https://example.com/post itself",
        ),
        (
            "https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ",
            "a YouTube mix, made anew for each viewer, not a playlist: link the video it starts from "
            "(https://www.youtube.com/watch?v=dQw4w9WgXcQ)",
        ),
        ("https://www.youtube.com/playlist?list=WL", "a YouTube list private to its owner's account"),
        ("https://www.youtube.com/embed?listType=playlist&list=x", "without a valid list= id (x)"),
        ("https://www.youtube.com/embed?listType=search&list=cats", "a YouTube embed of a search"),
        ("https://www.youtube.com/attribution_link?u=/channel/UCx", "leads to a YouTube channel"),
        ("https://gist.github.com/karpathy/d4dee566867f8291f086", "a GitHub gist, not a repository"),
        (
            "https://github.com/orgs/huggingface/repositories",
            "an organization on GitHub (huggingface), not a repository",
        ),
        ("https://github.com/o/..", "o/.. is not a GitHub owner and repository name"),
        # a clone link of another host is no more a link than before; one of GitHub's must name a repository
        ("git@gitlab.com:o/n.git", "not a link: give an http(s) URL or an arXiv id"),
        ("ssh://git@gitlab.com/o/n.git", "ssh: links are not supported, only http and https"),
        ("git+https://gitlab.com/o/n.git", "git+https: links are not supported, only http and https"),
        ("git://codeberg.org/o/n", "git: links are not supported, only http and https"),
        ("git@github.com:torvalds", "torvalds is not a GitHub owner and repository name"),
        ("git@github.com:o/n/tree/main", "o/n/tree/main is not a GitHub owner and repository name"),
        ("ssh://git@github.com/", "an empty path is not a GitHub owner and repository name"),
    ],
    ids=lambda v: v or "empty",
)
def test_refused_inputs_name_the_input_and_say_why(text, reason):
    with pytest.raises(LinkRefused) as info:
        parse(text)
    assert reason in str(info.value)
    assert str(info.value).startswith(text.strip() or "")
    assert "\n" not in str(info.value)


# the start of every form a source reads, followed by anything a paste may bring along
PASTE_STARTS = [
    "",
    "https://",
    "http://www.",
    "arXiv:",
    "https://arxiv.org/abs/",
    "https://arxiv.org/",
    "https://export.arxiv.org/pdf/",
    "https://www.youtube.com/",
    "https://youtu.be/",
    "youtube.com/embed?listType=playlist&list=",
    "https://consent.youtube.com/m?continue=",
    "https://www.youtube.com/attribution_link?u=",
    "https://www.youtube.com/#!",
    "https://github.com/",
    "https://github.com/orgs/",
    "https://raw.githubusercontent.com/",
    "https://doi.org/10.48550/",
    "git@github.com:",
    "ssh://git@github.com/",
    "git+https://github.com/",
    "git://github.com/",
    "git@gitlab.com:",
]
one_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), max_size=40)


@settings(max_examples=500)
@given(start=st.sampled_from(PASTE_STARTS), rest=one_line)
def test_any_paste_gives_a_ref_or_one_line_naming_the_input(start, rest):
    text = start + rest
    try:
        ref = parse(text)
    except LinkRefused as exc:
        shown = visible(text).strip().strip("<>").strip()  # invisible format characters are dropped
        assert str(exc).startswith((shown, f"https://{shown}")) and "\n" not in str(exc)
    else:
        assert ref.key.split(":", 1)[0] in ("arxiv", "youtube", "github", "web") and ref.url.startswith(
            ("http://", "https://")
        )


@pytest.mark.parametrize(
    "text", ["2513.00001", "0703.0001", "1412.12345", "1501.1234", "https://arxiv.org/abs/2500.12345"]
)
def test_impossible_arxiv_ids_are_refused_before_they_can_fail_a_batch(text):
    with pytest.raises(LinkRefused, match="is not a valid arXiv id"):
        parse(text)


def test_old_style_ids_are_spelled_as_arxiv_spells_them():
    assert parse("arXiv:HEP-TH/9901001v2").key == "arxiv:hep-th/9901001"
    assert parse("Math.gt/0309136").key == "arxiv:math/0309136"
    assert parse("physics.optics/0601001").url == "https://arxiv.org/abs/physics/0601001"


def test_arxiv_owned_links_never_fall_through_to_the_web():
    assert parse("https://huggingface.co/papers/2512.07461").connector == "arxiv"
    assert parse("https://huggingface.co/blog/some-post").connector == "web"
    assert parse("https://info.arxiv.org/help/api/index.html").connector == "web"


def test_links_are_extracted_from_markdown_html_and_text():
    text = (
        'Read [this](https://arxiv.org/abs/2512.07461). Also <a href="https://example.com/post?a=1&amp;b=2">x</a>\n'
        "and https://github.com/o/n, plus arXiv:2511.13945 (again https://arxiv.org/abs/2512.07461)."
    )
    assert extract(text) == [
        "https://arxiv.org/abs/2512.07461",
        "https://example.com/post?a=1&b=2",
        "https://github.com/o/n",
        "arXiv:2511.13945",
    ]


# ---- properties

new_ids = st.builds(
    lambda yymm, n: f"{yymm:04d}.{n:0{5 if yymm >= 1501 else 4}d}",
    st.integers(704, 2912).filter(lambda v: 1 <= v % 100 <= 12),
    st.integers(1, 9999),
)
# old style: (the id, how it may be printed): with or without a subject class, which is not part of the id
old_ids = st.builds(
    lambda arch, yy, mm, n: (f"{arch[0]}/{yy:02d}{mm:02d}{n:03d}", f"{arch[0]}{arch[1]}/{yy:02d}{mm:02d}{n:03d}"),
    st.sampled_from(
        [
            ("hep-th", ""),
            ("astro-ph", ""),
            ("math", ".GT"),
            ("math", ".AT"),
            ("quant-ph", ""),
            ("cond-mat", ".stat-mech"),
            ("physics", ".optics"),
            ("cs", ".LG"),
            ("math", ""),
        ]
    ),
    st.sampled_from([91, 95, 99, 0, 3, 7]),
    st.integers(1, 12),
    st.integers(1, 999),
)
# a new id printed behind an archive, as some reference lists do (arXiv:hep-th/1601.07616)
mixed_ids = st.builds(
    lambda arch, new: (new, f"{arch}/{new}"), st.sampled_from(["hep-th", "cs.LG", "math.AT"]), new_ids
)
ARXIV_FORMS = [
    "{id}",
    "{id}v{v}",
    "arXiv:{id}",
    "arxiv: {id}v{v}",
    "https://arxiv.org/abs/{id}",
    "https://arxiv.org/abs/{id}v{v}",
    "arxiv.org/pdf/{id}v{v}",
    "https://arxiv.org/pdf/{id}.pdf",
    "https://arxiv.org/pdf/{id}v{v}.pdf",
    "https://arxiv.org/html/{id}v{v}",
    "https://arxiv.org/html/{id}v{v}/#S2",
    "https://arxiv.org/format/{id}",
    "https://arxiv.org/src/{id}v{v}",
    "https://arxiv.org/src/{id}v{v}/anc/train.py",
    "https://arxiv.org/e-print/{id}",
    "https://arxiv.org/ps/{id}v{v}",
    "https://export.arxiv.org/abs/{id}",
    "http://export.arxiv.org/pdf/{id}v{v}",
    "https://www.arxiv.org/abs/{id}/",
    "https://lanl.arxiv.org/abs/{id}",
    "http://xxx.lanl.gov/abs/{id}",
    "https://arxiv.org/abs/{id}?context=cs",
    "https://alphaxiv.org/abs/{id}",
    "https://www.alphaxiv.org/overview/{id}v{v}",
    "https://huggingface.co/papers/{id}",
    "https://doi.org/10.48550/arXiv.{id}",
    "https://ar5iv.labs.arxiv.org/html/{id}",
    "https://ar5iv.org/abs/{id}",
    "https://arxiv.org/abs/{id}.",
    "https://arxiv.org/pdf/{id}v{v}.pdf.",
]


@given(
    ids=new_ids.map(lambda i: (i, i)) | old_ids | mixed_ids,
    form=st.sampled_from(ARXIV_FORMS),
    version=st.integers(1, 20),
)
def test_every_arxiv_form_gives_one_key(ids, form, version):
    arxiv_id, printed = ids
    ref = parse(form.format(id=printed, v=version))
    assert (ref.key, ref.url) == (f"arxiv:{arxiv_id}", f"https://arxiv.org/abs/{arxiv_id}")


@given(
    author=st.from_regex(r"[a-z]{2,10}_[a-z]_[1-9]", fullmatch=True),
    suffix=st.sampled_from(["", ".html", ".atom"]),
    cat=st.sampled_from(["cs.LG", "math.AT", "hep-th", "cs.CL+cs.AI"]),
    listing=st.sampled_from(["new", "recent", "pastweek?show=250", "2512"]),
)
def test_arxiv_author_pages_and_listings_are_refused_with_their_feed(author, suffix, cat, listing):
    with pytest.raises(LinkRefused, match=rf"add the author's feed \(https://arxiv\.org/a/{author}\.atom2\)"):
        parse(f"https://arxiv.org/a/{author}{suffix}")
    with pytest.raises(LinkRefused, match=rf"add the listing's feed \(https://rss\.arxiv\.org/rss/{re.escape(cat)}\)"):
        parse(f"https://arxiv.org/list/{cat}/{listing}")


# `videoseries` is 11 characters too, but /embed/videoseries is YouTube's embed of a playlist, never a video
video_ids = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=11, max_size=11
).filter(lambda v: v != "videoseries")
playlist_ids = st.from_regex(r"(PL|OLAK5uy_)[A-Za-z0-9_-]{16,32}", fullmatch=True)
VIDEO_FORMS = [
    # watch pages, share buttons and apps
    "https://www.youtube.com/watch?v={id}",
    "https://youtu.be/{id}?t={t}",
    "https://youtu.be/{id}?si=Qx7{t}",
    "youtube.com/watch?feature=share&v={id}",
    "https://m.youtube.com/watch?v={id}&t={t}s",
    "https://www.youtube.com/watch?app=desktop&v={id}&feature=youtu.be",
    "https://www.youtube.com/watch/{id}",
    "https://www.youtube.com/watch?v={id}&list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ&index=2",
    "https://music.youtube.com/watch?v={id}&si=x",
    "https://gaming.youtube.com/watch?v={id}",
    "https://youtube.com/shorts/{id}?feature=share",
    "https://www.youtube.com/live/{id}?si=abc",
    # embeds
    "https://www.youtube.com/embed/{id}",
    "https://www.youtube.com/embed/{id}?start={t}&rel=0",
    "https://www.youtube-nocookie.com/embed/{id}?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ",
    "https://www.youtube.com/v/{id}?version=3",
    "http://www.youtube.com/v/{id}&hl=en_US&fs=1&",
    "https://youtube.com/e/{id}",
    "https://youtube.googleapis.com/v/{id}",
    # wrappers that carry the watch path in a parameter, and the hash-bang links of old
    "https://www.youtube.com/attribution_link?a=x{t}&u=%2Fwatch%3Fv%3D{id}%26feature%3Dshare",
    "https://www.youtube.com/attribution_link?a=x&u=/watch?v={id}&feature=em-share_video_user",
    "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{id}%26cbrd%3D1&gl=DE&hl=de",
    "https://www.youtube.com/signin?action_handle_signin=true&next=%2Fwatch%3Fv%3D{id}",
    "https://www.youtube.com/redirect?event=video_description&q=https%3A%2F%2Fyoutu.be%2F{id}&v=xYz",
    "https://www.youtube.com/#!/watch?v={id}",
    "https://www.youtube.com/watch#!v={id}&t={t}",
    # the full stop of the sentence the link was pasted from
    "https://youtu.be/{id}.",
    "https://www.youtube.com/watch?v={id}.",
]
PLAYLIST_FORMS = [
    "https://www.youtube.com/playlist?list={id}",
    "https://m.youtube.com/playlist?list={id}&si=x",
    "https://music.youtube.com/playlist?list={id}",
    "https://www.youtube.com/watch?list={id}",
    "https://www.youtube.com/embed?listType=playlist&list={id}",
    "https://www.youtube.com/embed?list={id}",
    "https://www.youtube-nocookie.com/embed/videoseries?list={id}&rel=0",
    "https://www.youtube.com/attribution_link?a=x&u=%2Fplaylist%3Flist%3D{id}",
    "https://music.youtube.com/browse/VL{id}",
]


@given(video_id=video_ids, form=st.sampled_from(VIDEO_FORMS), t=st.integers(0, 9999))
def test_every_youtube_form_gives_one_key(video_id, form, t):
    ref = parse(form.format(id=video_id, t=t))
    assert (ref.key, ref.url) == (f"youtube:video:{video_id}", f"https://www.youtube.com/watch?v={video_id}")


@given(playlist_id=playlist_ids, form=st.sampled_from(PLAYLIST_FORMS))
def test_every_youtube_playlist_form_gives_one_key(playlist_id, form):
    ref = parse(form.format(id=playlist_id))
    assert (ref.key, ref.url) == (
        f"youtube:playlist:{playlist_id}",
        f"https://www.youtube.com/playlist?list={playlist_id}",
    )


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,20}", fullmatch=True)
# a trailing dot is read as the end of the sentence a link was pasted from, so names here end otherwise
repo_names = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,30}", fullmatch=True).filter(
    lambda n: not n.endswith((".git", ".")) and n != "."
)
GITHUB_FORMS = [
    "https://github.com/{o}/{n}",
    "https://github.com/{o}/{n}.git",
    "github.com/{o}/{n}/tree/main/src",
    "https://www.github.com/{o}/{n}/issues/3",
    "https://github.com/{o}/{n}/blob/main/README.md",
    "https://github.com/{o}/{n}/blob/v1.2/src/a.py#L10-L20",
    "https://github.com/{o}/{n}/raw/main/data.csv",
    "https://raw.githubusercontent.com/{o}/{n}/main/README.md",
    "https://raw.githubusercontent.com/{o}/{n}/refs/heads/main/x",
    "https://github.com/{o}/{n}/pull/7",
    "https://github.com/{o}/{n}/releases",
    "https://github.com/{o}/{n}/",
    "https://github.com/{o}/{n}.",
    "https://github.com/{o}/{n}.git.",
    "https://github.com/{o}/{n}/tree/main/.",
    "https://codeload.github.com/{o}/{n}/zip/refs/heads/main",
    "https://api.github.com/repos/{o}/{n}",
    "https://github.com/{o}/{n}?tab=readme-ov-file#install",
]
owners = names.filter(lambda o: o.lower() not in GITHUB_PAGES)
GITHUB_PAGES = {
    "orgs",
    "topics",
    "settings",
    "about",
    "features",
    "login",
    "new",
    "search",
    "explore",
    "marketplace",
    "sponsors",
    "users",
    "pulls",
    "issues",
    "apps",
    "collections",
    "contact",
    "enterprise",
    "events",
    "join",
    "notifications",
    "organizations",
    "pricing",
    "security",
    "site",
    "team",
    "trending",
    "codespaces",
    "readme",
    "customer-stories",
}


@given(owner=owners, name=repo_names, form=st.sampled_from(GITHUB_FORMS))
def test_every_github_form_gives_one_key(owner, name, form):
    ref = parse(form.format(o=owner, n=name))
    assert (ref.key, ref.url) == (f"github:{owner.lower()}/{name.lower()}", f"https://github.com/{owner}/{name}")


CLONE_FORMS = [
    "git@github.com:{o}/{n}.git",
    "git@github.com:{o}/{n}",
    "git@github.com:/{o}/{n}.git/",
    "ssh://git@github.com/{o}/{n}.git",
    "ssh://git@github.com:22/{o}/{n}",
    "ssh://git@ssh.github.com:443/{o}/{n}.git",
    "git://github.com/{o}/{n}",
    "git://github.com/{o}/{n}.git",
    "git+https://github.com/{o}/{n}.git",
    "git+https://github.com/{o}/{n}@main",
    "git+https://github.com/{o}/{n}.git@v1.2.3#egg=pkg&subdirectory=src",
    "git+ssh://git@github.com/{o}/{n}.git@0a1b2c3d",
    "git+git://github.com/{o}/{n}.git",
    "GIT@GitHub.com:{o}/{n}.git",
    "<git@github.com:{o}/{n}.git>",
    "git@github.com:{o}/{n}.git.",
]


@given(owner=owners, name=repo_names, form=st.sampled_from(CLONE_FORMS))
def test_every_clone_link_gives_the_repository_key(owner, name, form):
    ref = parse(form.format(o=owner, n=name))
    assert (ref.key, ref.url) == (f"github:{owner.lower()}/{name.lower()}", f"https://github.com/{owner}/{name}")


@given(
    owner=owners,
    name=repo_names,
    host=st.sampled_from(["gitlab.com", "bitbucket.org", "codeberg.org", "github.example.com", "gist.github.com"]),
    suffix=st.sampled_from(["", ".git"]),
)
def test_a_clone_link_of_another_host_is_refused_as_before(owner, name, host, suffix):
    text = f"git@{host}:{owner}/{name}{suffix}"
    with pytest.raises(LinkRefused) as info:
        parse(text)
    assert str(info.value) == f"{text}: not a link: give an http(s) URL or an arXiv id such as 2512.07461"


@given(owner=owners, name=repo_names, form=st.sampled_from(CLONE_FORMS[:-2]))
def test_clone_links_are_taken_from_a_requirements_file(owner, name, form):
    link = form.format(o=owner, n=name)
    assume(not link.endswith("_"))  # text's emphasis marks are trimmed off a link's end (`_`, `*`), as for any link
    found = extract(f"requests==2.32\n{name} @ {link}\n# see {link}, or https://example.org/x\n")
    assert [parse(f).key for f in found] == [f"github:{owner.lower()}/{name.lower()}", "web:https://example.org/x"]


@given(
    owner=owners,
    form=st.sampled_from(
        [
            "https://github.com/{o}",
            "https://github.com/{o}/",
            "github.com/{o}.",
            "https://github.com/orgs/{o}",
            "https://github.com/orgs/{o}/people",
            "https://github.com/users/{o}/projects/2",
        ]
    ),
)
def test_github_owners_and_organizations_are_refused_by_name(owner, form):
    with pytest.raises(LinkRefused, match=rf"GitHub.*\({re.escape(owner)}\), not a repository: link to github\.com/"):
        parse(form.format(o=owner))


@given(
    owner=owners,
    gist=st.from_regex(r"[0-9a-f]{20,32}", fullmatch=True),
    form=st.sampled_from(
        [
            "https://gist.github.com/{o}/{g}",
            "https://gist.github.com/{g}",
            "https://gist.githubusercontent.com/{o}/{g}/raw/notes.md",
        ]
    ),
)
def test_gists_are_refused_clearly(owner, gist, form):
    with pytest.raises(LinkRefused, match="a GitHub gist, not a repository"):
        parse(form.format(o=owner, g=gist))


article_urls = st.builds(
    lambda scheme, host, path, params, frag: (
        f"{scheme}://{host}/{path}" + (f"?{params}" if params else "") + (f"#{frag}" if frag else "")
    ),
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["Example.com", "blog.example.org", "www.example.net:8080", "news.example.co.uk:443"]),
    st.from_regex(r"[a-z0-9/_-]{0,20}", fullmatch=True),
    st.lists(
        st.sampled_from(["a=1", "utm_source=x", "b=two", "fbclid=9", "ref=hn", "q=a%20b", "gclid=1", "flag", "s=x+y"]),
        max_size=4,
    ).map("&".join),
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


def test_scheme_less_links_of_every_host_a_source_reads_are_taken_from_text():
    notes = (
        "- export.arxiv.org/abs/2512.07461 and ar5iv.labs.arxiv.org/html/2511.13945\n"
        "- m.youtube.com/watch?v=dQw4w9WgXcQ, music.youtube.com/watch?v=aB3dE5fG7hJ\n"
        "- www.youtube-nocookie.com/embed/Mw3kR7tYp2Q\n"
        "- raw.githubusercontent.com/GokuMohandas/Made-With-ML/main/README.md; gist.github.com/karpathy/d4dee5668\n"
    )
    found = extract(notes)
    assert found[:6] == [
        "export.arxiv.org/abs/2512.07461",
        "ar5iv.labs.arxiv.org/html/2511.13945",
        "m.youtube.com/watch?v=dQw4w9WgXcQ",
        "music.youtube.com/watch?v=aB3dE5fG7hJ",
        "www.youtube-nocookie.com/embed/Mw3kR7tYp2Q",
        "raw.githubusercontent.com/GokuMohandas/Made-With-ML/main/README.md",
    ]
    assert [parse(link).key for link in found[:6]] == [
        "arxiv:2512.07461",
        "arxiv:2511.13945",
        "youtube:video:dQw4w9WgXcQ",
        "youtube:video:aB3dE5fG7hJ",
        "youtube:video:Mw3kR7tYp2Q",
        "github:gokumohandas/made-with-ml",
    ]
    with pytest.raises(LinkRefused, match="a GitHub gist, not a repository"):  # taken, so its refusal is seen
        parse(found[6])


def test_ids_printed_with_a_subject_class_or_an_archive_are_taken_from_text():
    refs = "[3] A. Author, arXiv:hep-th/1601.07616. [4] B. Author, math.AT/9811037; also physics.optics/0601001v2."
    assert [parse(link).key for link in extract(refs)] == [
        "arxiv:1601.07616",
        "arxiv:math/9811037",
        "arxiv:physics/0601001",
    ]


def test_bare_ids_and_scheme_less_links_are_taken_beside_full_urls():
    notes = (
        "https://arxiv.org/abs/2512.07461\n2512.08296\narxiv.org/abs/2511.13945 and github.com/o/n;\n"
        "python 3.11 and 3.14159, id 2513.00001 is impossible, see hep-th/9901001 and src/main.py"
    )
    assert extract(notes) == [
        "https://arxiv.org/abs/2512.07461",
        "2512.08296",
        "arxiv.org/abs/2511.13945",
        "github.com/o/n",
        "hep-th/9901001",
    ]


# ---- as pasted, end to end: `curate ingest` in process against the replay server


def ingest(env, *links):
    return CliRunner().invoke(app, ["ingest", *links], env=env)


def test_arxiv_ids_with_a_subject_class_or_an_archive_are_stored_under_the_id_arxiv_knows(env, replay):
    result = ingest(env, "https://arxiv.org/abs/math.AT/9811037", "arXiv:hep-th/1601.07616")
    assert result.exit_code == 0, result.stderr
    assert [row.split("\t")[:2] for row in result.stdout.splitlines()] == [
        ["stored", "arxiv:math/9811037"],
        ["stored", "arxiv:1601.07616"],
    ]
    asked = [r.values("id_list") for r in replay.requests if r.path.endswith("/api/query")]
    assert asked == [["math/9811037", "1601.07616"]]  # the API's spelling
    shown = json.loads(CliRunner().invoke(app, ["show", "arXiv:math.AT/9811037"], env=env).stdout)
    assert (shown["url"], shown["record"]["primary_category"]) == ("https://arxiv.org/abs/math/9811037", "math.AT")


def test_a_playlist_embed_is_stored_as_the_playlist(env, replay):
    synthesize(replay, {"PL4CFF79651DB8159B": ["eMbEdLiSt01", "eMbEdLiSt02"]})
    result = ingest(env, "https://www.youtube.com/embed?listType=playlist&list=PL4CFF79651DB8159B")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\t")[:3] == ["stored", "youtube:playlist:PL4CFF79651DB8159B", "playlist"]


def test_a_clone_link_is_ingested_as_its_repository(env, replay):
    result = ingest(
        env, "git@github.com:GokuMohandas/Made-With-ML.git", "git+https://github.com/GokuMohandas/Made-With-ML"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\t")[:3] == ["stored", "github:gokumohandas/made-with-ml", "repo"]
    assert len(result.stdout.splitlines()) == 1  # both name one repository: fetched once
    refused = ingest(env, "git@gitlab.com:o/n.git")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[0] == (
        "✗ git@gitlab.com:o/n.git  not a link: give an http(s) URL or an arXiv id such as 2512.07461"
    )


def test_arxiv_author_pages_and_listings_are_refused_with_the_feed_to_add(env, replay):
    result = ingest(env, "https://arxiv.org/a/warner_s_1", "arxiv.org/list/cs.LG/new")
    assert result.exit_code == 2
    sources = env["CURATE_SOURCES"]  # the file the refusal names is the one configured
    assert result.stderr.splitlines()[:2] == [
        "✗ https://arxiv.org/a/warner_s_1  an arXiv author page, not a paper: add the author's feed "
        f"(https://arxiv.org/a/warner_s_1.atom2) to {sources} so the scheduled run finds their papers",
        "✗ arxiv.org/list/cs.LG/new  an arXiv listing, not a paper: add the listing's feed "
        f"(https://rss.arxiv.org/rss/cs.LG) to {sources} so the scheduled run finds its new papers",
    ]
    assert replay.count("") == 0


def test_a_link_with_a_zero_width_space_inside_a_file_is_found_whole():
    text = "Worth a read: https://arxiv.org/abs/2512.07461\u200b and https://github.com/o/n\u200b."
    assert [parse(link).key for link in extract(text)] == ["arxiv:2512.07461", "github:o/n"]


def test_full_width_digits_never_reach_arxiv_as_an_id_of_their_own():
    # Python's \d takes any Unicode digit: an id written so was sent to arXiv percent-encoded
    from connectors.arxiv import ARXIV_ID

    assert ARXIV_ID.fullmatch("２５１２.０７４６１") is None
    assert parse("２５１２.０７４６１").url == "https://arxiv.org/abs/2512.07461"
