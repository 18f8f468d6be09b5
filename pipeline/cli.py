"""The `curate` command line (typer + rich).

stdout carries only what the user asked for (rows, JSON, Markdown); progress, warnings
and errors go to stderr. Heavy modules are imported inside each command so that
`curate --help` starts at once. No traceback reaches the user unless `--debug`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.config import Settings
    from pipeline.ingest import Outcome, Report
    from pipeline.store import Store


def _help_without_type_names() -> None:
    """Help shows choices and metavars, never a Python annotation (`<bool>`, `<list[str]>`).

    typer (0.2x) prints each parameter's annotation in its help table and offers no switch
    to turn that off, so its display hook is wrapped here: flags show nothing, an option
    its metavar (PATH, DATE) or its choices, an argument nothing beside its name.
    """
    from typer import core

    for cls in (getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)):
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "_curate", False):
            continue

        def display(
            self: Any, ctx: Any, _original: Any = original, _argument: bool = cls is core.TyperArgument
        ) -> str | None:
            if getattr(self, "is_flag", False) or _argument:
                return None
            if self.metavar is not None:
                return self.metavar
            shown = _original(self, ctx)
            return shown if shown and "|" in shown else None  # choices such as <table|json>

        display._curate = True  # type: ignore[attr-defined]
        cls.display_type_rich = display  # type: ignore[union-attr]


_help_without_type_names()


class _Commands(typer.core.TyperGroup):
    """Runs every command so that a database failing under it (read-only, locked, full,
    damaged) is one line and exit status 1, not a driver's dump; each write is one
    transaction, so what was stored before stays."""

    def invoke(self, ctx: Any) -> Any:
        vars(state).clear()  # each command starts from the defaults (tests run many in one process)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # click would print "Aborted!" and exit 1, as for a failure; Ctrl-C is 130 (128 + SIGINT)
            # everywhere, one line; each write is one transaction, so what was stored stays
            _sayer(_logger())("interrupted", logging.WARNING)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if state.debug:
                raise
            if _json_lines(ctx) and isinstance(exc, _usage_errors()):
                # a usage error (no such command, a bad option): click would draw a box of text
                _record(exc.format_message(), logging.ERROR, _logger())
                raise typer.Exit(exc.exit_code) from None
            line, code = _storage_error(exc), EXIT_SOME_FAILED
            if line is None:
                line, code = _file_error(exc), EXIT_USAGE
            if line is None:
                raise
            _error(line)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_Commands,
    help="Links in, typed records in SQLite, a draft newsletter issue out.\n\n"
    "Settings come from CURATE_* environment variables or a .env file in the working "
    "directory (see the README); GITHUB_TOKEN and YOUTUBE_API_KEY are read but never printed or stored.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command Ctrl-C stopped


class _State:
    debug = False
    verbose = False
    log_format = "text"
    db: str | None = None
    command: str | None = None
    """The command given (`run`, `db`), once the options before it are taken in."""
    shown_db = "the database"
    """CURATE_DB as it may be printed, once a command has opened it."""
    drafts_dir: Path | None = None


state = _State()


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _err() -> Console:
    """The console people's lines go to: stderr, or under --log-format json one that makes each line a record."""
    if _json_lines():
        return cast("Console", _JsonLines(_logger()))
    from rich.console import Console

    # emoji off: text from sources and users (`nope:x:`) is never turned into a picture
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def _json_lines(ctx: Any = None) -> bool:
    """Whether --log-format json is in force; `ctx` the top command's, when the error (no such
    command) comes before the options are taken in."""
    given = ctx.params.get("log_format") if ctx is not None else None
    return state.log_format == LogFormat.json.value or given == LogFormat.json


def _usage_errors() -> Any:
    """click's ClickException, as typer runs it (typer vendors click as typer._click since 0.2x)."""
    try:
        from typer._click import ClickException  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # an older typer, on click itself
        from click import ClickException  # type: ignore[no-redef,assignment,unused-ignore]
    return ClickException


def _logger() -> str:
    """The logger name of the command running (`curate.run`, `curate.db`), or `curate` before one started."""
    return f"curate.{state.command}" if state.command else "curate"


def _record(text: str, level: int, logger: str) -> None:
    """`text` on stderr as one JSON log record with the fields of every --log-format json line
    (time, level, logger, message), redacted.

    Formatted here rather than handed to logging: an error may come before `settings()` has
    set logging up (a bad setting, a bad option), and it must be a record all the same.
    """
    from pipeline.redact import JsonFormatter

    record = logging.LogRecord(logger, level, __name__, 0, _redact(text), None, None)
    sys.stderr.write(JsonFormatter().format(record) + "\n")
    sys.stderr.flush()


class _JsonLines:
    """What a command calls on `_err()` under --log-format json: each line printed becomes a
    JSON record of `logger`, a warning when it starts with `!`, an error with `✗`."""

    is_terminal = False

    def __init__(self, logger: str) -> None:
        self.logger = logger

    def print(self, text: object = "", *, markup: bool | None = None, **_: Any) -> None:
        line = str(text)
        if markup is not False:
            from rich.text import Text

            line = Text.from_markup(line).plain
        level = logging.WARNING if line.startswith("!") else logging.ERROR if line.startswith("✗") else logging.INFO
        _record(line, level, self.logger)


