"""One ingest run: refs grouped by connector, fetched concurrently, stored in batches.

Both `curate ingest` and the scheduled run go through `Ingest.run`. Each connector
fetches in its own thread (only arXiv's delay is serial, inside its connector); the
calling thread alone writes to the store, a transaction per batch, so a killed run
loses at most the batch in flight and never leaves half of one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from connectors.base import Fetched
from connectors.errors import Deferred, FetchError, LinkRefused
from connectors.registry import Registry, default
from pipeline import links
from pipeline.config import Settings
from pipeline.store import Store
from schemas import SourceRef
from schemas.item import LINKED_SOURCE

log = logging.getLogger(__name__)

SAVE_BATCH = 200
"""Records written per transaction."""
ENRICH_BATCH = 100
"""Records handed to an enricher at once (arXiv answers 100 papers a request)."""
ENRICH_AHEAD = 4
"""Batches enriched at once, beside the fetch: each enricher paces its own requests (Hugging
Face: its 5-minute quota, a few requests at a time a batch)."""


def without_secrets(fetched: Fetched, secrets: Sequence[str]) -> Fetched:
    """`fetched` with every credential a server echoed (a description quoting the token) masked
    in its record and its raw payload, so none is stored, listed or exported."""
    import json

    from pipeline.redact import MASK
    from schemas import record_adapter

    def structural(key: object) -> bool:
        # ids, kinds and URLs are what the record is keyed and typed by: a short credential ("k")
        # must not turn `video` into `v***eo`; the server's prose (titles, descriptions) is masked
        return isinstance(key, str) and (key in ("id", "kind", "filled_by") or key.endswith(("_id", "url")))

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):  # keys are field names, never a server's text
            return {k: v if structural(k) else scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    secrets = [s for s in secrets if s]
    if not secrets:
        return fetched
    record, payload = fetched.record, fetched.payload
    if record is not None:
        data = record.model_dump(mode="json")
        if any(s in json.dumps(data, ensure_ascii=False) for s in secrets):
            record = record_adapter.validate_python(scrub(data))
    if payload is not None:
        payload = scrub(payload)
    if record is fetched.record and payload == fetched.payload:
        return fetched
    from dataclasses import replace

    return replace(fetched, record=record, payload=payload)


class Status(StrEnum):
    stored = "stored"
    fresh = "fresh"  # fetched recently: not fetched again
    failed = "failed"
    deferred = "deferred"
    refused = "refused"  # not a link we can ingest


@dataclass
class Outcome:
    """What happened to one input link; the CLI prints one row per outcome."""

    input: str
    status: Status
    ref: SourceRef | None = None
    item_id: str | None = None
    title: str | None = None
    message: str = ""
    error: FetchError | None = None
    """What stopped a failed or deferred link, typed (`retryable` says whether trying again may help)."""
    retried: bool = False
    """A link an earlier run postponed (from the pending table), not one of this run's inputs."""

    @property
    def label(self) -> str:
        """The word the run summary counts a failure under (`not found`, `unavailable`, `refused`)."""
        if self.error is not None:
            return self.error.label
        return "refused" if self.status == Status.refused else ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    followed: list[Outcome] = field(default_factory=list)
    """Links found inside records (a paper's code) and ingested too; failures here are warnings."""
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in (Status.failed, Status.refused)]

    @property
    def ok(self) -> bool:
        return not self.failed


Progress = Callable[[Outcome], None]


