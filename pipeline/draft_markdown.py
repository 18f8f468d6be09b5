"""The Markdown draft: render an export document as the newsletter skeleton, and parse it back.

Every item sits under an invisible anchor (`<!-- curate:item <id> -->`) and every section
under `<!-- curate:section <key> -->`, so `curate annotate` can tell what the editor moved,
dropped or rewrote. Text from sources is escaped (`md_text`) so no source can add a link,
HTML or a heading; the editor's own text (blurbs, takes, TL;DR, intro, title) is Markdown and
goes out as written, but for raw HTML, which shows as text (`md_editor`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.registry import Link, Part, Registry, Strong
from connectors.registry import default as default_registry
from pipeline.newsletter import Newsletter, SectionFormat
from schemas import ExportDocument, ExportItem, Kind, SectionKey
from schemas.export import SuggestedBlurb

DEFAULT_FORMAT = Newsletter()

LEFT_OUT = "left-out"
"""The Markdown-only section holding items the editor dropped (include = false)."""
TAKE = "**Take:**"
"""The empty line left for the editor's take under each draft blurb."""
AUTHORS_SHOWN = 3

# ---- escaping
#
# Written by hand because no maintained library escapes text *into* Markdown source:
# markdown-it-py, mistune and Python-Markdown parse and render, their `escape` helpers
# produce HTML entities, and mdformat's escaping is private to its renderer. CommonMark
# lets a backslash make any ASCII punctuation literal (spec §2.4), so escaping the few
# characters that open a construct is enough; the tests check the result with markdown-it-py.

# bidi overrides and isolates can reorder what the editor sees; zero-width joiners stay
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# the characters of Unicode categories Cc, Zl and Zp (controls, line and paragraph separators), as a
# character class: the same set as asking unicodedata per character (checked over every code point),
# in one C-speed pass (a 1 kB abstract: 0.12 ms -> 0.008 ms)
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# backslash, code, emphasis, links/images/footnotes, raw HTML and autolinks, entities,
# GFM strikethrough, and `#` (a title ending in `#` words would lose them as a closing sequence)
_ALWAYS = re.compile(r"([\\`*\[\]<&~#])")
# `_` opens emphasis only at a word edge; `snake_case` stays readable (CommonMark §6.2)
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# what a linkifying renderer turns into a link with no Markdown asking: a scheme's `://`,
# `mailto:`, `www.`, an e-mail address and a bare domain (GFM's extended autolinks; markdown-it's
# linkify, which also takes `evil.com/x`). Escaping its `.`, `:` and `@` renders the same
# characters but leaves no run of text a linkifier matches; cmark-gfm finds e-mail addresses
# after escapes are resolved, so an `@` also gets a WORD JOINER (U+2060, invisible) after it.
_LINKISH = re.compile(
    r"(?i)[a-z][a-z0-9+.-]*://\S*|mailto:\S*|\bwww\d{0,3}\.\S*|[^\s@]+@[^\s@]+\.\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b\S*"
)
_LINK_PUNCT = re.compile(r"(?<!\\)([.:@])")
# what turns the start of a line into a block: quote, list item, setext rule, ordered list
_LINE_START = re.compile(r"^(?:([>+=-])|(\d{1,9})([.)]))")


def md_text(text: str) -> str:
    """Source text as one line of literal Markdown: no link, HTML, heading or layout of its own."""
    text = _BREAKS.sub(" ", text.translate(_BIDI))
    text = " ".join(text.split())
    text = _ALWAYS.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _LINKISH.sub(lambda m: _LINK_PUNCT.sub(r"\\\1", m[0]).replace("@", "@\u2060"), text)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


# where CommonMark raw HTML can open, inline (§6.6) or as a block (§4.6): `<` and then a tag
# name, `/` (a closing tag), `!` (a comment, declaration or CDATA) or `?` (a processing instruction)
_HTML_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# one placeholder per `<` while finding which sit in code: Supplementary Private Use Area-A,
# which no text of ours holds (a text that does has every such `<` escaped, in code too: the safe side)
_SPOT = 0xF0000
_SPOTS = 0xFFFE


