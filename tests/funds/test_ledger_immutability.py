"""Ledger rows are append-only: the ORM refuses save of an existing row, delete and queryset
update/delete; on PostgreSQL a trigger refuses UPDATE and DELETE; corrections are reversals."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from config.errors import ApplicationError, ForbiddenError
from funds import services
from funds.models import Account, JournalEntry, JournalLeg, LedgerImmutableError
from funds.selectors import fund_figures


@pytest.fixture
def entry(world):
    return JournalEntry.objects.get(fund=world.fund, seq=1)


def test_saving_an_existing_entry_or_leg_is_refused(entry):
    entry.memo = "changed"
    with pytest.raises(LedgerImmutableError):
        entry.save()
    leg = entry.legs.first()
    leg.amount_pence = 1
    with pytest.raises(LedgerImmutableError):
        leg.save()


def test_deleting_is_refused_one_by_one_and_in_bulk(entry):
    with pytest.raises(LedgerImmutableError):
        entry.delete()
    with pytest.raises(LedgerImmutableError):
        JournalEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(LedgerImmutableError):
        JournalLeg.objects.all().delete()
    with pytest.raises(LedgerImmutableError):
        JournalEntry.objects.update(memo="x")
    with pytest.raises(LedgerImmutableError):
        JournalLeg.objects.filter(entry=entry).update(amount_pence=5)
    assert JournalEntry.objects.filter(pk=entry.pk, memo=entry.memo).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE funds_journalentry SET memo = 'x' WHERE id = %s",
        "DELETE FROM funds_journalentry WHERE id = %s",
        "UPDATE funds_journalleg SET amount_pence = 1 WHERE entry_id = %s",
        "DELETE FROM funds_journalleg WHERE entry_id = %s",
    ],
)
def test_postgresql_trigger_refuses_raw_update_and_delete(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])


def test_a_correction_is_a_reversing_entry_pointing_at_the_original(world, entry):
    before = fund_figures(fund=world.fund)
    reversal = services.ledger_entry_reverse(actor=world.finance, entry=entry, memo="Keyed twice")
    assert reversal.reverses_id == entry.pk and reversal.seq == 2
    legs = dict(reversal.legs.values_list("account", "amount_pence"))
    assert legs == {Account.CASH: -500_000, Account.RECEIVABLE: 500_000}
    assert fund_figures(fund=world.fund).received == before.received - 500_000
    # reversing again is the same request: nothing new is posted
    again = services.ledger_entry_reverse(actor=world.finance, entry=entry, memo="Keyed twice")
    assert again.pk == reversal.pk
    with pytest.raises(ApplicationError):
        services.ledger_entry_reverse(actor=world.finance, entry=reversal, memo="undo")


def test_only_the_finance_officer_corrects(world, entry):
    with pytest.raises(ForbiddenError):
        services.ledger_entry_reverse(actor=world.chair, entry=entry, memo="no")


def test_unbalanced_or_single_leg_postings_are_refused_and_nothing_is_stored(world):
    count = JournalEntry.objects.count()
    for legs in (
        [(Account.CASH, 100), (Account.RECEIVABLE, -99)],
        [(Account.CASH, 100)],
        [(Account.CASH, 0), (Account.RECEIVABLE, 0)],
        [("petty_cash", 100), (Account.RECEIVABLE, -100)],
    ):
        with pytest.raises(ApplicationError):
            services.ledger_post(
                fund=world.fund, kind=JournalEntry.Kind.REVERSAL, legs=legs, idempotency_key="x"
            )
    assert JournalEntry.objects.count() == count


def test_the_same_idempotency_key_posts_once(world):
    legs = [(Account.RETURNED, 10), (Account.CASH, -10)]
    a = services.ledger_post(
        fund=world.fund, kind=JournalEntry.Kind.RETURNED, legs=legs, idempotency_key="same"
    )
    b = services.ledger_post(
        fund=world.fund, kind=JournalEntry.Kind.RETURNED, legs=legs, idempotency_key="same"
    )
    assert a.pk == b.pk and JournalEntry.objects.filter(idempotency_key="same").count() == 1
