"""What an HTML page says about itself, read in a fixed order of trust; no I/O.

Entry point: `page_meta(body, url, content_type)`. The structured data (JSON-LD, microdata,
OpenGraph) comes from extruct, which returns each syntax apart so the order below is ours
to apply; plain `<meta>`, `<title>` and `<link>` tags are read with lxml XPath, which is
all they need. Order: JSON-LD Article (and its kin, `@graph` included), microdata Article,
OpenGraph and Twitter cards, other `<meta>` tags, then `<title>`.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from lxml.html import HtmlElement

log = logging.getLogger(__name__)

# schema.org's Article and the subtypes blogs and news sites use (https://schema.org/Article)
ARTICLE_TYPES = frozenset({
    "Article", "BlogPosting", "NewsArticle", "TechArticle", "ScholarlyArticle", "Report",
    "LiveBlogPosting", "SocialMediaPosting", "DiscussionForumPosting", "AnalysisNewsArticle",
    "OpinionNewsArticle", "ReportageNewsArticle", "ReviewNewsArticle", "BackgroundNewsArticle",
    "AskPublicNewsArticle", "SatiricalArticle", "AdvertiserContentArticle",
})

# <meta name=…> keys beyond OpenGraph/Twitter that CMSs and analytics tags write
_META_TITLE = ("title", "dc.title", "dcterms.title", "parsely-title", "sailthru.title")
_META_AUTHOR = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author",
                "byl")
_META_DATE = ("article:published_time", "datepublished", "date", "pubdate", "publishdate", "publish-date",
              "publication_date", "dc.date", "dc.date.issued", "dcterms.issued", "dcterms.created",
              "parsely-pub-date", "sailthru.date", "citation_publication_date")
_META_DESCRIPTION = ("description", "dc.description", "dcterms.description")
_META_SITE = ("application-name", "apple-mobile-web-app-title", "og:site_name")
_META_LANGUAGE = ("content-language", "dc.language", "language")


class Unparseable(ValueError):
    """The body is not an HTML document we can read (empty, binary, no title anywhere)."""


@dataclass
class PageMeta:
    """The page's own description of itself, cleaned (entities decoded, whitespace folded)."""

    title: str | None = None
    site_name: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    description: str | None = None
    image: str | None = None
    language: str | None = None
    canonical: str | None = None
    """`<link rel=canonical>`, else `og:url`, made absolute; None when absent or not http(s)."""


