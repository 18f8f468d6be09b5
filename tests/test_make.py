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
    result = subprocess.run(["make", "-s", "ingest", f"URL={links}"], cwd=ROOT, env=run_env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 stored" in result.stderr
    assert replay.count(r".*/api/query") == 1
    listed = subprocess.run(["make", "-s", "ingest", "URL=2512.07461"], cwd=ROOT, env=run_env,
                            capture_output=True, text=True, timeout=120)
    assert "1 fresh" in listed.stderr  # the same database: CURATE_DB reached the command
    assert (tmp_path / "curate.db").exists()


def test_make_ingest_without_url_says_how_to_use_it(env):
    result = subprocess.run(["make", "-s", "ingest"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode != 0
    assert 'usage: make ingest URL="<link> [<link>...]"' in result.stderr
