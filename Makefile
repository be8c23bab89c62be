# Living Map — two commands do all set-up on a fresh machine with Python 3.11+:
#   make run    install into .venv, migrate, load the Trafford demo if empty, serve on PORT
#   make test   install into .venv and run the whole test suite
.DEFAULT_GOAL := help
SHELL := /bin/bash
PORT ?= 8000
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Installing is done once per virtual environment, and again only when pyproject.toml changes.
STAMP := $(VENV)/.installed

# axe-core, for the accessibility tests in headless Chromium, from the npm registry.
AXE_VERSION := 4.14.1
AXE_SHA512 := 1477dafa598d8d065f273d6af302aa203c02e83131707b7fa648cd41bd3d6b734f8c22a0dab86ee6a6f64b8afbe804b214d36db85a2826965edfb3a0b9d546b5
AXE_DIR := .cache/axe-core/$(AXE_VERSION)
AXE_JS := $(AXE_DIR)/axe.min.js

.PHONY: help run test lint format bench install demo axe clean

help:
	@echo "make run    - install, migrate, load the Trafford demo if the database is empty, serve on 127.0.0.1:$(PORT)"
	@echo "             (with the background worker and the scheduler; Ctrl-C stops all three)"
	@echo "make test   - run the tests (SQLite by default; set DATABASE_URL for PostgreSQL)"
	@echo "make bench  - national-scale benchmarks; results go to docs/benchmarks.md"
	@echo "make lint   - the pre-test gate: check, makemigrations --check, ruff format --check, ruff check"
	@echo "make format - reformat the code and apply ruff's safe fixes"
	@echo "make axe    - fetch axe-core $(AXE_VERSION) for the accessibility tests (needs npm)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Living Map needs Python 3.11 or newer")'
	@if [ -L $(VENV) ] && [ ! -e $(VENV) ]; then \
	  echo "$(VENV) is a link to nothing: making a new virtual environment there instead"; rm -f $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/livingmap migrate --no-input
	$(BIN)/livingmap load_demo --if-empty --quiet

# Two worker processes share one file-based cache, so that rate limits count across both.
# Served as in production, without debug pages (safe to expose; docs/deploying.md): a secret key
# made once into var/secret_key unless SECRET_KEY is set, static files collected for WhiteNoise,
# cookies without the Secure flag only because this serves plain HTTP on 127.0.0.1.
RUN_VAR = $${LIVINGMAP_VAR_DIR:-$(abspath var)}
RUN_ENV = DEBUG=$${DEBUG:-0} LIVINGMAP_PLAIN_HTTP=$${LIVINGMAP_PLAIN_HTTP:-1} \
  LIVINGMAP_BASE_URL=$${LIVINGMAP_BASE_URL:-http://127.0.0.1:$(PORT)} \
  SECRET_KEY="$${SECRET_KEY:-$$(cat $(RUN_VAR)/secret_key)}" \
  LIVINGMAP_CACHE_DIR=$${LIVINGMAP_CACHE_DIR:-$(RUN_VAR)/cache}
# `livingmap serve --` runs the background worker and the scheduler beside gunicorn, and stops
# all three together.
run: demo
	@mkdir -p $(RUN_VAR); test -n "$$SECRET_KEY" -o -s $(RUN_VAR)/secret_key || (umask 077; \
	  $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $(RUN_VAR)/secret_key)
	$(RUN_ENV) $(BIN)/livingmap collectstatic --no-input --verbosity 0
	$(RUN_ENV) \
	  $(BIN)/livingmap serve -- \
	  $(BIN)/gunicorn livingmap.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - --no-control-socket

# The browser tests need axe-core; without npm they are skipped, with the reason shown.
$(AXE_JS):
	@if command -v npm >/dev/null 2>&1; then \
	  set -e; rm -rf $(AXE_DIR).tmp; mkdir -p $(AXE_DIR).tmp; \
	  (cd $(AXE_DIR).tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null); \
	  echo "$(AXE_SHA512)  $(AXE_DIR).tmp/axe-core-$(AXE_VERSION).tgz" | sha512sum --check --quiet; \
	  tar -xzf $(AXE_DIR).tmp/axe-core-$(AXE_VERSION).tgz -C $(AXE_DIR).tmp --strip-components=1 \
	    package/axe.min.js package/LICENSE; \
	  rm -rf $(AXE_DIR); mv $(AXE_DIR).tmp $(AXE_DIR); rm -f $(AXE_DIR)/axe-core-$(AXE_VERSION).tgz; \
	  echo "axe-core $(AXE_VERSION) is in $(AXE_DIR)"; \
	else \
	  echo "npm not found: the accessibility tests will be skipped (install Node.js and npm to run them)"; \
	fi

axe: $(AXE_JS)

test: install
	@$(MAKE) --no-print-directory axe || echo "could not fetch axe-core: the accessibility tests will be skipped"
	LIVINGMAP_AXE_JS=$(abspath $(AXE_JS)) LIVINGMAP_VENV=$(abspath $(VENV)) $(BIN)/pytest $(PYTEST_ARGS)

# Every check runs even when an earlier one fails, so one run shows every problem.
LINT_CHECKS := "$(BIN)/livingmap check" "$(BIN)/livingmap makemigrations --check --dry-run" \
  "$(BIN)/ruff format --check ." "$(BIN)/ruff check ."

lint: install
	@failed=""; for check in $(LINT_CHECKS); do \
	  echo "$$check"; $$check || failed="$$failed\n  $$check"; \
	done; \
	if [ -n "$$failed" ]; then echo -e "lint FAILED:$$failed"; exit 1; fi

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .cache
