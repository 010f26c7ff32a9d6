"""Issue 17: web requests run with a PostgreSQL statement timeout shorter than gunicorn's, set
only in web processes; a cancelled statement answers a clean 503 (page or JSON), not a 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgres://someone@127.0.0.1:5432/not_connected"


def _options(*, code: str = "", **env) -> dict:
    """The database OPTIONS a fresh process gets (no connection is made)."""
    child = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COMMONPURSE_WEB_PROCESS", "DJANGO_DB_STATEMENT_TIMEOUT_MS")
    }
    child.update(DJANGO_SETTINGS_MODULE="config.settings_test", DATABASE_URL=PG_URL, **env)
    script = (
        f"{code}\nimport json, django\nfrom django.conf import settings\ndjango.setup()\n"
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=child, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_web_processes_get_a_20_second_statement_timeout_by_default():
    # gunicorn imports config.wsgi, which marks the process as a web process
    assert _options(code="import config.wsgi") == {"options": "-c statement_timeout=20000"}
    assert _options(code="import config.asgi") == {"options": "-c statement_timeout=20000"}


def test_the_timeout_is_configurable_and_can_be_turned_off():
    web = {"COMMONPURSE_WEB_PROCESS": "1"}
    assert _options(**web, DJANGO_DB_STATEMENT_TIMEOUT_MS="5000") == {
        "options": "-c statement_timeout=5000"
    }
    assert _options(**web, DJANGO_DB_STATEMENT_TIMEOUT_MS="0") == {}


def test_workers_commands_and_migrations_are_not_limited():
    # celery and manage.py never import config.wsgi: no timeout on their connections
    assert _options() == {}
    assert _options(code="import config.celery") == {}


@pytest.fixture
def short_timeout():
    """This test's connections get a 200 ms statement timeout the way web processes get
    theirs: through the connection OPTIONS, applied when the connection opens."""
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's (the embedded SQLite has none)")
    connection.close()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("options")
    options["options"] = "-c statement_timeout=200"
    yield
    # restored before the test database is flushed (the flush needs no timeout)
    connection.close()
    if before is None:
        options.pop("options", None)
    else:
        options["options"] = before


def _slow_list(**kwargs):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")
    raise AssertionError("the statement should have been cancelled")


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_statement_is_a_clean_503_page(client, short_timeout, monkeypatch):
    from communities import selectors

    original = selectors.neighbourhood_list
    monkeypatch.setattr(selectors, "neighbourhood_list", _slow_list)
    response = client.get("/neighbourhoods/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "took too long" in html and "nothing was changed" in html
    assert 'href="/"' in html  # what to do next
    # and the connection is usable again for the next request
    monkeypatch.setattr(selectors, "neighbourhood_list", original)
    assert client.get("/neighbourhoods/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_statement_is_a_clean_503_in_the_api(client, short_timeout, monkeypatch):
    from communities import selectors

    monkeypatch.setattr(selectors, "neighbourhood_list", _slow_list)
    response = client.get("/api/v1/neighbourhoods/")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "unavailable"
    assert "try again" in body["error"]["message"]


def test_other_database_errors_are_not_hidden_as_busy():
    from django.db import OperationalError

    from config.middleware import is_statement_timeout

    class Cause(Exception):
        sqlstate = "08006"  # connection failure

    error = OperationalError("server closed the connection")
    error.__cause__ = Cause()
    assert not is_statement_timeout(error)
    error.__cause__.sqlstate = "57014"
    assert is_statement_timeout(error)
    assert not is_statement_timeout(ValueError("57014"))
