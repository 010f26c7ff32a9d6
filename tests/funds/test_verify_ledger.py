"""verify_ledger catches raw-SQL tampering (edited amounts, deleted or reordered rows, forged
hashes), naming the entry; it exits 0 on an intact ledger."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from funds import services
from funds.ledger_chain import entry_hash
from funds.models import JournalEntry
from funds.services import ledger as ledger_service
from funds.services.ledger import entry_content
from funds.verification import ledger_entries

from .factories import grant


def run_verify(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), err.getvalue()
    return 0, out.getvalue()


def raw(sql: str, params=()) -> None:
    """Run SQL behind the ORM's back, as a database administrator could (on PostgreSQL the
    append-only trigger is bypassed first, as a superuser can, with replication mode)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def ledger(world):
    """Entries: #1 tranche received, #2 grant committed, #3 tranche paid, #4 second commit."""
    g = grant(world, amount_pence=100_000)
    services.grant_tranche_release(actor=world.finance, tranche=g.tranches.get(number=1))
    grant(world, amount_pence=50_000)
    entries = {e.seq: e for e in JournalEntry.objects.filter(fund=world.fund)}
    assert sorted(entries) == [1, 2, 3, 4]
    return world, entries


def test_an_intact_ledger_verifies(ledger):
    w, _ = ledger
    code, out = run_verify()
    assert code == 0, out
    assert "4 entries" in out
    assert run_verify("--fund", str(w.fund.pk))[0] == 0


def test_an_edited_amount_is_caught_naming_the_entry(ledger):
    w, entries = ledger
    raw(
        "UPDATE funds_journalleg SET amount_pence = amount_pence * 2 WHERE entry_id = %s",
        [entries[2].pk],
    )
    code, err = run_verify()
    assert code == 1
    assert f"entry #2 (id {entries[2].pk})" in err and "content was changed" in err


def test_an_unbalanced_edit_is_caught(ledger):
    w, entries = ledger
    raw(
        "UPDATE funds_journalleg SET amount_pence = amount_pence + 1 "
        "WHERE entry_id = %s AND line = 1",
        [entries[3].pk],
    )
    code, err = run_verify("--fund", str(w.fund.pk))
    assert code == 1 and "entry #3" in err and "does not balance" in err


def test_a_deleted_row_is_caught(ledger):
    w, entries = ledger
    raw("DELETE FROM funds_journalleg WHERE entry_id = %s", [entries[2].pk])
    raw("DELETE FROM funds_journalentry WHERE id = %s", [entries[2].pk])
    code, err = run_verify()
    assert code == 1 and "entry #3" in err and "#2..#2 are missing" in err


def test_a_deleted_last_row_is_caught_by_the_audit_trail(ledger):
    w, entries = ledger
    raw("DELETE FROM funds_journalleg WHERE entry_id = %s", [entries[4].pk])
    raw("DELETE FROM funds_journalentry WHERE id = %s", [entries[4].pk])
    code, err = run_verify()
    assert code == 1 and "entry #4" in err and "missing from the ledger" in err


def test_reordered_rows_are_caught(ledger):
    w, entries = ledger
    raw("UPDATE funds_journalentry SET seq = 1000 WHERE id = %s", [entries[2].pk])
    raw("UPDATE funds_journalentry SET seq = 2 WHERE id = %s", [entries[3].pk])
    raw("UPDATE funds_journalentry SET seq = 3 WHERE id = %s", [entries[2].pk])
    code, err = run_verify()
    assert code == 1 and f"entry #2 (id {entries[3].pk})" in err


def test_a_forged_hash_is_caught(ledger):
    w, entries = ledger
    raw("UPDATE funds_journalentry SET hash = %s WHERE id = %s", ["f" * 64, entries[3].pk])
    code, err = run_verify()
    assert code == 1 and "entry #3" in err


def test_a_consistently_rehashed_chain_is_caught_by_the_heads_in_the_audit_trail(ledger):
    w, entries = ledger
    raw("UPDATE funds_journalentry SET memo = %s WHERE id = %s", ["edited", entries[2].pk])
    prev = entries[1].hash
    for seq in (2, 3, 4):
        e = JournalEntry.objects.get(pk=entries[seq].pk)
        e.prev_hash = prev
        legs = list(e.legs.order_by("line").values_list("account", "amount_pence"))
        forged = entry_hash(entry_content(e, legs))
        raw(
            "UPDATE funds_journalentry SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, forged, e.pk],
        )
        prev = forged
    code, err = run_verify()
    assert code == 1 and "entry #2" in err and "audit trail" in err


def test_an_unknown_fund_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("verify_ledger", "--fund", "999999")


def test_an_edited_running_balance_is_caught(ledger):
    w, entries = ledger
    raw(
        "UPDATE funds_journalleg SET balance_after_pence = balance_after_pence + 100 "
        "WHERE entry_id = %s AND line = 1",
        [entries[3].pk],
    )
    code, err = run_verify()
    assert code == 1 and "entry #3" in err and "running balance" in err


def test_a_leg_dated_differently_from_its_entry_is_caught(ledger):
    w, entries = ledger
    raw(
        "UPDATE funds_journalleg SET posted_at = %s WHERE entry_id = %s",
        [entries[2].posted_at + dt.timedelta(microseconds=1), entries[2].pk],
    )
    code, err = run_verify()
    assert code == 1 and "entry #2" in err and "dated differently" in err


@pytest.mark.parametrize(
    "posted_at",
    [
        dt.datetime(2099, 3, 4, 5, 6, 7, tzinfo=dt.UTC),  # no fraction: isoformat() drops it
        dt.datetime(2099, 3, 4, 5, 6, 7, 1, tzinfo=dt.UTC),
        dt.datetime(2099, 7, 4, 5, 6, 7, 500000, tzinfo=dt.UTC),  # not '.5'; summer time
        dt.datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2100, 1, 1, 0, 0, 0, tzinfo=dt.UTC),
    ],
)
def test_posted_at_is_read_back_exactly_as_the_service_hashed_it(world, monkeypatch, posted_at):
    """verify_ledger reads posted_at as text (no datetime per row): byte for byte what
    entry_content() hashed, with a zero fraction or not, on SQLite and on PostgreSQL (the
    dates are later than the world's own entries, so the service keeps them as they are)."""
    clock = SimpleNamespace(now=lambda: posted_at, localtime=timezone.localtime)
    monkeypatch.setattr(ledger_service, "timezone", clock)
    grant(world, amount_pence=10_000)
    posted = list(JournalEntry.objects.filter(fund=world.fund, posted_at=posted_at))
    assert posted
    read = {entry["id"]: entry["posted_at"] for entry in ledger_entries(world.fund.pk)}
    for entry in posted:
        assert read[entry.pk] == entry.posted_at.astimezone(dt.UTC).isoformat()
    assert read[posted[0].pk] == posted_at.isoformat()
    code, out = run_verify("--fund", str(world.fund.pk))
    assert code == 0, out
