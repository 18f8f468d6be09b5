"""What curate says on stderr when something is wrong: one line, naming what the user set,
a JSON record under --log-format json, and the documented exit status."""

from __future__ import annotations

import json

import pytest

FIELDS = {"time", "level", "logger", "message"}


def _records(stderr: str) -> list[dict[str, str]]:
    """Every stderr line as a JSON record with the fields of --log-format json (fails on a plain line)."""
    records = [json.loads(line) for line in stderr.splitlines()]
    assert records and all(set(r) == FIELDS for r in records), stderr
    return records


# ---- --log-format json covers every line curate prints, errors included


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_misspelled_key_in_the_sources_file_is_a_json_record(run, env, tmp_path, where):
    sources = tmp_path / "feeds.toml"
    sources.write_text('[[feeds]]\nname = "x"\nurl = "https://example.org/feed"\nkeywrods = ["moe"]\n')
    args = ["--log-format", "json", "run"] if where == "before" else ["run", "--log-format", "json"]
    result = run(*args, CURATE_SOURCES=str(sources))
    assert result.exit_code == 2
    [record] = _records(result.stderr)
    assert (record["level"], record["logger"]) == ("error", "curate.run")
    assert "unknown key 'keywrods'" in record["message"] and not record["message"].startswith("error:")


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_bad_setting_is_a_json_record_with_the_option_on_either_side(run, where):
    args = ["--log-format", "json", "run"] if where == "before" else ["run", "--log-format", "json"]
    result = run(*args, CURATE_MAX_AGE="zz")
    assert result.exit_code == 2
    [record] = _records(result.stderr)
    assert record["level"] == "error"
    assert record["message"] == "bad setting: CURATE_MAX_AGE: 'zz' is not a duration such as 24h, 90m, 1h30m or 2d"


def test_without_the_option_an_error_stays_a_plain_line(run):
    result = run("run", CURATE_MAX_AGE="zz")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: bad setting: CURATE_MAX_AGE: 'zz' is not a duration such as 24h, 90m, 1h30m or 2d\n",
    )


def test_usage_errors_are_json_records_too(run):
    unknown = run("--log-format", "json", "frob")
    assert unknown.exit_code == 2
    assert [(r["level"], r["logger"], r["message"]) for r in _records(unknown.stderr)] == [
        ("error", "curate", "No such command 'frob'.")
    ]
    option = run("--log-format", "json", "list", "--limit", "3")
    assert option.exit_code == 2
    assert [(r["logger"], r["message"]) for r in _records(option.stderr)] == [
        ("curate.list", "No such option: --limit")
    ]
    # the next command, without the option, is text again: nothing carries over
    assert run("frob").stderr.startswith("Usage: ")


def test_a_database_error_mid_command_is_a_json_record(run, replay, tmp_path):
    db = tmp_path / "curate.db"
    assert run("ingest", "2512.07461", CURATE_DB=str(db)).exit_code == 0
    result = run("--log-format", "json", "ingest", "2511.13945", CURATE_DB=f"sqlite:///file:{db}?mode=ro&uri=true")
    assert result.exit_code == 1
    records = _records(result.stderr)
    assert records[-1]["level"] == "error" and "is read-only" in records[-1]["message"]


def test_lines_that_are_not_errors_are_records_too(curate, replay):
    assert curate("ingest", "2512.07461").returncode == 0
    listed = curate("--log-format", "json", "list")
    assert listed.returncode == 0
    assert [(r["level"], r["logger"], r["message"]) for r in _records(listed.stderr)] == [
        ("info", "curate.list", "2 items")  # the paper and the repo it links
    ]
    exported = curate("--log-format", "json", "export", "--since", "2000-01-01", "--output", "-", "--format", "json")
    assert exported.returncode == 0
    assert [r["level"] for r in _records(exported.stderr)] == ["info"]


