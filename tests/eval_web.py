"""`make eval-web`: curate's web-page metadata against the development set, beside trafilatura's.

Reads `../shared/corpus/web-dev/` (saved article pages and `expected.json`, the values other
projects' tests assert), runs curate's extraction and trafilatura's `extract_metadata` on the
same bytes in the same run, and prints per field and in total how many values each gets
right, with the median milliseconds per page. Exits 0 with a note on stderr when the corpus
is not beside the repository.

How a value counts as right (the same rules for both tools; `alternatives` in
expected.json are accepted like the main value):
- text is compared after Unicode NFKC (a no-break space is a space), case folding and
  whitespace folding; nothing else (quotes, dashes, punctuation) is folded;
- title: equal, or equal once a site's part is cut off either one: a leading or trailing
  segment after ` | `, ` - `, ` – `, ` — `, ` · `, ` :: ` or ` » `
  ("Post - Blog" matches "Post");
- date: the same calendar day, read as the page writes it (curate: the day in the time zone
  the page gave; trafilatura gives a day);
- author: every asserted name is one of the extracted names (extra names are not held
  against it); trafilatura's `"A; B"` is split on `;`. Asserted null: no name extracted;
- publisher and description: equal. Asserted null: nothing, or (publisher only) the page's
  bare host name, which both tools fall back to when a page names no site.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "corpus" / "web-dev"
FIELDS = ("title", "author", "date", "publisher", "description")
_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|::|»)\s+")


@dataclass
class Extracted:
    """What one tool says about one page, in the evaluator's terms."""

    title: str | None
    author: list[str]
    date: str | None  # YYYY-MM-DD
    publisher: str | None
    description: str | None


def fold(text: Any) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def _title_forms(title: str) -> set[str]:
    """The title, and the title with a leading or trailing site segment cut off."""
    folded = fold(title)
    forms = {folded}
    cuts = list(_SEPARATORS.finditer(folded))
    if cuts:
        forms.add(folded[cuts[0].end() :])  # "Site | Post" → "Post"
        forms.add(folded[: cuts[-1].start()])  # "Post - Site" → "Post"
    return {f for f in forms if f}


def title_right(got: str | None, wanted: str) -> bool:
    if not got:
        return False
    return fold(got) in _title_forms(wanted) or fold(wanted) in _title_forms(got)


def author_right(got: list[str], wanted: str | list[str] | None) -> bool:
    if wanted is None:
        return not got
    names = {fold(n) for n in got}
    return all(fold(n) in names for n in (wanted if isinstance(wanted, list) else [wanted]))


def text_right(got: str | None, wanted: str | None, host: str | None = None) -> bool:
    if wanted is None:
        return not got or (host is not None and fold(got) in (host, host.removeprefix("www.")))
    return got is not None and fold(got) == fold(wanted)


def right(field: str, got: Extracted, case: dict[str, Any]) -> bool:
    """`got`'s value of `field` matches the asserted value or one of its alternatives."""
    host = (urlsplit(case["url"]).hostname or "").lower()
    wanted = [case[field], *case.get("alternatives", {}).get(field, [])]
    value = getattr(got, field)
    for w in wanted:
        if field == "title" and w is not None and title_right(value, w):
            return True
        if field == "title" and w is None and not value:
            return True
        if field == "author" and author_right(value, w):
            return True
        if field == "date" and value == w:
            return True
        if field == "publisher" and text_right(value, w, host):
            return True
        if field == "description" and text_right(value, w):
            return True
    return False


def curate(body: bytes, url: str) -> Extracted:
    """curate's record for the page, as `curate ingest` builds it (served as text/html, no charset)."""
    from connectors.web import read_page

    article, meta = read_page(body, url, {"content-type": "text/html"})
    local = meta.published  # as the page wrote it, in its own zone
    return Extracted(
        article.title,
        article.byline(),
        local.date().isoformat() if local else None,
        article.site_name,
        article.description,
    )


def trafilatura(body: bytes, url: str) -> Extracted:
    from trafilatura.metadata import extract_metadata

    doc = extract_metadata(body, default_url=url)
    if doc is None:
        return Extracted(None, [], None, None, None)
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return Extracted(doc.title, authors, doc.date, doc.sitename, doc.description)


TOOLS: dict[str, Callable[[bytes, str], Extracted]] = {"curate": curate, "trafilatura": trafilatura}


def evaluate(cases: Iterable[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Per tool: `right[field]`, `ms` (per page), and `misses` [(file, field, got, wanted)]."""
    import logging

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    results: dict[str, Any] = {
        name: {"right": dict.fromkeys(FIELDS, 0), "ms": [], "misses": [], "host": 0} for name in TOOLS
    }
    cases = list(cases)
    for case in cases:
        body = (folder / case["file"]).read_bytes()
        for name, tool in TOOLS.items():
            started = time.perf_counter()
            got = tool(body, case["url"])
            results[name]["ms"].append((time.perf_counter() - started) * 1000)
            for field in FIELDS:
                if right(field, got, case):
                    results[name]["right"][field] += 1
                    results[name]["host"] += field == "publisher" and case["publisher"] is None and bool(got.publisher)
                else:
                    results[name]["misses"].append((case["file"], field, getattr(got, field), case[field]))
    results["pages"] = len(cases)
    return results


def report(results: dict[str, Any], show_misses: bool) -> str:
    pages = results["pages"]
    lines = [f"web-dev: {pages} pages × {len(FIELDS)} fields, right per field (and share)", ""]
    lines.append(f"{'field':<12}" + "".join(f"{name:>18}" for name in TOOLS))
    for field in FIELDS:
        cells = "".join(
            f"{results[n]['right'][field]:>9}/{pages} {results[n]['right'][field] / pages:>5.0%}" for n in TOOLS
        )
        lines.append(f"{field:<12}{cells}")
    total = pages * len(FIELDS)
    cells = "".join(
        f"{sum(results[n]['right'].values()):>9}/{total} {sum(results[n]['right'].values()) / total:>5.1%}"
        for n in TOOLS
    )
    lines.append(f"{'total':<12}{cells}")
    lines.append(f"{'median ms':<12}" + "".join(f"{statistics.median(results[n]['ms']):>18.1f}" for n in TOOLS))
    lines.append(
        "publisher right by the host-name rule (the set names no site; the tool gave the host): "
        + ", ".join(f"{n} {results[n]['host']}" for n in TOOLS)
    )
    if show_misses:
        for name in TOOLS:
            lines += ["", f"{name} misses:"]
            lines += [
                f"  {file}  {field}: got {got!r}, wanted {wanted!r}"
                for file, field, got, wanted in results[name]["misses"]
            ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    expected = DEV_SET / "expected.json"
    if not expected.exists():
        print(
            f"eval-web: skipped: the development set is not there ({DEV_SET}); "
            "it lives in ../shared/corpus beside the repository",
            file=sys.stderr,
        )
        return 0
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        print("eval-web: trafilatura is not installed; `make install` installs the dev tools", file=sys.stderr)
        return 2
    results = evaluate(json.loads(expected.read_text(encoding="utf-8")), DEV_SET)
    print(report(results, show_misses="--misses" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
