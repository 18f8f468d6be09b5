"""Values as sites write them: a body's bytes as text, a publish time, the names in a byline; no I/O.

Each reader follows a standard or a library where one exists (the HTML standard's encoding
sniffing through html5lib, dateutil for time layouts) and says where it had to decide.
Bylines are split by hand: name parsers (nameparser) read one name, none splits a byline.
"""

from __future__ import annotations

import functools
import html
import re
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from typing import Any

# what a byline says before the names, in the languages of the pages we see
_BYLINE_LEAD = re.compile(
    r"^(?:(?:view all posts|all posts|articles?|posts?|stories|posted|written|published|reported|words|text)\s+)?"
    r"(?:by|von|par|por|di|door|av|af)\s*:?\s+",
    re.IGNORECASE,
)
# "and" in the languages of the pages we see; not Spanish "y" nor Portuguese "e", which join
# the two surnames of one person ("Ortega y Gasset")
_BYLINE_SPLIT = re.compile(r"\s*(?:;|\||&|\band\b|\bund\b|\bet\b)\s*", re.IGNORECASE)
# placeholders CMSs print where a name belongs
_NO_NAME = frozenset(
    {"no author", "unknown", "admin", "administrator", "anonymous", "author", "none", "null", "guest", "editor", "n/a"}
)
# legal forms that mark a name as a company's (GmbH, Inc., S.L.): a company byline is kept apart from people
LEGAL_FORM = re.compile(r"(?:\b(?i:gmbh|inc|ltd|llc|plc|corp|sas|srl|kgaa)\.?|\bAG|\b(?i:s\.a|s\.l|n\.v|b\.v)\.?)$")


def clean(value: Any) -> str | None:
    """Entities decoded (twice-encoded ones too, as WordPress writes them), whitespace folded."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).split())
    return text or None


def decode(body: bytes, content_type: str | None) -> str:
    """The body as text, decoded as a browser decodes it.

    The HTML standard's encoding sniffing (https://html.spec.whatwg.org/#encoding-sniffing-algorithm):
    a byte order mark, then the HTTP `charset`, then a `<meta charset>` / `http-equiv` prescan of
    the first 1024 bytes (where a declared UTF-16 or UTF-32 means UTF-8: the bytes being read are
    ASCII-compatible), then detection by chardet, then windows-1252. Labels are mapped the
    Encoding Standard's way (`latin-1` is windows-1252). html5lib implements the algorithm and
    webencodings the labels; bytes that are invalid in the chosen encoding become U+FFFD.
    """
    import webencodings

    encoding = _sniffer()(body, transport_encoding=_charset(content_type)).charEncoding[0]
    text, _used = webencodings.decode(body, encoding or "windows-1252", errors="replace")
    return text


def _charset(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type header (RFC 9110 §8.3), or None."""
    if not content_type:
        return None
    msg = Message()
    msg["content-type"] = content_type
    return msg.get_content_charset()


@functools.cache
def _sniffer() -> Any:
    """html5lib's byte input stream, whose `charEncoding` is the sniffing's answer.

    html5lib keeps it in `_inputstream`, a module its own parser uses; html5lib has been at
    1.1 since 2020 and pyproject pins it below 2. chardet is imported here first, because
    html5lib imports it by the module path that chardet 7 marks deprecated (once, on import).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import chardet.universaldetector  # noqa: F401
    from html5lib._inputstream import HTMLBinaryInputStream

    return HTMLBinaryInputStream


# zone abbreviations as sites print them after a time ("Tue Jan 28 15:28:56 CET 2020", Java's
# Date.toString); an abbreviation names different zones around the world (IST, CST), so only
# these common ones are read and any other leaves the time without a zone
_ZONES = {
    "UTC": 0,
    "UT": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "EST": -5,
    "EDT": -4,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _zone(name: str | None, offset: int | None) -> timezone | None:
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    hours = _ZONES.get((name or "").upper())
    return None if hours is None else timezone(timedelta(hours=hours))


def parse_date(value: Any) -> datetime | None:
    """A publish time as sites write it, or None for no date.

    ISO 8601 (any precision, `Z` or `+0200`), and the rest through dateutil: RFC 2822,
    Go's `2019-11-22 21:00:00 +0000 UTC` (Hugo prints `.Date` in it), Java's
    `Tue Jan 28 15:28:56 CET 2020`, `November 22, 2019`. The result is aware when the page
    gave a zone and NAIVE when it did not (the caller reads it as UTC and says so).
    None for text without a year (`2:33 PM`), for a numeric day/month order nobody can tell
    (`03/01/2020`), and for placeholders: before 1900 (Go's and .NET's zero time, year 1)
    or within a day of the Unix epoch (a zero timestamp in any zone).
    """
    text = clean(value)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if _AMBIGUOUS.match(text):
            return None
        from dateutil import parser

        try:
            moment = parser.parse(text, default=datetime(1, 1, 1), fuzzy=True, tzinfos=_zone)
        except (ValueError, OverflowError):
            return None
    if moment.year < 1900:
        return None
    if abs((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - _EPOCH) <= timedelta(days=1):
        return None
    return moment


_AMBIGUOUS = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")


def byline_names(text: str | None) -> list[str]:
    """The names in a byline: "By A and B", "A, B & C", "A; B" (a lone "Bacon, Jr." stays one name)."""
    text = clean(text)
    if not text or text.startswith(("http://", "https://", "@")):
        return []
    text = _BYLINE_LEAD.sub("", text)
    text = re.sub(r"\s*\((?:[^()]*\.)?[a-z0-9-]+\.[a-z]{2,}\)$", "", text, flags=re.IGNORECASE)  # "(www.dw.com)"
    names: list[str] = []
    for part in _BYLINE_SPLIT.split(text):
        pieces = [p.strip() for p in part.split(",")]
        names += pieces if all(" " in p for p in pieces) else [part.strip(" ,")]
    return [n for n in names if n and n.casefold() not in _NO_NAME and not n.startswith(("http://", "https://"))]


def fold_name(name: str) -> str:
    """A name compared without case and punctuation ("S.L." and "S L" are one)."""
    return " ".join(re.sub(r"\W+", " ", name.casefold()).split())
