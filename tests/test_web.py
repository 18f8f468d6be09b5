"""The web connector: what a page says about itself, how it is fetched, and what it refuses."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpcore
import httpx
import pytest

from connectors._web_meta import Unparseable
from connectors.errors import BadPayload, NotFound, RateLimited, Refused, Unavailable
from connectors.registry import default as default_registry
from connectors.web import WebConnector, _classify, article_from_headers, article_from_html, canonical_url
from pipeline.links import parse
from tests.conftest import corpus_file
from tests.replay.routes_web import site
from tests.replay.server import Response, fixture_bytes

HTML = "text/html; charset=utf-8"


def page(name: str, content_type: str = HTML, url: str = "https://blog.example/post") -> object:
    return article_from_html(fixture_bytes(f"web/{name}"), url, {"Content-Type": content_type})


# ---- reading a page (pure function, fixture files only)


def test_yoast_graph_gives_the_article_node_with_its_references_resolved():
    url = "https://www.lakeside.example/2025/10/09/why-we-moved-our-evals-offline/"
    article = page("wordpress_yoast_graph.html", "text/html; charset=UTF-8", url=url)
    # og:title loses its " | Lakeside Robotics Notes" site suffix; the twice-encoded &#8211; is decoded
    assert article.title == "Why we moved our evals offline – and what broke"
    assert article.authors == ["Maren Holt"]  # the author is an @id pointing at a Person node
    # the site's name (og:site_name, the WebSite node) beats the publisher, the company behind it
    assert article.site_name == "Lakeside Robotics Notes"
    assert article.image == "https://www.lakeside.example/wp-content/uploads/2025/10/replay-rig.jpg"
    assert article.published == datetime(2025, 10, 9, 13, 43, 6, tzinfo=UTC)
    assert article.description.startswith("Running model evaluations against a local replay")
    assert article.language == "en-GB"
    assert article.id == f"web:{url}" and article.declared_canonical == url


def test_opengraph_only_page_takes_og_fields_and_the_meta_author():
    article = page("og_only_engineering_blog.html", url="https://northwind.example/blog/sharding-a-vector-index")
    assert article.title == "Sharding a vector index without downtime"
    assert article.site_name == "Northwind Engineering"
    assert article.authors == ["Priya Raman"]  # not the twitter:creator handle
    assert article.description.startswith("We split a 2-billion-vector index")  # empty twitter tags skipped
    assert article.image == "https://northwind.example/blog/images/sharding/cover-1200.png"  # made absolute
    assert article.declared_canonical is None and article.language is None
    # no date in the metadata: the visible "May 16, 2024 · Priya Raman" line gives the day, read as UTC
    assert article.published == datetime(2024, 5, 16, tzinfo=UTC) and article.published_utc_assumed
    assert article.id == "web:https://northwind.example/blog/sharding-a-vector-index"


def test_page_with_only_a_title_gets_entities_decoded_whitespace_folded_and_the_host_as_site():
    article = page("title_only_personal_page.html", "text/html", url="https://people.example/~lena/notes/bpe-2.html")
    assert article.title == "Notes on tokenizers & BPE — part 2"
    assert article.site_name == "people.example"
    assert article.authors == [] and article.description is None and article.image is None


def test_charset_in_the_http_header_wins_over_a_wrong_meta_charset():
    article = page("cp1251_header_charset.html", "text/html; charset=windows-1251")
    assert article.title == "Квантование весов: что теряется при 4 битах"
    assert article.authors == ["Ирина Соколова"]
    assert article.site_name == "Заметки инженера"
    assert article.language == "ru-RU"


def test_charset_declared_only_in_a_meta_tag_is_honoured():
    article = page("latin1_meta_charset.html", "text/html")
    assert article.title == "Café des données : résumé de la séance"
    assert article.authors == ["Anaïs Lefèvre"]
    assert article.published == datetime(2024, 12, 12, tzinfo=UTC)


def test_a_meta_charset_of_utf_16_on_ascii_compatible_bytes_means_utf_8(web, replay):
    # served as text/html with no charset; the HTML standard's prescan turns a declared UTF-16 into UTF-8
    [got] = fetch_all(web, f"{site(replay)}/de/groessenordnungen")
    assert got.record.title == "Größenordnungen – ein Überblick"
    assert got.record.authors == ["Jürgen Weiß"] and got.record.site_name == "Notizblock Süd"


@pytest.mark.parametrize(
    ("body", "content_type", "title"),
    [
        (
            "\ufeff<title>Smørrebrød – første del</title>".encode("utf-8"),
            "text/html; charset=windows-1252",
            "Smørrebrød – første del",
        ),
        (
            "<title>Smørrebrød – første del, ærlig talt</title>".encode(),
            "text/html",
            "Smørrebrød – første del, ærlig talt",
        ),
        (
            "<title>Café crème brûlée à la carte, déjà vu</title>".encode("cp1252"),
            "text/html",
            "Café crème brûlée à la carte, déjà vu",
        ),
        ('<meta charset="iso-8859-1"><title>Œuvres – “choisies”</title>'.encode("cp1252"), None, "Œuvres – “choisies”"),
        (
            '<meta charset="utf-32"><title>Größe und Maß, ganz grob geschätzt</title>'.encode(),
            "text/html",
            "Größe und Maß, ganz grob geschätzt",
        ),
    ],
    ids=[
        "bom-beats-the-header",
        "undeclared-utf8-detected",
        "undeclared-windows-1252-detected",
        "latin-1-label-is-windows-1252",
        "meta-utf-32-on-utf8-bytes",
    ],
)
def test_encodings_are_sniffed_in_the_html_standards_order(body, content_type, title):
    assert (
        article_from_html(body, "https://x.example/", {"Content-Type": content_type} if content_type else None).title
        == title
    )


def test_go_time_layout_from_hugo_is_read_with_its_zone(web, replay):
    [got] = fetch_all(web, f"{site(replay)}/posts/profiling-a-tokenizer/")
    article = got.record
    assert article.published == datetime(2019, 11, 22, 21, 0, tzinfo=UTC)
    assert not article.published_utc_assumed
    assert article.authors == ["Jana Novak", "Luis Ortega"]  # "By … and …"; the profile-URL article:author is no name
    assert article.title == "Profiling a tokenizer in Go"  # " | Field Notes" is the site's name
    assert article.site_name == "Field Notes"


def test_zero_and_epoch_dates_are_no_date():
    # Hugo prints Go's zero time for an undated page; a zero timestamp prints as the Unix epoch
    article = page("hugo_zero_dates.html")
    assert article.published is None and not article.published_utc_assumed
    assert article.authors == ["Mira Holm"]


@pytest.mark.parametrize(
    ("content", "published"),
    [
        ("2024-03-05T09:30:00", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
        ("Tue Jan 28 15:28:56 CET 2020", datetime(2020, 1, 28, 14, 28, 56, tzinfo=UTC)),
        ("2019-11-22 21:00:00 -0800 PST", datetime(2019, 11, 23, 5, 0, tzinfo=UTC)),
        ("Thu, 21 Nov 2019 10:00:00 GMT", datetime(2019, 11, 21, 10, 0, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
        ("1969-12-31T19:00:00-05:00", None),
        ("2:33 PM", None),
    ],
    ids=["no-zone", "java-tostring", "go-layout-pst", "rfc-2822", "go-zero-iso", "epoch-in-new-york", "no-year"],
)
def test_publish_times_as_sites_write_them(content, published):
    body = f"""<html><head><title>T</title><meta property="article:published_time" content="{content}">
    </head><body><p>No date in the text.</p></body></html>"""
    article = article_from_html(body, "https://x.example/notes")
    assert article.published == published
    assert article.published_utc_assumed == (content == "2024-03-05T09:30:00")


def test_json_ld_authors_as_objects_strings_and_references_with_organisations_apart():
    article = page("newsroom_jsonld_author_forms.html", url="https://harbortimes.example/news/dredging")
    assert article.authors == ["Ada Quinn", "Ben Ross", "Cy Park"]  # object, string, @id; meta author not twice
    assert article.organizations == ["Harbor Times Staff"]
    assert article.byline() == ["Ada Quinn", "Ben Ross", "Cy Park"]
    assert article.site_name == "Harbor Times"  # og:site_name, not the company (Harbor Times Media LLC)
    assert article.published == datetime(2025, 6, 3, 22, 5, tzinfo=UTC)


def test_an_organisation_alone_is_the_byline_and_a_placeholder_name_is_dropped():
    article = page("wire_story_org_author.html", url="https://coastline.example/news/port-strike")
    assert article.authors == [] and article.organizations == ["Kyodo"]  # "No Author" is no one
    assert article.byline() == ["Kyodo"]
    assert article.title == "Port strike ends after nine days"


def test_a_byline_in_the_visible_page_is_read_when_the_metadata_names_no_one():
    article = page("visible_byline_only.html", url="https://stacknotes.example/2019/08/02/flame-graphs/")
    assert article.authors == ["Lena Ortiz"]
    # the day from the visible page; its time is not kept, so the record says UTC was assumed
    assert article.published == datetime(2019, 8, 2, tzinfo=UTC) and article.published_utc_assumed


@pytest.mark.parametrize(
    ("author", "people", "organizations"),
    [
        ("By Jane Doe, John Roe and Kim Lee", ["Jane Doe", "John Roe", "Kim Lee"], []),
        ("Perry Bacon Jr.", ["Perry Bacon Jr."], []),
        ("Deutsche Welle (www.dw.com)", ["Deutsche Welle"], []),
        ("View all posts by Dana Ng", ["Dana Ng"], []),
        ("Example Media GmbH", [], ["Example Media GmbH"]),
        ("Ediciones El Faro S.L.", [], ["Ediciones El Faro S.L."]),
        ("José Ortega y Gasset", ["José Ortega y Gasset"], []),
        ("Ana Sa", ["Ana Sa"], []),
        ("Field Notes", [], ["Field Notes"]),
    ],
    ids=[
        "by-commas-and",
        "suffix-comma-free",
        "site-in-brackets",
        "wordpress-link-title",
        "company",
        "company-sl",
        "two-surnames",
        "short-surname",
        "the-site",
    ],
)
def test_bylines_as_people_write_them(author, people, organizations):
    body = f"""<html><head><title>T</title><meta property="og:site_name" content="Field Notes">
    <meta name="author" content="{author}"><meta property="article:published_time" content="2024-01-01T00:00:00Z">
    </head><body></body></html>"""
    article = article_from_html(body, "https://x.example/a")
    assert (article.authors, article.organizations) == (people, organizations)


def test_a_description_cut_short_loses_to_the_whole_text():
    body = """<html><head><title>T</title>
    <meta property="og:description" content="Hansen alerted Congress in 1988. Now he has a new warning.">
    <meta name="description" content="Hansen alerted Congress in 1988. Now he has a new warning: it is warming fast.">
    </head></html>"""
    assert article_from_html(body, "https://x.example/a").description.endswith("it is warming fast.")
    cut = body.replace("it is warming fast.", "it is warming f…")
    assert article_from_html(cut, "https://x.example/a").description.endswith("a new warning.")


def test_canonical_on_another_host_is_kept_but_does_not_change_the_id():
    article = page("cross_host_canonical.html", url="https://digest.example/digest/attention-sinks?utm_medium=rss")
    assert article.id == "web:https://digest.example/digest/attention-sinks"
    assert article.declared_canonical == "https://original.example/posts/attention-sinks-explained"
    assert article.published == datetime(2025, 9, 30, 11, 15, tzinfo=UTC)


def test_canonical_on_the_same_host_decides_the_id():
    body = b'<html><head><title>T</title><link rel="canonical" href="/posts/clean"></head></html>'
    article = article_from_html(body, "https://www.blog.example/posts/clean?from=homepage&page=1")
    assert article.id == "web:https://www.blog.example/posts/clean"
    assert article.final_url == "https://www.blog.example/posts/clean?from=homepage&page=1"


def test_a_malformed_json_ld_block_loses_only_itself():
    body = """<html><head><title>Fallback</title>
    <script type="application/ld+json">{"@type": "Article", "headline": "broken" </script>
    <script type="application/ld+json">{"@type": ["NewsArticle"], "headline": "From the good block",
      "author": "Sam Lee", "datePublished": "2025-01-02T03:04:05+0100"}</script></head></html>"""
    article = article_from_html(body, "https://news.example/a")
    assert article.title == "From the good block" and article.authors == ["Sam Lee"]
    assert article.published == datetime(2025, 1, 2, 2, 4, 5, tzinfo=UTC)


def test_microdata_article_is_read_when_there_is_no_json_ld():
    body = """<html><head><title>Site | Post</title></head><body>
    <article itemscope itemtype="https://schema.org/BlogPosting">
      <h1 itemprop="headline">Microdata headline</h1>
      <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Kai Berg</span></span>
      <time itemprop="datePublished" datetime="2024-03-05">5 March</time>
    </article></body></html>"""
    article = article_from_html(body, "https://kai.example/p")
    assert (article.title, article.authors) == ("Microdata headline", ["Kai Berg"])
    assert article.published == datetime(2024, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"   \n ", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"<html><head></head><body><p>no title anywhere</p></body></html>", "no title"),
    ],
    ids=["empty", "blank", "binary", "no-title"],
)
def test_unreadable_bodies_are_unparseable_with_a_reason(body, reason):
    with pytest.raises(Unparseable, match=reason):
        article_from_html(body, "https://x.example/", {"Content-Type": HTML})


def test_pdf_becomes_an_article_from_its_headers():
    article = article_from_headers(
        "https://lab.example/files/r.pdf?download=1",
        {"content-type": "application/pdf", "content-disposition": "attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf"},
    )
    assert article.title == "Résumé.pdf" and article.content_type == "application/pdf"
    assert article.id == "web:https://lab.example/files/r.pdf?download=1"


# real pages recorded by other projects (read from ../shared/corpus, never copied here)
CORPUS = [
    (
        "metascraper_wordpress_yoast_cyrillic.html",
        "https://bukvy.org/en/poroshenko-accuses-authorities-of-falsifying-"
        "sanctions-decree-supreme-court-demands-evidence-from-the-government/",
        {"authors": ["Vladislava"], "site_name": "Букви", "published": "2025-10-09T13:43:06Z", "language": "en-US"},
    ),
    (
        "metascraper_substack_post.html",
        "https://map.simonsarris.com/p/the-most-precious-resource-is-agency",
        {
            "title": "The Most Precious Resource is Agency",
            "authors": ["Simon Sarris"],
            "published": "2021-07-01T00:26:54Z",
        },
    ),
    (
        "metascraper_medium_post.html",
        "https://medium.com/webpack/webpack-3-official-release-15fd2dd8f07b",
        # the site is Medium (og:site_name); the JSON-LD publisher names the publication on it
        {"authors": ["Sean T. Larkin"], "site_name": "Medium", "published": "2017-06-19T17:23:28.613000Z"},
    ),
    (
        "metascraper_segment_blog.html",
        "https://segment.com/blog/scaling-nsq/",
        {
            "title": "Scaling NSQ to 750 Billion Messages",
            "site_name": "Segment Blog",
            "authors": ["Calvin French-Owen"],
        },
    ),
    (
        "metascraper_pelican_blog_no_og.html",
        "https://anisse.astier.eu/awk-driven-iot.html",
        {"authors": ["Anisse Astier"], "declared_canonical": None, "image": None},
    ),
    (
        "metascraper_theregister_article.html",
        "https://www.theregister.co.uk/2016/05/03/emc_world_virtustream_announcement/",
        {
            "id": "web:https://www.theregister.co.uk/2016/05/03/emc_world_virtustream_announcement/",
            "declared_canonical": "https://www.theregister.com/2016/05/03/emc_world_virtustream_announcement/",
            "authors": ["Chris Mellor"],
            "site_name": "The Register",
        },
    ),
]


@pytest.mark.parametrize(("name", "url", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_recorded_real_pages_give_the_fields_an_editor_needs(name, url, expected):
    body = corpus_file(f"web/{name}").read_bytes()
    got = article_from_html(body, url, {"Content-Type": HTML}).model_dump(mode="json")
    assert got["title"]
    assert {k: got[k] for k in expected} == expected


# ---- fetching through the replay server


@pytest.fixture
def web(settings):
    return WebConnector.from_settings(settings)


def fetch_all(connector, *urls):
    return list(connector.fetch([parse(u) for u in urls]))


def test_a_page_is_fetched_with_our_user_agent_and_its_fields_read(web, replay):
    [got] = fetch_all(web, f"{site(replay)}/blog/continuous_batching?utm_source=x")
    article = got.record
    assert article.id == f"web:{site(replay)}/blog/continuous_batching"
    assert article.title == "Continuous batching from first principles"
    assert article.authors == ["Ada Morel", "Tomás Ibarra"] and article.site_name == "Hugging Face"
    assert article.published == datetime(2025, 11, 25, tzinfo=UTC)
    assert article.content_type == "text/html"
    [request] = replay.requests
    assert request.headers["user-agent"].startswith("curate/") and "utm_source" not in request.raw_url
    assert '"BlogPosting"' in got.payload["head"]  # the metadata markup is kept as the raw payload


def test_redirect_chain_of_five_is_followed_and_the_final_url_kept(web, replay):
    [got] = fetch_all(web, f"{site(replay)}/r/5/blog/continuous_batching")
    assert got.ok, got.error
    assert got.record.final_url == f"{site(replay)}/blog/continuous_batching"
    assert got.record.id == f"web:{site(replay)}/blog/continuous_batching"
    assert replay.count("/site/r/") == 5 and replay.count("/site/blog/") == 1
    assert len(got.payload["redirects"]) == 5


def test_a_sixth_redirect_is_an_error_naming_the_limit(web, replay):
    [got] = fetch_all(web, f"{site(replay)}/r/6/blog/continuous_batching")
    assert isinstance(got.error, BadPayload) and got.error.reason == "more than 5 redirects"
    assert replay.count("/site/") == 6 and replay.count("/site/blog/") == 0


def test_redirect_to_a_file_url_or_without_location_is_refused(web, replay):
    to_file, nowhere = fetch_all(web, f"{site(replay)}/go/to-file", f"{site(replay)}/go/nowhere")
    assert isinstance(to_file.error, Refused)
    assert to_file.error.reason == "refused: redirected to a file: URL; only http and https are fetched"
    assert nowhere.error.reason == "HTTP 302 without a Location header"


def test_non_utf8_page_fetched_over_http_keeps_its_characters(web, replay):
    cp1251, latin1 = fetch_all(web, f"{site(replay)}/ru/kvantovanie-vesov", f"{site(replay)}/fr/cafe-des-donnees.html")
    assert cp1251.record.title == "Квантование весов: что теряется при 4 битах"
    assert latin1.record.title == "Café des données : résumé de la séance"


def test_endless_body_is_cut_at_the_cap(settings, replay):
    web = WebConnector(timeout=5, max_bytes=300_000, allow_private_hosts=True)
    replay.fault("/site/endless", Response(endless=True, content_type=HTML))
    [got] = fetch_all(web, f"{site(replay)}/endless")
    assert isinstance(got.error, BadPayload)
    assert got.error.reason == "too large: the page is over 0.3 MB (CURATE_WEB_MAX_BYTES)"


def test_declared_length_over_the_cap_is_refused_before_reading(replay):
    web = WebConnector(timeout=5, max_bytes=2_000, allow_private_hosts=True)
    [got] = fetch_all(web, f"{site(replay)}/blog/continuous_batching")
    assert got.error.reason == "too large: the page is over 2,000 bytes (CURATE_WEB_MAX_BYTES)"


def test_slow_page_is_too_slow_and_its_neighbour_is_fetched(replay):
    web = WebConnector(timeout=0.3, allow_private_hosts=True)
    replay.fault("/site/slow", Response(delay=0.8, content_type=HTML, body="<title>late</title>"))
    slow, fine = fetch_all(web, f"{site(replay)}/slow", f"{site(replay)}/blog/continuous_batching")
    assert isinstance(slow.error, Unavailable) and slow.error.retryable
    assert slow.error.reason == "too slow: no complete page within 0.3 s (CURATE_HTTP_TIMEOUT)"
    assert fine.ok


def test_a_page_that_drips_its_headers_is_cut_off_at_the_deadline_and_its_neighbour_fetched(replay):
    # the tarpit sends a byte every 50 ms and hangs up after 3 s: a timeout per read never fires,
    # so without a deadline on the whole exchange this ends as a broken connection 3 s later
    web = WebConnector(timeout=0.5, allow_private_hosts=True)
    slow, fine = fetch_all(web, f"{site(replay)}/tarpit", f"{site(replay)}/blog/continuous_batching")
    assert isinstance(slow.error, Unavailable) and slow.error.retryable
    assert slow.error.reason == "too slow: no complete page within 0.5 s (CURATE_HTTP_TIMEOUT)"
    assert fine.ok


def test_bot_wall_403_is_tried_again_on_a_later_run(web, replay):
    replay.fault("/site/walled", Response(status=403, content_type=HTML, body="<title>Just a moment...</title>"))
    [got] = fetch_all(web, f"{site(replay)}/walled")
    assert got.error.retryable
    assert got.error.reason == "the site refused us (HTTP 403); it may let us in on a later run"


def test_query_is_requested_exactly_as_given_less_its_tracking_pairs(web, replay):
    [got] = fetch_all(web, f"{site(replay)}/blog/continuous_batching?flag&q=a%20b+c&utm_source=x&empty=")
    assert got.ok, got.error
    [request] = replay.requests
    assert request.raw_url == "/site/blog/continuous_batching?flag&q=a%20b+c&empty="
    assert got.ref.key == f"web:{site(replay)}/blog/continuous_batching?flag&q=a%20b+c&empty="


def test_pdf_link_becomes_an_article_with_what_its_headers_say(web, replay):
    [got] = fetch_all(web, f"{site(replay)}/files/scaling-report.pdf")
    assert got.record.title == "Scaling laws report 2025.pdf"
    assert (got.record.content_type, got.record.language) == ("application/pdf", "en")


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        (None, NotFound, "not found (HTTP 404)"),
        (Response(status=410, content_type=HTML), NotFound, "not found (HTTP 410)"),
        (Response(status=401, content_type=HTML), Unavailable, "the site refused us (HTTP 401)"),
        (Response(status=403, content_type=HTML), Unavailable, "the site refused us (HTTP 403)"),
        (Response(status=429, headers={"Retry-After": "1"}), RateLimited, "the site asked us to slow down (HTTP 429)"),
        (Response(status=503, content_type=HTML), Unavailable, "the site answered HTTP 503; try again later"),
        (Response(content_type="image/png", body=b"\x89PNG"), BadPayload, "not an HTML page (image/png)"),
        (Response(content_type="application/json", body=b"{}"), BadPayload, "not an HTML page (application/json)"),
        (Response(content_type=HTML, body=b""), BadPayload, "not parseable: the page is empty"),
        (Response(content_type=HTML, body=b"<p>hello</p>"), BadPayload, "not parseable: the page has no title"),
        (
            Response(content_type="", body=b"plain words"),
            BadPayload,
            "not an HTML page (no content type, and the body does not look like HTML)",
        ),
        (
            Response(content_type=HTML, body=b"<title>x</title>" * 50, truncate=20),
            Unavailable,
            "the connection broke off",
        ),
    ],
    ids=["404", "410", "401", "403", "429", "503", "png", "json", "empty", "no-title", "no-type", "cut-off"],
)
def test_each_broken_page_is_an_error_of_its_link_naming_the_reason(web, replay, fault, error, reason):
    if fault is not None:
        replay.fault("/site/broken", fault)
    [got] = fetch_all(web, f"{site(replay)}/broken")
    assert type(got.error) is error
    assert got.error.reason.startswith(reason)


def test_results_come_back_in_input_order_with_failures_in_place(web, replay):
    urls = [
        f"{site(replay)}/blog/continuous_batching",
        f"{site(replay)}/missing",
        f"{site(replay)}/images/chart.png",
        f"{site(replay)}/digest/attention-sinks",
    ]
    got = fetch_all(web, *urls)
    assert [g.ref.url for g in got] == [canonical_url(u) for u in urls]
    assert [g.ok for g in got] == [True, False, False, True]


# ---- concurrency: a bounded pool, at most two at a time per host


def _peaks(replay):
    return replay.state["web_inflight_max"]


def test_no_more_than_two_requests_at_a_time_to_one_host(replay):
    web = WebConnector(timeout=5, concurrency=8, allow_private_hosts=True)
    got = fetch_all(web, *(f"{site(replay)}/inflight/{n}" for n in range(6)))
    assert all(g.ok for g in got)
    assert _peaks(replay)["*"] == 2


def test_different_hosts_are_fetched_side_by_side(replay):
    web = WebConnector(timeout=5, concurrency=8, allow_private_hosts=True)
    other = site(replay).replace("127.0.0.1", "localhost")
    urls = [f"{base}/inflight/{n}" for n in range(4) for base in (site(replay), other)]
    assert all(g.ok for g in fetch_all(web, *urls))
    peaks = _peaks(replay)
    assert peaks["*"] > 2 and all(v <= 2 for k, v in peaks.items() if k != "*")


def test_a_page_waiting_for_its_hosts_slot_is_not_timed_while_it_waits(replay):
    # 8 pages of 0.15 s on one host, two at a time, take 0.6 s: the last two start after the
    # 0.5 s timeout has passed since the fetch began, and still get their whole 0.5 s
    web = WebConnector(timeout=0.5, concurrency=8, allow_private_hosts=True)
    got = fetch_all(web, *(f"{site(replay)}/inflight/{n}" for n in range(8)))
    assert [g.error for g in got] == [None] * 8
    assert _peaks(replay)["*"] == 2


def test_the_pool_bounds_pages_in_flight_across_hosts(replay):
    web = WebConnector(timeout=5, concurrency=1, allow_private_hosts=True)
    other = site(replay).replace("127.0.0.1", "localhost")
    assert all(g.ok for g in fetch_all(web, f"{site(replay)}/inflight/1", f"{other}/inflight/2"))
    assert _peaks(replay)["*"] == 1


# ---- the address guard


PUBLIC_IP = "93.184.215.14"  # any public address: the fake network below routes it to the replay server


class FakeNetwork(httpcore.NetworkBackend):
    """The network, as far as a test is concerned: a routing table to the replay server, nothing else.

    It routes the fake public address (and the replay's own address, so that a guard that
    failed to refuse would really reach the loopback page) and records every dial.
    """

    def __init__(self, replay, routes=None):
        host, port = replay.url.removeprefix("http://").split(":")
        here = (host, int(port))
        self.routes = {here: here, (PUBLIC_IP, 80): here, **(routes or {})}
        self.dialled = []
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.dialled.append((host, port))
        if (host, port) not in self.routes:
            raise httpcore.ConnectError(f"{host}:{port} is not reachable from this test")
        return self.inner.connect_tcp(*self.routes[(host, port)], timeout, local_address, socket_options)

    def sleep(self, seconds):
        time.sleep(seconds)


def fake_dns(table):
    calls = []

    def resolve(host, port):
        calls.append(host)
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return table[host]

    resolve.calls = calls
    return resolve


def test_redirect_from_a_public_name_to_loopback_is_refused_on_the_second_hop(replay):
    network = FakeNetwork(replay)
    web = WebConnector(timeout=5, resolver=fake_dns({"news.example": [PUBLIC_IP]}), network=network)
    [got] = fetch_all(web, "http://news.example/site/go/to-loopback")
    assert isinstance(got.error, Refused) and not got.error.retryable
    assert got.error.reason == ("refused: 127.0.0.1 is a loopback address (CURATE_ALLOW_PRIVATE_HOSTS=true allows it)")
    assert replay.count("/site/go/to-loopback") == 1  # the first hop really went out, to the checked address
    assert replay.count("/site/internal") == 0  # the second never did
    assert network.dialled == [(PUBLIC_IP, 80)]
    assert replay.requests[0].headers["host"] == "news.example"


def test_the_same_redirect_is_followed_when_private_hosts_are_allowed(replay):
    network = FakeNetwork(replay)
    web = WebConnector(
        timeout=5, allow_private_hosts=True, resolver=fake_dns({"news.example": [PUBLIC_IP]}), network=network
    )
    [got] = fetch_all(web, "http://news.example/site/go/to-loopback")
    assert got.ok and got.record.title == "Router admin"
    assert replay.count("/site/internal") == 1


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["10.1.2.3"], "intranet.example (10.1.2.3) is a private address"),
        (["169.254.169.254"], "intranet.example (169.254.169.254) is a link-local address"),
        (["224.0.0.251"], "intranet.example (224.0.0.251) is a multicast address"),
        (["240.0.0.1"], "intranet.example (240.0.0.1) is a reserved address"),
        (["::1"], "intranet.example (::1) is a loopback address"),
        (["::ffff:127.0.0.1"], "intranet.example (::ffff:127.0.0.1) is a loopback address"),
        (["2002:7f00:1::"], "intranet.example (2002:7f00:1::) is a loopback address"),
        (["2002:a9fe:a9fe::1"], "intranet.example (2002:a9fe:a9fe::1) is a link-local address"),
        (["64:ff9b::a00:1"], "intranet.example (64:ff9b::a00:1) is a private address"),
        (
            ["2001:0:4136:e378:8000:63bf:80ff:fffe"],
            "intranet.example (2001:0:4136:e378:8000:63bf:80ff:fffe) is a loopback",
        ),
        ([PUBLIC_IP, "192.168.1.1"], "intranet.example (192.168.1.1) is a private address"),
    ],
    ids=[
        "private",
        "metadata",
        "multicast",
        "reserved",
        "ipv6-loopback",
        "ipv4-mapped",
        "6to4-loopback",
        "6to4-metadata",
        "nat64-private",
        "teredo-loopback",
        "one-of-two",
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused_before_any_dial(replay, addresses, reason):
    network = FakeNetwork(replay)
    web = WebConnector(timeout=5, resolver=fake_dns({"intranet.example": addresses}), network=network)
    [got] = fetch_all(web, "http://intranet.example/site/blog/continuous_batching")
    assert got.error.reason.startswith(f"refused: {reason}")
    assert network.dialled == [] and replay.requests == []


def test_ipv6_forms_of_a_public_ipv4_address_are_fetched():
    from connectors._web_net import refusal

    # what a NAT64 network's DNS gives for an IPv4-only site, and a 6to4 form of a public address
    assert refusal("64:ff9b::5db8:d70e") is None and refusal("2002:5db8:d70e::1") is None
    assert refusal("::ffff:93.184.215.14") is None


def test_a_lookup_that_hangs_is_given_up_at_the_deadline(replay):
    def hanging_dns(host, port):
        time.sleep(0.8)
        return [PUBLIC_IP]

    network = FakeNetwork(replay)
    web = WebConnector(timeout=0.2, resolver=hanging_dns, network=network)
    [got] = fetch_all(web, "http://news.example/site/blog/continuous_batching")
    assert isinstance(got.error, Unavailable)
    assert got.error.reason == "too slow: no complete page within 0.2 s (CURATE_HTTP_TIMEOUT)"
    assert network.dialled == [] and replay.requests == []


def test_a_loopback_url_is_refused_by_default_with_no_request(replay):
    web = WebConnector(timeout=5)  # the defaults: private hosts not allowed, the system's DNS
    [got] = fetch_all(web, f"{site(replay)}/blog/continuous_batching")
    assert got.error.reason.startswith("refused: 127.0.0.1 is a loopback address")
    assert replay.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f000001", "[::1]"])
def test_every_spelling_of_loopback_is_refused_because_the_resolved_address_is_checked(replay, host):
    port = replay.url.rsplit(":", 1)[1]
    web = WebConnector(timeout=5)  # the system's resolver: 2130706433 and 0x7f000001 are 127.0.0.1 to it
    [got] = fetch_all(web, f"http://{host}:{port}/site/blog/continuous_batching")
    assert isinstance(got.error, Refused) and "is a loopback address" in got.error.reason
    assert replay.requests == []


def test_no_credential_is_ever_sent_to_a_web_page(replay, env, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_web_must_never_see_this")
    monkeypatch.setenv("YOUTUBE_API_KEY", "AIza_web_must_never_see_this")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    from pipeline.config import Settings

    web = WebConnector.from_settings(Settings())
    assert fetch_all(web, f"{site(replay)}/r/2/blog/continuous_batching")[0].ok
    for request in replay.requests:
        sent = request.raw_url + json.dumps(request.headers)
        assert "must_never_see_this" not in sent and "authorization" not in request.headers


def test_an_unresolvable_name_is_unavailable(replay):
    web = WebConnector(timeout=5, resolver=fake_dns({}), network=FakeNetwork(replay))
    [got] = fetch_all(web, "http://gone.example/x")
    assert isinstance(got.error, Unavailable) and "cannot resolve gone.example" in got.error.reason


def test_every_exception_the_fetch_can_raise_has_a_mapping():
    ref = parse("https://blog.example/a")
    web = WebConnector()
    table = [
        (httpx.ConnectTimeout("t"), Unavailable),
        (httpx.ReadTimeout("t"), Unavailable),
        (httpx.ConnectError("c"), Unavailable),
        (httpx.RemoteProtocolError("r"), Unavailable),
        (httpx.ReadError("r"), Unavailable),
        (httpx.DecodingError("d"), BadPayload),
        (httpx.UnsupportedProtocol("u"), Refused),
        (Unparseable("u"), BadPayload),
        (RuntimeError("?"), BadPayload),
    ]
    for exc, error in table:
        assert type(_classify(exc, ref, web)) is error, exc


# ---- known hosts first


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/papers/2512.07461",
        "https://arxiv.org/pdf/2512.07461v2",
        "https://alphaxiv.org/abs/2512.07461",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/playlist?list=PLAqhIrjkxbuWI23v9cThsA9GvCAUhRvKZ",
        "https://github.com/GokuMohandas/Made-With-ML/tree/main",
    ],
)
def test_links_a_specific_connector_owns_never_reach_the_web_connector(url):
    assert WebConnector.owns(url) is not None  # it would take them if it were asked first…
    assert parse(url).connector != "web"  # …but it is asked last
    assert list(default_registry().owners())[-1].connector is WebConnector


def test_huggingface_blog_and_other_pages_go_to_the_web_connector():
    assert parse("https://huggingface.co/blog/continuous_batching").connector == "web"


# ---- end to end, through the installed command


def test_ingest_stores_an_article_that_the_export_puts_in_reads(curate, replay):
    result = curate("ingest", f"{site(replay)}/blog/continuous_batching?utm_source=x")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"stored\tweb:{site(replay)}/blog/continuous_batching\tarticle\t")
    exported = curate("export", "--format", "json", "--output", "-")
    assert exported.returncode == 0, exported.stderr
    reads = next(s for s in json.loads(exported.stdout)["sections"] if s["key"] == "reads")
    [item] = reads["items"]
    assert item["id"] == f"web:{site(replay)}/blog/continuous_batching" and item["kind"] == "article"
    assert item["url"] == f"{site(replay)}/blog/continuous_batching"
    assert item["title"] == "Continuous batching from first principles"
    assert item["authors"] == ["Ada Morel", "Tomás Ibarra"]
    assert item["published"].startswith("2025-11-25T00:00:00")
    assert item["details"]["site_name"] == "Hugging Face"


def test_tracking_variant_and_its_canonical_land_on_one_item(curate, replay):
    tracked = f"{site(replay)}/blog/continuous_batching?source=newsletter&mkt_tok=abc"
    first = curate("ingest", tracked)
    assert first.returncode == 0, first.stderr
    assert f"stored\tweb:{site(replay)}/blog/continuous_batching\t" in first.stdout
    again = curate("ingest", f"{site(replay)}/blog/continuous_batching", tracked)
    assert again.returncode == 0, again.stderr
    assert replay.count("/site/") == 1  # both are the stored item now: fresh, not fetched again
    listed = curate("list", "--format", "json")
    assert listed.stdout.count('"id": "web:') == 1


def test_hostile_and_broken_pages_are_one_line_errors_and_the_rest_is_stored(curate, replay):
    result = curate(
        "ingest",
        f"{site(replay)}/go/to-file",
        f"{site(replay)}/images/chart.png",
        f"{site(replay)}/digest/attention-sinks",
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert errors == [
        f"✗ {site(replay)}/go/to-file  refused: redirected to a file: URL; only http and https are fetched",
        f"✗ {site(replay)}/images/chart.png  not an HTML page (image/png)",
    ]
    assert "Traceback" not in result.stderr
    assert "stored\tweb:" in result.stdout


def test_private_address_is_refused_end_to_end_unless_allowed(curate, replay):
    url = f"{site(replay)}/blog/continuous_batching"
    result = curate("ingest", url, extra_env={"CURATE_ALLOW_PRIVATE_HOSTS": "false"})
    assert result.returncode == 1
    assert (
        f"✗ {url}  refused: 127.0.0.1 is a loopback address (CURATE_ALLOW_PRIVATE_HOSTS=true allows it)"
        in result.stderr.splitlines()
    )
    assert replay.requests == []


def test_a_page_is_read_without_loading_the_microformat_and_rdfa_parsers_and_extruct_still_works_whole():
    # extruct's package __init__ imports every syntax's extractor; curate reads three of them and
    # skips that import (0.13 s of each web ingest). A fresh interpreter, as `curate ingest` has.
    import subprocess
    import sys

    script = """
import sys
from connectors._web_meta import page_meta, parse
html = '''<html><head><title>T</title>
<meta property="og:title" content="From OpenGraph">
<script type="application/ld+json">{"@type": "BlogPosting", "author": {"@type": "Person", "name": "Ada Lovelace"}}</script>
</head><body><div itemscope itemtype="https://schema.org/Person"><span itemprop="name">Grace</span></div></body></html>'''
meta = page_meta(parse(html), "https://example.org/post")
print(meta.title, "|", ", ".join(meta.authors))
print(sorted(m for m in ("mf2py", "rdflib", "pyRdfa", "bs4") if m in sys.modules))
from extruct import extract
print(sorted(extract(html, syntaxes=["opengraph", "json-ld"])))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "From OpenGraph | Ada Lovelace"
    assert out[1] == "[]"  # none of the microformat or RDFa machinery was imported to read the page
    assert out[2] == "['json-ld', 'opengraph']"  # anyone asking extruct itself gets the whole package