def test_an_unexpected_error_is_a_json_record_through_main(curate, replay, monkeypatch):
    from pipeline.store import Store

    assert curate("ingest", "2512.07461").returncode == 0

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Store, "items", broken)
    result = curate("--log-format", "json", "list")
    assert result.returncode == 1
    assert [(r["level"], r["message"]) for r in _records(result.stderr)] == [
        ("error", "RuntimeError: boom (run with --debug for the traceback)")
    ]
    assert curate("list").stderr == "error: RuntimeError: boom (run with --debug for the traceback)\n"


def test_ctrl_c_is_a_json_record(curate, replay, monkeypatch):
    from pipeline.store import Store

    assert curate("ingest", "2512.07461").returncode == 0

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "items", interrupted)
    result = curate("--log-format", "json", "list")
    assert result.returncode == 130
    assert [(r["level"], r["message"]) for r in _records(result.stderr)] == [("warning", "interrupted")]


def test_a_key_in_an_error_record_is_masked(run):
    result = run("--log-format", "json", "run", CURATE_MAX_AGE="https://x.test/?key=AIzaRecordKey0123456789")
    assert result.exit_code == 2
    [record] = _records(result.stderr)
    assert "AIzaRecordKey" not in result.stderr and "key=***" in record["message"]


# ---- what a database setting may be: not empty, not a folder


def _sources(tmp_path):
    sources = tmp_path / "no-feeds.toml"
    sources.write_text("feeds = []\n")
    return str(sources)


DB_COMMANDS = [["list"], ["ingest", "2512.07461"], ["run"], ["run", "--dry-run"], ["db", "upgrade"], ["publish", "1"]]


@pytest.mark.parametrize("args", DB_COMMANDS, ids=" ".join)
def test_an_empty_database_setting_is_named_and_nothing_is_created(run, replay, tmp_path, monkeypatch, args):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # an empty CURATE_DB once meant the working directory
    for blank in ("", "  "):
        result = run(*args, CURATE_DB=blank, CURATE_SOURCES=_sources(tmp_path))
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            "error: CURATE_DB is empty; set it to a file path or a database URL\n",
        )
    given = run("--db", "", *args, CURATE_SOURCES=_sources(tmp_path))
    assert (given.exit_code, given.stderr) == (2, "error: --db is empty; set it to a file path or a database URL\n")
    assert list(work.iterdir()) == [] and replay.requests == []


@pytest.mark.parametrize("args", DB_COMMANDS, ids=" ".join)
def test_a_folder_as_the_database_is_named_and_left_as_it_was(run, replay, tmp_path, args):
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run("--db", str(folder), *args, CURATE_SOURCES=_sources(tmp_path))
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"error: the database {folder} (--db) is a folder, not a database file\n",
    )
    set_in_env = run(*args, CURATE_DB=f"sqlite:///{folder}", CURATE_SOURCES=_sources(tmp_path))
    assert (set_in_env.exit_code, set_in_env.stderr) == (
        2,
        f"error: the database sqlite:///{folder} (CURATE_DB) is a folder, not a database file\n",
    )
    assert list(folder.iterdir()) == [] and replay.requests == []


def test_db_copy_names_its_target_when_that_is_empty_or_a_folder(run, env, tmp_path):
    from pipeline.store import Store

    Store(env["CURATE_DB"])
    assert run("db", "copy", "--to", "").stderr == "error: --to is empty; set it to a file path or a database URL\n"
    result = run("db", "copy", "--to", str(tmp_path))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: the database {tmp_path} (--to) is a folder, not a database file\n",
    )


def test_the_rule_lives_in_preflight(tmp_path):
    from pipeline import preflight

    with pytest.raises(preflight.PreflightError, match="^CURATE_DB is empty; set it to a file path or a database URL$"):
        preflight.check("", 1, "")
    with pytest.raises(preflight.PreflightError, match="is a folder, not a database file$"):
        preflight.check(f"sqlite:///{tmp_path}", 1, str(tmp_path))
    preflight.check(f"sqlite:///{tmp_path / 'new.db'}", 1, "new.db")  # a file to come is fine
    assert list(tmp_path.iterdir()) == []


