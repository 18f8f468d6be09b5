"""Turn what a user typed (or a feed listed) into refs: parse, canonicalize, refuse clearly.

Each source declares the link shapes it owns (`owns`), the hosts recognised without a
scheme and its bare ids; this module asks the registry it is given (the default one when
none is) and decides only what counts as a link at all.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

from connectors.errors import LinkRefused
from connectors.registry import BareId, Registry, default
from schemas import SourceRef

# a scheme-less link such as `arxiv.org/pdf/2511.13945v2`: a dotted host name, then a path
_SCHEMELESS = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*):", re.IGNORECASE)

# Links inside free text, Markdown or HTML. No maintained library extracts URLs from all three
# the same way (urlextract guesses TLDs from a downloaded list), so a conservative pattern:
# http(s) up to whitespace, quotes, angle brackets or a closing bracket; the sources' hosts
# without a scheme; and the sources' bare ids (kept only when valid).
_STOP = r"""[^\s<>"'`\])}]"""


@cache
def _text_link(registry: Registry) -> re.Pattern[str]:
    bare = "".join(f"|(?P<bare{i}>{b.pattern})" for i, b in enumerate(registry.bare_ids()))
    return re.compile(
        rf"(?P<url>https?://{_STOP}+)"
        rf"|(?P<host>(?<![\w/.@-])(?:www\.)?(?:{registry.host_pattern})/{_STOP}+)" + bare,
        re.IGNORECASE,
    )


def visible(text: str) -> str:
    """`text` without Unicode's invisible format characters (category Cf: zero-width space and
    joiners, word joiner, soft hyphen, byte order mark, bidirectional marks), which copying a
    link from a web page or a chat often brings along and which no link or id contains."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _bare(bare_id: BareId, raw: str) -> SourceRef | None:
    """`bare_id.parse(raw)`; ids are ASCII, so one typed with a CJK input method (２５１２.０７４６１)
    is read in its compatibility form (NFKC, Unicode's own mapping of full-width characters to
    ASCII). A refusal names what was typed, not its folded form."""
    folded = unicodedata.normalize("NFKC", raw)
    try:
        found = bare_id.parse(raw)
    except LinkRefused:
        if folded == raw:
            raise
        try:
            found = bare_id.parse(folded)
        except LinkRefused:
            found = None
        if found is None:
            raise
        return found
    return found if found is not None or folded == raw else bare_id.parse(folded)


def parse(text: str, registry: Registry | None = None) -> SourceRef:
    """The ref for one input: an http(s) URL (scheme optional) or a bare id (an arXiv id, a git clone link).

    Asks the sources of `registry` (default: every source module). Raises LinkRefused,
    naming the input, for anything else and for links a source recognises but cannot
    ingest (a YouTube channel, a GitHub owner).
    """
    registry = registry or default()
    raw = visible(text).strip().strip("<>").strip()
    if not raw:
        raise LinkRefused(text, "empty input")
    for bare_id in registry.bare_ids():
        bare = _bare(bare_id, raw)
        if bare is not None:
            return bare
    m = _SCHEME.match(raw)
    if m is None:
        if not _SCHEMELESS.match(raw):
            raise LinkRefused(raw, "not a link: give an http(s) URL or an arXiv id such as 2512.07461")
        raw = "https://" + raw
    elif m.group("scheme").lower() not in ("http", "https"):
        raise LinkRefused(raw, f"{m.group('scheme')}: links are not supported, only http and https")
    if any(c.isspace() for c in raw):
        raise LinkRefused(raw, "a link cannot contain spaces")
    for source in registry.owners():
        try:
            ref = source.owns(raw)  # type: ignore[misc]
        except ValueError as exc:  # LinkRefused included: a connector that cannot read the link
            if isinstance(exc, LinkRefused):
                raise
            raise LinkRefused(raw, f"not a valid URL ({exc})") from None
        if ref is not None:
            return ref
    raise LinkRefused(raw, "not a valid http(s) URL (no host)")


def extract(text: str, registry: Registry | None = None) -> list[str]:
    """Every link in a text, Markdown or HTML document, in order of appearance, each once."""
    registry = registry or default()
    bare_ids = registry.bare_ids()
    found: list[str] = []
    for m in _text_link(registry).finditer(visible(html.unescape(text))):
        kind = m.lastgroup or ""
        if kind.startswith("bare") and not bare_ids[int(kind[4:])].valid(m.group(0)):
            continue  # a version number or a path that only looks like an id
        link = m.group(0).rstrip(".,;:!?*_~")
        if link not in found:
            found.append(link)
    return found


def expand(ref: SourceRef, with_companions: bool, registry: Registry | None = None) -> list[SourceRef]:
    """The ref, plus what the same link also names (a video's playlist) when asked for."""
    refs = [ref]
    if with_companions:
        refs += [parse(url, registry) for url in ref.companions]
    return refs
