# Common Purse: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench bench-deps install migrate demo worker beat clean browser-deps

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
