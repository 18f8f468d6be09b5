"""The `curate` command as a user runs it: rows, one-line errors, exit statuses, files."""

from __future__ import annotations

import json
import re
import sqlite3

import jsonschema

from pipeline.store import Store
from tests.conftest import InProcessCli as InProcess
from tests.replay.server import Response

PAPERS = ["https://arxiv.org/abs/2512.07461", "arxiv.org/pdf/2511.13945v2", "2512.08296"]


def test_ingest_prints_a_row_per_link_and_a_summary(curate, replay):
    result = curate("ingest", *PAPERS)
    assert result.returncode == 0
    rows = result.stdout.splitlines()
    assert rows[0].split("\t") == [
        "stored",
        "arxiv:2512.07461",
        "paper",
        "Sparse Mixture-of-Experts Routing with Learned Capacity for Long-Context Language Models",
    ]
    assert len(rows) == 3
    assert result.stderr.strip().splitlines()[-1].startswith("3 stored")


def test_not_a_link_is_a_usage_error_naming_the_input(curate, replay):
    result = curate("ingest", "not-a-link")
    assert result.returncode == 2
    assert "✗ not-a-link  not a link: give an http(s) URL or an arXiv id such as 2512.07461" in result.stderr
    assert "Traceback" not in result.stderr
    assert replay.count("") == 0


def test_an_unknown_id_fails_alone_and_the_others_are_stored(curate, replay):
    result = curate("ingest", "2512.99999", *PAPERS, "ftp://example.com/x")
    assert result.returncode == 1
    assert "✗ 2512.99999  not found on arXiv" in result.stderr
    assert "✗ ftp://example.com/x  ftp: links are not supported, only http and https" in result.stderr
    assert "1 refused" in result.stderr and "3 stored" in result.stderr and "1 not found" in result.stderr
    assert replay.count(r".*/api/query") == 1
    assert len(curate("list", "--kind", "paper", "--format", "json").stdout.splitlines()) == 3


def test_a_server_error_or_malformed_answer_loses_nothing_already_stored(curate, replay):
    assert curate("ingest", *PAPERS).returncode == 0
    for fault in (
        Response(status=500, body="oops", content_type="text/plain"),
        Response(body="<feed><entry>", content_type="application/atom+xml"),
    ):
        replay.fault(r".*/api/query", fault)
        result = curate("ingest", "--refresh", "2512.07461")
        assert result.returncode == 1
        (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("✗")]
        assert line.startswith("✗ 2512.07461  ")
        assert "Traceback" not in result.stderr
    show = json.loads(curate("show", "2512.07461").stdout)
    assert show["title"].startswith("Sparse Mixture-of-Experts")
    assert len(curate("list", "--kind", "paper", "--format", "json").stdout.splitlines()) == 3


def test_a_fresh_link_costs_no_request_and_refresh_fetches_it_again(curate, replay):
    curate("ingest", *PAPERS)
    replay.reset()
    again = curate("ingest", *PAPERS)
    assert again.returncode == 0 and replay.count("") == 0
    assert again.stdout.startswith("fresh\tarxiv:2512.07461\t") and "3 fresh" in again.stderr
    refreshed = curate("ingest", "--refresh", "2512.07461")
    assert refreshed.returncode == 0 and replay.count(r".*/api/query") == 1
    assert json.loads(curate("show", "arxiv:2512.07461").stdout)["fetch_count"] == 2


def test_links_are_taken_from_a_markdown_file_and_from_stdin(curate, replay, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# Ideas\n- [MoE](https://arxiv.org/abs/2512.07461)\n- <a href='https://arxiv.org/pdf/2511.13945'>pdf</a>\n"
    )
    assert curate("ingest", "--file", str(notes)).returncode == 0
    piped = curate("ingest", "--file", "-", input="https://arxiv.org/abs/2512.07461\n2512.08296\n")
    assert piped.returncode == 0
    assert piped.stdout.splitlines()[1].startswith("stored\tarxiv:2512.08296\t")  # a bare id beside a URL is taken too
    assert len(curate("list", "--kind", "paper", "--format", "json").stdout.splitlines()) == 3


