"""The source registry: what each source declares once, and what the rest of curate asks.

A source is one module under `connectors/` that ends with `SOURCE = Source(...)`. The
registry finds those modules by themselves (no list to edit), so adding a source is a
diff to one module, its fixtures and tests, and the README. The pipeline asks the
registry which source owns a link, which section and score a record kind has, what its
details line shows, whether its figures are refreshed, which settings exist and how a
feed entry becomes a link; it never branches on a source's or a kind's name.

    Source
    ├── name, connector (class: from_settings · fetch · notes)
    ├── links: owns(url) · hosts (taken from text without a scheme) · bare_id (ids without a URL)
    ├── kinds: {Kind: KindRules(section, score, details, refreshed)}
    ├── settings: a pydantic model of `CURATE_*` fields (endpoints, credentials, knobs)
    ├── feeds: feed_link(entry, href) · feed_format (a feed that is not RSS/Atom, told apart
    │          by its URL) · feed_options + feed_keep (its own `[[feeds]]` filter keys)
    ├── enricher: adds figures and links to another source's records in the same run
    └── fallback: asked last (the web connector takes any http(s) URL)
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, SecretStr

from connectors.base import Connector
from schemas import ExportItem, Extra, Kind, SectionKey, SourceRef

if TYPE_CHECKING:
    from connectors.feeds import FeedEntry


# ---- the details line, as parts: the Markdown draft and the editor's page each render them


@dataclass(frozen=True)
class Text:
    """Plain text from a source (a channel, a language); the renderer escapes it."""

    text: str


@dataclass(frozen=True)
class Link:
    """A link: `label` is shown, `url` is the destination (dropped by the renderer unless http(s))."""

    label: str
    url: str


@dataclass(frozen=True)
class Strong:
    """Text shown in bold: a warning the editor must not miss (a withdrawn paper)."""

    text: str


Part = Text | Link | Strong
Segment = Part | tuple[Part, ...]  # parts shown together, joined by spaces


@dataclass(frozen=True)
class Details:
    """An item's details line: `lead` (where it lives, its headline figure), then the byline
    (added by the renderer), then `facts` (figures), then the publication date."""

    lead: list[Segment] = field(default_factory=list)
    facts: list[Segment] = field(default_factory=list)


def count(n: int | float) -> str:
    """`12,345`: a count as the draft shows it."""
    return f"{int(n):,}"


def duration(seconds: int | float) -> str:
    """`1:02:03` or `4:05`: a running time."""
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def stars(metrics: Mapping[str, int | float]) -> str | None:
    """`★ 812 (+40)`: a repository's stars and the stars gained since the last issue, if known."""
    if "stars" not in metrics:
        return None
    text = f"★ {count(metrics['stars'])}"
    gained = metrics.get("stars_gained")
    if gained:
        text += f" (+{count(gained)})" if gained > 0 else f" ({count(gained)})"
    return text


def by_published(item: ExportItem) -> tuple[float, ...]:
    """The default score: publication time, newest first."""
    return (item.published.timestamp() if item.published else 0.0,)


# ---- what a source declares


@dataclass(frozen=True)
class KindRules:
    """How the draft treats one record kind."""

    section: SectionKey
    """The draft section its items go to unless the editor moves them."""
    details: Callable[[ExportItem], Details]
    score: Callable[[ExportItem], tuple[float, ...]] = by_published
    """Higher comes first inside a section (after the editor's order and the shortlist)."""
    refreshed: bool = False
    """Its figures (stars, views) move after it is first stored: `curate run` fetches it again
    once they are older than CURATE_REFRESH_AGE."""


@dataclass(frozen=True)
class BareId:
    """Ids a user may give without an http(s) URL (`2512.07461`, `arXiv:hep-th/9901001v2`,
    a clone link `git@github.com:o/n.git`)."""

    parse: Callable[[str], SourceRef | None]
    """The ref for a whole input that is a bare id, else None; LinkRefused for an id-shaped
    input that cannot be one."""
    pattern: str
    """A regex finding such ids inside free text (lookarounds included); each match is kept
    only when `valid` accepts it."""
    valid: Callable[[str], bool]


