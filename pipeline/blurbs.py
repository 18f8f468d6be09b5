"""Blurbs, TL;DR sentences and title ideas drafted by a model, as suggestions for the editor.

The model is any model of Simon Willison's `llm` library (`CURATE_LLM_MODEL`: hosted APIs,
or local models through its plugins; keys are `llm keys`' business, never curate's). Each
answer is stored under a hash of what was asked (model, system prompt, prompt), so asking
again costs no call; a suggestion never replaces the editor's text. A model that is
missing or fails ends the drafting with one warning; this module never prints.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.draft import Draft
from pipeline.newsletter import Newsletter
from pipeline.redact import redact
from pipeline.store import Store, SuggestionRow
from schemas import STORED, ExportItem, SectionKey, record_adapter
from schemas.export import SuggestedBlurb

log = logging.getLogger(__name__)

TEXT_CHARS = 6000
"""Most characters of a record's own text put in a prompt: an abstract or description whole,
a playlist's contents up to here (a long course would otherwise cost thousands of tokens)."""


class ModelUnavailable(Exception):
    """The model cannot be used (not installed, needs a key, failed); the message is one line."""


@dataclass
class Drafted:
    """What one drafting pass did."""

    model: str
    drafted: list[str] = field(default_factory=list)
    """Subjects (item ids, `issue:N:tldr:<section>`, `issue:N:titles`) the model was asked about."""
    cached: list[str] = field(default_factory=list)
    """Subjects answered from earlier answers: no model call."""
    kept: list[str] = field(default_factory=list)
    """Item ids left alone because the editor wrote their blurb."""
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_reported: bool = False
    warning: str | None = None
    """Why drafting stopped early (the model is missing or failed), or None."""

    @property
    def calls(self) -> int:
        return len(self.drafted)


def cache_key(model: str, system: str, prompt: str) -> str:
    return hashlib.sha256("\0".join((model, system, prompt)).encode("utf-8")).hexdigest()


def tldr_subject(number: int, section: str) -> str:
    return f"issue:{number}:tldr:{section}"


def titles_subject(number: int) -> str:
    return f"issue:{number}:titles"


# ---- prompts


def record_text(item: ExportItem) -> str:
    """The record's own words for a prompt: its abstract or description, and the titles of the
    parts it lists (a playlist's videos), cut at TEXT_CHARS."""
    text = record_adapter.validate_python(item.details, context=STORED).blurb_source().strip()
    parts = [p.get("title") for p in item.details.get("videos") or [] if isinstance(p, dict) and p.get("title")]
    if parts:
        text += "\n\nContents:\n" + "\n".join(f"- {t}" for t in parts)
    return text[:TEXT_CHARS]


def _figures(item: ExportItem) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in item.metrics.items()) or "none"


def blurb_prompt(item: ExportItem, fmt: Newsletter) -> str:
    return fmt.prompts.blurb.format(
        title=item.title,
        kind=item.kind.value,
        url=item.url,
        authors=", ".join(item.authors) or "unknown",
        figures=_figures(item),
        text=record_text(item),
    )


def _listing(items: Sequence[ExportItem]) -> str:
    return "\n".join(f"- {i.title}: {(i.annotation.blurb or i.summary)[:300]}" for i in items)


# ---- the model


def get_model(model_id: str) -> Any:
    """The `llm` model with this id or alias; ModelUnavailable when no installed plugin provides it."""
    try:
        import llm
    except ImportError:  # an install without the llm package
        raise ModelUnavailable("the llm package is not installed (pip install llm)") from None
    try:
        return llm.get_model(model_id)
    except llm.UnknownModelError:
        raise ModelUnavailable(
            f"no model {model_id!r} (CURATE_LLM_MODEL): `llm models` lists the installed ones, "
            "plugins such as llm-ollama add more"
        ) from None