def _html_spots(text: str) -> list[int]:
    """Where `md_editor` writes `&lt;`: each `<` that could open raw HTML, not already escaped,
    not an autolink (`<https://…>`, `<a@b.org>`, which are Markdown) and not inside code."""
    spots = []
    for m in _HTML_OPEN.finditer(text):
        i = before = m.start()
        while before and text[before - 1] == "\\":
            before -= 1
        if (i - before) % 2 or _autolink(text, i):  # an odd run of backslashes escapes it already
            continue
        spots.append(i)
    if not spots:
        return spots
    return [i for i in spots if i not in _in_code(text, spots)]


def _autolink(text: str, i: int) -> bool:
    from markdown_it.rules_inline.autolink import AUTOLINK_RE, EMAIL_RE

    end = text.find(">", i)
    inner = text[i + 1 : end] if end > i else "<"
    return "<" not in inner and bool(AUTOLINK_RE.match(inner) or EMAIL_RE.match(inner))


# where renderers disagree on which backticks open a code span: a run of two or more (cmark-gfm
# skips a later span after an unmatched run) and an address running into a backtick (GFM's
# autolinks take it); such a text gets the `<` in its code spans escaped too (`&lt;` shows)
_ODD_SPANS = re.compile(r"``|(?i:www\d{0,3}\.|://)\S*`")


def _in_code(text: str, spots: Sequence[int]) -> set[int]:
    """The spots that sit in a code span, an indented code block or a fenced one, where an
    entity would show as typed: markdown-it parses the text with each `<` a placeholder of its own
    (so the parse is the escaped text's), and the code tokens say which placeholders they hold."""
    from markdown_it import MarkdownIt

    if len(spots) > _SPOTS or any(_SPOT <= ord(c) < _SPOT + _SPOTS for c in text if ord(c) >= _SPOT):
        return set()
    marked = list(text)
    for k, i in enumerate(spots):
        marked[i] = chr(_SPOT + k)
    blocks: set[int] = set()
    spans: set[int] = set()
    pending = list(MarkdownIt("commonmark").parse("".join(marked)))
    while pending:
        tok = pending.pop()
        pending += tok.children or []
        if tok.type in ("code_inline", "code_block", "fence"):
            held = {spots[ord(c) - _SPOT] for c in tok.content if _SPOT <= ord(c) < _SPOT + len(spots)}
            (spans if tok.type == "code_inline" else blocks).update(held)
    if _ODD_SPANS.search(text):
        spans = set()
    # a code span's later line that opens with `<` would open an HTML block before the span is
    # seen (blocks come first, CommonMark §4.6): that `<` is escaped too, and `&lt;` shows
    return blocks | {i for i in spans if text[text.rfind("\n", 0, i) + 1 : i].strip(" ")}


LT = "&lt;"
"""What `md_editor` writes for a `<` that would open HTML: the entity, not a backslash, since
GFM's autolinks take a backslash into an address running into it (`www.x.org\\<b>` links
`www.x.org\\` and leaves `<b>` raw on GitHub); an entity leaves no `<` to open anything."""


def md_editor(text: str) -> str:
    """The editor's Markdown as the export writes it: links, emphasis, lists and code as
    written, but every `<` that would open raw HTML (`<script>`, `<b>`, `<!--`) written as
    the entity `&lt;` (CommonMark §2.5), so a renderer that allows HTML shows it as text, as
    the page's preview does. Autolinks and `<` inside code stay as written."""
    spots = _html_spots(text)
    if not spots:
        return text
    out, last = [], 0
    for i in spots:
        out += [text[last:i], LT]
        last = i + 1
    return "".join(out) + text[last:]


