"""The whole money path, end to end at service level: decide, approve, pay, claim, verify."""

from __future__ import annotations

from django.core.management import call_command

from funds import services
from funds.models import Grant
from funds.selectors import fund_figures, grant_figures
from proposals.models import Proposal

from .factories import grant, item


def test_decide_grant_pay_tranche_claim_and_balances_move_by_exactly_those_amounts(world):
    w = world
    before = fund_figures(fund=w.fund)
    assert before.received == 500_000 and before.available == 500_000

    g = grant(w, amount_pence=200_000)
    assert g.proposal.status == Proposal.Status.IN_DELIVERY
    after_commit = fund_figures(fund=w.fund)
    assert after_commit.available == 300_000
    assert after_commit.committed == 200_000
    assert after_commit.paid == 0

    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    paid = fund_figures(fund=w.fund)
    assert paid.paid == 100_000 and paid.outstanding == 100_000 and paid.available == 300_000

    claim = services.claim_create(actor=w.contact, grant=g, items=[item(40_000)])
    services.claim_submit(actor=w.contact, claim=claim)
    services.claim_approve(actor=w.trustees[2], claim=claim)
    claim.refresh_from_db()
    assert claim.status == claim.Status.APPROVED
    assert grant_figures(grant=g)["paid"] == 100_000  # advance grant: spend accepted, not paid
    call_command("verify_ledger")
    assert g.payment_mode == Grant.PaymentMode.ADVANCE