class Drafter:
    """Asks the model for what a draft lacks and stores the answers; one per command."""

    def __init__(
        self,
        store: Store,
        model_id: str,
        fmt: Newsletter,
        secrets: Sequence[str] = (),
        timeout: float = 120.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.model_id, self.fmt, self.timeout = store, model_id, fmt, timeout
        self.secrets = list(secrets)
        self.now = now
        self._model: Any = None

    def _ask(self, subject: str, prompt: str, redo: bool, out: Drafted) -> None:
        system = self.fmt.prompts.system
        # a record may echo a credential (a page that prints the request it got): never send one
        prompt = redact(prompt, self.secrets)
        key = cache_key(self.model_id, system, prompt)
        if not redo and self.store.suggestion(key) is not None:
            out.cached.append(subject)
            return
        if self._model is None:
            self._model = get_model(self.model_id)
        text, usage = self._call(prompt, system)
        if not text:
            raise ModelUnavailable(f"{self.model_id} answered with no text")
        if usage.input is not None or usage.output is not None:
            out.tokens_reported = True
            out.input_tokens += usage.input or 0
            out.output_tokens += usage.output or 0
        self.store.save_suggestion(
            SuggestionRow(
                key=key,
                subject=subject,
                model=self.model_id,
                text=text,
                drafted_at=self.now(),
                input_tokens=usage.input,
                output_tokens=usage.output,
            )
        )
        out.drafted.append(subject)
        log.info("blurb: %s drafted by %s", subject, self.model_id)

    def _call(self, prompt: str, system: str) -> tuple[str, Any]:
        """The model's answer and usage, within `timeout` seconds.

        llm has no timeout of its own for every plugin, so the call runs in a daemon thread:
        one that never answers is given up on (and cannot keep curate from exiting).
        """
        result: dict[str, Any] = {}

        def call() -> None:
            try:
                response = self._model.prompt(prompt, system=system)
                result["answer"] = (response.text().strip(), response.usage())
            except Exception as exc:  # a plugin's error types are its own: any failure stops the drafting
                result["error"] = exc

        worker = threading.Thread(target=call, name="llm-prompt", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise ModelUnavailable(f"{self.model_id} gave no answer within {self.timeout:g} s (CURATE_LLM_TIMEOUT)")
        if "error" in result:
            exc = result["error"]
            raise ModelUnavailable(f"{self.model_id} failed: {redact(str(exc) or type(exc).__name__, self.secrets)}")
        return result["answer"]

    def run(self, draft: Draft, ids: Iterable[str] | None = None, redo: bool = False) -> Drafted:
        """Draft what `draft` lacks: a blurb for each included item the editor has not written
        (only `ids`, when given), then, for the whole issue, a TL;DR sentence per section and
        three title ideas. `redo` asks again even where an answer is stored."""
        out = Drafted(model=self.model_id)
        wanted = set(ids) if ids is not None else None
        items = [i for s in draft.doc.sections for i in s.items if i.annotation.include]
        try:
            for item in items:
                if wanted is not None and item.id not in wanted:
                    continue
                if item.annotation.blurb.strip():
                    out.kept.append(item.id)
                    continue
                self._ask(item.id, blurb_prompt(item, self.fmt), redo, out)
            if wanted is None:
                number = draft.number
                for section in draft.doc.sections:
                    shown = [i for i in section.items if i.annotation.include]
                    if shown:
                        name = self.fmt.section(section.key).name
                        self._ask(
                            tldr_subject(number, section.key.value),
                            self.fmt.prompts.tldr.format(section=name, items=_listing(shown)),
                            redo,
                            out,
                        )
                if items:
                    self._ask(titles_subject(number), self.fmt.prompts.titles.format(items=_listing(items)), redo, out)
        except ModelUnavailable as exc:
            out.warning = str(exc)
        return out


# ---- showing stored suggestions in a draft


def suggested(row: SuggestionRow) -> SuggestedBlurb:
    at = row.drafted_at if row.drafted_at.tzinfo else row.drafted_at.replace(tzinfo=UTC)  # SQLite: naive UTC
    return SuggestedBlurb(text=" ".join(row.text.split()), model=row.model, drafted_at=at)


def attach(store: Store, draft: Draft) -> None:
    """Put the latest stored suggestions into the draft: each item's `annotation.suggested_blurb`,
    the TL;DR sentences and the title ideas (only what was ever drafted; no model is asked)."""
    items = [i for s in draft.doc.sections for i in s.items]
    number = draft.number
    subjects = [i.id for i in items] + [tldr_subject(number, k.value) for k in SectionKey] + [titles_subject(number)]
    latest = store.latest_suggestions(subjects)
    for item in items:
        row = latest.get(item.id)
        item.annotation.suggested_blurb = suggested(row) if row else None
    draft.tldr = {
        k.value: latest[tldr_subject(number, k.value)].text
        for k in SectionKey
        if tldr_subject(number, k.value) in latest
    }
    titles = latest.get(titles_subject(number))
    if titles is not None:
        lines = [" ".join(line.strip(" -*•\"'").split()) for line in titles.text.replace(" | ", "\n").splitlines()]
        draft.titles = [line for line in lines if line][:3]