class FeedFormat(Protocol):
    """A feed that is not RSS or Atom (a JSON list), read through the same conditional GET."""

    def reads(self, url: str) -> bool:
        """True for the feed URLs this format reads (told apart by URL, as the other feed kinds are)."""
        ...

    def entries(self, body: bytes, url: str) -> list[FeedEntry]:
        """The entries of one answer; BadPayload when it is not this format."""
        ...


class Enricher(Protocol):
    """A source that adds to another source's records in the run that fetches them.

    One instance per run (`from_settings`). `enrich` is called in the fetching thread of the
    source whose records it adds to, with up to a batch of records of `kinds` at a time; the
    code links of what it returns are ingested in the same run, as a paper's own are.
    """

    kinds: ClassVar[tuple[Kind, ...]]
    refreshes: ClassVar[bool]
    """Its figures move (upvotes): records of `kinds` are fetched again when their figures are old."""

    def enrich(self, records: Sequence[Any]) -> list[tuple[Extra | None, list[str]]]:
        """For each record, in order: what this source adds (None when it knows nothing of it)
        and warnings. Never raises for one record."""
        ...

    def notes(self) -> list[str]: ...


@dataclass(frozen=True)
class Source:
    """Everything the rest of curate needs to know about one source."""

    name: str
    connector: type[Connector] | None = None
    """The class that fetches (`from_settings(settings)`, `fetch(refs)`, `notes()`), or None."""
    owns: Callable[[str], SourceRef | None] | None = None
    """The ref for one of its http(s) links, None when not one of its links, LinkRefused
    when it is one it cannot ingest (a channel page)."""
    hosts: tuple[str, ...] = ()
    """Hosts whose links are recognised in free text even without `https://`."""
    bare_id: BareId | None = None
    kinds: Mapping[Kind, KindRules] = field(default_factory=dict)
    settings: type[BaseModel] | None = None
    """Its `CURATE_*` settings as pydantic fields (endpoints typed `HttpUrl`, credentials
    `Credential`); the CLI's Settings is made of every source's."""
    feed_link: Callable[[Mapping[str, Any], str | None], str | None] | None = None
    """The link a feedparser entry is about when it is this source's (a YouTube entry: the
    watch page), else None; `href` is the entry's own link made absolute."""
    feed_format: FeedFormat | None = None
    feed_options: type[BaseModel] | None = None
    """Keys a `[[feeds]]` table may carry for this source's feeds (`min_upvotes`), as pydantic fields."""
    feed_keep: Callable[[Any, FeedEntry], bool] | None = None
    """Whether an entry passes those keys, given the feed's table."""
    enricher: Any = None
    """A class built with `from_settings(settings)` that satisfies Enricher, or None."""
    extra_facts: Callable[[ExportItem], list[Part]] | None = None
    """What the details line of an item this source added to shows of it (`▲ 42 upvotes`)."""
    fallback: bool = False


# ---- settings helpers a source's settings model uses


@dataclass(frozen=True)
class Endpoint:
    """Marks a setting that names an API root: tests point it at the replay server (the
    default's path kept under the server's address)."""


@dataclass(frozen=True)
class Offline:
    """The value a setting takes in a replayed run (no delay between requests, no retries)."""

    value: str


def _http_url(value: object) -> object:
    """An http(s) root with a host, without a trailing slash; anything else is refused by name."""
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip().rstrip("/")
    return value


def _credential(value: object) -> object:
    """Credentials pasted from an env file often carry a newline; an empty one means unset.

    What is left must be visible ASCII: a credential travels in an HTTP header (RFC 9110
    §5.5), where a space, a control or a non-ASCII character cannot go. The error never
    quotes the value."""
    if isinstance(value, str):
        value = value.strip()
        if any(not "\x21" <= c <= "\x7e" for c in value):
            raise ValueError(
                "holds a character a credential cannot have (a space, a control or a non-ASCII "
                "character); copy it again from where it was issued"
            )
        return value or None
    return value


HttpUrl = Annotated[str, BeforeValidator(_http_url), Endpoint()]
"""An API root (`https://api.github.com`): validated, trailing slash dropped, replayed in tests."""
Credential = Annotated[SecretStr | None, BeforeValidator(_credential)]
"""A token or key: never printed, logged or stored; give it `validation_alias` with the
variable people already use (`GITHUB_TOKEN`) before the `CURATE_` one."""


