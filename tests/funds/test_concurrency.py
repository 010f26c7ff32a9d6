"""Races on PostgreSQL: many grant approvals against a fund that can afford ten commit exactly
ten and never take the available balance below zero; concurrent releases of one tranche pay
once. At most 40 threads (the shared server allows 100 connections): FUNDS_TEST_THREADS, 20 by
default."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from config.errors import ApplicationError
from funds import services
from funds.models import Account, Grant, GrantTranche, JournalEntry, JournalLeg
from funds.selectors import fund_figures
from funds.services import TrancheSpec

from .factories import decide, grant, make_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks"),
]

THREADS = min(40, int(os.environ.get("FUNDS_TEST_THREADS", "20")))


def race(tasks, func):
    """Run func(task) for every task on THREADS threads, all released at once."""
    go = threading.Event()
    results, errors = [], []

    def run(task):
        go.wait()
        try:
            results.append(func(task))
        except ApplicationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run, task) for task in tasks]
        go.set()
        for future in futures:
            future.result()
    return results, errors


def test_fifty_approvals_against_a_fund_that_can_afford_ten_commit_exactly_ten():
    w = make_world(fund_pence=1_000_000, received=1)  # 500,000 available
    decisions = [decide(w, amount_pence=50_000) for _ in range(50)]
    approver_id = w.trustees[1].pk

    def approve(decision):
        approver = get_user_model().objects.get(pk=approver_id)
        return services.grant_approve(
            actor=approver,
            decision=decision,
            title="Running costs",
            recipient_organisation=w.holder,
            contacts=[w.contact],
            tranches=[TrancheSpec(50_000)],
            purpose=Grant.Purpose.RUNNING_COSTS,
        )

    results, errors = race(decisions, approve)
    assert len(results) == 10 and len(errors) == 40
    assert all("below zero" in e.message for e in errors)
    assert Grant.objects.filter(fund=w.fund).count() == 10
    assert fund_figures(fund=w.fund).available == 0
    # available never went below zero at any point of the chain
    running = 0
    for seq, amount in (
        JournalLeg.objects.filter(fund=w.fund, account=Account.CASH)
        .order_by("entry__seq")
        .values_list("entry__seq", "amount_pence")
    ):
        running += amount
        assert running >= 0, f"available below zero after entry #{seq}"
    from django.core.management import call_command

    call_command("verify_ledger", "--fund", str(w.fund.pk))


def test_twenty_concurrent_releases_of_one_tranche_pay_once():
    w = make_world()
    g = grant(w, amount_pence=100_000)
    tranche = g.tranches.get(number=1)
    finance_id = w.finance.pk

    def release(_):
        actor = get_user_model().objects.get(pk=finance_id)
        return services.grant_tranche_release(actor=actor, tranche=tranche)

    results, errors = race(range(20), release)
    assert errors == [] and len(results) == 20
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.TRANCHE_PAID).count() == 1
    tranche.refresh_from_db()
    assert tranche.status == GrantTranche.Status.RELEASED
    assert fund_figures(fund=w.fund).paid == 50_000
