"""The funder's audit workspace: statement with inline SVG charts, registers, drill-down from
a total to its entries and receipts, the audit trail and the log of receipt views."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from funds import services
from funds.models import DecisionExclusion, Grant
from tests.factories import UserFactory

from .factories import grant, item, selected_proposal

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _paid_claim(world, amount=20_000):
    g = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(amount)])
    services.claim_submit(actor=world.contact, claim=claim)
    services.claim_approve(actor=world.trustees[2], claim=claim)
    services.claim_pay(actor=world.finance, claim=claim)
    return claim


def test_workspace_for_auditor_and_trustee_not_finance_or_strangers(client, world):
    url = reverse("funds:audit", args=[world.fund.pk])
    for user in (world.auditor, world.chair):
        assert _login(client, user).get(url).status_code == 200
    for user in (world.finance, world.contact, UserFactory(mfa=True)):
        assert _login(client, user).get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code in (302, 403)


def test_workspace_shows_charts_without_javascript_and_links_the_exports(client, world):
    _paid_claim(world)
    body = _login(client, world.auditor).get(reverse("funds:audit", args=[world.fund.pk]))
    body = body.content.decode()
    assert body.count('<svg class="chart"') == 3
    assert "Budget against spend" in body and "Tranches received against the schedule" in body
    assert "<script" not in body.split("<main", 1)[-1].split("</main>", 1)[0]
    # The long downloads start a background export (funds.views_jobs) from the workspace.
    assert reverse("funds:export_start", args=[world.fund.pk]) in body
    for name in ("statement-csv", "statement-pdf", "ledger-csv", "audit-jsonl", "360giving-csv"):
        assert f'data-export-kind="{name}"' in body
    fund_page = client.get(reverse("funds:fund", args=[world.fund.pk])).content.decode()
    assert reverse("funds:audit", args=[world.fund.pk]) in fund_page


def test_drill_down_from_paid_total_to_receipt_and_the_view_is_logged(client, world):
    claim = _paid_claim(world)
    receipt_item = claim.items.get()
    _login(client, world.auditor)
    workspace = client.get(reverse("funds:audit", args=[world.fund.pk])).content.decode()
    paid_url = reverse("funds:audit_entries", args=[world.fund.pk, "paid"])
    assert paid_url in workspace
    assert "No funder auditor has opened a receipt yet." in workspace
    entries = client.get(paid_url).content.decode()
    assert "£200.00" in entries
    assert reverse("funds:claim", args=[claim.pk]) in entries
    receipt_url = reverse("funds:receipt", args=[receipt_item.pk])
    assert receipt_url in entries
    assert client.get(receipt_url).status_code == 200
    workspace = client.get(reverse("funds:audit", args=[world.fund.pk])).content.decode()
    assert f'data-receipt-view="{receipt_item.pk}"' in workspace
    assert str(world.auditor) in workspace


def test_drill_down_totals_equal_their_entries(client, world):
    _paid_claim(world, 20_000)
    _paid_claim(world, 5_000)
    _login(client, world.auditor)
    for drill, expected in (("received", "£5,000.00"), ("paid", "£250.00")):
        page = client.get(reverse("funds:audit_entries", args=[world.fund.pk, drill]))
        assert expected in page.content.decode()
    committed = client.get(reverse("funds:audit_entries", args=[world.fund.pk, "committed"]))
    body = committed.content.decode()
    assert "£2,000.00" in body  # two grants of £1,000 committed
    assert "Claim paid" not in body  # a payment moves money within the committed total
    missing = client.get(reverse("funds:audit_entries", args=[world.fund.pk, "nothing"]))
    assert missing.status_code == 404


def test_decisions_register_names_who_was_excluded_and_why(client, world):
    proposer = world.trustees[3]
    proposal = selected_proposal(world, proposer=proposer)
    grant(world, proposal=proposal)
    assert DecisionExclusion.objects.filter(trustee=proposer).exists()
    body = _login(client, world.auditor).get(reverse("funds:audit", args=[world.fund.pk]))
    body = body.content.decode()
    assert f"{proposer}: proposed it" in body


def test_audit_trail_lists_the_funds_events(client, world):
    claim = _paid_claim(world)
    body = _login(client, world.auditor).get(reverse("funds:audit", args=[world.fund.pk]))
    body = body.content.decode()
    for action in ("funds.claim_paid", "funds.grant_approved"):
        if AuditEvent.objects.filter(action=action).exists():
            assert action in body
    assert AuditEvent.objects.filter(object_id=str(claim.pk)).exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_workspace_and_drill_down_query_counts_do_not_grow_with_the_fund(client, world):
    _paid_claim(world)
    _login(client, world.auditor)
    urls = [
        reverse("funds:audit", args=[world.fund.pk]),
        reverse("funds:audit_entries", args=[world.fund.pk, "paid"]),
    ]
    small = [_queries(client, url) for url in urls]
    for _ in range(3):
        _paid_claim(world, 1_000)
    assert [_queries(client, url) for url in urls] == small
    assert small[0] <= 40 and small[1] <= 20
