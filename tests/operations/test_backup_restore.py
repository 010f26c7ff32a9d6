"""Backups (issue 17): pg_dump, restore into an empty database, and the restored copy passes
verify_ledger and verify_audit_chain (scripts/backup_restore_verify.sh, docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from funds import services
from funds.models import JournalEntry
from tests.funds.factories import grant, make_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "backup_restore_verify.sh"


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def empty_target():
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "PY": sys.executable,
    }
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _count(name: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", _url(name), "-XtAc", sql], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_dump_restores_into_an_empty_database_that_verifies(empty_target, tmp_path):
    # given: a fund with money in, a grant decided, committed and partly paid, audit events
    w = make_world()
    g = grant(w)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "backup.dump"
    # when
    result = _run(_url(source), _url(empty_target), str(dump))
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The restored copy verifies" in result.stdout
    assert dump.stat().st_size > 0
    sql = "SELECT count(*) FROM funds_journalentry"
    assert _count(empty_target, sql) == str(JournalEntry.objects.count()) != "0"
    sql = "SELECT count(*) FROM audit_auditevent"
    assert int(_count(empty_target, sql)) == int(_count(source, sql)) > 0


def test_restored_copy_that_was_tampered_with_fails_the_check(empty_target, tmp_path):
    # given: a backup whose ledger is altered before the check (an entry's memo edited)
    w = make_world()
    grant(w)
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "backup.dump"
    assert _run(_url(source), _url(empty_target), str(dump)).returncode == 0
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE funds_journalentry SET memo = memo || ' (edited)'")
        cursor.execute("SET session_replication_role = origin")
    second = f"{empty_target}_2"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{second}"')
        cursor.execute(f'CREATE DATABASE "{second}"')
    try:
        # when
        result = _run(_url(source), _url(second))
        # then
        assert result.returncode == 1, result.stdout + result.stderr
        assert "== verify_ledger on the restored copy" in result.stdout  # restored, then caught
        assert "The restored copy verifies" not in result.stdout
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{second}" WITH (FORCE)')


def test_refuses_to_restore_into_a_database_that_is_not_empty(empty_target):
    source = connection.settings_dict["NAME"]
    subprocess.run(
        ["psql", _url(empty_target), "-XtAc", "CREATE TABLE precious (id int)"], check=True
    )
    result = _run(_url(source), _url(empty_target))
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert _count(empty_target, "SELECT count(*) FROM precious") == "0"


def test_refuses_the_source_as_target():
    url = _url(connection.settings_dict["NAME"])
    result = _run(url, url)
    assert result.returncode == 2
    assert "not the source" in result.stderr