def clean(value: Any) -> str | None:
    """Entities decoded (twice-encoded ones too, as WordPress writes them), whitespace folded."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).split())
    return text or None


def decode(body: bytes, content_type: str | None) -> str:
    """The body as text: BOM, then the HTTP charset, then `<meta charset>`, then UTF-8.

    w3lib (Scrapy's) does the sniffing and maps labels the way browsers do (latin-1 is
    windows-1252), which a plain `bytes.decode(label)` would get wrong.
    """
    from w3lib.encoding import html_to_unicode

    _encoding, text = html_to_unicode(content_type, body)
    return text


def parse(text: str) -> "HtmlElement":
    """An lxml tree of the page; Unparseable when there is no document in it."""
    import lxml.etree
    import lxml.html

    if not text.strip():
        raise Unparseable("the page is empty")
    if "\x00" in text[:2048]:
        raise Unparseable("the body is binary, not HTML")
    try:
        # re-encoded as UTF-8 with the parser told so: lxml refuses str input that carries
        # an XML encoding declaration, which XHTML pages do
        parser = lxml.html.HTMLParser(encoding="utf-8")
        tree = lxml.html.fromstring(text.encode("utf-8", "surrogatepass"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise Unparseable(f"not an HTML document ({exc})") from None
    if tree is None or tree.getroottree().getroot() is None:
        raise Unparseable("not an HTML document")
    return tree.getroottree().getroot()


def parse_date(value: Any) -> datetime | None:
    """ISO 8601 (any precision, `Z` or `+0200`) or an RFC 2822 date; naive times are taken as UTC."""
    text = clean(value)
    if not text:
        return None
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _absolute(base: str, value: Any) -> str | None:
    text = clean(value)
    if not text:
        return None
    try:
        url = urljoin(base, text)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def _first(*values: Any) -> Any:
    for value in values:
        if value not in (None, "", [], {}):
            return value
    return None


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    # "http://schema.org/Article" and "schema:Article" name the same type as "Article"
    return {re.split(r"[/#:]", v)[-1] for v in values if isinstance(v, str)}


def _walk(item: Any) -> Iterator[dict[str, Any]]:
    """Every node of a JSON-LD document: top-level objects, lists and `@graph` members."""
    if isinstance(item, list):
        for sub in item:
            yield from _walk(sub)
    elif isinstance(item, dict):
        yield item
        if "@graph" in item:
            yield from _walk(item["@graph"])


class _Graph:
    """JSON-LD nodes with `{"@id": …}` references resolved (Yoast points author and publisher at other nodes)."""

    def __init__(self, nodes: Iterable[dict[str, Any]]) -> None:
        self.nodes = list(nodes)
        self.by_id = {n["@id"]: n for n in self.nodes if isinstance(n.get("@id"), str) and len(n) > 1}

    def deref(self, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and value["@id"] in self.by_id:
            return {**self.by_id[value["@id"]], **{k: v for k, v in value.items() if k != "@id"}}
        return value

    def article(self) -> dict[str, Any] | None:
        return next((n for n in self.nodes if _types(n) & ARTICLE_TYPES), None)

    def names(self, value: Any) -> list[str]:
        """Names from a string, a Person/Organization object, an `@id` reference, or a list of them."""
        out: list[str] = []
        for v in value if isinstance(value, list) else [value]:
            v = self.deref(v)
            name = clean(v.get("name")) if isinstance(v, dict) else clean(v)
            if name and not name.startswith(("http://", "https://")) and name not in out:
                out.append(name)
        return out

    def image(self, value: Any) -> str | None:
        for v in value if isinstance(value, list) else [value]:
            v = self.deref(v)
            url = _first(v.get("url"), v.get("contentUrl")) if isinstance(v, dict) else v
            if isinstance(url, str):
                return url
        return None

    def text(self, value: Any) -> str | None:
        if isinstance(value, list):
            value = value[0] if value else None
        value = self.deref(value)
        if isinstance(value, dict):
            value = _first(value.get("name"), value.get("@value"))
        return clean(value)


def _jsonld_nodes(tree: "HtmlElement") -> list[dict[str, Any]]:
    from extruct.jsonld import JsonLdExtractor

    extractor = JsonLdExtractor()
    nodes: list[dict[str, Any]] = []
    # one script at a time: extruct gives up on the whole page at the first malformed block
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            items = extractor.extract_items(script)
        except Exception as exc:  # noqa: BLE001 - a broken block loses only itself (json, jstyleson errors)
            log.debug("web: skipped a malformed JSON-LD block: %s", exc)
            continue
        nodes += _walk(items)
    return nodes


def _microdata_nodes(tree: "HtmlElement", url: str) -> list[dict[str, Any]]:
    """Microdata items in JSON-LD's shape (`@type`, properties at the top), nested items too."""
    from extruct.w3cmicrodata import MicrodataExtractor

    def convert(item: Any) -> Any:
        if isinstance(item, list):
            return [convert(i) for i in item]
        if isinstance(item, dict) and "properties" in item:
            kinds = item.get("type")
            return {"@type": kinds, **{k: convert(v) for k, v in item["properties"].items()}}
        return item

    try:
        items = MicrodataExtractor().extract_items(tree, base_url=url)
    except Exception as exc:  # noqa: BLE001 - microdata is a bonus; a page that trips it keeps the rest
        log.debug("web: skipped microdata: %s", exc)
        return []
    return [convert(i) for i in items]


def _opengraph(tree: "HtmlElement") -> dict[str, list[str]]:
    from extruct.opengraph import OpenGraphExtractor

    props: dict[str, list[str]] = {}
    for item in OpenGraphExtractor().extract_items(tree):
        for key, value in item["properties"]:
            props.setdefault(key.lower(), []).append(value)
    return props


def _meta_tags(tree: "HtmlElement") -> dict[str, list[str]]:
    """`<meta name|property|itemprop|http-equiv=… content=…>` by lower-cased key, in page order."""
    tags: dict[str, list[str]] = {}
    for el in tree.xpath("//meta[@content]"):
        key = el.get("name") or el.get("property") or el.get("itemprop") or el.get("http-equiv")
        if key:
            tags.setdefault(key.strip().lower(), []).append(el.get("content"))
    return tags


