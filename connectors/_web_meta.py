"""What an HTML page says about itself, each field from the place most often right; no I/O.

Entry point: `page_meta(tree, url)` on a tree from `parse(decode(body, content_type))`. The
structured data (JSON-LD, microdata, OpenGraph) comes from extruct, which returns each syntax
apart so the order per field is ours to apply (`page_meta` gives it); plain `<meta>`,
`<title>` and `<link>` tags are read with lxml XPath, which is all they need. Values are
read as sites write them by `_web_values`; trafilatura reads the visible page when the
metadata falls short.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from connectors._web_values import LEGAL_FORM, byline_names, clean, fold_name, parse_date

if TYPE_CHECKING:
    from lxml.html import HtmlElement

log = logging.getLogger(__name__)

# schema.org's Article and the subtypes blogs and news sites use (https://schema.org/Article)
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "BlogPosting",
        "NewsArticle",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "BackgroundNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "AdvertiserContentArticle",
    }
)

# schema.org's Organization and the subtypes sites give an author or publisher (https://schema.org/Organization)
ORGANIZATION_TYPES = frozenset(
    {
        "Organization",
        "NewsMediaOrganization",
        "Corporation",
        "EducationalOrganization",
        "GovernmentOrganization",
        "NGO",
        "OnlineBusiness",
        "LocalBusiness",
        "ResearchOrganization",
        "Project",
        "WebSite",
        "Brand",
    }
)

# <meta name=…> keys beyond OpenGraph/Twitter that CMSs and analytics tags write (Dublin Core
# keys are read with `dc:` and `dc.` alike: sites write both)
_META_TITLE = ("title", "dc.title", "dcterms.title", "parsely-title", "sailthru.title")
_META_AUTHOR = (
    "dc.creator",
    "dcterms.creator",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "byl",
    "citation_author",
    "bepress_citation_author",
)
_META_DATE = (
    "article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publication_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
    "citation_publication_date",
    "citation_date",
    "bepress_citation_date",
)
_META_DESCRIPTION = ("description", "dc.description", "dcterms.description")
_META_SITE = ("application-name", "apple-mobile-web-app-title")
_META_PUBLISHER = ("dc.publisher", "dcterms.publisher", "citation_publisher")
_META_LANGUAGE = ("content-language", "dc.language", "language")

# a title's site part: "Post | Site", "Site - Post", "Post – Site"
_TITLE_SEPARATOR = r"\s+(?:\||-|–|—|·|•|::|»|/)\s+"


class Unparseable(ValueError):
    """The body is not an HTML document we can read (empty, binary, no title anywhere)."""


@dataclass
class PageMeta:
    """The page's own description of itself, cleaned (entities decoded, whitespace folded)."""

    title: str | None = None
    site_name: str | None = None
    authors: list[str] = field(default_factory=list)
    """People the page names as its authors."""
    organizations: list[str] = field(default_factory=list)
    """Organisations the page names as its author (a newsroom, a wire service, the site itself)."""
    published: datetime | None = None
    """As the page wrote it: aware when it gave a zone, naive when it did not or gave only a day."""
    description: str | None = None
    image: str | None = None
    language: str | None = None
    canonical: str | None = None
    """`<link rel=canonical>`, else `og:url`, made absolute; None when absent or not http(s)."""


def parse(text: str) -> HtmlElement:
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


_EXTRUCT_LOCK = threading.Lock()


def _extruct(module: str) -> Any:
    """`extruct.<module>` (jsonld, opengraph or w3cmicrodata), without running extruct's own
    `__init__` unless something else asks for it.

    extruct/__init__.py imports the extractor of every syntax it knows, microformats (mf2py,
    BeautifulSoup, soupsieve) and RDFa (pyRdfa, rdflib) among them: 0.13 s of CPU on every web
    ingest here (0.19 s → 0.06 s for the three modules curate reads, which import none of those).
    extruct has no lazy import of its own, so the package is registered once as its bare module
    object (`__path__` set, so its submodules import normally); the first attribute asked of the
    package itself (`from extruct import extract`, anyone's) runs the real `__init__` then.
    """
    name = f"extruct.{module}"
    if name in sys.modules:
        return sys.modules[name]
    with _EXTRUCT_LOCK:  # pages are parsed on several threads at once
        if "extruct" not in sys.modules:
            spec = importlib.util.find_spec("extruct")
            if spec is None or spec.loader is None or spec.submodule_search_locations is None:
                raise ImportError("extruct is not installed")
            package, loader = importlib.util.module_from_spec(spec), spec.loader

            def complete(attribute: str) -> Any:
                del vars(package)["__getattr__"]
                loader.exec_module(package)
                return getattr(package, attribute)

            vars(package)["__getattr__"] = complete  # a module's __getattr__ (PEP 562)
            sys.modules["extruct"] = package
        return importlib.import_module(name)


def _jsonld_nodes(tree: HtmlElement) -> list[dict[str, Any]]:
    extractor = _extruct("jsonld").JsonLdExtractor()
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