# ---- wording: each line names what the user gave


@pytest.mark.parametrize("number", ["0", "-1", "-12"])
def test_publish_refuses_an_issue_number_below_1_as_a_usage_error(curate, env, number):
    from pipeline.store import Store

    Store(env["CURATE_DB"])
    result = curate("publish", number)
    assert (result.returncode, result.stdout) == (2, "")
    assert "Invalid value for 'N': Input should be greater than or equal to 1" in result.stderr
    assert "already published" not in result.stderr


def test_a_read_only_database_given_with_db_is_named_so(run, replay, tmp_path):
    db = tmp_path / "curate.db"
    assert run("ingest", "2512.07461", CURATE_DB=str(db)).exit_code == 0
    result = run("--db", f"sqlite:///file:{db}?mode=ro&uri=true", "ingest", "2511.13945")
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last.endswith(
        "curate.db?mode=ro&uri=true (--db) is read-only: give curate write access to the file and its folder, "
        "or point --db elsewhere; what was stored before is kept"
    )
    assert "CURATE_DB" not in result.stderr


def test_a_newer_database_given_with_db_is_named_so_by_every_command(run, tmp_path):
    import sqlite3

    db = tmp_path / "newer.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '999')")
    conn.commit()
    conn.close()
    for args in (["db", "upgrade"], ["search", "x"], ["run", "--dry-run"], ["list"]):
        result = run("--db", str(db), *args, CURATE_SOURCES=_sources(tmp_path))
        assert result.exit_code == 2 and "point --db at another database" in result.stderr, (args, result.stderr)
        assert "CURATE_DB" not in result.stderr


@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_an_empty_search_query_is_a_usage_error(run, env, query):
    from pipeline.store import Store

    Store(env["CURATE_DB"])
    for args in (["search", query], ["search", "--featured", query]):
        result = run(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            "error: the query is empty: give words to find, e.g. curate search 'mixture of experts'\n",
        )


def test_verbose_on_a_new_database_leaves_alembic_out(curate, env):
    verbose = curate("--verbose", "db", "upgrade")
    assert verbose.returncode == 0
    assert "alembic" not in verbose.stderr
    assert "INFO pipeline.store: store: schema upgraded empty → 0006" in verbose.stderr
    debug = curate("--debug", "db", "upgrade", extra_env={"CURATE_DB": env["CURATE_DB"] + ".2"})
    assert "alembic.runtime.migration" in debug.stderr  # --debug shows everything


@pytest.mark.parametrize("drafts", ["file", "file/below"])
@pytest.mark.parametrize("command", [["export"], ["run"]])
def test_a_file_as_the_drafts_folder_is_named_so(curate, env, tmp_path, drafts, command):
    from pipeline.store import Store

    Store(env["CURATE_DB"])
    (tmp_path / "file").write_text("not a folder\n")
    result = curate(
        *command, extra_env={"CURATE_DRAFTS_DIR": str(tmp_path / drafts), "CURATE_SOURCES": _sources(tmp_path)}
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"error: {tmp_path / 'file'} is a file, not a folder (CURATE_DRAFTS_DIR)"
    assert (tmp_path / "file").read_text() == "not a folder\n"


def test_a_refused_feed_link_names_the_sources_file_configured(curate, env, tmp_path, replay):
    sources = tmp_path / "my-feeds.toml"
    result = curate(
        "ingest",
        "https://arxiv.org/list/cs.LG/new",
        "https://www.youtube.com/@chan",
        extra_env={"CURATE_SOURCES": str(sources)},
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].endswith(
        f"(https://rss.arxiv.org/rss/cs.LG) to {sources} so the scheduled run finds its new papers"
    )
    assert f"add the channel's feed to {sources} (https://www.youtube.com/feeds/" in lines[1]
    assert "data/sources.toml" not in result.stderr