# ---- the registry


class Registry:
    """The sources of one process, in the order links are offered: specific ones by name,
    the fallback (the web) last."""

    def __init__(self, sources: Iterable[Source]) -> None:
        listed = list(sources)
        names = [s.name for s in listed]
        if len(set(names)) != len(names):
            raise ValueError(f"two sources share a name: {names}")
        self.sources: tuple[Source, ...] = tuple(sorted(listed, key=lambda s: (s.fallback, s.name)))
        self._rules: dict[Kind, KindRules] = {}
        for source in self.sources:
            for kind, rules in source.kinds.items():
                if kind in self._rules:
                    raise ValueError(f"two sources declare the kind {kind}")
                self._rules[kind] = rules
        hosts = sorted({h for s in self.sources for h in s.hosts}, key=len, reverse=True)
        self.host_pattern = "|".join(re.escape(h) for h in hosts) or r"(?!)"
        """The hosts taken from free text without a scheme, as one regex alternation."""

    def with_source(self, source: Source) -> Registry:
        """A new registry with `source` added (tests register a fake source this way)."""
        return Registry([*self.sources, source])

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(f"no source named {name!r}")

    def owners(self) -> Iterator[Source]:
        """The sources that own links, in the order they are asked."""
        return (s for s in self.sources if s.owns is not None)

    def bare_ids(self) -> list[BareId]:
        return [s.bare_id for s in self.sources if s.bare_id is not None]

    def rules(self, kind: Kind | str) -> KindRules:
        return self._rules[Kind(kind)]

    def details(self, item: ExportItem) -> Details:
        """An item's details line: its kind's lead and facts, then the facts of each source
        that added to it (`extras`)."""
        details = self.rules(item.kind).details(item)
        added = item.details.get("extras") or {}
        facts = [f for s in self.sources if s.extra_facts is not None and s.name in added for f in s.extra_facts(item)]
        return Details(lead=details.lead, facts=[*details.facts, *facts]) if facts else details

    def section_of(self, kind: Kind | str) -> SectionKey:
        return self.rules(kind).section

    def refreshed_kinds(self) -> tuple[Kind, ...]:
        """Kinds whose figures move: their source says so, or an enricher of theirs does."""
        enriched = {k for e in self.enrichers().values() if e.refreshes for k in e.kinds}
        return tuple(k for k, r in self._rules.items() if r.refreshed or k in enriched)

    def enrichers(self) -> dict[str, Any]:
        """Enricher classes by source name."""
        return {s.name: s.enricher for s in self.sources if s.enricher is not None}

    def feed_format(self, url: str) -> FeedFormat | None:
        """The format that reads the feed at `url`; None for RSS and Atom."""
        for source in self.sources:
            if source.feed_format is not None and source.feed_format.reads(url):
                return source.feed_format
        return None

    def feed_options(self) -> list[type[BaseModel]]:
        return [s.feed_options for s in self.sources if s.feed_options is not None]

    def feed_keeps(self) -> list[Callable[[Any, FeedEntry], bool]]:
        return [s.feed_keep for s in self.sources if s.feed_keep is not None]

    def connectors(self) -> dict[str, type[Connector]]:
        """Connector classes by source name."""
        return {s.name: s.connector for s in self.sources if s.connector is not None}

    def settings_models(self) -> list[type[BaseModel]]:
        return [s.settings for s in self.sources if s.settings is not None]

    def feed_link(self, entry: Mapping[str, Any], href: str | None) -> str | None:
        """The link a feed entry is about: the first source that claims the entry, else its own link."""
        for source in self.sources:
            if source.feed_link is not None:
                link = source.feed_link(entry, href)
                if link:
                    return link
        return href


def discover() -> list[Source]:
    """The `SOURCE` of every module in this package, in module order."""
    import connectors

    found = []
    for info in sorted(pkgutil.iter_modules(connectors.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "registry":
            continue
        module = importlib.import_module(f"connectors.{info.name}")
        source = getattr(module, "SOURCE", None)
        if isinstance(source, Source):
            found.append(source)
    return found


@cache
def default() -> Registry:
    """The registry of every source module under `connectors/` (found once per process)."""
    return Registry(discover())
