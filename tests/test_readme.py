"""Every example in the README is what curate prints.

Each fenced block that opens with `$ ` is a terminal session: commands, then what they
print, stdout and stderr as a terminal interleaves them. The blocks run in the README's
order, in one folder with curate's default paths (data/curate.db, data/drafts/,
data/sources.toml), against the replay server, and each command's lines must be exactly
its stdout and its stderr merged (only times are compared as `<time>`).

An HTML comment right before a block can prepare it, unseen by the reader:
`<!-- readme-test: sh COMMAND -->` runs COMMAND in that folder first (`{replay}` is the
replay server's URL), and `<!-- readme-test: skip REASON -->` leaves a block out.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, InProcessCli
from tests.replay.server import replay_env

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"((?:<!-- readme-test: .*? -->\n)*)```\n(\$ .*?)^```", re.S | re.M)
TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?Z?")
FAKE_CREDENTIAL = "readme-example-credential"  # the replay server takes any


def examples() -> list[tuple[int, list[str], str]]:
    """(line number, directives, session text) of every terminal session in the README."""
    found = []
    for match in BLOCK.finditer(README):
        line = README.count("\n", 0, match.start(2))
        directives = re.findall(r"<!-- readme-test: (.*?) -->", match.group(1))
        found.append((line, directives, match.group(2)))
    return found


def sessions(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected lines) for each `$ ` line of a block."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def argv(command: str) -> list[str] | None:
    """The curate arguments a README command stands for; None for a shell line (`export X=…`)."""
    words = shlex.split(command, comments=True)
    if words[0] == "curate":
        return words[1:]
    if words[0] == "make":
        target, assignments = words[1], dict(w.split("=", 1) for w in words[2:])
        args = shlex.split(assignments.get("ARGS", ""))
        if target == "ingest":
            file = ["--file", assignments["FILE"]] if "FILE" in assignments else []
            return ["ingest", *assignments.get("URL", "").split(), *file, *args]
        return [target, *args]
    return None


def interleaves(expected: list[str], out: list[str], err: list[str]) -> bool:
    """Whether `expected` is `out` and `err` merged, each kept in its order."""
    reachable = {(0, 0)}
    for line in expected:
        reachable = {(i + 1, j) for i, j in reachable if i < len(out) and out[i] == line} | {
            (i, j + 1) for i, j in reachable if j < len(err) and err[j] == line
        }
        if not reachable:
            return False
    return (len(out), len(err)) in reachable


def normal(text: str) -> list[str]:
    return [TIME.sub("<time>", line.rstrip()) for line in text.splitlines()]


def test_readme_has_examples_to_run():
    assert len(examples()) >= 6
    for line, directives, _ in examples():
        for d in directives:
            assert re.fullmatch(r"(sh \S.*|skip \S.*)", d), f"README.md:{line}: unknown directive {d!r}"


def test_every_readme_example_prints_what_the_readme_shows(replay, tmp_path, monkeypatch):
    site = tmp_path / "curate"
    (site / "data").mkdir(parents=True)
    env = {
        k: v
        for k, v in replay_env(replay, site / "data").items()
        if k not in ("CURATE_DB", "CURATE_DRAFTS_DIR", "CURATE_SOURCES")
    }  # the defaults, under the folder
    monkeypatch.chdir(site)
    wrong = []
    ran = 0
    for line, directives, text in examples():
        if any(d.startswith("skip ") for d in directives):
            continue
        for d in directives:
            shell = d.removeprefix("sh ").replace("{replay}", replay.url)
            done = subprocess.run(
                ["sh", "-c", shell], cwd=site, env={**os.environ, **env}, capture_output=True, text=True
            )
            if done.returncode != 0:
                wrong.append(f"README.md:{line}: readme-test: {d}\n{done.stderr}")
        for command, expected in sessions(text):
            args = argv(command)
            if args is None:
                name = re.fullmatch(r"export (\w+)=.*", command.split("#")[0].strip())
                assert name, f"README.md:{line}: cannot run {command!r}"
                env[name.group(1)] = FAKE_CREDENTIAL
                continue
            result = InProcessCli(env)(*args)
            ran += 1
            if not interleaves(normal("\n".join(expected)), normal(result.stdout), normal(result.stderr)):
                wrong.append(
                    f"README.md:{line}: $ {command}\n--- the README shows\n"
                    + "\n".join(expected)
                    + f"\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}--- exit {result.returncode}"
                )
    assert not wrong, "\n\n".join(wrong)
    assert ran >= 6


def test_a_merge_of_the_two_streams_is_what_a_terminal_shows():
    assert interleaves(["a", "x", "b"], ["a", "b"], ["x"])
    assert not interleaves(["b", "a"], ["a", "b"], [])
    assert not interleaves(["a"], ["a", "b"], [])


@pytest.mark.parametrize(
    "command, args",
    [
        (
            'make ingest URL="https://arxiv.org/abs/2512.07461 2512.08296"',
            ["ingest", "https://arxiv.org/abs/2512.07461", "2512.08296"],
        ),
        ("make run ARGS=--verbose", ["run", "--verbose"]),
        ("curate mark arxiv:1 --status rejected", ["mark", "arxiv:1", "--status", "rejected"]),
        ("export GITHUB_TOKEN=…           # optional", None),
    ],
)
def test_readme_commands_map_to_curate_arguments(command, args):
    assert argv(command) == args


def test_readme_paths_are_the_defaults():
    assert Path("data/curate.db") == Path(__import__("pipeline.config").config.Settings.model_fields["db"].default)
