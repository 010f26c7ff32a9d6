"""The funds demo: a fund with money received, grants at several stages, a recovery, a ledger
that verifies, and real work waiting for the demo finance officer, funder and trustee."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from funds.models import Claim, Fund, Grant, JournalEntry, Recovery
from funds.selectors import fund_figures

pytestmark = pytest.mark.django_db


def test_funds_demo_is_idempotent_verifies_and_gives_each_role_work(client, settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo", stdout=io.StringIO())
    entries = JournalEntry.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert JournalEntry.objects.count() == entries
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # raises SystemExit(1) when it fails
    assert "verifies" in out.getvalue()

    fund = Fund.objects.get()
    assert fund.tranches.exclude(received_at=None).count() == 2
    figures = fund_figures(fund=fund)
    assert figures.received == 30_000_000 and figures.recovered == 20_000
    assert Recovery.objects.filter(status=Recovery.Status.RECEIVED).count() == 1
    assert set(Grant.objects.values_list("payment_mode", flat=True)) == {
        Grant.PaymentMode.ADVANCE,
        Grant.PaymentMode.REIMBURSEMENT,
    }
    assert {Claim.Status.SUBMITTED, Claim.Status.APPROVED, Claim.Status.PAID} <= set(
        Claim.objects.values_list("status", flat=True)
    )

    client.force_login(User.objects.get(email="finance@example.org"))
    queue = client.get(reverse("funds:queue", args=[fund.pk])).content.decode()
    assert "Release £6,000.00 for Play street kit" in queue
    assert "Pay claim" in queue

    client.force_login(User.objects.get(email="trustee@example.org"))
    todo = client.get(reverse("funds:todo", args=[fund.pk])).content.decode()
    assert "Record the decision on Youth club Friday nights" in todo
    submitted = Claim.objects.get(status=Claim.Status.SUBMITTED)
    assert reverse("funds:claim", args=[submitted.pk]) in todo

    client.force_login(User.objects.get(email="funder@example.org"))
    page = client.get(reverse("funds:fund", args=[fund.pk]))
    assert page.status_code == 200
    claim_page = client.get(reverse("funds:claim", args=[submitted.pk])).content.decode()
    item = submitted.items.get()
    assert reverse("funds:receipt", args=[item.pk]) in claim_page
    receipt = client.get(reverse("funds:receipt", args=[item.pk]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "image/png"
