# curate: every target creates .venv by itself when it is missing or pyproject.toml changed.
# CURATE_* variables (and GITHUB_TOKEN, YOUTUBE_API_KEY) in your environment reach the command.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# curate's own modules compiled to bytecode: Python skips writing it when PYTHONDONTWRITEBYTECODE
# is set (as on some CI and container images), and then compiles ~30 modules on every command
# (50 ms of each `curate` run here); compileall writes it regardless, and Python still reads it
READY  := $(VENV)/.compiled
CODE   := $(wildcard pipeline/*.py pipeline/*/*.py pipeline/*/*/*.py connectors/*.py schemas/*.py)
URL    ?=
FILE   ?=
ARGS   ?=

# variables given on the command line (ARGS=…) would reach every make started below this
# one, the tests' own `make run` included, through MAKEFLAGS and the environment; keep
# them to this make
MAKEOVERRIDES :=
unexport URL FILE ARGS

# $(call quote,TEXT): TEXT as one single-quoted shell word, whatever quotes it holds
quote = '$(subst ','\'',$(1))'

.PHONY: install ingest run export demo bench eval-web test lint clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(READY): $(STAMP) $(CODE)
	@$(BIN)/python -m compileall -q pipeline connectors schemas >/dev/null
	@touch $@

install: $(READY)  ## create .venv and install curate with its dev tools

ingest: $(READY)  ## fetch and store links: make ingest URL="https://arxiv.org/abs/2512.07461 2512.08296" (or FILE=links.md)
	@if [ -z $(call quote,$(value URL)$(value FILE)) ]; then echo 'usage: make ingest URL="<link> [<link>...]"  (or FILE=path)' >&2; exit 2; fi
	@set -f; urls=$(call quote,$(value URL)); $(BIN)/curate ingest $$urls $(if $(value FILE),--file $(call quote,$(value FILE))) $(ARGS)

run: $(READY)  ## the scheduled job: read data/sources.toml, ingest what is new, refresh, export
	@$(BIN)/curate run $(ARGS)

export: $(READY)  ## write the draft issue (JSON + Markdown) under data/drafts/
	@$(BIN)/curate export $(ARGS)

demo: $(READY)  ## the whole pipeline offline, against the replay server; writes data/demo/
	@$(BIN)/python -m tests.replay.demo

bench: $(READY)  ## requests, time and memory at newsletter and archive scale (offline)
	@$(BIN)/python -m tests.bench $(ARGS)

eval-web: $(READY)  ## web-page metadata vs trafilatura on ../shared/corpus/web-dev (ARGS=--misses lists the misses)
	@$(BIN)/python -m tests.eval_web $(ARGS)

test: $(READY)  ## the test suite (offline)
	@$(BIN)/python -m pytest -n 2 -q $(ARGS)

lint: $(READY)  ## ruff (lint rules, then the formatter in check mode) and mypy, as configured in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:  ## remove .venv and caches (keeps data/)
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache build *.egg-info
