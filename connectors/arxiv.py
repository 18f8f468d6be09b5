"""arXiv papers through the `arxiv` package: many ids per request, arXiv's delay kept.

Owns every link form of a paper (abs, pdf, html, alphaxiv, Hugging Face papers, the
arXiv DOI, a bare id). Never touches the database.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from connectors import http
from connectors._urls import split
from connectors.base import Fetched
from connectors.errors import BadPayload, FetchError, LinkRefused, NotFound, Unavailable
from connectors.http import USER_AGENT, Bounds
from connectors.registry import BareId, Details, HttpUrl, KindRules, Link, Offline, Source, Strong, Text, stars
from schemas import ExportItem, Kind, Paper, SectionKey, SourceRef

if TYPE_CHECKING:
    import arxiv
    import requests

log = logging.getLogger(__name__)

# new style (0704.0001 onwards: YYMM.NNNN, 5 digits from 1501) and old style (hep-th/9901001);
# see https://info.arxiv.org/help/arxiv_identifier.html. Before 2007 an archive could carry a
# subject class (math.AT/9811037, physics.optics/0601001): it is information only, not part of
# the id, arXiv redirects /abs/math.AT/9811037 to /abs/math/9811037 and its API knows only the
# latter. Reference lists also print a new id behind an archive (hep-th/1601.07616).
_NEW_ID = r"[0-9]{4}\.[0-9]{4,5}"  # ASCII digits: \d would take ２５１２.０７４６１ too
_ARCHIVE = r"[a-z]+(?:-[a-z]+)*"
_CLASS = r"\.[a-z]+(?:-[a-z]+)*"
_OLD_ID = rf"{_ARCHIVE}(?:{_CLASS})?/[0-9]{{7}}"
ID_PATTERN = rf"(?:{_ARCHIVE}(?:{_CLASS})?/)?{_NEW_ID}|{_OLD_ID}"
"""Every printed form of an id without its version (match case-insensitively); `canonical_id` spells it."""
ARXIV_ID = re.compile(rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>[0-9]+))?")
_PARTS = re.compile(
    rf"(?:(?P<archive>{_ARCHIVE})(?:{_CLASS})?/)?(?P<number>{_NEW_ID}|(?<=/)[0-9]{{7}})(?:v[0-9]+)?", re.IGNORECASE
)
_TAGGED = re.compile(r"^arxiv:\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)

_ABS_HOSTS = {"arxiv.org", "xxx.lanl.gov", "alphaxiv.org", "ar5iv.org"}
"""arxiv.org and every subdomain (export., lanl., browse., ar5iv.labs.), its old name, alphaXiv and ar5iv."""
_PATH_KINDS = {"abs", "pdf", "html", "format", "src", "e-print", "ps", "dvi", "overview", "papers"}
_FEED_HOSTS = {"rss.arxiv.org", "export.arxiv.org", "arxiv.org"}

# code hosts a paper's comment or abstract may point at; the path must name a project
_CODE_LINK = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+(?:/[^\s<>()\[\]{}\"',;]*)?",
    re.IGNORECASE,
)
_OAI_GUID = re.compile(r"^oai:arXiv\.org:(?P<id>.+)$", re.IGNORECASE)
_NOT_CODE_OWNERS = {"papers", "blog", "docs", "login", "join", "collections", "orgs", "about"}
_WITHDRAWN = re.compile(r"\bwithdrawn\b", re.IGNORECASE)


def make_ref(arxiv_id: str) -> SourceRef:
    return SourceRef(
        kind=Kind.paper,
        key=f"arxiv:{arxiv_id}",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        connector=ArxivConnector.name,
    )


def canonical_id(text: str) -> str | None:
    """`text` as arXiv spells the id (no version), or None when it cannot be an arXiv id.

    Checks what the identifier scheme fixes: a real month, new-style ids from 0704 on with
    4 digits until 1412 and 5 from 1501, old-style archives lower-case. An old-style subject
    class is dropped (`math.AT/9811037` is `math/9811037`), and so is an archive printed in
    front of a new-style id (`hep-th/1601.07616` is `1601.07616`). An id that fails here would
    make arXiv refuse the whole batch it travels in (HTTP 400), so it never reaches the API.
    """
    m = _PARTS.fullmatch(text.strip())
    if m is None:
        return None
    number = m.group("number")
    if "." in number:
        yymm, seq = number.split(".")
        if yymm < "0704" or (len(seq) == 5) != (yymm >= "1501"):
            return None
        arxiv_id = number
    else:
        yymm = number[:4]
        arxiv_id = f"{m.group('archive').lower()}/{number}"
    return arxiv_id if 1 <= int(yymm[2:]) <= 12 else None


def parse_bare_id(text: str) -> SourceRef | None:
    """A ref for a bare id (`2512.07461`, `arXiv:2512.07461v2`, `hep-th/9901001`), else None.

    Raises LinkRefused for something shaped like an id that cannot be one (`2513.00001`), and
    for `arXiv:` followed by anything but an id.
    """
    raw = text.strip()
    tagged = _TAGGED.match(raw)
    rest = tagged.group("rest").strip() if tagged else raw
    m = _PARTS.fullmatch(rest)
    if m is None:
        if tagged:
            raise LinkRefused(raw, f"{rest!r} is not an arXiv id (such as 2512.07461 or hep-th/9901001)")
        return None
    arxiv_id = canonical_id(rest)
    if arxiv_id is None:
        raise LinkRefused(raw, f"{m.group('number')} is not a valid arXiv id")
    return make_ref(arxiv_id)


def _id_from_path(url: str, path: str) -> str | None:
    """The id at the start of an arXiv page's path (`2512.07461v2.pdf`, `2512.07461v1/x1.png`), None when
    the path has none."""
    m = _PARTS.match(path)
    # after the id: `.pdf`, a page below it (html figures, src/…/anc files), or the full stop of a pasted sentence
    if m is None or not re.fullmatch(r"(?:\.pdf)?\.*(?:/.*)?", path[m.end() :], re.IGNORECASE):
        return None
    arxiv_id = canonical_id(m.group(0))
    if arxiv_id is None:
        raise LinkRefused(url, f"{m.group('number')} is not a valid arXiv id")
    return arxiv_id


def _refuse_listing(url: str, seg: tuple[str, ...]) -> None:
    """LinkRefused, naming the feed to add instead, for an arXiv author page, listing or feed."""
    if seg[:1] == ("a",) and len(seg) >= 2:
        author = re.sub(r"\.(?:html|atom2?|rss|json)$", "", seg[1])
        raise LinkRefused(
            url,
            f"an arXiv author page, not a paper: add the author's feed "
            f"(https://arxiv.org/a/{author}.atom2) to data/sources.toml so the scheduled run finds "
            "their papers",
        )
    if seg[:1] in (("list",), ("archive",)) and len(seg) >= 2:
        raise LinkRefused(
            url,
            f"an arXiv listing, not a paper: add the listing's feed "
            f"(https://rss.arxiv.org/rss/{seg[1]}) to data/sources.toml so the scheduled run finds "
            "its new papers",
        )
    if seg[:1] in (("rss",), ("atom",)) and len(seg) >= 2:
        raise LinkRefused(
            url, "an arXiv feed, not a paper: add it to data/sources.toml so the scheduled run finds its new papers"
        )


def code_links(*texts: str | None) -> list[str]:
    """Project links (github.com/o/n, gitlab.com/o/n, huggingface.co/o/n) in order, each once.

    github and gitlab links are cut to the project root; trailing punctuation is dropped.
    """
    found: list[str] = []
    for text in texts:
        for m in _CODE_LINK.finditer(text or ""):
            url = m.group(0).rstrip(".:;!?")
            link = split(url)
            if link is None or len(link.segments) < 2:
                continue
            owner, name = link.segments[0], link.segments[1]
            if owner.lower() in _NOT_CODE_OWNERS:
                continue
            if link.host in ("github.com", "gitlab.com"):
                name = name.removesuffix(".git").rstrip(".")
                url = f"https://{link.host}/{owner}/{name}"
            if url not in found:
                found.append(url)
    return found


def paper_from_result(result: arxiv.Result) -> Paper:
    """A Paper from one parsed arXiv API entry (the package's `Result`)."""
    short = result.get_short_id()
    m = ARXIV_ID.fullmatch(short)
    if m is None:
        raise ValueError(f"unexpected arXiv entry id {result.entry_id!r}")
    arxiv_id, version = m.group("id"), int(m.group("version") or 1)
    abstract = " ".join(result.summary.split())
    comment = " ".join(result.comment.split()) if result.comment else None
    categories = list(result.categories)
    if result.primary_category and result.primary_category not in categories:
        categories.insert(0, result.primary_category)
    return Paper(
        id=f"arxiv:{arxiv_id}",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        title=" ".join(result.title.split()),
        arxiv_id=arxiv_id,
        version=version,
        authors=[" ".join(a.name.split()) for a in result.authors],
        abstract=abstract,
        primary_category=result.primary_category or None,
        categories=categories,
        published=result.published,
        updated=result.updated,
        comment=comment,
        journal_ref=result.journal_ref or None,
        doi=result.doi or None,
        pdf_url=result.pdf_url,
        code_links=code_links(result.comment, result.summary),
        code_sources={
            **dict.fromkeys(code_links(result.summary), "abstract"),
            **dict.fromkeys(code_links(result.comment), "comment"),
        },
        withdrawn=bool(_WITHDRAWN.search(comment or "")),
    )


class _Malformed(Exception):
    """The API answered 200 with something that is not an Atom feed."""


def _session(timeout: float, bounds: Bounds) -> requests.Session:
    """A requests session with a timeout, our User-Agent, answers read within `bounds` and a
    check that 200s are Atom.

    arxiv.Client calls requests without a timeout and parses with lxml `recover=True`,
    so an HTML error page or a cut-off body would otherwise look like "no results".
    """
    import requests
    from lxml import etree

    class _Session(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            http.mount(self, bounds)
            self.bodies: list[bytes] = []
            self.rejected: list[str] = []
            """Ids a 400 answer named as malformed ("incorrect id format for …")."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            kwargs.setdefault("timeout", timeout)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "user-agent": USER_AGENT}
            resp = super().request(method, url, *args, **kwargs)
            log.info("arxiv: %s %s -> HTTP %d in %.2f s", method, url, resp.status_code, resp.elapsed.total_seconds())
            if resp.status_code == 400:
                self.rejected += re.findall(r"incorrect id format for ([^<\s]+)", resp.text)
            if resp.status_code == 200:
                ctype = resp.headers.get("content-type", "")
                if "xml" not in ctype:
                    raise _Malformed(f"arXiv answered with {ctype or 'no content type'}, not Atom")
                try:
                    etree.fromstring(resp.content, etree.XMLParser(resolve_entities=False, no_network=True))
                except etree.XMLSyntaxError as exc:
                    raise _Malformed(f"malformed Atom from arXiv ({exc})") from None
                self.bodies.append(resp.content)
            return resp

    return _Session()


def _entries_by_id(bodies: Sequence[bytes]) -> dict[str, str]:
    """The raw `<entry>` XML of each paper in the responses, by id without version."""
    from lxml import etree

    out: dict[str, str] = {}
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for body in bodies:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        for entry in root.iterfind("a:entry", ns):
            entry_id = entry.findtext("a:id", default="", namespaces=ns)
            m = ARXIV_ID.search(entry_id.split("/abs/")[-1])
            if m:
                out[m.group("id")] = etree.tostring(entry, encoding="unicode")
    return out


def _missing_fields(entry_xml: str) -> str:
    """The first element an Atom entry must have for arxiv.py to read it that this one lacks, or ''."""
    from lxml import etree

    ns = "{http://www.w3.org/2005/Atom}"
    entry = etree.fromstring(entry_xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    for name in ("id", "title", "updated", "published", "summary"):
        if not (entry.findtext(f"{ns}{name}") or "").strip():
            return name
    return ""


class ArxivConnector:
    name: ClassVar[str] = "arxiv"
    kinds: ClassVar[tuple[Kind, ...]] = (Kind.paper,)
    batch_size: ClassVar[int] = 100  # an id_list of 100 keeps the query URL near 1.4 kB, far under arXiv's limits

    def __init__(
        self, api_url: str, delay: float, retries: int = 3, timeout: float = 20.0, bounds: Bounds | None = None
    ) -> None:
        self.api_url, self.delay, self.retries, self.timeout = api_url, delay, retries, timeout
        self.bounds = bounds or Bounds(deadline=timeout)
        self._client: arxiv.Client | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> ArxivConnector:
        return cls(
            api_url=settings.arxiv_api_url,
            delay=settings.arxiv_delay,
            retries=settings.arxiv_retries,
            timeout=settings.http_timeout,
            bounds=Bounds.from_settings(settings),
        )

    @staticmethod
    def owns(url: str) -> SourceRef | None:
        """The ref for a paper's page in any form (abs, pdf, html, format, src, versions; arxiv.org and its
        subdomains, alphaXiv, Hugging Face papers, the arXiv DOI); LinkRefused for an author page, a
        listing or a feed, which belong in the sources file; None for any other link."""
        link = split(url)
        if link is None:
            return None
        seg, host = link.segments, link.host
        if host in _ABS_HOSTS or host.endswith(".arxiv.org") or host == "huggingface.co":
            if len(seg) >= 2 and seg[0].lower() in _PATH_KINDS:
                if host == "huggingface.co" and seg[0] != "papers":
                    return None
                arxiv_id = _id_from_path(url, "/".join(seg[1:]))
                if (
                    arxiv_id is None
                    and host not in ("alphaxiv.org", "huggingface.co")
                    and seg[0] not in ("papers", "overview")
                ):
                    # arXiv's own paper pages hold nothing but ids (alphaXiv's and Hugging Face's hold others)
                    raise LinkRefused(
                        url, f"{'/'.join(seg[1:])!r} is not an arXiv id (such as 2512.07461 or hep-th/9901001)"
                    )
                return make_ref(arxiv_id) if arxiv_id else None
            if host in _FEED_HOSTS:
                _refuse_listing(url, seg)
            return None
        if host in ("doi.org", "dx.doi.org") and len(seg) >= 2 and seg[0] == "10.48550":
            doi = "/".join(seg[1:])
            if doi.lower().startswith("arxiv."):
                arxiv_id = _id_from_path(url, doi[len("arxiv.") :])
                return make_ref(arxiv_id) if arxiv_id else None
        return None

    def _arxiv_client(self) -> arxiv.Client:
        if self._client is None:
            import arxiv

            client = arxiv.Client(page_size=self.batch_size, delay_seconds=self.delay, num_retries=self.retries)
            client.query_url_format = self.api_url + "?{}"
            # arxiv.Client has no timeout option: its private session is the only place to set one
            client._session = _session(self.timeout, self.bounds)
            self._client = client
        return self._client

    def fetch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        for start in range(0, len(refs), self.batch_size):
            yield from self._fetch_batch(refs[start : start + self.batch_size])

    def _fetch_batch(self, refs: Sequence[SourceRef]) -> Iterator[Fetched]:
        import arxiv

        client = self._arxiv_client()
        session = client._session
        session.bodies, session.rejected = [], []
        ids = [ref.key.removeprefix("arxiv:") for ref in refs]
        search = arxiv.Search(id_list=ids, max_results=len(ids))
        started = time.monotonic()
        try:
            results = list(client.results(search))
        except Exception as exc:  # noqa: BLE001 - every library failure becomes a per-ref value
            rejected = set(session.rejected) & set(ids)
            if isinstance(exc, arxiv.HTTPError) and exc.status == 400 and rejected:
                # arXiv refuses a whole batch for one id it cannot read: fail that one, ask again for the rest
                rest = [ref for ref, i in zip(refs, ids, strict=True) if i not in rejected]
                for ref, i in zip(refs, ids, strict=True):
                    if i in rejected:
                        yield Fetched(ref, error=BadPayload(ref, f"arXiv says {i} is not a valid id"))
                yield from self._fetch_batch(rest) if rest else ()
                return
            for ref in refs:
                yield Fetched(ref, error=_classify(exc, ref))
            return
        log.info("arxiv: %d ids, %d results in %.2f s", len(ids), len(results), time.monotonic() - started)
        if not results and len(ids) > 1:
            # a live answer with none of several ids is far likelier a glitch (arxiv.py does not retry an
            # empty first page) than all of them gone: retryable, so the scheduled run asks again
            for ref in refs:
                yield Fetched(
                    ref,
                    error=Unavailable(
                        ref, f"arXiv answered with none of the {len(ids)} papers asked for; try again later"
                    ),
                )
            return
        raw = _entries_by_id(session.bodies)
        by_id: dict[str, Paper] = {}
        for result in results:
            try:
                paper = paper_from_result(result)
            except ValueError as exc:
                log.warning("arxiv: skipped an entry: %s", exc)
                continue
            by_id[paper.arxiv_id] = paper
        for ref, arxiv_id in zip(refs, ids, strict=True):
            found = by_id.get(arxiv_id)
            if found is None and arxiv_id in raw:
                # arXiv has the paper but sent an entry arxiv.py skips or we cannot read: not "not
                # found" (which a scheduled run takes as final), a bad answer worth asking again for
                lacking = _missing_fields(raw[arxiv_id])
                yield Fetched(
                    ref,
                    error=Unavailable(
                        ref,
                        "arXiv sent an incomplete entry for this paper"
                        f"{f' (no <{lacking}>)' if lacking else ''}; try again later",
                    ),
                )
            elif found is None:
                yield Fetched(ref, error=NotFound(ref, "not found on arXiv"))
            else:
                yield Fetched(ref, record=found, payload=raw.get(arxiv_id), follow=list(found.code_links))

    def notes(self) -> list[str]:
        return []


def _classify(exc: BaseException, ref: SourceRef) -> FetchError:
    """Map an `arxiv`/`requests` exception onto our error vocabulary."""
    import arxiv
    import requests

    bounded = http.fetch_error(exc, ref, "arXiv")
    if bounded is not None:
        return bounded
    if isinstance(exc, _Malformed):  # an error page or a cut-off body: arXiv's glitch, not the paper's
        return Unavailable(ref, f"{exc}; try again later")
    if isinstance(exc, arxiv.HTTPError):
        if exc.status >= 500 or exc.status == 429:
            return Unavailable(ref, f"arXiv answered HTTP {exc.status}; try again later")
        return BadPayload(ref, f"arXiv refused the request (HTTP {exc.status})")
    if isinstance(exc, requests.Timeout):
        return Unavailable(ref, "arXiv did not answer in time")
    if isinstance(exc, requests.ConnectionError):
        return Unavailable(ref, "could not connect to arXiv")
    if isinstance(exc, requests.RequestException):
        return Unavailable(ref, f"the connection to arXiv broke off ({type(exc).__name__})")
    if isinstance(exc, arxiv.ArxivError):
        return Unavailable(ref, f"arXiv gave an unexpected answer ({exc.message})")
    return BadPayload(ref, f"{type(exc).__name__}: {exc}")


# ---- what the registry knows of arXiv


class ArxivSettings(BaseModel):
    arxiv_api_url: HttpUrl = "https://export.arxiv.org/api/query"
    """The arXiv API endpoint."""
    arxiv_delay: Annotated[float, Offline("0")] = Field(default=3.0, ge=0)
    """Seconds between arXiv requests: arXiv's API terms ask for one request every 3 s."""
    arxiv_retries: Annotated[int, Offline("0")] = Field(default=3, ge=0)
    """Retries of a failed arXiv request (arxiv.py retries at once, spaced only by the delay)."""


def _feed_link(entry: Mapping[str, Any], href: str | None) -> str | None:
    """The abs page (no version) of an arXiv RSS entry, from its link, else its oai guid; of any
    other entry whose link is a paper (an author's feed, arxiv.org/a/<id>.atom2, links each abs page
    with its version); None when the entry names no valid arXiv id."""
    guid = _OAI_GUID.match(entry.get("id") or "")
    if not entry.get("arxiv_announce_type") and guid is None:
        try:
            ref = ArxivConnector.owns(href or "")
        except LinkRefused:  # a listing or an impossible id: the entry is left to the other sources
            return None
        return ref.url if ref is not None else None
    try:
        ref = ArxivConnector.owns(entry.get("link") or "")
    except LinkRefused:  # shaped like an id, but not one (a month 13): try the guid
        ref = None
    if ref is not None:
        return ref.url
    arxiv_id = canonical_id(guid.group("id")) if guid else None
    return make_ref(arxiv_id).url if arxiv_id else None


class ArxivFeedOptions(BaseModel):
    announce_types: list[Literal["new", "cross", "replace", "replace-cross"]] = Field(
        default_factory=list,
        description="arXiv only: keep these announce types (`new` skips revisions and cross-lists).",
    )


def _keep(feed: Any, entry: Any) -> bool:
    """`announce_types` keeps arXiv RSS entries of those types; entries of other feeds have none and pass."""
    return not feed.announce_types or entry.announce_type is None or entry.announce_type in feed.announce_types


def _paper_details(item: ExportItem) -> Details:
    """`arXiv | GitHub ★ 812 (+40)` when the code is a stored repo; `arXiv | code (not fetched)`
    when it is a GitHub link curate has not fetched; a withdrawn paper says so first."""
    lead: list = []
    if item.details.get("withdrawn"):
        lead.append(Strong("Withdrawn by the authors"))
    head: list = [Link("arXiv", item.url)]
    code = item.links.get("code") or []
    if item.links.get("repo"):  # a stored GitHub repo: its figures are known
        head += [Text("|"), Link("GitHub", item.links["repo"])]
        figures = stars(item.metrics)
        if figures:
            head.append(Text(figures))
    elif code:  # what the paper links to, unchecked: no GitHub name, no figures
        head += [Text("|"), Link("code", code[0])]
        if (urlsplit(code[0]).hostname or "").lower() in ("github.com", "www.github.com"):
            head.append(Text("(not fetched)"))
    lead.append(tuple(head))
    return Details(lead=lead)


def _valid_bare(text: str) -> bool:
    try:
        return parse_bare_id(text) is not None
    except LinkRefused:
        return False


_TEXT_ID = rf"(?:{ID_PATTERN})(?:v\d+)?"

SOURCE = Source(
    name="arxiv",
    connector=ArxivConnector,
    owns=ArxivConnector.owns,
    hosts=("arxiv.org", "export.arxiv.org", "ar5iv.labs.arxiv.org", "ar5iv.org", "alphaxiv.org", "huggingface.co"),
    bare_id=BareId(
        parse=parse_bare_id,
        # `arXiv:2512.07461`, or an id standing alone (not inside a path, a version or a number;
        # a full stop may follow it)
        pattern=rf"\barxiv:\s?{_TEXT_ID}|(?<![\w/.:-]){_TEXT_ID}(?![\w/-]|\.\w)",
        valid=_valid_bare,
    ),
    kinds={Kind.paper: KindRules(section=SectionKey.papers, details=_paper_details)},
    settings=ArxivSettings,
    feed_link=_feed_link,
    feed_options=ArxivFeedOptions,
    feed_keep=_keep,
)
