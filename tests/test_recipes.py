"""The README's set-up recipes, run as the scheduler would run them.

The cron line goes through `sh -c` with cron's bare environment (credentials from the
site's .env), the systemd units through `systemd-analyze verify`, the Actions step
through `bash -e` as a runner does. What counts is what a person is sent: cron mails
any output, so a run that is fine, busy or waiting on the editor must print nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from filelock import FileLock

from tests.conftest import ROOT
from tests.replay.server import replay_env
from tests.test_schedule import ARXIV, BROKEN, RELEASES

README = (ROOT / "README.md").read_text(encoding="utf-8")
TOKEN = "ghp_fromTheSiteDotEnv"


def block(lang: str) -> str:
    """The first fenced block of the README in this language."""
    match = re.search(rf"^```{lang}\n(.*?)^```", README, re.S | re.M)
    assert match, f"no ```{lang} block in the README"
    return match.group(1)


@pytest.fixture
def site(replay, tmp_path: Path) -> Path:
    """/srv/curate as the README sets it up: the venv, a .env with the credentials, data/."""
    root = tmp_path / "srv" / "curate"
    (root / "data").mkdir(parents=True)
    (root / ".venv").symlink_to(ROOT / ".venv")
    settings = replay_env(replay, root / "data")
    settings["CURATE_DB"] = "data/curate.db"  # relative, as the default: the working directory matters
    settings["CURATE_SOURCES"] = str(root / "data" / "sources.toml")
    (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()) + f"GITHUB_TOKEN={TOKEN}\n")
    return root


def sources(site: Path, replay, *feeds: tuple[str, str]) -> None:
    text = "".join(f'[[feeds]]\nname = "{name}"\nurl = "{replay.url}{path}"\n\n' for name, path in feeds)
    (site / "data" / "sources.toml").write_text(text, encoding="utf-8")


def cron(site: Path) -> subprocess.CompletedProcess[str]:
    """The README's crontab line, as cron runs it: `sh -c`, a bare environment; output is mail."""
    (line,) = [ln for ln in block("cron").splitlines() if ln.strip() and not ln.startswith("#")]
    command = line.split(None, 5)[5].replace("/srv/curate", str(site))
    return subprocess.run(
        ["sh", "-c", command],
        env={"PATH": "/usr/bin:/bin", "HOME": str(site), "SHELL": "/bin/sh"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cron_mails_nothing_when_well_busy_or_waiting_and_the_tail_when_a_feed_fails(site, replay):
    sources(site, replay, ARXIV, RELEASES)
    well = cron(site)
    assert (well.returncode, well.stdout, well.stderr) == (0, "", "")
    log = (site / "data" / "run.log").read_text()
    assert "run: 2 feeds (2 read)" in log
    # the credentials came from the site's .env, and reached GitHub
    assert any(r.headers.get("authorization", "").endswith(TOKEN) for r in replay.requests)
    assert TOKEN not in log

    with FileLock(str(site / "data" / "curate.db.run.lock"), timeout=0):  # another run is at work
        busy = cron(site)
    assert (busy.returncode, busy.stdout, busy.stderr) == (0, "", "")
    assert "another curate run holds" in (site / "data" / "run.log").read_text()

    draft = site / "data" / "drafts" / "issue-1.md"
    draft.write_text(draft.read_text() + "\nA blurb the editor is writing.\n")
    waiting = cron(site)  # status 3: the draft holds edits not read back
    assert (waiting.returncode, waiting.stdout, waiting.stderr) == (0, "", "")
    assert "! draft left as it is: " in (site / "data" / "run.log").read_text()
    assert draft.read_text().endswith("A blurb the editor is writing.\n")

    sources(site, replay, BROKEN)
    failed = cron(site)
    assert failed.returncode == 0 and "✗ feed Old blog" in failed.stdout  # cron mails this


def test_run_exit_status_3_is_a_draft_waiting_for_annotate(curate, replay, env):
    Path(env["CURATE_SOURCES"]).write_text(f'[[feeds]]\nname = "{ARXIV[0]}"\nurl = "{replay.url}{ARXIV[1]}"\n')
    assert curate("run").returncode == 0
    draft = Path(env["CURATE_DRAFTS_DIR"]) / "issue-1.md"
    draft.write_text(draft.read_text().replace("\n", "\n\n", 1))
    held = curate("run")
    assert held.returncode == 3
    lines = held.stderr.splitlines()
    assert lines[0] == (
        f"! draft left as it is: {draft} has edits curate has not read back: run `curate annotate "
        f"{draft}` to keep them, or export with --force to overwrite them"
    )
    assert lines[-1].endswith("· draft held back for curate annotate")
    assert curate("annotate", str(draft)).returncode == 0
    assert curate("run").returncode == 0


def units(site: Path) -> dict[str, str]:
    """The README's unit files, by name, with /srv/curate pointing at the test's site."""
    files: dict[str, str] = {}
    name = None
    for line in block("ini").replace("/srv/curate", str(site)).splitlines():
        header = re.fullmatch(r"# /etc/systemd/system/(\S+)", line)
        if header:
            name = header.group(1)
            files[name] = ""
        elif name:
            files[name] += line + "\n"
    return files


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (no systemd)")
def test_systemd_units_pass_systemd_analyze_verify(site):
    files = units(site)
    assert set(files) == {"curate.service", "curate.timer"}
    for name, text in files.items():
        (site / name).write_text(text)
    assert "SuccessExitStatus=3 75" in files["curate.service"]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(site / n) for n in files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "curate." not in result.stderr, result.stderr


def actions_step() -> str:
    """The shell script of the workflow's `curate run` step."""
    yaml = block("yaml")
    assert "actions/cache" not in yaml  # the database is the shared one, never a runner's cache
    assert "CURATE_DB: ${{ secrets.CURATE_DB }}" in yaml
    script = yaml.split("- name: curate run", 1)[1].split("run: |\n", 1)[1]
    lines = []
    for line in script.splitlines():
        if line.strip() and not line.startswith(" " * 10):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def test_the_actions_step_fails_the_job_only_when_the_run_failed(site, replay):
    script = actions_step()

    def step() -> subprocess.CompletedProcess[str]:  # GitHub runs a `run:` step as `bash -e {0}`
        return subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=site,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(site), "CURATE_DB": "data/curate.db"},
        )

    sources(site, replay, ARXIV)
    assert step().returncode == 0
    with FileLock(str(site / "data" / "curate.db.run.lock"), timeout=0):
        busy = step()
    assert busy.returncode == 0 and "another curate run holds" in busy.stderr
    draft = site / "data" / "drafts" / "issue-1.json"
    draft.write_text(draft.read_text() + "\n")
    assert step().returncode == 0  # status 3
    sources(site, replay, BROKEN)
    failed = step()
    assert failed.returncode == 1 and "feed Old blog" in failed.stderr
