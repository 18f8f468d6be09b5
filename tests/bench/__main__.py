"""`make bench` (`python -m tests.bench`): run the cases and print the table.

    make bench                          # 1,000 links at 50 ms a request, the 50,000-item export
    make bench ARGS="--latency 0.1 --cases cold,fresh"
    make bench ARGS="--cases one,imports,help"   # where a single link's time goes

Beside each figure: the case's physical limit (the requests that must follow one another ×
latency, plus the interpreter's own start-up) and how many times that the figure is. For one
link, also the floor its libraries set: a bare interpreter importing every module the command
imported but curate's own, plus the requests; what is above it is curate's own code.

Scratch files and the archive database (built once, then reused) go to data/bench/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import sys
import time
from pathlib import Path

from tests.bench import archive
from tests.bench.harness import COUNTED, ROOT, SOURCES, Bench, Row, counts_of
from tests.bench.workload import make

CASES = ("one", "cold", "fresh", "naive", "export", "search", "serve", "help", "imports")
TARGETS = {
    "search_ms": 50.0,
    "one_wall": 0.5,
    "cold_wall": 3.0,
    "speedup": 20.0,
    "fresh_requests": 0,
    "fresh_wall": 0.5,
    "export_wall": 2.0,
    "export_mb": 300.0,
    "help_wall": 0.15,
    "serve_wall": 0.1,
}


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    import os

    return f"{os.cpu_count()} × {cpu}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def load() -> str:
    import os

    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def archive_db(folder: Path, items: int) -> tuple[Path, dict[str, int]]:
    """The archive database, rebuilt only when its recipe or the store's tables changed."""
    from sqlalchemy.schema import CreateTable

    from pipeline.store import SQLModel

    recipe = (
        Path(archive.__file__).read_bytes()
        + "".join(str(CreateTable(t)) for t in SQLModel.metadata.sorted_tables).encode()
    )
    stamp = hashlib.sha256(recipe).hexdigest()[:12]
    path = folder / f"archive-{items}-{stamp}.db"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())
    for old in folder.glob(f"archive-{items}-*"):
        old.unlink()
    print(f"building the archive database ({items:,} items, a year of snapshots; once)…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    counts = archive.build(path, items)
    meta.write_text(json.dumps(counts))
    print(f"  built in {time.perf_counter() - started:.0f} s: {counts}", file=sys.stderr, flush=True)
    return path, counts


def fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    head = ("case", "links", "requests", "req/link", "wall s", "limit s", "× limit", "cpu s", "peak MB")
    body = [
        (
            r.case,
            fmt(r.links, ","),
            fmt(r.requests, ","),
            fmt(r.per_link, ".3f"),
            fmt(r.wall, ".2f"),
            fmt(r.limit, ".2f"),
            fmt(r.wall / r.limit if r.limit else None, ".1f"),
            fmt(r.cpu, ".2f"),
            fmt(r.peak_mb, ".0f"),
        )
        for r in rows
    ]
    return grid(head, body)


def floor_table(rows: list[Row], latency: float) -> str:
    """Where one link's time goes: the libraries' floor (a bare interpreter importing what the
    command imported, but none of curate's modules), the requests, and what is left: curate's own
    imports and work."""
    head = ("one link", "wall s", "libraries s", "requests s", "floor s", "curate's own s")
    body = []
    for r in rows:
        libraries, waiting = r.libraries or 0.0, (r.requests or 0) * latency
        floor = libraries + waiting
        body.append(
            (
                r.case,
                fmt(r.wall, ".2f"),
                fmt(libraries, ".2f"),
                fmt(waiting, ".2f"),
                fmt(floor, ".2f"),
                fmt(r.wall - floor, ".2f"),
            )
        )
    return grid(head, body)


def import_table(imports: dict[str, dict[str, float]]) -> str:
    """Milliseconds of import per module group (rows) and command (columns), biggest first."""
    commands = list(imports)
    groups = sorted(
        {g for by_group in imports.values() for g in by_group},
        key=lambda g: -max(by_group.get(g, 0) for by_group in imports.values()),
    )
    head = ("imports, ms", *commands)
    body = [(g, *(fmt(imports[c].get(g), ".0f") for c in commands)) for g in groups]
    body.append(("total", *(fmt(sum(imports[c].values()), ".0f") for c in commands)))
    return grid(head, body)


def grid(head: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    line = lambda cells: (
        "| "
        + " | ".join(  # noqa: E731
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        + " |"
    )
    sep = "|" + "|".join(("-" * (w + 1)) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(head), sep, *(line(b) for b in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1000, help="links in the ingest cases (default 1000)")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds the replay server waits per request (default 0.05)"
    )
    parser.add_argument("--archive-items", type=int, default=50_000, help="items in the export case's database")
    parser.add_argument("--serve-items", type=int, default=5_000, help="candidates in the serve case's database")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each case but naive; the median is shown (default 3)"
    )
    parser.add_argument("--help-runs", type=int, default=7, help="fresh processes for the --help and start-up medians")
    parser.add_argument(
        "--folder", type=Path, default=ROOT / "data" / "bench", help="scratch folder (default data/bench)"
    )
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON lines")
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    args.folder.mkdir(parents=True, exist_ok=True)
    results, imports, startup = run(cases, args)
    print(
        f"\nmachine: {machine()}; load average {load()}\n"
        f"latency {args.latency * 1000:.0f} ms a request, arXiv delay 0; wall and cpu: median of {args.repeat} runs\n"
        f"limit: requests that must follow one another × latency + the interpreter's start-up ({startup:.3f} s)\n"
    )
    print(table([r for _, r in results]))
    print()
    ones = [r for key, r in results if key.startswith("one-")]
    if ones:
        print(floor_table(ones, args.latency))
        print()
    if imports:
        print(import_table(imports))
        print()
    print(verdict(dict(results), args))
    if args.json:
        for key, r in results:
            print(
                json.dumps(
                    {
                        "key": key,
                        "case": r.case,
                        "links": r.links,
                        "requests": r.requests,
                        "wall": round(r.wall, 4),
                        "limit": None if r.limit is None else round(r.limit, 4),
                        "libraries": None if r.libraries is None else round(r.libraries, 4),
                        "peak_mb": round(r.peak_mb or 0, 1),
                        "by_source": r.by_source,
                        "summary": r.summary,
                    }
                )
            )
        if imports:
            print(
                json.dumps(
                    {
                        "key": "imports",
                        "ms": {c: {g: round(v, 1) for g, v in by_group.items()} for c, by_group in imports.items()},
                    }
                )
            )
    return 0


def run(cases: list[str], args: argparse.Namespace) -> tuple[list[tuple[str, Row]], dict[str, dict[str, float]], float]:
    """The rows of `cases`, the import table's columns, and the interpreter's start-up in seconds."""
    work = make(args.links)
    bench = Bench(work, args.latency, args.folder)
    results: list[tuple[str, Row]] = []
    imports: dict[str, dict[str, float]] = {}
    try:
        startup = bench.startup(args.help_runs)
        from connectors.huggingface import WORKERS

        serial = work.serial(hf_workers=WORKERS)
        if "one" in cases:
            for source in SOURCES:
                row = bench.one(source, args.repeat)
                row.limit = startup + (row.requests or 0) * args.latency  # one link: its requests follow one another
                results.append((f"one-{source}", row))
        if "cold" in cases or "fresh" in cases:
            row = bench.ingest(f"ingest {work.size:,} links, cold", args.repeat, cold=True)
            row.limit = startup + max(serial.values()) * args.latency
            results.append(("cold", row))
        if "fresh" in cases:
            row = bench.ingest(f"ingest the same {work.size:,} again, fresh", args.repeat)
            row.limit = startup + (row.requests or 0) * args.latency
            results.append(("fresh", row))
        if "naive" in cases:
            results.append(("naive", bench.naive()))
        if "export" in cases:
            db, counts = archive_db(args.folder, args.archive_items)
            work_db = args.folder / "export.db"
            shutil.copyfile(db, work_db)  # an export records the draft in the database: keep the archive clean
            label = f"export: {counts['items']:,} items, {counts['snapshots'] / 1e6:.1f} M snapshots"
            try:
                results.append(("export", bench.export(work_db, label, counts["items"], args.repeat)))
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work_db}{suffix}").unlink(missing_ok=True)
        if "search" in cases:
            db, counts = archive_db(args.folder, args.archive_items)
            results.append(("search", search_case(db, counts["items"], max(args.repeat, 5))))
        if "serve" in cases:
            from tests.bench import serve

            results.append(("serve", serve.measure(args.folder, args.serve_items, args.repeat)))
        if "help" in cases:
            row = bench.help(args.help_runs)
            row.limit = startup
            results.append(("help", row))
        if "imports" in cases:
            imports["--help"] = bench.imports(["--help"])
            for source, link in work.one(int(bench.replay.url.rsplit(":", 1)[1])).items():
                imports[f"ingest {source}"] = bench.imports(["ingest", link])
    finally:
        bench.close()
    for _, row in results:
        print(f"{row.case}: {row.summary}", file=sys.stderr)
    return results, imports, startup


SEARCHES = ("sparse attention", "retrieval", "Paper 31330", "lectures course", "nothing matches this")
"""Queries timed on the archive: words in 40 % of the titles, in every paper, in one, none."""


def search_case(db: Path, items: int, repeat: int) -> Row:
    """`curate search` on the archive: the slowest query's median wall and cpu time through `Store.search`."""
    import statistics

    from pipeline.store import Store

    store = Store(str(db), upgrade=False)
    slowest, slowest_cpu, found = 0.0, 0.0, {}
    store.search(SEARCHES[0])  # the index's pages read once: a database in use, not one just copied
    for query in SEARCHES:
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            hits = store.search(query)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        found[query] = len(hits)
        slowest = max(slowest, statistics.median(times))
        slowest_cpu = max(slowest_cpu, statistics.median(cpu))
    summary = ", ".join(f"{q!r} {n}" for q, n in found.items())
    return Row(
        case=f"search: {items:,} items, slowest of {len(SEARCHES)} queries",
        links=items,
        requests=None,
        wall=slowest,
        cpu=slowest_cpu,
        peak_mb=None,
        summary=f"hits (at most 50): {summary}",
    )


def verdict(rows: dict[str, Row], args: argparse.Namespace) -> str:  # noqa: C901 - a line per target, in the issues' order
    """Each figure against the issues' targets (#9, #20); only meaningful at 1,000 links and 50 ms."""
    out: list[str] = []
    work = make(args.links)

    def check(label: str, value: float, target: float, unit: str, higher_is_better: bool = False) -> None:
        ok = value >= target if higher_is_better else value <= target
        sign = "≥" if higher_is_better else "≤"
        out.append(f"{'met   ' if ok else 'MISSED'} {label}: {value:{unit}} (target {sign} {target:{unit}})")

    cold, fresh, naive = rows.get("cold"), rows.get("fresh"), rows.get("naive")
    for source in SOURCES:
        one = rows.get(f"one-{source}")
        if one is not None:
            if one.summary != "1 stored":
                out.append(f"  note: the {source} link was not stored: {one.summary}")
            if abs(args.latency - 0.05) < 1e-9:
                check(f"one {source} link wall s", one.wall, TARGETS["one_wall"], ".2f")
                if one.libraries is not None:
                    floor = one.libraries + (one.requests or 0) * args.latency
                    out[-1] += f"; floor {floor:.2f} s, of which importing its libraries {one.libraries:.2f} s"
    if cold is not None:
        expected = work.expected()
        out.append(
            "cold requests by source (made / fewest the APIs allow): "
            + ", ".join(f"{s} {cold.by_source.get(s, 0)}/{expected[s]}" for s in COUNTED)
        )
        from connectors.huggingface import WORKERS

        out.append(
            "cold requests that must follow one another, by source: "
            + ", ".join(f"{s} {n}" for s, n in work.serial(hf_workers=WORKERS).items())
            + f" (the longest, × {args.latency * 1000:.0f} ms, is the limit)"
        )
        outcome = counts_of(cold.summary)
        if outcome.get("stored", 0) != work.size:
            out.append(f"  note: not every link was stored: {cold.summary}")
        scale = args.links == 1000 and abs(args.latency - 0.05) < 1e-9
        if scale:
            check("cold requests", cold.requests or 0, sum(expected.values()), "d")
            check("cold wall s", cold.wall, TARGETS["cold_wall"], ".2f")
    if naive is not None and cold is not None and cold.wall:
        ratio = naive.wall / cold.wall
        out.append(
            f"naive / curate wall time: {ratio:.1f}× ({naive.wall:.1f} s / {cold.wall:.2f} s; "
            f"requests {naive.requests} / {cold.requests})"
        )
        if args.links == 1000:
            check("speed-up over naive", ratio, TARGETS["speedup"], ".1f", higher_is_better=True)
    if fresh is not None:
        check("fresh requests", fresh.requests or 0, TARGETS["fresh_requests"], "d")
        check("fresh wall s", fresh.wall, TARGETS["fresh_wall"], ".2f")
    export = rows.get("export")
    if export is not None:
        out.append(f"export: {export.summary}")
        check("export wall s", export.wall, TARGETS["export_wall"], ".2f")
        check("export peak MB", export.peak_mb or 0, TARGETS["export_mb"], ".0f")
    serve_row = rows.get("serve")
    if serve_row is not None:
        out.append(f"serve: {serve_row.summary}; wall {serve_row.wall:.3f} s (waits for a CPU on a busy machine)")
        check("serve candidates page cpu s", serve_row.cpu or 0, TARGETS["serve_wall"], ".3f")
    search_row = rows.get("search")
    if search_row is not None:
        out.append(
            f"search: {search_row.summary}; wall {search_row.wall * 1000:.1f} ms (waits for a CPU on a busy machine)"
        )
        check(
            f"search cpu ms ({args.archive_items:,} items)", (search_row.cpu or 0) * 1000, TARGETS["search_ms"], ".1f"
        )
    help_row = rows.get("help")
    if help_row is not None:
        check("--help wall s", help_row.wall, TARGETS["help_wall"], ".2f")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
