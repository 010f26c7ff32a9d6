"""Acceptance 4 (the mechanism; the time is in `python -m bench.ledger`): the audit
workspace's statement page costs the same number of queries with 10 ledger entries or 300,
because every figure comes from running balances (index seeks), the yearly summary that
each posting keeps, or one page of a register; and that summary always equals the legs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from funds import services
from funds.models import Account, Grant, JournalEntry, LedgerSummary
from funds.services.queries import fund_query_raise
from funds.verification import summary_problem, verify_ledger

from .factories import grant, item

pytestmark = pytest.mark.django_db
A = Account

# The workspace page, whatever the ledger's size: session and user, the auditor's roles, the
# fund, the figures (one grouped query), the yearly summary, spend by theme, one page of
# each register (a count and the rows), the trail and the receipt views.
WORKSPACE_QUERIES = 35  # 34 + the header's to-do link for signed-in users


def _activity(world):
    """A claim paid and a query raised, so every register, chart and drill has rows."""
    g = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(20_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    services.claim_approve(actor=world.trustees[2], claim=claim)
    services.claim_pay(actor=world.finance, claim=claim)
    fund_query_raise(
        actor=world.auditor, fund=world.fund, subject="Receipt", body="Whose is it?", grant=g
    )
    return g


def _post(world, g, count: int, start: int) -> None:
    """`count` more postings: small payments against the grant and money coming back."""
    for n in range(start, start + count):
        if n % 2:
            legs, kind = [(A.PAID, 1), (A.COMMITTED, -1)], JournalEntry.Kind.CLAIM_PAID
        else:
            legs, kind = [(A.CASH, 1), (A.RECOVERED, -1)], JournalEntry.Kind.RECOVERY
        services.ledger_post(
            fund=world.fund, kind=kind, legs=legs, idempotency_key=f"scale-{n}", grant=g
        )


def test_the_workspace_costs_the_same_queries_with_10_or_300_entries(
    client, world, django_assert_num_queries
):
    g = _activity(world)
    client.force_login(world.auditor)
    url = reverse("funds:audit", args=[world.fund.pk])
    _post(world, g, 10 - JournalEntry.objects.filter(fund=world.fund).count(), 0)
    assert JournalEntry.objects.filter(fund=world.fund).count() == 10
    with django_assert_num_queries(WORKSPACE_QUERIES):
        small = client.get(url)
    _post(world, g, 290, 100)
    assert JournalEntry.objects.filter(fund=world.fund).count() == 300
    with django_assert_num_queries(WORKSPACE_QUERIES):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    # the figures did move: the page is reading the new postings, not a cache
    assert small.content != large.content


def test_drill_down_pages_are_bounded_and_page_by_seq(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    g = _activity(world)
    _post(world, g, 130, 0)  # 65 payments: two pages of 50 and one of the rest
    client.force_login(world.auditor)
    url = reverse("funds:audit_entries", args=[world.fund.pk, "paid"])
    seen, counts, next_url = [], [], url
    while next_url:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(next_url)
        counts.append(len(ctx.captured_queries))
        body = page.content.decode()
        rows = body.count("<tr><td>")
        seen.append(rows)
        marker = f"{url}?before="
        next_url = None
        if "Older entries" in body:
            start = body.index(marker)
            next_url = body[start : body.index('"', start)]
    paid_entries = (
        JournalEntry.objects.filter(fund=world.fund, legs__account=A.PAID).distinct().count()
    )
    assert sum(seen) == paid_entries and seen[0] == 50 and len(seen) == 2
    # bounded per page (a page with a claim on it prefetches that claim's items: one more)
    assert max(counts) <= 17


def test_the_summary_equals_the_legs_and_verify_ledger_checks_it(world):
    g = _activity(world)
    _post(world, g, 20, 0)
    entry = JournalEntry.objects.filter(fund=world.fund, kind="claim_paid").last()
    services.ledger_entry_reverse(actor=world.finance, entry=entry, memo="Paid twice")
    assert summary_problem(world.fund.pk) is None
    assert verify_ledger()[1] is None
    paid = LedgerSummary.objects.get(fund=world.fund, account=A.PAID, grant=g)
    legs = sum(
        leg.amount_pence
        for e in JournalEntry.objects.filter(fund=world.fund, grant=g)
        for leg in e.legs.all()
        if leg.account == A.PAID
    )
    assert paid.amount_pence == legs > 0
    # a summary row that does not follow from the legs is named
    LedgerSummary.objects.filter(pk=paid.pk).update(amount_pence=paid.amount_pence + 1)
    problem = summary_problem(world.fund.pk)
    assert problem is not None and f"paid, grant {g.pk}" in problem.reason
    with pytest.raises(SystemExit):
        call_command("verify_ledger")