def _microdata_nodes(tree: HtmlElement, url: str) -> list[dict[str, Any]]:
    """Microdata items in JSON-LD's shape (`@type`, properties at the top), nested items too."""

    def convert(item: Any) -> Any:
        if isinstance(item, list):
            return [convert(i) for i in item]
        if isinstance(item, dict) and "properties" in item:
            kinds = item.get("type")
            return {"@type": kinds, **{k: convert(v) for k, v in item["properties"].items()}}
        return item

    try:
        items = _extruct("w3cmicrodata").MicrodataExtractor().extract_items(tree, base_url=url)
    except Exception as exc:  # noqa: BLE001 - microdata is a bonus; a page that trips it keeps the rest
        log.debug("web: skipped microdata: %s", exc)
        return []
    return [convert(i) for i in items]


def _opengraph(tree: HtmlElement) -> dict[str, list[str]]:
    props: dict[str, list[str]] = {}
    for item in _extruct("opengraph").OpenGraphExtractor().extract_items(tree):
        for key, value in item["properties"]:
            props.setdefault(key.lower(), []).append(value)
    return props


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """`<meta name|property|itemprop|http-equiv=… content=…>` by lower-cased key, in page order."""
    tags: dict[str, list[str]] = {}
    for el in tree.xpath("//meta[@content]"):
        key = el.get("name") or el.get("property") or el.get("itemprop") or el.get("http-equiv")
        if key:
            tags.setdefault(_key(key), []).append(el.get("content"))
    return tags


def _language(value: Any) -> str | None:
    text = clean(value)
    if not text:
        return None
    tag = text.split(",")[0].strip().replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", tag) else None


def _key(name: str) -> str:
    key = name.strip().lower()
    return "dc." + key[3:] if key.startswith("dc:") else "dcterms." + key[8:] if key.startswith("dcterms:") else key


_CUT = re.compile(r"\s*(?:\.\.\.|…|\(\.\.\.\)|\[(?:\.\.\.|…)\])$")


def _description(candidates: list[str | None]) -> str | None:
    """The first description, unless another one is the same text less cut: sites cut the
    share card's copy ("… a new warning.") or end it with "(...)", while `<meta name=description>`
    has it whole. Of the versions of one text, the longest that does not end in an ellipsis wins."""
    texts = [c for c in candidates if c]
    if not texts:
        return None
    first = texts[0]

    def stem(text: str) -> str:
        return _CUT.sub("", text).rstrip(" .:;,").casefold()

    same = [t for t in texts if stem(t).startswith(stem(first)) or stem(first).startswith(stem(t))]
    whole = [t for t in same if not _CUT.search(t)]
    return max(whole, key=len) if whole else first


def _without_site(title: str | None, sites: Iterable[str | None]) -> str | None:
    """The title with a leading or trailing site name cut off ("Post | Site" → "Post")."""
    if not title:
        return title
    for site in {s for s in sites if s}:
        name = re.escape(site)
        cut = re.sub(
            rf"(?:{_TITLE_SEPARATOR}{name}$|^{name}(?:{_TITLE_SEPARATOR}|:\s+))", "", title, flags=re.IGNORECASE
        )
        if cut != title and len(cut) >= 3:
            return cut
    return title


def page_meta(tree: HtmlElement, url: str, visible: bool = True) -> PageMeta:
    """The page's metadata, each field from the most trusted place that has it; `url` resolves relative links.

    The order per field follows what was right on real saved pages (`make eval-web`):
    - title, description and site name: OpenGraph first (the share card people see), then
      JSON-LD, `<meta>`, `<title>`, `<h1>`. JSON-LD `headline` is often cut to Google's old
      110-character limit or lacks the kicker, and its `publisher` is the company
      ("Ediciones EL PAÍS S.L."), not the site ("EL PAÍS"). A title loses a site-name suffix.
    - authors and publish time: JSON-LD first, then microdata, OpenGraph and `<meta>`.
      People and organisations are kept apart: `authors` holds people (the JSON-LD Person
      names plus the HTML standard's `<meta name=author>`), `organizations` the rest.
    When no person, no publish time or no site name is found there and `visible` is true,
    the visible page is read as well (`_visible`: bylines, dates in the URL and the text).
    """
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

    website: dict[str, Any] = next((graph.deref(n) for n in graph.nodes if "WebSite" in _types(n)), {})
    publisher = graph.names(ld.get("publisher"))[:1]
    site_name = _first(
        og1("og:site_name"),
        meta1(_META_SITE),
        *graph.names(website.get("name"))[:1],
        *publisher,
        meta1(_META_PUBLISHER),
    )

    people, organizations = _authors(graph, ld, meta, meta1, site_name, *publisher)

    published = _first(
        parse_date(graph.text(ld.get("datePublished"))),
        parse_date(graph.text(ld.get("dateCreated"))),
        parse_date(og1("article:published_time")),
        *(parse_date(v) for k in _META_DATE for v in meta.get(k, [])),
    )

    if visible and (not people or published is None or not site_name):
        opinion = _visible(tree, url)
        if not people:  # trafilatura drops dots ("S L"): names are compared without punctuation
            known = {fold_name(o) for o in organizations}
            people = [n for n in opinion.authors if fold_name(n) not in known and not LEGAL_FORM.search(n)]
        published = published if published is not None else opinion.published
        site_name = site_name or opinion.site_name

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

    title = _first(
        og1("og:title"),
        graph.text(ld.get("headline")),
        graph.text(ld.get("name")),
        og1("twitter:title"),
        meta1(_META_TITLE),
        head_title,
        h1,
    )
    html_lang = _first(*(tree.xpath("/html/@lang | /html/@xml:lang")[:1]))
    return PageMeta(
        title=_without_site(title, [site_name, *publisher, *graph.names(website.get("name"))]),
        site_name=site_name,
        authors=people,
        organizations=organizations,
        published=published,
        description=_first(
            _description([og1("og:description"), og1("twitter:description"), meta1(["description"])]),
            meta1(_META_DESCRIPTION),
            graph.text(ld.get("description")),
        ),
        image=image,
        language=_first(
            _language(graph.text(ld.get("inLanguage"))),
            _language(og1("og:locale")),
            _language(meta1(_META_LANGUAGE)),
            _language(html_lang),
        ),
        canonical=canonical,
    )


