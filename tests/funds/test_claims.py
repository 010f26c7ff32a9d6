"""Claims: submitted by grantee contacts, approved by a trustee who is not the submitter or
conflicted, paid once by the finance officer (reimbursement grants), never beyond the grant."""

from __future__ import annotations

import pytest

from communities.models import ConflictDeclaration
from config.errors import ApplicationError, ForbiddenError, StateError
from funds import services
from funds.models import Claim, ClaimItem, Grant, JournalEntry
from funds.selectors import fund_figures, grant_figures

from .factories import grant, item, pdf

R = Grant.PaymentMode.REIMBURSEMENT


def submitted(w, g, *amounts):
    claim = services.claim_create(actor=w.contact, grant=g, items=[item(a) for a in amounts])
    return services.claim_submit(actor=w.contact, claim=claim)


def test_a_reimbursement_claim_is_approved_and_paid_once(world):
    w = world
    g = grant(w, mode=R, amount_pence=80_000)
    claim = submitted(w, g, 30_000, 10_000)
    services.claim_approve(actor=w.trustees[2], claim=claim)
    services.claim_pay(actor=w.finance, claim=claim)
    services.claim_pay(actor=w.finance, claim=claim)  # a retry pays nothing more
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID and claim.entry is not None
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.CLAIM_PAID).count() == 1
    assert grant_figures(grant=g)["paid"] == 40_000
    assert fund_figures(fund=w.fund).paid == 40_000


def test_approving_one_s_own_claim_is_refused(world):
    w = world
    g = grant(w, mode=R)
    g.contacts.add(w.trustees[3])
    claim = services.claim_create(actor=w.trustees[3], grant=g, items=[item()])
    services.claim_submit(actor=w.trustees[3], claim=claim)
    with pytest.raises(ForbiddenError, match="your own claim"):
        services.claim_approve(actor=w.trustees[3], claim=claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_a_conflicted_trustee_cannot_approve_a_claim(world):
    w = world
    g = grant(w, mode=R)
    claim = submitted(w, g, 1_000)
    ConflictDeclaration.objects.create(
        user=w.trustees[2],
        neighbourhood=w.neighbourhood,
        object_type="funds.grant",
        object_id=str(g.pk),
        reason="Friend",
    )
    with pytest.raises(ForbiddenError):
        services.claim_approve(actor=w.trustees[2], claim=claim)
    with pytest.raises(ForbiddenError):  # the proposer is conflicted too
        g.proposal.proposer.emailaddress_set.update(verified=True)
        services.claim_approve(actor=g.proposal.proposer, claim=claim)


def test_the_payer_is_not_the_approver_or_submitter(world):
    from communities.models import Role, RoleAssignment

    w = world
    g = grant(w, mode=R)
    claim = submitted(w, g, 1_000)
    RoleAssignment.objects.create(
        user=w.trustees[2], neighbourhood=w.neighbourhood, role=Role.FINANCE_OFFICER
    )
    services.claim_approve(actor=w.trustees[2], claim=claim)
    with pytest.raises(ForbiddenError, match="someone else must pay"):
        services.claim_pay(actor=w.trustees[2], claim=claim)


def test_paying_an_unapproved_claim_is_refused(world):
    w = world
    g = grant(w, mode=R)
    claim = submitted(w, g, 1_000)
    with pytest.raises(StateError, match="Only an approved claim"):
        services.claim_pay(actor=w.finance, claim=claim)
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.CLAIM_PAID).exists()


def test_claims_never_take_payments_beyond_the_grant(world):
    w = world
    g = grant(w, mode=R, amount_pence=50_000)
    first = submitted(w, g, 40_000)
    services.claim_approve(actor=w.trustees[2], claim=first)
    with pytest.raises(ApplicationError, match="more than is left"):
        submitted(w, g, 10_001)
    second = submitted(w, g, 10_000)
    services.claim_approve(actor=w.trustees[2], claim=second)
    services.claim_pay(actor=w.finance, claim=first)
    services.claim_pay(actor=w.finance, claim=second)
    assert grant_figures(grant=g)["paid"] == 50_000


def test_advance_grant_claims_report_spend_and_are_not_paid(world):
    w = world
    g = grant(w, amount_pence=50_000)
    claim = submitted(w, g, 5_000)
    services.claim_approve(actor=w.trustees[2], claim=claim)
    with pytest.raises(StateError, match="paid in advance"):
        services.claim_pay(actor=w.finance, claim=claim)


def test_editing_an_approved_claim_returns_it_to_submitted(world):
    w = world
    g = grant(w, mode=R)
    claim = submitted(w, g, 1_000)
    services.claim_approve(actor=w.trustees[2], claim=claim)
    services.claim_item_add(actor=w.contact, claim=claim, item=item(500, pdf(), "r.pdf"))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED and claim.approved_by is None
    services.claim_item_remove(actor=w.contact, claim=claim, item=claim.items.last())
    with pytest.raises(StateError):
        services.claim_pay(actor=w.finance, claim=claim)


def test_incomplete_and_rejected(world):
    w = world
    g = grant(w, mode=R)
    claim = submitted(w, g, 1_000)
    services.claim_return_incomplete(actor=w.trustees[2], claim=claim, reason="Receipt unclear")
    services.claim_submit(actor=w.contact, claim=claim)
    services.claim_reject(actor=w.trustees[2], claim=claim, reason="Not eligible spend")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    with pytest.raises(StateError):
        services.claim_approve(actor=w.trustees[3], claim=claim)


def test_only_grant_contacts_claim_and_bad_items_store_nothing(world):
    w = world
    g = grant(w, mode=R)
    with pytest.raises(ForbiddenError):
        services.claim_create(actor=w.trustees[2], grant=g, items=[item()])
    for bad in (item(0), item(-5)):
        with pytest.raises(ApplicationError, match="more than £0"):
            services.claim_create(actor=w.contact, grant=g, items=[item(), bad])
    with pytest.raises(ApplicationError, match="not really an image|photo"):
        services.claim_create(
            actor=w.contact, grant=g, items=[item(), item(data=b"hello, I am text")]
        )
    assert not Claim.objects.exists() and not ClaimItem.objects.exists()


def test_a_claim_without_receipts_cannot_be_submitted(world):
    from funds.services import ItemInput

    w = world
    g = grant(w, mode=R)
    claim = services.claim_create(
        actor=w.contact, grant=g, items=[ItemInput(description="Paint", amount_pence=100)]
    )
    with pytest.raises(ApplicationError, match="receipt"):
        services.claim_submit(actor=w.contact, claim=claim)