def _out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, emoji=False)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 item`, `2 items` (`many` where adding an s is wrong)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a one-line error on stderr and exit."""
    _error(message)
    raise typer.Exit(code)


def _error(message: str) -> None:
    """`error: <message>` on stderr, or under --log-format json a record of level error."""
    if _json_lines():
        _record(message, logging.ERROR, _logger())
        return
    from rich.markup import escape

    _err().print(f"[red]error:[/red] {escape(_redact(message))}")


_SECRETS: list[str] = []


def _redact(text: str) -> str:
    """`text` as it may be shown on stderr: credentials masked, and control characters (an
    escape sequence in a pasted link or a file's bytes) and bidirectional overrides written
    as escapes (`\\x1b`), so what a user typed cannot clear or rewrite their terminal."""
    from pipeline.redact import redact

    return _UNPRINTABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), redact(text, _SECRETS))


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 control characters but tab and newline, DEL, and the bidirectional embeddings,
overrides and isolates (Unicode's "Trojan Source" characters)."""


def _variable(name: str) -> str:
    """The environment variable of a setting: its alias as given (`YOUTUBE_API_KEY`), else `CURATE_<NAME>`."""
    return name if name.isupper() else f"CURATE_{name.upper()}"


def settings() -> Settings:
    """Settings from the environment, or a one-line error naming the bad variable."""
    from pydantic import ValidationError

    from pipeline.config import Settings

    try:
        s = Settings() if state.db is None else Settings(db=state.db)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_variable(str(e['loc'][0]))}: {e['msg'].removeprefix('Value error, ')}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
        fail(f"bad setting: {problems}")
    _SECRETS[:] = s.secrets()
    state.drafts_dir = s.drafts_dir
    _setup_logging(s)
    return s


def _setup_logging(s: Settings) -> None:
    from pipeline.redact import configure_logging

    level = logging.DEBUG if state.debug else logging.INFO if state.verbose else logging.WARNING
    configure_logging(level, state.log_format, s.secrets())


def _sqlite_file(db: str) -> Path | None:
    """The file a SQLite CURATE_DB names (a path or a sqlite:/// URL), or None for a server or in-memory database."""
    if db.startswith("sqlite:///"):
        db = db.removeprefix("sqlite:///")
    elif "://" in db:
        return None
    return None if db.strip() in ("", ":memory:") else Path(db).expanduser()


def _db_fail(message: str) -> NoReturn:
    """`fail` with a database message naming what the user set: `--db` when given, else CURATE_DB."""
    fail(_db_named(message))


def _db_named(message: str) -> str:
    """A database message naming what the user set: `--db` when given, else CURATE_DB as it says."""
    return message.replace("CURATE_DB", "--db") if state.db is not None else message


def open_store(s: Settings, must_exist: bool = False, read_only: bool = False) -> Store:
    """The database of CURATE_DB, or a one-line error and exit 2, the file left as it was.

    Every command refuses another program's SQLite file (tables, none of curate's). A command
    that needs what is stored (`must_exist`) refuses a missing or empty database; the others
    (ingest, run, db upgrade) create curate's schema there. A command that writes brings the
    schema up to date first (`curate db upgrade`); one that only reads (`read_only`) never
    changes it. The rule itself is `pipeline.preflight.check`, run before anything is written.
    """
    from pipeline.store import Store, StoreError, _shown

    state.shown_db = _shown(s.db)
    try:
        return Store(s.db, upgrade=not read_only, create=not must_exist)
    except StoreError as exc:
        _db_fail(str(exc))


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        sys.stdout.write(f"curate {version('curate')}\n")
        raise typer.Exit(EXIT_OK)


def newsletter(s: Settings) -> Any:
    """The newsletter's format (CURATE_NEWSLETTER), or a one-line error and exit 2."""
    from pipeline.newsletter import NewsletterError, load

    try:
        return load(s.newsletter)
    except NewsletterError as exc:
        fail(str(exc))


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log requests and waits to stderr.")] = False,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="Log lines as text or JSON (for log collectors).")
    ] = LogFormat.text,
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="PATH|URL", help="Database path or SQLAlchemy URL (overrides CURATE_DB)."),
    ] = None,
) -> None:
    state.debug, state.verbose, state.log_format, state.db = debug, verbose, log_format.value, db
    state.command = ctx.invoked_subcommand


LINKS_FILE_MAX_BYTES = 10_000_000
"""Largest --file read, in bytes: a week's links are a few kB; 10 MB is about 100,000 links."""


def _links_text(file: str) -> str:
    """The text of `--file` (`-`: stdin): at most LINKS_FILE_MAX_BYTES, read as UTF-8 (UTF-16 or
    UTF-32 when it starts with their byte order mark), or a one-line error and exit 2.

    A file holding NUL bytes is not text (an image, a PDF, /dev/zero): refused unread past the
    cap, so a wrong path can neither fill memory nor print binary as 'links'."""
    import codecs

    shown = "stdin" if file == "-" else file
    try:
        if file == "-":
            data = sys.stdin.buffer.read(LINKS_FILE_MAX_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                data = handle.read(LINKS_FILE_MAX_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {shown}: {exc.strerror}")
    encoding = next(
        (
            name
            for bom, name in (
                (codecs.BOM_UTF32_LE, "utf-32"),
                (codecs.BOM_UTF32_BE, "utf-32"),
                (codecs.BOM_UTF16_LE, "utf-16"),
                (codecs.BOM_UTF16_BE, "utf-16"),
            )
            if data.startswith(bom)
        ),
        "utf-8-sig",
    )
    if encoding == "utf-8-sig" and b"\0" in data:
        fail(f"{shown} is not a text file (it holds NUL bytes): give a text, Markdown or HTML file of links")
    if len(data) > LINKS_FILE_MAX_BYTES:
        fail(f"{shown} is over {LINKS_FILE_MAX_BYTES // 1_000_000} MB: not a list of links")
    return data.decode(encoding, errors="replace")


def _read_inputs(urls: list[str], file: str | None) -> list[str]:
    from pipeline.links import extract

    inputs = list(urls)
    if file is not None:
        text = _links_text(file)
        found = extract(text)
        if not found and text.strip():
            # a plain list with one link or id per line (bare arXiv ids have no scheme to find)
            found = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        inputs += found
    return inputs


def print_report(report: Report, say: Callable[[str, int], None]) -> int:
    """The summary line and the exit status of an ingest report.

    Links retried from an earlier run's postponed list are counted apart and never change
    the exit status of the links the user gave.
    """
    from pipeline.ingest import Status

    for followed in report.followed:
        if followed.status in (Status.failed, Status.refused):
            say(f"! {followed.input}  linked code not fetched: {followed.message}", logging.WARNING)
    for note in report.notes:
        say(f"! {note}", logging.WARNING)
    counts: dict[str, int] = {}
    for o in report.outcomes:
        label = {
            Status.stored: "stored",
            Status.fresh: "fresh",
            Status.deferred: "postponed",
            Status.refused: "refused",
        }.get(o.status, o.label or "failed")
        if o.retried:
            label = f"earlier postponed {label}"
        counts[label] = counts.get(label, 0) + 1
    stored_follow = sum(1 for o in report.followed if o.status == Status.stored)
    summary = " · ".join(f"{n} {label}" for label, n in counts.items()) or "nothing to do"
    if stored_follow:
        summary += f" · {plural(stored_follow, 'linked repo')} stored"
    failed = any(not o.retried for o in report.failed)
    say(summary, logging.WARNING if failed else logging.INFO)
    mine = [o for o in report.outcomes if not o.retried]
    if mine and all(o.status == Status.refused for o in mine):
        return EXIT_USAGE
    return EXIT_SOME_FAILED if failed else EXIT_OK


class RowFormat(StrEnum):
    table = "table"
    json = "json"


def _write_row(fields: dict[str, Any], fmt: RowFormat, above: Callable[[str], None] | None = None) -> None:
    """One row on stdout: tab-separated values (tabs and newlines inside a value become spaces), or a JSON line.

    Written to sys.stdout itself, never through rich, so a row is never wrapped, padded or
    read as markup, and it reaches a pipe whatever stderr is. When stdout is the terminal the
    progress bar draws on, `above` prints the row above the bar instead (the bar would be
    drawn over it otherwise).
    """
    if fmt == RowFormat.json:
        line = json.dumps(fields, ensure_ascii=False)
    else:
        line = "\t".join(" ".join(str(v if v is not None else "").split()) for v in fields.values())
    if above is not None:
        above(line)
        return
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _row(
    outcome: Outcome, say: Callable[[str, int], None], fmt: RowFormat, above: Callable[[str], None] | None = None
) -> None:
    from pipeline.ingest import Status

    if outcome.status in (Status.stored, Status.fresh):
        row = {
            "status": outcome.status.value,
            "id": outcome.item_id,
            "kind": outcome.ref.kind.value if outcome.ref else "",
            "title": outcome.title or "",
        }
        _write_row(row if fmt == RowFormat.table else {**row, "input": outcome.input}, fmt, above)
    elif outcome.status == Status.deferred or outcome.retried:
        prefix = "postponed earlier, failed again: " if outcome.retried and outcome.status != Status.deferred else ""
        say(f"! {outcome.input}  {prefix}{outcome.message}", logging.WARNING)
    else:
        say(f"✗ {outcome.input}  {outcome.message}", logging.ERROR)


@app.command()
def ingest(
    urls: Annotated[
        list[str] | None,
        typer.Argument(metavar="URL...", help="Links or arXiv ids, space separated.", show_default=False),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            metavar="PATH",
            help="Also take every link in this text, Markdown or HTML file ('-' reads stdin).",
        ),
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh", help="Fetch again even when the stored record is fresh (younger than CURATE_MAX_AGE)."
        ),
    ] = False,
    with_playlist: Annotated[
        bool, typer.Option("--with-playlist", help="For a YouTube link with &list=…, ingest the playlist too.")
    ] = False,
    fmt: Annotated[
        RowFormat,
        typer.Option(
            "--format",
            help="Rows as tab-separated columns (status, id, kind, title) or JSON lines (the same, and the input link).",
        ),
    ] = RowFormat.table,
) -> None:
    """Fetch links (arXiv, YouTube, GitHub, any web page) and store their records.

    Prints one row per stored link on stdout (status stored or fresh, id, kind, title)
    and one line per failure on stderr; a progress bar on stderr when it is a terminal.
    Exit status: 0 every link stored, 1 some failed, 2 no valid link or a bad option.
    """
    inputs = _read_inputs(urls or [], file)
    if not inputs:
        fail("no links given: curate ingest URL... or --file PATH")
    s = settings()
    store = open_store(s)
    from pipeline.ingest import Ingest
    from schemas.item import DIRECT_SOURCE

    err = _err()
    say = _sayer("curate.ingest", err)
    seen: list[Outcome] = []
    run = Ingest(s, store)
    try:
        with _progress_bar(err) as bar:
            task = bar.add_task("ingest", total=len(inputs))

            above = bar.above if sys.stdout.isatty() else None  # rows above the bar on a shared terminal

            def progress(outcome: Outcome) -> None:
                seen.append(outcome)
                bar.advance(task)
                _row(outcome, say, fmt, above)

            report = run.run(
                inputs, refresh=refresh, with_companions=with_playlist, progress=progress, source=DIRECT_SOURCE
            )
    except KeyboardInterrupt:
        run.stop()
        _interrupted(seen, say, f"{max(len(inputs) - len(seen), 0)} not fetched")
    raise typer.Exit(print_report(report, say))


def _interrupted(seen: list[Outcome], say: Callable[[str, int], None], rest: str) -> NoReturn:
    """Ctrl-C during an ingest or a run: one line of what was done, then exit 130 (128 + SIGINT) at once.

    `rest` ends the line with what was not done (`4 not fetched`, `draft not exported`).
    Each batch is committed before its rows are printed, so what the line counts as stored is
    in the database. The connector threads may still wait on a slow server; a normal exit
    would wait for them (Python joins a thread pool's threads at exit), so the process ends
    with os._exit once the streams are flushed.
    """
    from pipeline.ingest import Status

    stored = sum(1 for o in seen if o.status == Status.stored)
    fresh = sum(1 for o in seen if o.status == Status.fresh)
    failed = len(seen) - stored - fresh
    parts = [
        f"{stored} stored",
        *([f"{fresh} fresh"] if fresh else []),
        *([f"{failed} failed"] if failed else []),
        rest,
    ]
    _exit_interrupted("interrupted: " + ", ".join(parts), say)


def _exit_interrupted(line: str, say: Callable[[str, int], None]) -> NoReturn:
    """Say `line`, flush, and end the process with status 130 without waiting for any thread."""
    say(line, logging.WARNING)
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(EXIT_INTERRUPTED)


class _NoBar:
    """What the ingest loop calls on a progress bar, doing nothing: stderr is not a terminal
    (cron, a pipe), so rich.progress is not even imported."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: int) -> int:
        return 0

    def advance(self, task: int) -> None:
        return None

    above = None
    """No bar: rows go to stdout as they are."""


def _progress_bar(err: Console) -> Any:
    """rich's progress bar on stderr when it is a terminal and lines are text, else `_NoBar`."""
    if not err.is_terminal or state.log_format == LogFormat.json.value:
        return _NoBar()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.text import Text

    class Bar(Progress):
        def above(self, line: str) -> None:
            """A row printed above the live bar (stdout is this terminal too), as text: never
            markup, never highlighted, never cut at the terminal's width."""
            self.console.print(Text(line), soft_wrap=True, highlight=False)

    # the bar draws on stderr only; rich would otherwise capture sys.stdout while it is live
    # and the rows would land on the terminal instead of the pipe
    return Bar(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )


EXIT_BUSY = 75
"""`curate run` found another run in progress and did nothing (sysexits.h EX_TEMPFAIL: try later)."""
EXIT_DRAFT_HELD = 3
"""`curate run` did its work but left the draft as it is: it holds edits `curate annotate` has not read back.

A notice, not a failure: the editor is working on the draft. sysexits.h has no code for
"done, with a note", so it is a small number of its own, apart from 1 and 2.
"""


def _sayer(logger: str, console: Console | None = None) -> Callable[[str, int], None]:
    """A function printing a person's line on stderr: plain text, or a JSON log record under --log-format json.

    Lines go through `console` when given (the one a progress bar draws on, so the bar is
    cleared first); every line is redacted and never read as markup.
    """

    def say(text: str, level: int = logging.INFO) -> None:
        if _json_lines():
            _record(text, level, logger)  # shown whatever the level of other logs
        else:
            (console or _err()).print(_redact(text), markup=False)

    return say


def _say(text: str, level: int = logging.INFO) -> None:
    """One line of `curate run` on stderr: plain text, or a JSON log record under --log-format json."""
    _sayer("curate.run")(text, level)


def _dry_store(s: Settings) -> Store:
    """The database for --dry-run: the real one if it holds anything, else an empty one in memory
    (no file made, no tables added to an empty one)."""
    from pipeline.store import Store

    path = _sqlite_file(s.db)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return Store("sqlite://")
    store = open_store(s, read_only=True)
    revision, head = store.current(), store.head()
    if revision is None:  # an empty PostgreSQL schema: nothing stored, as in an empty file
        store.engine.dispose()
        return Store("sqlite://")
    if revision != head:  # reading it would need the upgrade a dry run must not make
        store.engine.dispose()
        _db_fail(
            f"the database {state.shown_db} (CURATE_DB) is at schema revision {revision}, older than this "
            f"curate's {head}; --dry-run writes nothing, so run `curate db upgrade` first"
        )
    return store


def _run_summary(report: Any, dry_run: bool) -> str:
    from pipeline.ingest import Status

    feeds = report.feeds
    read = sum(1 for f in feeds if not f.failed and not f.read.unchanged)
    unchanged = sum(1 for f in feeds if f.read.unchanged)
    failed = sum(1 for f in feeds if f.failed)
    states = ", ".join(
        f"{n} {label}" for n, label in ((read, "read"), (unchanged, "unchanged"), (failed, "failed")) if n
    )
    parts = [plural(len(feeds), "feed") + (f" ({states})" if states else "")]
    known = sum(len(f.known) for f in feeds)
    skipped = sum(len(f.skipped) for f in feeds)
    if dry_run:
        parts.append(f"{sum(len(f.new) for f in feeds)} to ingest")
        if known:
            parts.append(f"{known} already stored")
        if skipped:
            parts.append(f"{skipped} skipped")
        if report.stale:
            parts.append(f"{len(report.stale)} to refresh")
        return "dry run: " + " · ".join(parts)
    counts: dict[str, int] = {}
    for r in [report.pending, *[f.report for f in feeds]]:
        for o in r.outcomes if r else []:
            label = {Status.stored: "stored", Status.fresh: "already stored", Status.deferred: "postponed"}.get(
                o.status, o.label or "failed"
            )
            counts[label] = counts.get(label, 0) + 1
    if known:
        counts["already stored"] = counts.get("already stored", 0) + known
    if skipped:
        counts["skipped"] = skipped
    parts += [f"{n} {label}" for label, n in counts.items()] or ["nothing new"]
    if report.refreshed:
        ok = sum(1 for o in report.refreshed.outcomes if o.status == Status.stored)
        parts.append(f"{ok} refreshed")
        if report.refreshed.failed:
            parts.append(f"{len(report.refreshed.failed)} not refreshed")
    if report.draft:
        parts.append(f"draft {report.draft[0]}")
    elif report.draft_error:
        parts.append("draft not written")
    elif report.draft_held:
        parts.append("draft held back for curate annotate")
    return "run: " + " · ".join(parts)


@app.command()
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read the feeds and list what would be ingested on stdout; write nothing.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="A line per feed and per link (as the global --verbose).")
    ] = False,
    log_format: Annotated[
        LogFormat | None, typer.Option("--log-format", help="Lines as text or JSON (as the global option).")
    ] = None,
    fmt: Annotated[
        RowFormat,
        typer.Option("--format", help="--dry-run rows as tab-separated columns (url, kind, feed) or JSON lines."),
    ] = RowFormat.table,
) -> None:
    """The scheduled job: read the feeds in CURATE_SOURCES, ingest what is new, refresh figures, export the draft.

    Quiet when all is well: one summary line on stderr, plus a line per failed feed or link.
    Exit status: 0 all well, 1 some feeds or links failed, 2 a configuration error (a bad
    sources file or setting), 3 all well but the draft was left as it is because it holds
    edits curate annotate has not read back, 75 another run was in progress, so this one did nothing.
    """
    state.verbose = state.verbose or verbose  # options after `run` too, so `make run ARGS=--verbose` works
    if log_format is not None:
        state.log_format = log_format.value
    s = settings()
    from pipeline.schedule import AlreadyRunning, ScheduledRun, SourcesError, load_sources, run_lock

    try:
        feeds = load_sources(s.sources)
    except SourcesError as exc:
        fail(str(exc))

    def on_feed(f: Any) -> None:
        _say_feed(f)
        if dry_run and not f.failed:
            for _, ref in f.new:
                _write_row({"url": ref.url, "kind": ref.kind.value, "feed": f.feed.name}, fmt)

    scheduled: ScheduledRun | None = None
    seen: list[Outcome] = []

    def on_link(o: Outcome) -> None:
        seen.append(o)
        _say_link(o)

    try:
        if dry_run:
            report = ScheduledRun(s, _dry_store(s), feeds).run(dry_run=True, on_feed=on_feed)
            for item in report.stale:
                _write_row({"url": item.url, "kind": item.kind.value, "feed": "refresh"}, fmt)
        else:
            store = open_store(s)
            scheduled = ScheduledRun(s, store, feeds)
            with run_lock(s, store):
                report = scheduled.run(on_feed=on_feed, on_link=on_link)
    except AlreadyRunning as exc:
        _say(f"! {exc}", logging.WARNING)
        raise typer.Exit(EXIT_BUSY) from None
    except KeyboardInterrupt:
        # leaving the `with` above released the run lock, so the next run is not refused
        if dry_run:
            _exit_interrupted("interrupted: dry run, nothing written", _say)
        if scheduled is not None:
            scheduled.ingest.stop()
        written = scheduled.report.draft if scheduled is not None and scheduled.report else []
        _interrupted(seen, _say, f"draft {written[0]}" if written else "draft not exported")
    _say_run_report(report)
    _say(_run_summary(report, dry_run), logging.INFO if report.ok else logging.WARNING)
    raise typer.Exit(EXIT_SOME_FAILED if not report.ok else EXIT_DRAFT_HELD if report.draft_held else EXIT_OK)


def _say_feed(f: Any) -> None:
    """A read feed on stderr: its error, its warnings, and with --verbose its counts and skipped links."""
    name = f.feed.name
    if f.failed:
        _say(f"✗ feed {name}  {f.read.error}", logging.ERROR)
        return
    for warning in f.read.warnings:
        _say(f"! {warning}", logging.WARNING)
    if state.verbose:
        if f.read.unchanged:
            _say(f"feed {name}: unchanged (304)")
        else:
            _say(
                f"feed {name}: {f.listed} entries, {f.selected} selected, {len(f.new)} new, {len(f.known)} already stored"
            )
        for link, reason in f.skipped:
            _say(f"- {link}  skipped: {reason}")


def _say_link(o: Outcome) -> None:
    """A scheduled run's link on stderr: a failure or postponement, and with --verbose a stored one."""
    from pipeline.ingest import Status

    if o.status in (Status.failed, Status.refused):
        _say(f"✗ {o.input}  {o.message}", logging.ERROR)
    elif o.status == Status.deferred:
        _say(f"! {o.input}  {o.message}", logging.WARNING)
    elif state.verbose:
        _say(f"✓ {o.item_id}  {o.ref.kind.value if o.ref else ''}  {o.title or ''}")


def _say_run_report(report: Any) -> None:
    """What a finished run has to tell besides its summary: links given up, the draft, sources' notes."""
    for f in report.feeds:
        for link in f.gave_up:
            _say(f"✗ {link}  gave up after failing in several runs (feed {f.feed.name})", logging.ERROR)
    if report.draft_error:
        _say(f"✗ draft not written: {report.draft_error}", logging.ERROR)
    if report.draft_held:
        _say(f"! draft left as it is: {report.draft_held}", logging.INFO)
    if report.drafted is not None:
        line, warning = drafted_lines(report.drafted)
        _say(line, logging.INFO)
        if warning:
            _say(warning, logging.WARNING)
    from connectors.base import Alert

    for note in dict.fromkeys(n for r in report.reports() for n in r.notes):
        if state.verbose or isinstance(note, Alert):
            _say(f"! {note}", logging.WARNING)


def _choice(value: str | None, option: str, enum: Any) -> Any:
    """`value` as a member of `enum`, or a usage error naming the valid choices."""
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        fail(f"{option}: {value!r} is not one of {', '.join(m.value for m in enum)}")


def _complete_kind(incomplete: str) -> list[str]:
    from schemas import Kind

    return [k.value for k in Kind if k.value.startswith(incomplete)]


def _complete_status(incomplete: str) -> list[str]:
    from schemas import ItemStatus

    return [k.value for k in ItemStatus if k.value.startswith(incomplete)]


# the filters and row format `curate list` and `curate search` share
KindFilter = Annotated[
    str | None,
    typer.Option(
        "--kind",
        metavar="KIND",
        autocompletion=_complete_kind,
        help="Only this kind: paper, video, playlist, repo, article.",
    ),
]
StatusFilter = Annotated[
    str | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        autocompletion=_complete_status,
        help="Only this status: candidate, shortlisted, rejected, published.",
    ),
]
ItemRowFormat = Annotated[
    RowFormat, typer.Option("--format", help="A table, or JSON lines (id, kind, status, title, fetched, url).")
]


@app.command("list")
def list_items(
    kind: KindFilter = None,
    status: StatusFilter = None,
    fmt: ItemRowFormat = RowFormat.table,
) -> None:
    """List stored items, newest first: id, kind, status, title, when last fetched (UTC)."""
    from schemas import ItemStatus, Kind

    kind_v = _choice(kind, "--kind", Kind)
    status_v = _choice(status, "--status", ItemStatus)
    store = open_store(settings(), must_exist=True, read_only=True)
    _print_items(store.items(kind=kind_v, status=status_v), fmt)


def _print_items(items: list[Any], fmt: RowFormat) -> None:
    """Items as `curate list` shows them: a table, or JSON lines; the count on stderr."""
    if fmt == RowFormat.json:
        for item in items:
            _write_row(
                {
                    "id": item.id,
                    "kind": item.kind.value,
                    "status": item.status.value,
                    "title": item.title,
                    "fetched": item.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "url": item.url,
                },
                fmt,
            )
        _err().print(plural(len(items), "item"), markup=False)
        return
    from rich.table import Table
    from rich.text import Text

    out = _out()
    rows = [
        (i.id, i.kind.value, i.status.value, " ".join(i.title.split()), i.fetched_at.strftime("%Y-%m-%d %H:%M"))
        for i in items
    ]
    widths = [
        max([len(h)] + [len(r[c]) for r in rows]) for c, h in enumerate(("id", "kind", "status", "title", "fetched"))
    ]
    fixed = widths[0] + widths[1] + widths[2] + widths[4] + 2 * 4
    if not out.is_terminal or out.width < fixed + 20:
        # piped or redirected: whole titles on one line, no 80-column guess; a terminal too
        # narrow for 20 columns of title gets long lines rather than cut ids
        from rich.console import Console

        out = Console(highlight=False, emoji=False, width=fixed + (widths[3] if not out.is_terminal else 20) + 1)
    table = Table(box=None, pad_edge=False)
    # ids are what people copy into `show` and `mark`: never cut; a long title folds onto more lines
    for name, width in zip(("id", "kind", "status"), widths, strict=False):  # the first three of five
        table.add_column(name, no_wrap=True, min_width=width)
    table.add_column("title", overflow="fold", ratio=1, min_width=min(20, widths[3]))
    table.add_column("fetched", no_wrap=True, min_width=widths[4])
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # never markup
    with out.capture() as captured:
        out.print(table)
    sys.stdout.writelines(
        line.rstrip() + "\n" for line in captured.get().splitlines()
    )  # no padding after the last column
    _err().print(plural(len(items), "item"), markup=False)


class ShowFormat(StrEnum):
    pretty = "pretty"
    json = "json"


@app.command()
def show(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="An id (arxiv:2512.07461) or any link to the item.")],
    payload: Annotated[
        bool, typer.Option("--payload", help="Print the raw API payload kept for the item instead.")
    ] = False,
    fmt: Annotated[
        ShowFormat, typer.Option("--format", help="Indented JSON, or the same on one line (a JSON line).")
    ] = ShowFormat.pretty,
) -> None:
    """Print one stored item as JSON: id, kind, url, title, status, times, sources and its record."""
    store = open_store(settings(), must_exist=True, read_only=True)
    key = item_id
    if ":" not in item_id or "://" in item_id or item_id.lower().startswith("arxiv:"):
        from connectors.errors import LinkRefused
        from pipeline.links import parse

        try:
            key = parse(item_id).key
        except LinkRefused:
            pass
    item = store.get(key)
    if item is None:
        fail(f"{item_id}: not in the database (curate list shows what is)", EXIT_SOME_FAILED)
    if payload:
        sys.stdout.write((store.payload(item.id) or "") + "\n")
        return
    indent = 2 if fmt == ShowFormat.pretty else None
    sys.stdout.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False, indent=indent) + "\n")


class ExportFormat(StrEnum):
    json = "json"
    markdown = "markdown"
    both = "both"


@app.command()
def export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="json, markdown, or both (default).")
    ] = ExportFormat.both,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="PATH", help="Write here ('-' for stdout) instead of data/drafts/issue-<N>.<ext>."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Take items first seen since this date (2026-11-17, 2026-11-17T09:00) or this long ago (7d), instead of since the last published issue.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a draft file that has edits not read back by curate annotate.")
    ] = False,
) -> None:
    """Export the next issue's draft as JSON (the contract other tools read) and Markdown.

    Exit status: 0 written, 1 a draft file has edits not read back (nothing written), 2 a bad option.
    """
    from datetime import datetime

    from pipeline import draft

    now = datetime.now(UTC)
    try:
        since_v = draft.parse_since(since, now) if since is not None else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    formats = ["json", "md"] if fmt == ExportFormat.both else ["json" if fmt == ExportFormat.json else "md"]
    if output is not None and len(formats) > 1:
        fail("--output needs --format json or --format markdown")
    s = settings()
    layout = newsletter(s)
    store = open_store(s, must_exist=True)
    d = draft.prepare(store, now=now, since=since_v, caps=draft.caps_of(s), fmt=layout)
    drafted = draft_with_model(store, s, d)
    if output == "-":
        for ext in formats:
            sys.stdout.write(d.to_json() if ext == "json" else d.to_markdown())
        draft.record(store, d)
    else:
        try:
            paths = draft.write(store, s, d, formats, Path(output) if output else None, force=force)
        except draft.DraftError as exc:
            fail(str(exc), EXIT_SOME_FAILED)
        for path in paths:
            _out().print(str(path), markup=False)
    err = _err()
    included = {sec.key.value: sum(i.annotation.include for i in sec.items) for sec in d.doc.sections}
    left_out = sum(len(sec.items) for sec in d.doc.sections) - sum(included.values())
    counts = ", ".join(plural(n, key.removesuffix("s"), key) for key, n in included.items())  # 1 tool, 2 tools
    err.print(f"issue {d.number}: {counts}" + (f" · {left_out} left out" if left_out else ""), markup=False)
    if not any(sec.items for sec in d.doc.sections):  # an empty issue replaced the draft: say so, not silently
        window = f"since {since}" if since is not None else "since the last published issue"
        err.print(f"! the draft has no items {window}", markup=False)
    for key, n in d.capped.items():
        err.print(f"! {n} {key} over CURATE_CAP_{key.upper()} not in the draft", markup=False)
    if drafted is not None:
        say_drafted(drafted, err)


def draft_with_model(store: Store, s: Settings, d: Any, ids: list[str] | None = None, redo: bool = False) -> Any:
    """With CURATE_LLM_MODEL set: draft what `d` lacks as suggestions and show them in `d`; else None."""
    if not s.llm_model:
        return None
    from pipeline.blurbs import Drafter, attach

    drafted = Drafter(store, s.llm_model, d.fmt, secrets=s.secrets(), timeout=s.llm_timeout).run(d, ids, redo)
    attach(store, d)
    return drafted


def drafted_lines(drafted: Any) -> tuple[str, str | None]:
    """The drafting summary (calls, answers reused, tokens when the model reports them) and the warning, if any."""
    line = (
        f"{drafted.model}: {plural(drafted.calls, 'suggestion')} drafted, {len(drafted.cached)} from earlier answers"
        + (f", {len(drafted.kept)} editor's blurbs kept" if drafted.kept else "")
    )
    if drafted.tokens_reported:
        line += f" · {drafted.input_tokens:,} tokens in, {drafted.output_tokens:,} out"
    warning = f"! {_redact(drafted.warning)}; the draft keeps its plain blurbs" if drafted.warning else None
    return line, warning


def say_drafted(drafted: Any, err: Console) -> None:
    for line in drafted_lines(drafted):
        if line:
            err.print(line, markup=False)


@app.command()
def blurb(
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID]...",
            help="Items of the next issue (ids or links); default: every item without a blurb, plus the TL;DR and title ideas.",
            show_default=False,
        ),
    ] = None,
    redo: Annotated[
        bool,
        typer.Option(
            "--redo", help="Ask the model again even where it answered before (never touches the editor's blurbs)."
        ),
    ] = False,
) -> None:
    """Draft blurbs with the model CURATE_LLM_MODEL names, as suggestions for the editor.

    Prints one row per item on stdout (`drafted` or `earlier`, id, text) and a summary with
    the tokens used on stderr. The next export shows the suggestions; the editor's own
    blurbs are never replaced. Exit status: 0 done, 1 the model failed or an id is not in
    the next issue, 2 CURATE_LLM_MODEL is not set.
    """
    from datetime import datetime

    from pipeline import draft
    from pipeline.annotate import key_of

    s = settings()
    if not s.llm_model:
        fail(
            "CURATE_LLM_MODEL is not set: name an llm model (`llm models` lists them), e.g. CURATE_LLM_MODEL=gpt-4o-mini"
        )
    fmt = newsletter(s)
    store = open_store(s, must_exist=True)
    d = draft.prepare(store, now=datetime.now(UTC), caps=draft.caps_of(s), fmt=fmt)
    wanted = None
    if ids:
        resolved = store.resolve([key_of(i) for i in ids])
        shown = set(d.ids())
        missing = [given for given in ids if resolved[key_of(given)] not in shown]
        if missing:
            fail(
                f"not in issue {d.number}'s draft: {', '.join(missing)} (curate list shows what is stored)",
                EXIT_SOME_FAILED,
            )
        wanted = list(resolved.values())
    drafted = draft_with_model(store, s, d, wanted, redo)
    done = set(drafted.drafted)
    for item in (i for sec in d.doc.sections for i in sec.items):
        if item.annotation.suggested_blurb and (item.id in done or item.id in drafted.cached):
            _write_row(
                {
                    "state": "drafted" if item.id in done else "earlier",
                    "id": item.id,
                    "text": item.annotation.suggested_blurb.text,
                },
                RowFormat.table,
            )
    err = _err()
    say_drafted(drafted, err)
    if drafted.warning:
        raise typer.Exit(EXIT_SOME_FAILED)


@app.command()
def annotate(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="An edited draft: issue-<N>.md (with its anchors) or issue-<N>.json.")
    ],
) -> None:
    """Read the editor's edits back: blurbs, the TL;DR, items left out or moved, their order, the pick.

    The next export keeps them. An item the last export showed that the file no longer
    holds is left out. Exit status: 0 stored, 1 the file names an unknown id, is not a
    draft or is not the current issue (nothing changed), 2 a bad option or a file that
    cannot be read (missing, no permission).
    """
    from pipeline import annotate as notes

    s = settings()
    try:
        edits, data = notes.read(path, s.draft_max_bytes)
    except notes.UnreadableFile as exc:
        fail(str(exc))
    except notes.AnnotateError as exc:
        fail(str(exc), EXIT_SOME_FAILED)
    fmt = newsletter(s)
    store = open_store(s, must_exist=True)
    try:
        summary = notes.apply(store, s, edits, path, data, fmt=fmt)
    except notes.AnnotateError as exc:
        fail(f"{path}: {exc}", EXIT_SOME_FAILED)
    for item_id in summary.retitled:  # the title comes from the source: an edit would be lost silently
        _err().print(f"! {item_id}: title edits are not read back; the source's title stays", markup=False)
    pick = ", ".join(summary.picks) or "none"
    tldr = f" · {plural(summary.tldr, 'TL;DR line')} changed" if summary.tldr else ""
    _err().print(
        f"issue {summary.number}: {plural(summary.items, 'item')} read · {plural(summary.blurbs, 'blurb')} changed · "
        f"{summary.left_out} left out · {summary.moved} moved · pick: {pick}{tldr}",
        markup=False,
    )


class MarkStatus(StrEnum):
    shortlisted = "shortlisted"
    rejected = "rejected"
    candidate = "candidate"


def _complete_mark_status(incomplete: str) -> list[str]:
    return [k.value for k in MarkStatus if k.value.startswith(incomplete)]


@app.command()
def mark(
    items: Annotated[
        list[str], typer.Argument(metavar="ID...", help="Ids (arxiv:2512.07461) or links to stored items.")
    ],
    status: Annotated[
        str,
        typer.Option(
            "--status",
            metavar="STATUS",
            autocompletion=_complete_mark_status,
            help="shortlisted (first in its section), rejected (never in a draft), or candidate (undo).",
        ),
    ],
) -> None:
    """Triage items from the command line: shortlist or reject them.

    Exit status: 0 marked, 1 an id is not in the database (nothing changed), 2 a bad option.
    """
    from pipeline import annotate as notes
    from schemas import ItemStatus

    status_v = _choice(status, "--status", MarkStatus)
    store = open_store(settings(), must_exist=True)
    try:
        marked = notes.mark(store, items, ItemStatus(status_v.value))
    except notes.AnnotateError as exc:
        fail(str(exc), EXIT_SOME_FAILED)
    for item_id in marked:
        _out().print(item_id, markup=False)
    _err().print(f"{len(marked)} marked {status_v.value}", markup=False)


@app.command(context_settings={"ignore_unknown_options": True})  # so `-1` is a number to refuse, not an option
def publish(
    number: Annotated[
        int, typer.Argument(metavar="N", min=1, help="The issue number (the one the draft carries; the first is 1).")
    ],
) -> None:
    """Mark the included items of issue N published; the next draft starts after them.

    Publishes what the last export of issue N showed (with its annotations), not items
    stored since. Exit status: 0 published, 1 N is not the current draft or has none, 2 a bad option.
    """
    from datetime import datetime

    from pipeline import annotate as notes

    store = open_store(settings(), must_exist=True)
    try:
        done = notes.publish(store, number, datetime.now(UTC))
    except notes.AnnotateError as exc:
        fail(str(exc), EXIT_SOME_FAILED)
    for item_id in done.ids:
        _out().print(item_id, markup=False)
    after = f" (items first seen after {done.next_since:%Y-%m-%d %H:%M:%S} UTC)" if done.next_since else ""
    _err().print(
        f"issue {number} published: {plural(len(done.ids), 'item')}; the next draft is issue {number + 1}{after}",
        markup=False,
    )


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; any but loopback needs CURATE_SERVE_TOKEN.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).", min=0, max=65535)] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
) -> None:
    """The editor's page: triage candidates with the keyboard, order the draft, edit blurbs, export.

    The same store and rules as the commands. Exit status: 0 stopped, 2 a bad option or
    setting (a non-loopback --host without CURATE_SERVE_TOKEN, a port in use).
    """
    s = settings()
    open_store(s, must_exist=True, read_only=True).engine.dispose()  # refuse a missing, empty or foreign one now
    from pipeline.desk.serve import ServeError, run_server

    try:
        run_server(s, host, port, open_browser, say=lambda text: _err().print(_redact(text), markup=False))
    except ServeError as exc:
        fail(str(exc))


@app.command()
def search(
    query: Annotated[
        str | None, typer.Argument(metavar="QUERY", help="Words to find, all of them: `mixture of experts`.")
    ] = None,
    kind: KindFilter = None,
    status: StatusFilter = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="WHEN", help="Only items first seen since: a date (2026-11-17) or a duration back (30d)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, best first.")] = 50,
    featured: Annotated[
        bool,
        typer.Option(
            "--featured", help="What went out instead, issue by issue (QUERY optional): issue, id, kind, title."
        ),
    ] = False,
    fmt: ItemRowFormat = RowFormat.table,
) -> None:
    """Find stored items by title, authors, abstract or description, best match first."""
    from datetime import datetime

    from pipeline.draft import parse_since
    from schemas import ItemStatus, Kind

    kind_v = _choice(kind, "--kind", Kind)
    status_v = _choice(status, "--status", ItemStatus)
    since_v = None
    if since is not None:
        try:
            since_v = parse_since(since, datetime.now(UTC))
        except ValueError as exc:
            fail(f"--since: {exc}")
    if query is None and not featured:
        fail("curate search needs a QUERY (or --featured to list what went out)")
    if query is not None and not query.strip():
        fail("the query is empty: give words to find, e.g. curate search 'mixture of experts'")
    store = open_store(settings(), must_exist=True, read_only=True)
    from pipeline.store import StoreError

    try:
        items = (
            store.search(query, kind=kind_v, status=status_v, since=since_v, limit=None if featured else limit)
            if query is not None
            else None
        )
    except StoreError as exc:
        _db_fail(str(exc))
    if not featured:
        _print_items(items or [], fmt)
        return
    _print_featured(store, None if items is None else {i.id for i in items}, kind_v, fmt)


def _print_featured(store: Store, only: set[str] | None, kind: Any, fmt: RowFormat) -> None:
    """`curate search --featured`: each published issue's items, oldest issue first (issue, id, kind, title)."""
    issues = store.published_issues()
    labels = store.labels(i for issue in issues for i in issue.item_ids)
    shown = 0
    for issue in issues:
        for item_id in issue.item_ids:
            if item_id not in labels or (only is not None and item_id not in only):
                continue
            item_kind, title = labels[item_id]
            if kind is not None and item_kind != kind.value:
                continue
            shown += 1
            row: dict[str, Any] = {"issue": issue.number, "id": item_id, "kind": item_kind, "title": title}
            if fmt == RowFormat.json:
                row["published"] = issue.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
            _write_row(row, fmt)
    _err().print(f"{plural(shown, 'item')} in {plural(len(issues), 'published issue')}", markup=False)


db_app = typer.Typer(
    help="The database itself: its schema version, upgrades, and copying it to a server.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database's schema up to this curate's (commands that write do it by themselves)."""
    from pipeline.store import StoreError

    store = open_store(settings(), read_only=True)
    try:
        applied = store.upgrade()
    except StoreError as exc:
        _db_fail(str(exc))
    if applied:
        _err().print(f"upgraded the database to revision {applied[-1]}: {', '.join(applied)}", markup=False)
    else:
        _err().print(f"the database is already at revision {store.head()} (head)", markup=False)


@db_app.command("copy")
def db_copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="The empty database to copy into: postgresql+psycopg://user@host/db "
            "(a password is safer in PGPASSWORD or ~/.pgpass than in the URL).",
        ),
    ],
) -> None:
    """Copy this database (CURATE_DB) into an empty one, then check that every table's count matches."""
    from pipeline.store import Store, StoreError, _shown

    source = open_store(settings(), must_exist=True)
    try:
        target = Store(to)
        copied = source.copy_to(target)
    except StoreError as exc:
        fail(str(exc).replace("CURATE_DB", "--to"))
    expected = source.counts()
    wrong = [
        f"{name}: {expected[name]} in CURATE_DB, {copied[name]} copied"
        for name in expected
        if copied[name] != expected[name]
    ]
    if wrong:
        fail("the copy's counts differ: " + "; ".join(wrong), EXIT_SOME_FAILED)
    for name, n in expected.items():
        _write_row({"table": name, "rows": n}, RowFormat.table)
    _err().print(
        f"copied {_redact(_shown(settings().db))} to {_redact(_shown(to))}: "
        f"{plural(expected['item'], 'item')}, {plural(expected['metric'], 'metric snapshot')}, "
        f"{plural(expected['issue'], 'issue')}, {plural(expected['annotation'], 'annotation')}, "
        f"{plural(expected['feed_state'], 'feed')}; every table's count matches",
        markup=False,
    )


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision, and whether it is this curate's (changes nothing)."""
    from pipeline.store import BASELINE

    store = open_store(settings(), must_exist=True, read_only=True)
    revision, head = store.current(), store.head()
    if revision == head:
        label = "head"
    elif revision == BASELINE and not store.stamped():
        label = "curate 0.1"
    else:
        label = f"behind {head}: curate db upgrade, or any command that writes, brings it up"
    sys.stdout.write(f"{revision or 'none'} ({label})\n")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the export document."""
    from pipeline import draft

    sys.stdout.write(json.dumps(draft.json_schema(), indent=2) + "\n")


def _file_error(exc: BaseException) -> str | None:
    """One line for a folder or file curate cannot write (read-only drafts or lock folder), naming
    the setting behind it; a set-up problem, so exit status 2. None for anything else."""
    if not isinstance(exc, OSError) or not exc.filename:
        return None
    name = str(exc.filename)
    setting = ""
    if state.drafts_dir is not None and Path(name).resolve().is_relative_to(Path(state.drafts_dir).resolve()):
        setting = " (CURATE_DRAFTS_DIR)"
    elif name.endswith(".run.lock") or Path(name).name.startswith("curate-run-"):
        setting = _db_named(" (the run lock, beside CURATE_DB)")
    if isinstance(exc, (FileExistsError, NotADirectoryError)):  # a file where a folder must be (or be made)
        blocking = next((p for p in (Path(name), *Path(name).parents) if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            return f"{blocking} is a file, not a folder{setting}"
    return f"cannot write {name}{setting}: {exc.strerror or exc}"


def _storage_error(exc: BaseException) -> str | None:
    """One line for a database that failed mid-command (read-only, locked, full, damaged), else None."""
    # a command that never opened the database cannot fail in it: `--help` and usage errors
    # (click's Exit is an Exception too) must not import SQLAlchemy just to be told so
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(exc, errors.DBAPIError):
        return None
    from pipeline import preflight

    line = preflight.describe(exc, _redact(state.shown_db))
    return f"{_db_named(line)}; what was stored before is kept" if line else None


def main() -> None:
    """Console-script entry point: expected failures become one line, not a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        _sayer("curate")("interrupted", logging.WARNING)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # an unexpected bug: one line, and how to see more
        if state.debug:
            raise
        _error(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)")
        sys.exit(EXIT_SOME_FAILED)


if __name__ == "__main__":
    main()