def _visible(tree: HtmlElement, url: str) -> PageMeta:
    """What the visible page says: bylines in the text, the date in the URL, a `<time>` or a
    date line (htmldate), the site's name. trafilatura's `extract_metadata` reads them; it
    reads a copy, never changing `tree`. Its date is a day, so `published` is naive."""
    from trafilatura.metadata import extract_metadata

    try:
        doc = extract_metadata(copy.deepcopy(tree), default_url=url)
    except Exception as exc:  # noqa: BLE001 - a second opinion that trips loses only itself
        log.debug("web: trafilatura could not read %s: %s", url, exc)
        return PageMeta()
    day = None
    if doc.date:
        try:
            day = datetime.strptime(doc.date[:10], "%Y-%m-%d")
        except ValueError:
            day = None
    return PageMeta(
        site_name=clean(doc.sitename),
        authors=[n for a in (doc.author or "").split(";") for n in byline_names(a)],
        published=parse_date(day.isoformat()) if day else None,
    )


def _authors(  # noqa: C901 - the places a page names its authors, most trusted first
    graph: _Graph,
    ld: Mapping[str, Any],
    meta: Mapping[str, list[str]],
    meta1: Callable[[Iterable[str]], str | None],
    *sites: str | None,
) -> tuple[list[str], list[str]]:
    """(people, organisations) the page names as its authors, each once, in the page's order."""
    people: list[str] = []
    organizations: list[str] = []
    site_names = {s.casefold() for s in sites if s}

    def add(name: str, organization: bool = False) -> None:
        organization = organization or name.casefold() in site_names or bool(LEGAL_FORM.search(name))
        into = organizations if organization else people
        if fold_name(name) not in {fold_name(n) for n in people + organizations}:
            into.append(name)

    for key in ("author", "creator"):
        found = ld.get(key)
        for value in found if isinstance(found, list) else [found]:
            value = graph.deref(value)
            if isinstance(value, dict):
                for name in graph.names(value):
                    add(name, organization=bool(_types(value) & ORGANIZATION_TYPES))
            elif isinstance(value, str):
                for name in byline_names(value):
                    add(name)
        if people or organizations:
            break
    # the HTML standard's <meta name=author> names one of the page's authors: always added
    # (CNN lists three people in JSON-LD and a fourth here)
    for value in meta.get("author", []):
        for name in byline_names(value):
            add(name)
    if not people:
        for value in (v for k in _META_AUTHOR for v in meta.get(k, [])):
            for name in byline_names(value):
                add(name)
        # Yoast writes the byline as a Twitter card label: twitter:label1 "Written by", twitter:data1 name
        for n in range(1, 5):
            label = (meta1([f"twitter:label{n}"]) or "").lower()
            if label in ("written by", "author", "authors", "by"):
                for name in byline_names(meta1([f"twitter:data{n}"])):
                    add(name)
    return people, organizations


def metadata_html(tree: HtmlElement, limit: int = 200_000) -> str:
    """The markup the metadata comes from (`<head>`, and JSON-LD blocks in the body), kept as
    the raw payload so a record can be read again later without refetching; cut at `limit`."""
    import lxml.html

    parts = [lxml.html.tostring(head, encoding="unicode", with_tail=False) for head in tree.xpath("/html/head")[:1]]
    parts += [
        lxml.html.tostring(s, encoding="unicode", with_tail=False)
        for s in tree.xpath('/html/body//script[@type="application/ld+json"]')
    ]
    return "\n".join(parts)[:limit]