class Ingest:
    def _refusal(self, exc: LinkRefused) -> str:
        """Why a link was refused; a feed to add names the sources file CURATE_SOURCES names
        (the connectors, which never see the settings, name the default one)."""
        default = str(Settings.model_fields["sources"].default)
        return exc.reason.replace(default, str(self.settings.sources))

    def __init__(self, settings: Settings, store: Store, registry: Registry | None = None) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry or default()
        self._connector_classes = self.registry.connectors()
        self._connectors: dict[str, Any] = {}
        self._enrichers: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Tell the connector threads the run is over (Ctrl-C): they hand over nothing more and
        log nothing, so the caller can exit at once; whatever was saved stays saved."""
        self._stopping.set()

    def connector(self, name: str) -> Any:
        """The run's single instance of a connector (so quotas and delays are shared)."""
        if name not in self._connectors:
            self._connectors[name] = self._connector_classes[name].from_settings(self.settings)
        return self._connectors[name]

    def enrichers_of(self, name: str) -> dict[str, Any]:
        """The run's single instance of each enricher that adds to the records of source `name`."""
        kinds = set(self.registry.source(name).kinds)
        out: dict[str, Any] = {}
        with self._lock:  # two connectors' threads may ask at once
            for source, cls in self.registry.enrichers().items():
                if kinds.intersection(cls.kinds):
                    if source not in self._enrichers:
                        self._enrichers[source] = cls.from_settings(self.settings)
                    out[source] = self._enrichers[source]
        return out

    def _enriched(self, name: str, results: Iterable[Fetched]) -> Iterator[Fetched]:
        """`results` in order, with what the enrichers of this source add to each record: a
        batch of up to ENRICH_BATCH records at a time. Their code links are followed in the
        same run; a failure is a warning of that record, never an error of its link.

        A batch is enriched beside the fetch (up to ENRICH_AHEAD batches at once), so the
        source's next request never waits for the enricher's answers about the last one.
        """
        enrichers = self.enrichers_of(name)
        if not enrichers:
            yield from results
            return

        def enrich(batch: list[Fetched]) -> list[Fetched]:
            records = [f for f in batch if f.record is not None]
            for source, enricher in enrichers.items():
                wanted = [f for f in records if f.record.kind in enricher.kinds]  # type: ignore[union-attr]
                if not wanted:
                    continue
                try:
                    answers = enricher.enrich([f.record for f in wanted])
                except Exception as exc:  # noqa: BLE001 - an enricher's bug must not lose the records
                    log.exception("%s enricher failed", source)
                    answers = [(None, [f"{source}: internal error ({exc})"])] * len(wanted)
                # an enricher that answers short leaves the rest unenriched; it never loses them
                for fetched, (extra, warnings) in zip(wanted, answers, strict=False):
                    if extra is not None:
                        fetched.record.extras[source] = extra  # type: ignore[union-attr]
                        fetched.follow += [url for url in extra.code if url not in fetched.follow]
                    fetched.warnings += warnings
            return batch

        batch: list[Fetched] = []
        ahead: deque[Future[list[Fetched]]] = deque()
        with ThreadPoolExecutor(max_workers=ENRICH_AHEAD, thread_name_prefix=f"enrich-{name}") as pool:
            for fetched in results:
                if self._stopping.is_set():  # interrupted: no new work for the pool
                    return
                batch.append(fetched)
                if len(batch) >= ENRICH_BATCH:
                    ahead.append(pool.submit(enrich, batch))
                    batch = []
                    if len(ahead) >= ENRICH_AHEAD:  # the enrichers are behind: wait for the oldest batch
                        yield from ahead.popleft().result()
                while ahead and ahead[0].done():
                    yield from ahead.popleft().result()
            if batch:
                ahead.append(pool.submit(enrich, batch))
            while ahead:
                yield from ahead.popleft().result()

    def run(  # noqa: C901 - the run's phases in order: parse, pending, fetch, follow
        self,
        inputs: Iterable[str],
        *,
        refresh: bool = False,
        with_companions: bool = False,
        source: str | None = None,
        include_pending: bool = True,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> Report:
        """Parse, skip fresh, fetch and store every input; never raises for one bad link."""
        # records are stamped when they are written, unless the caller fixes the time (tests,
        # replays): a long run must not stamp its last batch with the time it started
        self._fixed_now = now
        now = now or datetime.now(UTC)
        report = Report()
        self._follow: list[list[str]] = []
        self._retried: set[str] = set()
        self._stored_ids: set[str] = set()
        refs: list[tuple[str, SourceRef]] = []
        for text in inputs:
            try:
                ref = links.parse(text, self.registry)
                refs += [(text, r) for r in links.expand(ref, with_companions, self.registry)]
            except LinkRefused as exc:
                outcome = Outcome(input=text, status=Status.refused, message=self._refusal(exc))
                report.outcomes.append(outcome)
                if progress:
                    progress(outcome)
        given = {ref.key for _, ref in refs}
        if include_pending:
            for row in self.store.pending():
                if row.until is None or row.until <= now:
                    try:
                        ref = links.parse(row.url, self.registry)
                    except LinkRefused:
                        continue
                    refs.append((row.url, ref))
                    if ref.key not in given:
                        self._retried.add(ref.key)
        seen: set[str] = set()
        todo: list[tuple[str, SourceRef]] = []
        for text, ref in refs:
            if ref.key not in seen:
                seen.add(ref.key)
                todo.append((text, ref))
        report.outcomes += self._fetch_all(todo, refresh=refresh, source=source, progress=progress, now=now)
        if source:  # asked for again while fresh: still this source's, though not fetched
            again = [o.item_id for o in report.outcomes if o.status == Status.fresh and o.item_id]
            if again:
                self.store.add_source(again, source)

        # second round: links found inside the records (a paper's code repository)
        found = [url for urls in self._follow for url in urls]
        follow_refs: list[tuple[str, SourceRef]] = []
        for url in dict.fromkeys(found):
            try:
                ref = links.parse(url, self.registry)
            except LinkRefused:
                continue
            if ref.key not in seen:
                seen.add(ref.key)
                follow_refs.append((url, ref))
        if follow_refs:
            # marked as linked, not as the run's source: the draft shows such an item on the
            # record that links to it (a paper's code) unless something else asks for it too
            report.followed = self._fetch_all(
                follow_refs, refresh=refresh, source=LINKED_SOURCE, progress=None, now=now
            )
        for connector in [*self._connectors.values(), *self._enrichers.values()]:
            report.notes += connector.notes()
        return report

    def _fetch_all(  # noqa: C901 - its worker and emit closures count toward it
        self,
        todo: Sequence[tuple[str, SourceRef]],
        *,
        refresh: bool,
        source: str | None,
        progress: Progress | None,
        now: datetime,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []

        def emit(outcome: Outcome) -> None:
            outcomes.append(outcome)
            if progress:
                progress(outcome)

        fresh = set() if refresh else self.store.fresh([r.key for _, r in todo], self.settings.max_age, now)
        titles = self.store.titles(fresh) if fresh else {}  # one query, not one per fresh link
        inputs: dict[str, str] = {}
        groups: dict[str, list[SourceRef]] = {}
        for text, ref in todo:
            inputs[ref.key] = text
            if ref.key in fresh:
                item_id, title = titles.get(ref.key, (ref.key, None))
                emit(
                    Outcome(
                        input=text,
                        status=Status.fresh,
                        ref=ref,
                        item_id=item_id,
                        title=title,
                        message="fresh, not fetched again",
                    )
                )
            else:
                groups.setdefault(ref.connector, []).append(ref)

        results: queue.Queue[Fetched | BaseException | None] = queue.Queue()

        def worker(name: str, refs: list[SourceRef]) -> None:
            try:
                for fetched in self._enriched(name, self.connector(name).fetch(refs)):
                    if self._stopping.is_set():
                        return
                    results.put(fetched)
            except BaseException as exc:  # a connector bug must not lose the other connectors' work
                if self._stopping.is_set():  # interrupted: the interpreter is going down, not a bug
                    return
                log.exception("%s connector failed", name)
                results.put(exc)
                for ref in refs:
                    results.put(Fetched(ref, error=FetchError(ref, f"internal error in the {name} connector: {exc}")))
            finally:
                results.put(None)

        threads = [
            threading.Thread(target=worker, args=(n, r), name=f"fetch-{n}", daemon=True) for n, r in groups.items()
        ]
        for t in threads:
            t.start()
        running, done_refs = len(threads), set()
        batch: list[Fetched] = []
        while running:
            try:
                item = results.get()
            except KeyboardInterrupt:  # the daemon threads may sit in a slow request: leave them
                self.stop()
                raise
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                continue
            elif item.ref.key not in done_refs:  # a connector that crashed mid-batch may repeat refs
                done_refs.add(item.ref.key)
                batch.append(item)
            if batch and (len(batch) >= SAVE_BATCH or results.empty() or not running):
                for outcome in self._save(batch, inputs, source, now):
                    emit(outcome)
                batch = []
        return outcomes

    def _keep_richer(self, batch: list[Fetched]) -> dict[str, str]:
        """Partial records in `batch` (filled without the API, e.g. once the YouTube quota is spent)
        whose stored record is complete: left out of the save, with the reason."""
        partial = {f.record.id for f in batch if f.record is not None and f.record.partial()}
        if not partial:
            return {}
        return {
            item_id: "kept the complete record stored earlier; this fetch got less (no API key or quota spent)"
            for item_id, record in self.store.records(partial).items()
            if not record.partial()
        }

    def _save(self, batch: list[Fetched], inputs: dict[str, str], source: str | None, now: datetime) -> list[Outcome]:
        secrets = self.settings.secrets()
        batch = [without_secrets(f, secrets) for f in batch]
        kept = self._keep_richer(batch)
        self.store.save(
            [f for f in batch if f.record is None or f.record.id not in kept],
            now=self._fixed_now or datetime.now(UTC),
            source=source,
        )
        out: list[Outcome] = []
        for fetched in batch:
            text = inputs.get(fetched.ref.key, fetched.ref.url)
            if fetched.record is not None and fetched.record.id in kept:
                out.append(
                    Outcome(
                        input=text,
                        status=Status.fresh,
                        ref=fetched.ref,
                        item_id=fetched.record.id,
                        title=fetched.record.title,
                        message=kept[fetched.record.id],
                    )
                )
            elif fetched.record is not None and fetched.record.id in self._stored_ids:
                # two links of one run landed on one item (a redirect, a canonical URL)
                out.append(
                    Outcome(
                        input=text,
                        status=Status.fresh,
                        ref=fetched.ref,
                        item_id=fetched.record.id,
                        title=fetched.record.title,
                        message="the same item as an earlier link",
                    )
                )
            elif fetched.record is not None:
                self._stored_ids.add(fetched.record.id)
                self._follow.append(fetched.follow)
                out.append(
                    Outcome(
                        input=text,
                        status=Status.stored,
                        ref=fetched.ref,
                        item_id=fetched.record.id,
                        title=fetched.record.title,
                        message="; ".join(fetched.warnings),
                    )
                )
            else:
                error = fetched.error or FetchError(fetched.ref, "no record and no error")
                status = Status.deferred if isinstance(error, Deferred) else Status.failed
                out.append(Outcome(input=text, status=status, ref=fetched.ref, message=error.reason, error=error))
        for outcome in out:
            outcome.retried = outcome.ref is not None and outcome.ref.key in self._retried
        return out
