"""The README's main command, `make ingest URL=...`, as a user types it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def test_make_ingest_takes_several_links_and_passes_curate_settings_through(env, replay, tmp_path):
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    run_env.update(env)
    links = "https://arxiv.org/abs/2512.07461?context=cs&utm_source=x arxiv.org/pdf/2511.13945v2 2512.08296"
    result = subprocess.run(
        ["make", "-s", "ingest", f"URL={links}"], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "3 stored" in result.stderr
    assert replay.count(r".*/api/query") == 1
    listed = subprocess.run(
        ["make", "-s", "ingest", "URL=2512.07461"], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120
    )
    assert "1 fresh" in listed.stderr  # the same database: CURATE_DB reached the command
    assert (tmp_path / "curate.db").exists()


def test_make_ingest_without_url_says_how_to_use_it(env):
    result = subprocess.run(
        ["make", "-s", "ingest"], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    assert result.returncode != 0
    assert 'usage: make ingest URL="<link> [<link>...]"' in result.stderr


def test_make_ingest_keeps_quotes_in_links_and_prints_only_rows(env, replay):
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("CURATE_", "MAKE"))}  # as typed in a shell
    run_env.update(env)
    # no -s: make itself must not echo the command line onto the rows
    result = subprocess.run(
        ["make", "ingest", 'URL=2512.07461 it\'s $HOME "quoted"'],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Error 1" in result.stderr  # make exits 2 when curate exits 1 (a link failed)
    assert [row.split("\t")[:2] for row in result.stdout.splitlines()] == [["stored", "arxiv:2512.07461"]]
    for word in ("it's", "$HOME", '"quoted"'):  # each reached curate as the user typed it
        assert f"✗ {word}  not a link" in result.stderr


def test_args_given_to_make_test_do_not_reach_a_make_the_tests_start():
    """`make test ARGS=…` must not turn the tests' own `make run` into `curate run <ARGS>`."""
    inner = "tests/test_make.py::test_this_process_got_no_make_variables"
    result = subprocess.run(
        ["make", "-s", "test", f"ARGS=-n 0 -p no:cacheprovider {inner}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_this_process_got_no_make_variables():
    assert "ARGS=" not in os.environ.get("MAKEFLAGS", "") and "ARGS" not in os.environ
