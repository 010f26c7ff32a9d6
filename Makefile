# Common Purse: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run web test lint format bench bench-deps install migrate demo worker beat clean \
	browser-deps curl-deps api-client axe-deps e2e screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The laptop targets run with DJANGO_DEBUG=1: without it (production) the site refuses the
# development secret key, and seed_demo refuses to run at all.
migrate: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput

demo: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving Common Purse on http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production-style web process (DEBUG off, settings from the environment): collectstatic into
# this machine's STATIC_ROOT, then gunicorn. Run migrations once per release, not per machine.
web: install
	PYTHON=$(BIN)/python HOST=$(HOST) PORT=$(PORT) scripts/web

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The browser tests drive Debian's Chromium (never a Playwright browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update && apt-get install -y chromium; }
	@chromium --version

# The README's curl journey picks ids out of answers with jq (tests/api/test_generated_client.py
# runs it in .ci/run's PostgreSQL pass).
curl-deps:
	@command -v jq >/dev/null 2>&1 || { apt-get update && apt-get install -y jq; }
	@jq --version

# A typed Python client generated from the API's schema (README, "A generated client").
api-client: install
	mkdir -p build
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py spectacular --file build/api-schema.yaml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate \
		--path build/api-schema.yaml --config scripts/openapi-client.yaml --meta setup \
		--output-path build/api-client --overwrite --fail-on-warning

# axe-core, the accessibility engine the journeys inject into each page: pinned, from npm,
# into node_modules/ (git-ignored). Node and npm come from Debian when missing.
AXE_VERSION := 4.14.1
axe-deps:
	@command -v npm >/dev/null 2>&1 || { apt-get update && apt-get install -y nodejs npm; }
	@test "$$(node -p "require('./node_modules/axe-core/package.json').version" 2>/dev/null)" = "$(AXE_VERSION)" \
	  || npm install --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_VERSION)

# The journeys of issue 13 in Debian's Chromium against a live server with the demo data
# (tests/e2e): prints the axe report, the page-weight table and the readability scores.
# With DATABASE_URL set to PostgreSQL the server's database is <name>_e2e beside it.
e2e: install browser-deps axe-deps
	COMMONPURSE_E2E=1 COMMONPURSE_BROWSER_TESTS=1 $(BIN)/pytest tests/e2e -p no:cacheprovider

# Small PNGs of key pages at phone and desktop width, into docs/screenshots/ (shown in README).
screenshots: install browser-deps
	COMMONPURSE_E2E=1 COMMONPURSE_BROWSER_TESTS=1 $(BIN)/python -m tests.e2e.screenshots

# The load benchmark's client (bench/cast_http.py): Debian's wrk, light enough not to be the
# bottleneck; pgbench comes with PostgreSQL's client package.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { apt-get update && apt-get install -y wrk; }
	@command -v pgbench >/dev/null 2>&1 || { apt-get update && apt-get install -y postgresql-client; }
	@wrk --version 2>&1 | head -1 || true

# Every module in bench/, quick sizes, figures and their same-run baselines in bench/RESULTS.md.
bench: install bench-deps
	$(BIN)/python -m bench

worker: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/celery -A config worker --loglevel=info

beat: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/celery -A config beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache
