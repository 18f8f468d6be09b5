"""Turn what a user typed (or a feed listed) into refs: parse, canonicalize, refuse clearly.

Each connector declares the link shapes it owns (`owns`); this module only decides the
order in which they are asked and what counts as a link at all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from connectors import CONNECTORS
from connectors.arxiv import ID_PATTERN, canonical_id, parse_bare_id
from connectors.errors import LinkRefused
from schemas import SourceRef

# a scheme-less link such as `arxiv.org/pdf/2511.13945v2`: a dotted host name, then a path
_SCHEMELESS = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*):", re.IGNORECASE)

# Links inside free text, Markdown or HTML. No maintained library extracts URLs from all three
# the same way (urlextract guesses TLDs from a downloaded list), so a conservative pattern:
# http(s) up to whitespace, quotes, angle brackets or a closing bracket; the known sources'
# links without a scheme; `arXiv:<id>`; and bare arXiv ids (kept only when valid).
_STOP = r"""[^\s<>"'`\])}]"""
_ID = rf"(?:{ID_PATTERN})(?:v\d+)?"
_TEXT_LINK = re.compile(
    rf"(?P<url>https?://{_STOP}+)"
    rf"|(?P<host>(?<![\w/.@-])(?:www\.)?(?:arxiv\.org|alphaxiv\.org|github\.com|youtu\.be|youtube\.com|huggingface\.co)/{_STOP}+)"
    rf"|(?P<tagged>\barxiv:\s?(?P<tagged_id>{_ID}))"
    rf"|(?<![\w/.:-])(?P<bare>{_ID})(?![\w/-]|\.\w)",  # a full stop may follow
    re.IGNORECASE,
)


def parse(text: str) -> SourceRef:
    """The ref for one input: an http(s) URL (scheme optional) or a bare arXiv id.

    Raises LinkRefused, naming the input, for anything else and for links a connector
    recognises but cannot ingest (a YouTube channel, a GitHub owner).
    """
    raw = text.strip().strip("<>").strip()
    if not raw:
        raise LinkRefused(text, "empty input")
    bare = parse_bare_id(raw)
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
    for connector in CONNECTORS:
        try:
            ref = connector.owns(raw)
        except ValueError as exc:  # LinkRefused included: a connector that cannot read the link
            if isinstance(exc, LinkRefused):
                raise
            raise LinkRefused(raw, f"not a valid URL ({exc})") from None
        if ref is not None:
            return ref
    raise LinkRefused(raw, "not a valid http(s) URL (no host)")


def extract(text: str) -> list[str]:
    """Every link in a text, Markdown or HTML document, in order of appearance, each once."""
    found: list[str] = []
    for m in _TEXT_LINK.finditer(html.unescape(text)):
        arxiv_id = m.group("tagged_id") or m.group("bare")
        if arxiv_id is not None and canonical_id(arxiv_id) is None:
            continue  # a version number or a path that only looks like an id
        link = m.group(0).rstrip(".,;:!?*_~")
        if link not in found:
            found.append(link)
    return found


def expand(ref: SourceRef, with_companions: bool) -> list[SourceRef]:
    """The ref, plus what the same link also names (a video's playlist) when asked for."""
    refs = [ref]
    if with_companions:
        refs += [parse(url) for url in ref.companions]
    return refs


def unique(refs: Iterable[SourceRef]) -> list[SourceRef]:
    """Refs with duplicate ids dropped, first one kept."""
    seen: dict[str, SourceRef] = {}
    for ref in refs:
        seen.setdefault(ref.key, ref)
    return list(seen.values())
