# Two commands on a fresh machine with Python 3.11+:
#   make run    - create .venv, install Carillon, run the bot (needs DISCORD_TOKEN)
#   make test   - create .venv, install Carillon with its dev tools, then lint, type-check and test
# Each installs what it needs by itself, and again only when pyproject.toml changes.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test test-late lint types pytest install install-dev bench clean

run: $(VENV)/.installed
	$(BIN)/carillon run

test: lint types pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(VENV)/.installed-dev
	$(BIN)/mypy bot storage audio

# The suite runs on every core (pytest-xdist, at most 4 workers; each test owns its ports, folders
# and database). PYTEST_ARGS adds to it: PYTEST_ARGS="-m 'not e2e'", or "-n0 tests/bot" for one
# plain process.
PYTEST_WORKERS ?= -n auto --maxprocesses 4

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The tests at a faked late-evening clock (23:55 UTC today, so the run crosses midnight): every
# process, the bot's children included, sees the same offset. Needs Debian's faketime.
test-late: $(VENV)/.installed-dev
	@command -v faketime >/dev/null || { echo "test-late needs faketime: apt-get install faketime" >&2; exit 1; }
	now=$$(date -u +%s); late=$$(date -u -d "$$(date -u +%F) 23:55:00" +%s); \
	off=$$(( late > now ? late - now : late + 86400 - now )); \
	echo "faked clock: +$${off}s (starts at $$(date -u -d @$$(( now + off )) +'%F %T') UTC)"; \
	faketime -f "+$${off}s" $(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Carillon needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