def test_a_missing_file_is_a_one_line_error(curate, tmp_path):
    result = curate("ingest", "--file", str(tmp_path / "nope.md"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: cannot read {tmp_path / 'nope.md'}: No such file or directory"


def test_a_file_that_is_not_text_or_too_big_is_refused_unread_past_the_cap(curate, tmp_path, monkeypatch):
    import pipeline.cli

    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR https://arxiv.org/abs/2512.07461")
    result = curate("ingest", "--file", str(binary))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {binary} is not a text file (it holds NUL bytes): give a text, Markdown or HTML file of links\n"
    )
    assert curate("ingest", "--file", "/dev/zero").returncode == 2  # endless: read up to the cap only
    monkeypatch.setattr(pipeline.cli, "LINKS_FILE_MAX_BYTES", 100)
    big = tmp_path / "links.txt"
    big.write_text("https://arxiv.org/abs/2512.07461\n" * 10)
    result = curate("ingest", "--file", str(big))
    assert (result.returncode, result.stderr) == (2, f"error: {big} is over 0 MB: not a list of links\n")


def test_a_utf16_file_from_windows_notepad_is_read(curate, replay, tmp_path):
    notes = tmp_path / "links.txt"
    notes.write_text("https://arxiv.org/abs/2512.07461\r\n", encoding="utf-16")  # with its byte order mark
    result = curate("ingest", "--file", str(notes))
    assert result.returncode == 0 and result.stdout.startswith("stored\tarxiv:2512.07461\t")


def test_what_the_user_typed_is_echoed_without_its_control_characters(curate):
    result = curate("ingest", "not\x1b[2Ja-link", "\u202eknil")
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "✗ not\\x1b[2Ja-link  not a link" in result.stderr
    assert "✗ \\u202eknil  not a link" in result.stderr


def test_show_accepts_a_link_and_says_when_an_item_is_not_stored(curate, replay):
    curate("ingest", "2512.07461")
    item = json.loads(curate("show", "https://arxiv.org/pdf/2512.07461v1").stdout)
    assert item["id"] == "arxiv:2512.07461" and item["record"]["authors"][0] == "Zoë Müller-Łukasiewicz"
    assert curate("show", "--payload", "2512.07461").stdout.startswith("<entry")
    missing = curate("show", "2511.13945")
    assert missing.returncode == 1 and "2511.13945: not in the database" in missing.stderr


def test_export_json_follows_the_schema_that_curate_schema_prints(curate, replay, tmp_path):
    curate("ingest", *PAPERS)
    schema = json.loads(curate("schema").stdout)
    doc = json.loads(curate("export", "--format", "json", "--output", "-").stdout)
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == 1
    papers = next(s for s in doc["sections"] if s["key"] == "papers")
    assert {i["id"] for i in papers["items"]} == {"arxiv:2512.07461", "arxiv:2511.13945", "arxiv:2512.08296"}
    moe = next(i for i in papers["items"] if i["id"] == "arxiv:2512.07461")
    assert moe["links"]["pdf"] == "https://arxiv.org/pdf/2512.07461v2"
    assert moe["links"]["code"] == ["https://github.com/curate-fixtures/moe-capacity"]
    assert moe["published"] == "2025-12-08T11:39:43Z"


def test_the_schema_names_its_dialect_and_id_and_lets_fields_be_added(curate, replay):
    curate("ingest", *PAPERS)
    schema = json.loads(curate("schema").stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:curate:export:schema_version:1"
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(curate("export", "--format", "json", "--output", "-").stdout)
    # a later curate adds fields (DESIGN: fields may be added without a new schema_version)
    doc["publisher"] = "AI Weekly"
    doc["issue"]["subtitle"] = "new field"
    item = doc["sections"][0]["items"][0]
    item["featured_in"] = [12]
    item["annotation"]["reviewed_by"] = "m"  # annotation.suggested_blurb is a field now; another may follow
    jsonschema.Draft202012Validator(schema).validate(doc)
    doc["schema_version"] = 2  # but a renamed or removed field bumps the version, which readers check
    assert not jsonschema.Draft202012Validator(schema).is_valid(doc)


def test_export_writes_json_and_markdown_under_the_drafts_dir(curate, replay, tmp_path):
    curate("ingest", *PAPERS)
    result = curate("export")
    assert result.returncode == 0
    paths = result.stdout.split()
    assert [p.rsplit(".", 1)[1] for p in paths] == ["json", "md"]
    assert all(p.startswith(str(tmp_path / "drafts")) for p in paths)


def test_a_bad_setting_is_named(curate):
    result = curate("list", extra_env={"CURATE_MAX_AGE": "soon"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: bad setting: CURATE_MAX_AGE:")
    assert "Traceback" not in result.stderr


def test_a_database_from_a_newer_curate_is_refused(curate, env):
    Store(env["CURATE_DB"])
    with sqlite3.connect(env["CURATE_DB"]) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    result = curate("ingest", "2512.07461")
    assert result.returncode == 2
    assert "has schema version 99, newer than this curate understands" in result.stderr


def test_help_explains_every_command(curate):
    top = curate("--help").stdout
    for command in ("ingest", "list", "show", "export", "schema"):
        assert command in top
        assert curate(command, "--help").returncode == 0


def test_credentials_never_reach_output_or_the_database(curate, replay, env):
    secrets = {"GITHUB_TOKEN": "ghp_SECRETgithubtoken123", "YOUTUBE_API_KEY": "AIzaSECRETyoutubekey456"}
    result = curate(
        "ingest",
        *PAPERS,
        "https://github.com/GokuMohandas/Made-With-ML",
        "https://youtu.be/Mw3kR7tYp2Q",
        "--refresh",
        extra_env=secrets,
    )
    assert result.returncode == 0, result.stderr
    # both credentials were really used, so the test would see them if they leaked
    assert any(r.headers.get("authorization", "").endswith(secrets["GITHUB_TOKEN"]) for r in replay.requests)
    assert any(r.headers.get("x-goog-api-key") == secrets["YOUTUBE_API_KEY"] for r in replay.requests)
    shown = curate("--verbose", "--debug", "show", "2512.07461", extra_env=secrets)
    exported = curate("export", "--format", "json", "--output", "-", extra_env=secrets)
    text = result.stdout + result.stderr + shown.stdout + shown.stderr + exported.stdout
    db = open(env["CURATE_DB"], "rb").read()
    for secret in secrets.values():
        assert secret not in text
        assert secret.encode() not in db


def test_a_database_that_cannot_be_opened_is_a_one_line_error_naming_curate_db(curate, tmp_path):
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are notes, not a database")
    for db, reason in [
        (str(not_a_db), "file is not a database"),
        (
            "postgresql+psycopg://editor:hunter2@127.0.0.1:1/curate",
            "cannot open the database postgresql+psycopg://editor:***@127.0.0.1:1/curate (CURATE_DB): "
            "connection failed",
        ),
        ("mysql://editor:hunter2@127.0.0.1:1/curate", "cannot use the database URL mysql://editor:***@"),
    ]:
        result = curate("list", extra_env={"CURATE_DB": db})
        assert result.returncode == 2
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and "(CURATE_DB)" in line and reason in line
        assert "hunter2" not in result.stderr


def test_bad_endpoints_and_padded_credentials_are_settled_before_any_request(curate, replay):
    bad = curate("ingest", "2512.07461", extra_env={"CURATE_ARXIV_API_URL": "notaurl"})
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: bad setting: CURATE_ARXIV_API_URL: 'notaurl' is not an http(s) URL"
    padded = curate("ingest", "2512.07461", extra_env={"GITHUB_TOKEN": "ghp_fromAnEnvFile\n"})
    assert padded.returncode == 0


def _ingest_in_a_terminal(curate_process, columns: int, stdout_too: bool) -> tuple[int, bytes, bytes]:
    """`curate ingest PAPERS` with stderr on a pseudo-terminal (and stdout too when `stdout_too`,
    else a pipe): its exit status, what reached the pipe, and every byte the terminal got."""
    import os
    import pty
    import subprocess
    import threading

    from tests.conftest import CURATE, ROOT

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env.update(curate_process.env, TERM="xterm-256color", COLUMNS=str(columns), LINES="40")
    proc = subprocess.Popen(
        [CURATE, "ingest", *PAPERS],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_too else subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    screen = bytearray()

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the command closed its end
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    stdout, _ = proc.communicate(timeout=60)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, stdout or b"", bytes(screen)


def test_rows_reach_a_pipe_while_stderr_is_a_terminal(curate_process, replay):
    """`curate ingest … | tee rows.txt` in a terminal: the bar draws on stderr, the rows go down the pipe."""
    returncode, stdout, screen = _ingest_in_a_terminal(curate_process, 100, stdout_too=False)
    assert returncode == 0
    rows = stdout.decode().splitlines()
    assert [row.split("\t")[:2] for row in rows] == [
        ["stored", "arxiv:2512.07461"],
        ["stored", "arxiv:2511.13945"],
        ["stored", "arxiv:2512.08296"],
    ]
    terminal = screen.decode(errors="replace")
    assert "3 stored" in terminal and "arxiv:2512.07461" not in terminal


def test_rows_and_the_progress_bar_share_a_terminal_without_running_together(curate_process, replay):
    """`curate ingest …` typed in a terminal: stdout and stderr are the same screen; every row
    is a line of its own and the bar is gone at the end (read through a terminal emulator)."""
    import pyte

    returncode, _, screen_bytes = _ingest_in_a_terminal(curate_process, 120, stdout_too=True)
    assert returncode == 0
    screen = pyte.Screen(120, 40)
    pyte.ByteStream(screen).feed(screen_bytes)
    lines = [line.rstrip() for line in screen.display if line.strip()]
    rows = [line for line in lines if "arxiv:" in line]
    assert [row.split()[:2] for row in rows] == [
        ["stored", "arxiv:2512.07461"],
        ["stored", "arxiv:2511.13945"],
        ["stored", "arxiv:2512.08296"],
    ]
    assert not any("ingesting" in line for line in lines)  # the bar drew above nothing and left no trace
    assert lines[-1].startswith("3 stored")


def test_ids_in_rows_feed_curate_mark(curate, replay):
    rows = curate("ingest", *PAPERS).stdout.splitlines()
    ids = [row.split("\t")[1] for row in rows]  # cut -f2
    marked = curate("mark", "--status", "shortlisted", *ids)
    assert marked.returncode == 0 and sorted(marked.stdout.split()) == sorted(ids)
    assert marked.stderr == "3 marked shortlisted\n"


def test_json_lines_hold_every_field_of_the_table(curate, replay):
    ingested = [json.loads(line) for line in curate("ingest", "--format", "json", *PAPERS).stdout.splitlines()]
    assert ingested[0] == {
        "status": "stored",
        "id": "arxiv:2512.07461",
        "kind": "paper",
        "title": "Sparse Mixture-of-Experts Routing with Learned Capacity for Long-Context Language Models",
        "input": "https://arxiv.org/abs/2512.07461",
    }
    listed = [json.loads(line) for line in curate("list", "--kind", "paper", "--format", "json").stdout.splitlines()]
    table = curate("list", "--kind", "paper").stdout.splitlines()
    assert table[0].split() == ["id", "kind", "status", "title", "fetched"]
    assert len(listed) == len(table) - 1 == 3
    for row in listed:
        assert set(row) == {"id", "kind", "status", "title", "fetched", "url"}
        assert row["fetched"].endswith("Z")
        line = next(t for t in table if t.startswith(row["id"] + " "))
        assert row["title"] in line and row["fetched"][:16].replace("T", " ") in line
    shown = curate("show", "--format", "json", "2512.07461").stdout
    assert shown.count("\n") == 1 and json.loads(shown)["id"] == "arxiv:2512.07461"


def test_log_format_json_makes_every_ingest_line_on_stderr_a_record(curate, replay):
    result = curate("--log-format", "json", "ingest", "2512.99999", "2512.08296")
    assert result.returncode == 1
    assert result.stdout.startswith("stored\tarxiv:2512.08296\t")
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(r["level"], r["message"]) for r in records] == [
        ("error", "✗ 2512.99999  not found on arXiv"),
        ("warning", "1 not found · 1 stored"),
    ]


def test_a_long_title_folds_and_an_id_is_never_cut(curate, replay):
    curate("ingest", *PAPERS)
    piped = curate("list", extra_env={"COLUMNS": "60"})
    # piped: whole lines whatever the width, so grep and cut see every title in full
    assert "Sparse Mixture-of-Experts Routing with Learned Capacity for Long-Context Language Models" in piped.stdout
    for columns in ("60", "90"):  # a terminal (rich reads TTY_COMPATIBLE) narrower than the longest title
        shown = curate("list", extra_env={"COLUMNS": columns, "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}).stdout
        lines = [line.split() for line in shown.splitlines()]
        ids = [words[0] for words in lines if words and ":" in words[0]]
        assert sorted(ids) == [
            "arxiv:2511.13945",
            "arxiv:2512.07461",
            "arxiv:2512.08296",
            "github:curate-fixtures/moe-capacity",
        ]
        assert (
            "Long-Context" in shown
            and "Sparse Mixture-of-Experts Routing with Learned Capacity for Long-Context" not in shown
        )


def test_a_wrong_choice_names_the_valid_ones(curate):
    result = curate("list", "--kind", "papers")
    assert result.returncode == 2
    assert result.stderr == "error: --kind: 'papers' is not one of paper, video, playlist, repo, article\n"
    result = curate("list", "--status", "draft")
    assert result.stderr == "error: --status: 'draft' is not one of candidate, shortlisted, rejected, published\n"


def test_text_from_users_is_never_markup_or_emoji(curate, env):
    Store(env["CURATE_DB"])
    result = curate("show", "nope:x:")
    assert result.returncode == 1
    assert result.stderr.startswith("error: nope:x:: not in the database")


def test_read_only_commands_on_a_missing_database_create_nothing(curate, tmp_path):
    missing = tmp_path / "typo" / "curat.db"
    for args in (
        ["list"],
        ["show", "2512.07461"],
        ["export", "--output", "-", "--format", "json"],
        ["mark", "--status", "rejected", "arxiv:2512.07461"],
        ["publish", "1"],
    ):
        result = curate(*args, extra_env={"CURATE_DB": str(missing)})
        assert (result.returncode, result.stdout) == (2, ""), args
        assert result.stderr == f"error: no database at {missing} (CURATE_DB); curate ingest or curate run creates it\n"
    assert not missing.parent.exists()


def test_read_only_commands_refuse_an_empty_or_foreign_sqlite_file_untouched(curate, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    before = foreign.read_bytes()
    said = {
        empty: "is empty; curate ingest or curate run creates its tables",
        foreign: "is not a curate database (it has a table: notes); point --db at another file",
    }
    for db in (empty, foreign):
        for args in (["list"], ["show", "x"], ["search", "mixture"]):
            result = curate("--db", str(db), *args)
            assert (result.returncode, result.stdout) == (2, ""), (db, args)
            assert result.stderr == f"error: the database {db} (--db) {said[db]}\n"
    assert empty.read_bytes() == b"" and foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "foreign.db"]  # no -wal or -shm beside them


def test_version_and_help_without_type_names(curate):
    from importlib.metadata import version

    assert curate("--version").stdout == f"curate {version('curate')}\n"
    assert "--install-completion" in curate("--help").stdout
    import typer.main

    from pipeline.cli import app

    def commands(group, path: list[str]) -> list[list[str]]:  # every command, and those of groups (curate db …)
        found = [path]
        for name, command in getattr(group, "commands", {}).items():
            found += commands(command, [*path, name])
        return found

    for command in commands(typer.main.get_command(app), []):
        text = curate(*command, "--help").stdout
        assert not re.search(r"<(bool|str|int|float|path|list\[[a-z]+\])>", text), (command, text)


def test_a_dot_env_file_in_the_working_directory_is_read(curate, replay, env, tmp_path, monkeypatch):
    from pipeline.config import Settings

    monkeypatch.setitem(Settings.model_config, "env_file", ".env")
    monkeypatch.chdir(tmp_path)
    env_db = tmp_path / "from-dot-env.db"
    (tmp_path / ".env").write_text(f"CURATE_DB={env_db}\nGITHUB_TOKEN=ghp_fromDotEnv\n")
    settings = {k: v for k, v in env.items() if k != "CURATE_DB"}
    result = InProcess(settings)("ingest", "https://github.com/GokuMohandas/Made-With-ML")
    assert result.returncode == 0, result.stderr
    assert env_db.exists()
    assert any(r.headers.get("authorization", "").endswith("ghp_fromDotEnv") for r in replay.requests)
    assert "ghp_fromDotEnv" not in result.stdout + result.stderr


def test_shell_completion_of_the_installed_command(curate_process):
    """The completion script names the real program, so this one runs the installed `curate`."""
    script = curate_process("--show-completion", "bash", extra_env={"SHELL": "/bin/bash"})
    assert script.returncode == 0 and "_CURATE_COMPLETE=complete_bash" in script.stdout
    completed = curate_process(
        extra_env={"_CURATE_COMPLETE": "complete_bash", "COMP_WORDS": "curate li", "COMP_CWORD": "1"}
    )
    assert completed.stdout.split() == ["list"]
    kinds = curate_process(
        extra_env={"_CURATE_COMPLETE": "complete_bash", "COMP_WORDS": "curate list --kind p", "COMP_CWORD": "3"}
    )
    assert kinds.stdout.split() == ["paper", "playlist"]


def test_library_retry_warnings_show_only_with_verbose(curate):
    down = {"CURATE_GITHUB_API_URL": "http://127.0.0.1:9"}  # nothing listens on the discard port
    result = curate("ingest", "https://github.com/a/b", extra_env=down)
    assert result.returncode == 1
    assert "✗ https://github.com/a/b  could not connect to GitHub" in result.stderr
    assert "urllib3" not in result.stderr and "Retrying" not in result.stderr
    verbose = curate("--verbose", "ingest", "https://github.com/a/b", extra_env=down)
    assert verbose.stderr.count("WARNING urllib3.connectionpool: Retrying") == 3  # total=2 retries after the first try


def test_database_errors_name_the_option_the_user_gave(curate, tmp_path):
    missing = tmp_path / "x.db"
    result = curate("--db", str(missing), "list")
    assert (result.returncode, result.stderr) == (
        2,
        f"error: no database at {missing} (--db); curate ingest or curate run creates it\n",
    )
    foreign = tmp_path / "f.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    result = curate("--db", str(foreign), "show", "x")
    assert (
        result.returncode == 2
        and "(--db) is not a curate database" in result.stderr
        and "point --db at another file" in result.stderr
    )
    result = curate("list", extra_env={"CURATE_DB": str(missing)})
    assert result.stderr == f"error: no database at {missing} (CURATE_DB); curate ingest or curate run creates it\n"


def test_the_interrupted_line_counts_fresh_links_apart_from_stored_ones(monkeypatch):
    import pipeline.cli as cli
    from pipeline.ingest import Outcome, Status

    said: list[str] = []
    monkeypatch.setattr(cli, "_exit_interrupted", lambda line, say: said.append(line))
    seen = [Outcome("a", Status.stored), Outcome("b", Status.fresh), Outcome("c", Status.failed)]
    cli._interrupted(seen, lambda text, level: None, "1 not fetched")
    assert said == ["interrupted: 1 stored, 1 fresh, 1 failed, 1 not fetched"]