def md_editor_read(read: str, written: str) -> str:
    """The editor's text read back from a Markdown draft that showed `written` (as typed) as
    `md_editor(written)`: `written` itself when the editor left it as it was, else `read` with
    the `&lt;` that `md_editor` wrote turned back into `<` where the editor kept them in place,
    so the JSON keeps the editor's text as typed. An `&lt;` the editor typed stays."""
    shown = md_editor(written)
    if read == shown:
        return written
    spots = _html_spots(written)
    if not spots:
        return read
    import difflib

    # difflib (not a hand-written diff): the runs the editor left unchanged carry our entities
    added = [i + k * (len(LT) - 1) for k, i in enumerate(spots)]  # where each sits in `shown`
    back: set[int] = set()
    matcher = difflib.SequenceMatcher(None, shown, read, autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            back |= {j1 + a - i1 for a in added if i1 <= a and a + len(LT) <= i2}
    out, j = [], 0
    while j < len(read):
        if j in back:
            out.append("<")
            j += len(LT)
        else:
            out.append(read[j])
            j += 1
    return "".join(out)


def md_url(url: str | None) -> str | None:
    """A link destination, or None for anything but http(s): `javascript:` never becomes a link."""
    if not url:
        return None
    url = "".join(url.split())
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    # percent-encoding keeps the URL's meaning and leaves nothing that ends a destination early
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def link(label: str, url: str | None) -> str:
    """`[label](url)`, or just the escaped label when the URL is not http(s)."""
    dest = md_url(url)
    return f"[{md_text(label)}]({dest})" if dest else md_text(label)


def anchor_id(item_id: str) -> str:
    """An id as it sits in an HTML comment: `%` and `>` percent-encoded so `-->` cannot end it early,
    and a space as `%20` so the id stays one word (a web id curate 0.1 stored with its raw space)."""
    return item_id.replace("%", "%25").replace(">", "%3E").replace(" ", "%20")


_ANCHOR_ESCAPES = {"25": "%", "3E": ">", "20": " "}


def _id_from_anchor(text: str) -> str:
    return re.sub(r"%(25|3E|20)", lambda m: _ANCHOR_ESCAPES[m[1]], text)


# ---- figures


def _date(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value else None


def _byline(item: ExportItem, shown: int = AUTHORS_SHOWN) -> str | None:
    names = [md_text(a) for a in item.authors if a.strip()]
    if not names:
        return None
    if len(names) > shown:
        return ", ".join(names[:shown]) + " et al."
    return ", ".join(names)


def _part(part: Part) -> str:
    if isinstance(part, Link):
        return link(part.label, part.url)
    if isinstance(part, Strong):
        return f"**{md_text(part.text)}**"
    return md_text(part.text)


# an address that reads as itself in Markdown: nothing a parser could take for emphasis or an entity
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9./:?=%+,;@!$'-]+")


def address(url: str | None) -> str | None:
    """A link written as its own address: bare when it reads as itself, else as a CommonMark autolink."""
    dest = md_url(url)
    if dest is None:
        return None
    return (
        dest if _PLAIN_URL.fullmatch(dest) and not dest.endswith((".", ",", ";", ":", "!", "?", "'")) else f"<{dest}>"
    )


def _segment(segment: Part | tuple[Part, ...], own: Any, url: str) -> str:
    parts = segment if isinstance(segment, tuple) else (segment,)
    return " ".join(own(p.label) if isinstance(p, Link) and p.url == url else _part(p) for p in parts)


def _details(item: ExportItem, own: Any, registry: Registry | None = None) -> tuple[list[str], list[str]]:
    """(lead, facts) of an item, as its kind's source declares them: where it lives with its
    headline figure, then its other figures. `own(label)` writes the item's own link."""
    details = (registry or default_registry()).details(item)
    facts = [_segment(s, own, item.url) for s in details.facts]
    if item.featured_in:
        facts.append("featured in " + ", ".join(f"#{n}" for n in item.featured_in))
    return ([_segment(s, own, item.url) for s in details.lead], facts)


SEPARATOR = " · "


def item_lines(item: ExportItem, fmt: Newsletter | None = None, registry: Registry | None = None) -> list[str]:
    """The lines under an item's title, as the format lays them out (empty parts and lines dropped).

    `{lead}` is where the item lives and its headline figure (`https://arxiv.org/abs/… | GitHub ★ 812`),
    `{byline}` the authors, channel or owner, `{facts}` its other figures, `{date}` its publication day.
    """
    fmt = fmt or DEFAULT_FORMAT

    def own(label: str) -> str:
        if fmt.item.link == "url":
            return address(item.url) or md_text(label)
        return link(label, item.url)

    lead, facts = _details(item, own, registry)
    values = {
        "lead": SEPARATOR.join(lead),
        "byline": _byline(item, fmt.item.authors_shown) or "",
        "facts": SEPARATOR.join(facts),
        "date": _date(item.published) or "",
    }
    lines = []
    for template in fmt.item.lines:
        parts = [part.format(**values) for part in template.split(SEPARATOR)]
        line = SEPARATOR.join(p for p in parts if p.strip())
        if line.strip():
            lines.append(line)
    return lines


def details_line(item: ExportItem, fmt: Newsletter | None = None, registry: Registry | None = None) -> str:
    """The lines under an item's title joined as one (for a page that shows a single line)."""
    return SEPARATOR.join(item_lines(item, fmt, registry))


# ---- rendering


def _suggestion_note(model: str) -> str:
    return f"<!-- drafted by {model.replace('--', '- -').replace('>', '')}: edit it to make it yours -->"


def blurb_block(blurb: str, summary: str, take: bool = True, suggested: SuggestedBlurb | None = None) -> str:
    """What sits under an item's lines: the editor's blurb (`md_editor`), else the model's suggestion
    (with a comment naming the model) or the draft blurb, and the empty take line."""
    if blurb.strip():
        # the editor's Markdown goes out as written but for raw HTML (md_editor), and a line in
        # code that would read as our anchor
        return "\n".join(
            re.sub(r"^(\s*)<!--(\s*curate:)", r"\1\\<!--\2", line) for line in md_editor(blurb.strip()).splitlines()
        )
    drafted = md_text(suggested.text if suggested else summary)
    if suggested and drafted:
        drafted = f"{_suggestion_note(suggested.model)}\n{drafted}"
    if not take:
        return drafted
    return f"{drafted}\n\n{TAKE}" if drafted else TAKE


HARD_BREAK = " \\"
"""What ends every line under an item's title but the last: a CommonMark hard line break
(spec §6.7), so each line renders as its own. A backslash, not two trailing spaces, which
editors strip; after a space, so a linkifier (GFM's autolinks) does not take it into an
address that ends the line."""


def item_block(item: ExportItem, fmt: Newsletter | None = None) -> str:
    """One item's Markdown as the draft shows it: its anchor, title, lines and blurb (no trailing blank).

    The lines under the title each render as a line of their own (`HARD_BREAK`)."""
    fmt = fmt or DEFAULT_FORMAT
    lines = item_lines(item, fmt)
    return "\n".join(
        [
            f"<!-- curate:item {anchor_id(item.id)} -->",
            f"### {md_text(item.title)}",
            *[line + HARD_BREAK for line in lines[:-1]],
            *lines[-1:],
            "",
            blurb_block(item.annotation.blurb, item.summary, fmt.take, item.annotation.suggested_blurb),
        ]
    )


def item_markdown(item: ExportItem, fmt: Newsletter | None = None) -> str:
    """One item's block exactly as the draft writes it (anchor, title, lines, blurb)."""
    return item_block(item, fmt)


TLDR_OPEN, TLDR_CLOSE = "<!-- curate:tldr -->", "<!-- curate:/tldr -->"
"""The anchors around the TL;DR lines; `curate annotate` reads the lines between them back."""
TLDR_EMPTY = ("none this time", "not chosen yet")
"""What the TL;DR line of a section without items says (the pick: not chosen yet)."""
_TLDR_LINE = re.compile(r"^\s*[-*+]\s+\*\*(?P<label>.+?):\*\*\s*(?P<text>.*)$")


def one_line(text: str) -> str:
    """A TL;DR sentence as stored and compared: its words on one line."""
    return " ".join(text.split())


def tldr_text(titles: Sequence[str], style: str) -> str:
    """The default TL;DR text of a section whose items have these titles (in order)."""
    shown = [md_text(t) for t in titles[:3]]
    more = len(titles) - len(shown)
    titles = shown
    if style == "titles":
        return " · ".join(titles) + (f" and {more} more" if more else "")
    if more:
        text = ", ".join(titles) + f" and {more} more"
    else:
        text = ", ".join(titles[:-1]) + (" and " if len(titles) > 1 else "") + titles[-1]
    return text if text.endswith((".", "!", "?")) else text + "."


def tldr_drafted(section: SectionFormat, items: Sequence[ExportItem], style: str, sentence: str | None) -> str:
    """A section's TL;DR text when the editor wrote none: a model's sentence, else built from its items."""
    if not items:
        return TLDR_EMPTY[1] if section.key == SectionKey.pick else TLDR_EMPTY[0]
    return md_text(sentence) if sentence else tldr_text([i.title for i in items], style)


def _tldr_line(
    section: SectionFormat, items: list[ExportItem], style: str, sentence: str | None, editor: str | None = None
) -> str:
    label = section.title(len(items))
    # the editor's sentence is Markdown already: shown as written but for raw HTML, on one line so it reads back
    return f"- **{label}:** " + (
        md_editor(one_line(editor)) if editor and editor.strip() else tldr_drafted(section, items, style, sentence)
    )


def parse_tldr(lines: Sequence[tuple[int, str]], keys: Sequence[str]) -> dict[str, str]:
    """The text after each label of the TL;DR lines, by section key, the lines taken in `keys`' order.

    A line that does not open with `- **Label:**` continues the one above it. Raises
    MarkdownDraftError when there is not one line per section.
    """
    texts: list[str] = []
    for lineno, line in lines:
        if not line.strip() or _COMMENT_LINE.match(line):
            continue
        m = _TLDR_LINE.match(line)
        if m is not None:
            texts.append(m["text"])
        elif texts:
            texts[-1] += " " + line
        else:
            raise MarkdownDraftError(f"line {lineno}: a TL;DR line opens with its label (- **Papers:** …)")
    if len(texts) != len(keys):
        raise MarkdownDraftError(
            f"the TL;DR has {len(texts)} lines where the draft has {len(keys)} sections: "
            "keep one line per section and edit the text after its label"
        )
    return {key: one_line(text) for key, text in zip(keys, texts, strict=True)}


def _intro_hint(titles: Sequence[str]) -> str:
    hint = "the intro: a few lines that open the issue"
    if titles:
        ideas = " · ".join(" ".join(t.replace("--", "–").replace(">", "").split()) for t in titles)
        hint += f" · title ideas: {ideas}"
    return f"<!-- {hint} -->"


def context(
    doc: ExportDocument,
    intro: str = "",
    fmt: Newsletter | None = None,
    tldr: Mapping[str, str] | None = None,
    titles: Sequence[str] = (),
) -> dict[str, Any]:
    """What a layout needs, every piece already Markdown: the built-in layout and a Jinja2 template read the same."""
    fmt = fmt or DEFAULT_FORMAT
    info = doc.issue
    window = f"first seen since {info.since:%Y-%m-%d %H:%M} UTC" if info.since else "all stored items"
    as_of = "nothing stored yet" if info.until.timestamp() == 0 else f"data as of {info.until:%Y-%m-%d %H:%M} UTC"
    by_key = {s.key: s for s in doc.sections}
    sections = []
    for section_fmt in fmt.sections:
        section = by_key.get(section_fmt.key)
        items = [i for i in section.items if i.annotation.include] if section else []
        sections.append(
            {
                "key": section_fmt.key.value,
                "name": section_fmt.name,
                "emoji": section_fmt.emoji,
                "count": len(items),
                "anchor": f"<!-- curate:section {section_fmt.key.value} -->",
                "heading": section_fmt.title(len(items)),
                "tldr": _tldr_line(
                    section_fmt,
                    items,
                    fmt.tldr.style,
                    (tldr or {}).get(section_fmt.key.value),
                    info.tldr.get(section_fmt.key.value),
                ),
                "items": [{"id": i.id, "block": item_block(i, fmt), "title": md_text(i.title)} for i in items],
            }
        )
    dropped = [i for s in doc.sections for i in s.items if not i.annotation.include]
    return {
        "newsletter": fmt.name,
        "number": info.number,
        "title": md_editor(info.title),
        "issue_anchor": f"<!-- curate:issue {info.number} · {window} · {as_of} -->",
        "intro": "\n".join(
            ["<!-- curate:intro -->", md_editor(intro.strip()) or _intro_hint(titles), "<!-- curate:/intro -->"]
        ),
        "tldr_heading": fmt.tldr.heading,
        "tldr_open": TLDR_OPEN,
        "tldr_close": TLDR_CLOSE,
        "sections": sections,
        "pick_hint": "<!-- move one item's block here, from its curate:item line down to the next one -->",
        "left_out": {
            "anchor": f"<!-- curate:section {LEFT_OUT} -->",
            "heading": "Left out",
            "hint": "<!-- kept in the database but not in this issue: move a block up to bring it back, "
            "or here to drop it -->",
            "items": [{"id": i.id, "block": item_block(i, fmt), "title": md_text(i.title)} for i in dropped],
        },
    }


def end_marker(number: int, sections: Sequence[str]) -> str:
    """The draft's last line: its issue and every section anchor it was written with.

    Added after whatever layout wrote the rest (built-in or a template), so `curate annotate`
    can tell a whole draft from one cut short: no end line, or a section it names missing.
    """
    return f"<!-- curate:end {number} · sections {' '.join(sections)} -->"


def render(
    doc: ExportDocument,
    intro: str = "",
    fmt: Newsletter | None = None,
    tldr: Mapping[str, str] | None = None,
    titles: Sequence[str] = (),
) -> str:
    """The draft as the newsletter reads: header, intro, TL;DR, the sections in the format's
    order, then what was left out; through the format's Jinja2 template when it has one.
    The end line (`end_marker`) follows either."""
    fmt = fmt or DEFAULT_FORMAT
    ctx = context(doc, intro, fmt, tldr, titles)
    body = _layout(ctx, fmt)
    anchors = [
        m["arg"]
        for m in map(_ANCHOR.match, (line.strip() for line in body.splitlines()))
        if m is not None and m["what"] == "section" and m["arg"]
    ]
    return body + end_marker(doc.issue.number, list(dict.fromkeys(anchors))) + "\n"


def _layout(ctx: dict[str, Any], fmt: Newsletter) -> str:
    if fmt.template_text is not None:
        return _jinja(fmt.template_text).render(**ctx).rstrip("\n") + "\n"
    lines = [
        f"# {ctx['title']}",
        ctx["issue_anchor"],
        "",
        ctx["intro"],
        "",
        f"## {ctx['tldr_heading']}",
        "",
        ctx["tldr_open"],
    ]
    lines += [s["tldr"] for s in ctx["sections"]]
    lines += [ctx["tldr_close"], ""]
    for section in ctx["sections"]:
        lines += [section["anchor"], f"## {section['heading']}", ""]
        if section["key"] == SectionKey.pick.value and not section["items"]:
            lines += [ctx["pick_hint"], ""]
        for item in section["items"]:
            lines += [item["block"], ""]
    left = ctx["left_out"]
    lines += [left["anchor"], f"## {left['heading']}", "", left["hint"], ""]
    for item in left["items"]:
        lines += [item["block"], ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---- a template of the editor's own


class TemplateError(ValueError):
    """A Jinja2 layout that `curate annotate` could not read back; the message names what is missing."""


def _jinja(source: str):
    import jinja2

    # Markdown, not HTML: every value in the context is already escaped for Markdown (md_text)
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)  # noqa: S701
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from None


def _sample() -> ExportDocument:

    from schemas import Annotation, IssueInfo, Section

    def one(n: int, kind: Kind, include: bool = True) -> ExportItem:
        return ExportItem(
            id=f"sample:{n}",
            kind=kind,
            url=f"https://example.com/{n}",
            title=f"Sample {n}",
            authors=["A. Author"],
            summary=f"Sample text {n}.",
            published=None,
            metrics={},
            links={},
            details={},
            annotation=Annotation(include=include),
        )

    kinds = {
        SectionKey.papers: Kind.paper,
        SectionKey.videos: Kind.video,
        SectionKey.reads: Kind.article,
        SectionKey.tools: Kind.repo,
        SectionKey.pick: Kind.article,
    }
    sections = [
        Section(key=key, title=key.value, items=[one(n, kinds[key])] + ([one(9, Kind.paper, False)] if n == 0 else []))
        for n, key in enumerate(SectionKey)
    ]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return ExportDocument(
        issue=IssueInfo(number=7, title="Sample", generated_at=when, since=None, until=when), sections=sections
    )


def required_markers(doc: ExportDocument) -> list[str]:
    """The anchors a draft of `doc` must carry for `curate annotate` to read it back, in order."""
    markers = [f"<!-- curate:issue {doc.issue.number}", "<!-- curate:intro -->", "<!-- curate:/intro -->"]
    for section in doc.sections:
        markers.append(f"<!-- curate:section {section.key.value} -->")
    markers.append(f"<!-- curate:section {LEFT_OUT} -->")
    markers += [f"<!-- curate:item {anchor_id(i.id)} -->" for s in doc.sections for i in s.items]
    return markers


def check_template(fmt: Newsletter) -> None:
    """Render a sample issue through the format's template and read it back as `annotate` would.

    Raises TemplateError naming the first marker the output lacks, or the item whose
    section or text would not come back as drafted.
    """
    doc = _sample()
    try:
        text = render(doc, fmt=fmt)
    except TemplateError:
        raise
    except Exception as exc:  # a template error is the editor's to fix: say which, in one line
        raise TemplateError(f"cannot render a sample issue: {type(exc).__name__}: {exc}") from None
    for marker in required_markers(doc):
        if marker not in text:
            raise TemplateError(
                f"the output lacks the marker {marker}{'' if marker.endswith('-->') else ' … -->'} "
                "that curate annotate needs"
            )
    try:
        parsed = parse(text)
    except MarkdownDraftError as exc:
        raise TemplateError(f"curate annotate cannot read its output: {exc}") from None
    expected = {i.id: (s.key.value if i.annotation.include else LEFT_OUT, i) for s in doc.sections for i in s.items}
    for got in parsed.items:
        section, item = expected[got.id]
        drafted = normalize_blurb(blurb_block("", item.summary, fmt.take))
        if got.section != section:
            raise TemplateError(f"{got.id} comes back in section {got.section}, not {section}")
        if got.blurb != drafted:
            raise TemplateError(
                f"the text under {got.id} reads back as {got.blurb!r}, not its blurb {drafted!r}: "
                "keep item blocks whole (`{{ item.block }}`)"
            )


# ---- parsing


class MarkdownDraftError(ValueError):
    """The file is not a curate draft, or its anchors are broken; the message names the line."""


@dataclass
class ParsedItem:
    id: str
    section: str
    """A SectionKey value, or LEFT_OUT."""
    blurb: str
    """The text under the details line, normalized (comments and an empty take line dropped)."""
    heading: str | None = None
    """The item's `### ` title line as the file holds it (not read back: the source's title
    stays; annotate only warns when it was edited); None when the line is gone."""


@dataclass
class ParsedDraft:
    number: int
    title: str | None
    intro: str | None
    items: list[ParsedItem] = field(default_factory=list)
    tldr: dict[str, str] | None = None
    """The text after each TL;DR line's label, by section key (one line, as `one_line`);
    None when the draft has no TL;DR anchors (a template of the editor's own may leave them out)."""


_ANCHOR = re.compile(r"^<!--\s*curate:(?P<what>[a-z/]+)(?:\s+(?P<arg>[^\s]+))?(?P<rest>.*?)-->\s*$")
_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")


def normalize_blurb(text: str) -> str:
    """Blurb text as compared and stored: no comment-only lines, no empty take, single blank lines."""
    lines = [line.rstrip() for line in text.splitlines()]
    lines = [line for line in lines if not _COMMENT_LINE.match(line) and line.strip() != TAKE]
    out = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def parse(text: str) -> ParsedDraft:  # noqa: C901 - one pass over the lines, a branch per anchor kind
    """Read an edited Markdown draft back: issue number, title, intro, and each item's section and text."""
    number: int | None = None
    title: str | None = None
    intro: list[str] | None = None
    in_intro = False
    tldr: list[tuple[int, str]] | None = None
    in_tldr = False
    section: str | None = None
    current: tuple[str, str, int] | None = None  # id, section, first line number
    body: list[str] = []
    parsed: list[ParsedItem] = []

    def close() -> None:
        nonlocal current, body
        if current is not None:
            parsed.append(ParsedItem(id=current[0], section=current[1], blurb=_item_text(body), heading=_heading(body)))
        current, body = None, []

    seen_sections: set[str] = set()
    end: tuple[int, list[str]] | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _ANCHOR.match(line.strip())
        if end is not None:
            if m is not None:
                raise MarkdownDraftError(f"line {lineno}: a curate anchor after the end line")
            continue
        if m is None:
            if in_intro:
                intro.append(line)  # type: ignore[union-attr]
            elif in_tldr:
                tldr.append((lineno, line))  # type: ignore[union-attr]
            elif current is not None:
                body.append(line)
            elif title is None and number is None and line.startswith("# "):
                title = line[2:].strip()
            continue
        what, arg = m["what"], m["arg"]
        if what == "issue":
            if not arg or not arg.isdigit() or int(arg) < 1:
                raise MarkdownDraftError(f"line {lineno}: the issue anchor needs a number (<!-- curate:issue 13 -->)")
            number = int(arg)
        elif what == "end":
            close()
            listed = m["rest"].split("sections", 1)[1].split() if "sections" in m["rest"] else []
            end = (int(arg) if arg and arg.isdigit() else 0, listed)
        elif what == "intro":
            in_intro, intro = True, []
        elif what == "/intro":
            in_intro = False
        elif what == "tldr":
            in_tldr, tldr = True, []
        elif what == "/tldr":
            in_tldr = False
        elif what == "section":
            close()
            valid = [k.value for k in SectionKey] + [LEFT_OUT]
            if arg not in valid:
                raise MarkdownDraftError(f"line {lineno}: unknown section {arg!r} (one of {', '.join(valid)})")
            section = arg
            seen_sections.add(arg)
        elif what == "item":
            close()
            if not arg:
                raise MarkdownDraftError(f"line {lineno}: an item anchor without an id")
            if section is None:
                raise MarkdownDraftError(f"line {lineno}: item {_id_from_anchor(arg)} is above the first section")
            current = (_id_from_anchor(arg), section, lineno)
        else:
            raise MarkdownDraftError(f"line {lineno}: unknown curate anchor {what!r}")
    close()
    number = _whole(number, in_intro, end, seen_sections)
    if in_tldr:
        raise MarkdownDraftError("the TL;DR is not closed (<!-- curate:/tldr --> is missing)")
    intro_text = normalize_blurb("\n".join(intro)) if intro is not None else None
    # the TL;DR has a line per section, in the order the end line lists the sections
    keys = [key for key in (end[1] if end else []) if key != LEFT_OUT]
    tldr_texts = parse_tldr(tldr, keys) if tldr is not None else None
    return ParsedDraft(number=number, title=title, intro=intro_text, items=parsed, tldr=tldr_texts)


def _heading(body: list[str]) -> str | None:
    """The text of an item's `### ` title line, its first non-blank line; None when there is none."""
    first = next((line.strip() for line in body if line.strip()), "")
    return first[4:].strip() if first.startswith("### ") else None


def _item_text(body: list[str]) -> str:
    """An item's blurb: its lines after the title and details lines, which are ours, not read back."""
    lines = list(body)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and lines[0].strip():
        lines.pop(0)
    return normalize_blurb("\n".join(lines))


def _whole(number: int | None, in_intro: bool, end: tuple[int, list[str]] | None, seen_sections: set[str]) -> int:
    """The issue number, once the draft proves it is whole before anything is read back: its
    issue line, a closed intro, its end line naming the same issue, and every section anchor
    that end line says it was written with. MarkdownDraftError names what is missing."""
    if number is None:
        raise MarkdownDraftError("not a curate draft: no <!-- curate:issue N --> line")
    if in_intro:
        raise MarkdownDraftError("the intro is not closed (<!-- curate:/intro --> is missing)")
    if end is None:
        raise MarkdownDraftError(
            "not a whole draft: its last line <!-- curate:end … --> is missing (cut short?); "
            "nothing was read. Export it again, or restore the whole file"
        )
    if end[0] != number:
        raise MarkdownDraftError(f"not a whole draft: it opens as issue {number} but ends as issue {end[0]}")
    missing = [key for key in end[1] if key not in seen_sections]
    if missing:
        raise MarkdownDraftError(
            f"not a whole draft: section anchor <!-- curate:section {missing[0]} --> is missing; "
            "move items between sections, but keep every section line"
        )
    return number
