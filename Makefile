# Living Map — two commands do all set-up on a fresh machine with Python 3.11+:
#   make run    install into .venv, migrate, load the Trafford demo if empty, serve on PORT
#   make test   install into .venv and run the whole test suite
.DEFAULT_GOAL := help
SHELL := /bin/bash
PORT ?= 8000
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help run test lint format bench install demo clean

help:
	@echo "make run    - install, migrate, load the Trafford demo if the database is empty, serve on 127.0.0.1:$(PORT)"
	@echo "make test   - run the tests (SQLite by default; set DATABASE_URL for PostgreSQL)"
	@echo "make bench  - national-scale benchmarks; results go to docs/benchmarks.md"
	@echo "make lint   - the pre-test gate: check, makemigrations --check, ruff format --check, ruff check"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Living Map needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/livingmap migrate --no-input
	$(BIN)/livingmap load_demo --if-empty --quiet

run: demo
	DEBUG=$${DEBUG:-1} $(BIN)/gunicorn livingmap.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile -

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/livingmap check
	$(BIN)/livingmap makemigrations --check --dry-run
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
