"""The funds demo: a fund with two tranches received, grants at several stages, claims with
receipts, a recovery, real work for the finance officer and the funder, a ledger that
verifies; a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from communities.models import Role, RoleAssignment
from demo.users import seed_users
from funds import demo
from funds.models import Claim, Fund, FundQuery, Grant, GrantTranche, JournalEntry, Recovery
from funds.services.grants import tranche_refusal
from proposals.models import Proposal
from tests.communities.factories import role_holder
from tests.factories import NeighbourhoodFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def test_demo_fund_has_work_for_finance_and_funder_and_a_ledger_that_verifies():
    users = seed_users()
    nb = NeighbourhoodFactory(min_partnership_members=3)
    for _ in range(3):
        role_holder(nb, Role.TRUSTEE, member=True)
    for email, role in (
        ("finance@example.org", Role.FINANCE_OFFICER),
        ("funder@example.org", Role.FUNDER_AUDITOR),
    ):
        RoleAssignment.objects.create(user=users[email], neighbourhood=nb, role=role)
        Authenticator.objects.create(user=users[email], type=Authenticator.Type.TOTP, data={})
    ProposalFactory(neighbourhood=nb, status=Proposal.Status.SELECTED, cost_pence=400_000)

    demo.seed(users=users, stdout=io.StringIO())

    fund = Fund.objects.get(neighbourhood=nb)
    assert fund.tranches.exclude(received_at=None).count() == 2
    assert set(Grant.objects.values_list("status", flat=True)) == {"active"}
    from_proposals = Grant.objects.exclude(proposal=None)
    assert from_proposals.exists()
    assert not from_proposals.exclude(proposal__status=Proposal.Status.IN_DELIVERY).exists()
    assert Claim.objects.filter(
        status=Claim.Status.APPROVED, grant__payment_mode="reimbursement"
    ).exists()
    assert Claim.objects.filter(status=Claim.Status.PAID).exists()
    assert all(item.receipt_kind == "png" for c in Claim.objects.all() for item in c.items.all())
    assert Recovery.objects.filter(status=Recovery.Status.RECEIVED).count() == 1
    ready = [
        t
        for t in GrantTranche.objects.filter(status="pending").select_related("grant__fund")
        if tranche_refusal(t, t.grant.fund, t.grant) is None
    ]
    assert ready, "the finance officer has a tranche to release"
    assert GrantTranche.objects.filter(held_by=users["funder@example.org"]).exists()
    # the funder's open query on the garden's claim, answered once by a trustee
    query = FundQuery.objects.get(fund=fund)
    assert query.status == FundQuery.Status.OPEN and query.raised_by == users["funder@example.org"]
    assert query.claim.grant.proposal.title == "Community garden on the Green"
    assert list(query.messages.values_list("kind", flat=True)) == ["question", "answer"]
    call_command("verify_ledger", stdout=io.StringIO())

    count = JournalEntry.objects.count()
    demo.seed(users=users, stdout=io.StringIO())
    assert JournalEntry.objects.count() == count and Fund.objects.count() == 1