def _language(value: Any) -> str | None:
    text = clean(value)
    if not text:
        return None
    tag = text.split(",")[0].strip().replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", tag) else None


def page_meta(tree: "HtmlElement", url: str) -> PageMeta:
    """The page's metadata, each field from the most trusted place that has it; `url` resolves relative links."""
    base = url
    for href in tree.xpath("//head/base/@href")[:1]:
        base = urljoin(url, href)

    graph = _Graph(_jsonld_nodes(tree) + _microdata_nodes(tree, base))
    ld = graph.deref(graph.article() or {})
    og = _opengraph(tree)
    meta = _meta_tags(tree)

    def og1(key: str) -> str | None:
        return _first(*(clean(v) for v in og.get(key, [])), *(clean(v) for v in meta.get(key, [])))

    def meta1(keys: Iterable[str]) -> str | None:
        return _first(*(clean(v) for k in keys for v in meta.get(k, [])))

    head_title = _first(*(clean(t.text_content()) for t in tree.xpath("//head/title | //title")[:1]))
    h1 = _first(*(clean(h.text_content()) for h in tree.xpath("//h1")[:1]))

    meta_authors = [a for k in _META_AUTHOR for v in meta.get(k, []) if (a := clean(v))
                    and not a.startswith(("http://", "https://", "@"))]
    # Yoast writes the byline as a Twitter card label: twitter:label1 "Written by", twitter:data1 name
    for n in range(1, 5):
        label = (meta1([f"twitter:label{n}"]) or "").lower()
        if label in ("written by", "author", "authors", "by") and (name := meta1([f"twitter:data{n}"])):
            meta_authors.append(name)

    published = _first(
        parse_date(graph.text(ld.get("datePublished"))),
        parse_date(graph.text(ld.get("dateCreated"))),
        parse_date(og1("article:published_time")),
        *(parse_date(v) for k in _META_DATE for v in meta.get(k, [])),
    )

    canonical = None
    for link in tree.xpath("//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            canonical = _absolute(base, link.get("href"))
            break
    canonical = canonical or _absolute(base, og1("og:url"))

    image = _first(
        _absolute(base, graph.image(ld.get("image"))),
        _absolute(base, graph.text(ld.get("thumbnailUrl"))),
        _absolute(base, _first(og1("og:image:secure_url"), og1("og:image"), og1("og:image:url"))),
        _absolute(base, _first(og1("twitter:image"), og1("twitter:image:src"))),
        *(_absolute(base, link.get("href")) for link in tree.xpath('//link[@rel="image_src"]')[:1]),
    )

    html_lang = _first(*(tree.xpath("/html/@lang | /html/@xml:lang")[:1]))
    return PageMeta(
        title=_first(graph.text(ld.get("headline")), graph.text(ld.get("name")), og1("og:title"),
                     og1("twitter:title"), meta1(_META_TITLE), head_title, h1),
        site_name=_first(*graph.names(ld.get("publisher"))[:1], og1("og:site_name"), meta1(_META_SITE)),
        authors=_first(graph.names(ld.get("author")), graph.names(ld.get("creator")),
                       list(dict.fromkeys(meta_authors))) or [],
        published=published,
        description=_first(graph.text(ld.get("description")), og1("og:description"), og1("twitter:description"),
                           meta1(_META_DESCRIPTION)),
        image=image,
        language=_first(_language(graph.text(ld.get("inLanguage"))), _language(og1("og:locale")),
                        _language(meta1(_META_LANGUAGE)), _language(html_lang)),
        canonical=canonical,
    )


def metadata_html(tree: "HtmlElement", limit: int = 200_000) -> str:
    """The markup the metadata comes from (`<head>`, and JSON-LD blocks in the body), kept as
    the raw payload so a record can be read again later without refetching; cut at `limit`."""
    import lxml.html

    parts = [lxml.html.tostring(head, encoding="unicode", with_tail=False) for head in tree.xpath("/html/head")[:1]]
    parts += [lxml.html.tostring(s, encoding="unicode", with_tail=False) for s in tree.xpath('/html/body//script[@type="application/ld+json"]')]
    return "\n".join(parts)[:limit]
