"""Grants: approval commits money (never beyond the available balance), the proposal moves
through proposals' services, and tranches are paid once by a segregated finance officer."""

from __future__ import annotations

import pytest

from communities.models import ConflictDeclaration
from config.errors import ApplicationError, ForbiddenError, StateError
from funds import services
from funds.models import Grant, GrantTranche, JournalEntry, MonitoringReport
from funds.selectors import fund_figures
from funds.services import TrancheSpec
from proposals.models import Proposal

from .factories import decide, grant, selected_proposal


def ledger_count(w) -> int:
    return JournalEntry.objects.filter(fund=w.fund).count()


def test_approving_commits_money_and_grants_the_proposal(world):
    w = world
    g = grant(w, amount_pence=120_000, activate=False)
    assert g.status == Grant.Status.APPROVED and g.approved_by == w.trustees[1]
    assert g.proposal.status == Proposal.Status.GRANTED
    f = fund_figures(fund=w.fund)
    assert (f.available, f.committed, f.outstanding) == (380_000, 120_000, 120_000)


def test_approving_beyond_the_available_balance_is_refused_and_the_ledger_is_unchanged(world):
    w = world
    proposal = selected_proposal(w)
    decision = decide(w, proposal=proposal, amount_pence=500_001)
    before = ledger_count(w)
    with pytest.raises(ApplicationError, match="below zero"):
        services.grant_approve(
            actor=w.trustees[1],
            decision=decision,
            title="Too much",
            recipient_organisation=w.grantee,
            contacts=[w.contact],
            tranches=[TrancheSpec(500_001)],
        )
    assert ledger_count(w) == before and not Grant.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SELECTED


def test_a_suspended_fund_commits_nothing(world):
    w = world
    decision = decide(w, proposal=selected_proposal(w))
    services.fund_suspend(actor=w.auditor, fund=w.fund, reason="Query on accounts")
    with pytest.raises(StateError, match="Suspended"):
        services.grant_approve(
            actor=w.trustees[1],
            decision=decision,
            title="x",
            recipient_organisation=w.grantee,
            contacts=[w.contact],
            tranches=[TrancheSpec(100_000)],
        )


def test_a_conflicted_trustee_cannot_approve(world):
    w = world
    proposal = selected_proposal(w)
    decision = decide(w, proposal=proposal)
    ConflictDeclaration.objects.create(
        user=w.trustees[1],
        neighbourhood=w.neighbourhood,
        object_type="proposals.proposal",
        object_id=str(proposal.pk),
        reason="Neighbour",
    )
    with pytest.raises(ForbiddenError):
        services.grant_approve(
            actor=w.trustees[1],
            decision=decision,
            title="x",
            recipient_organisation=w.grantee,
            contacts=[w.contact],
            tranches=[TrancheSpec(100_000)],
        )


def test_tranches_must_add_up_and_a_grantee_must_have_passed_due_diligence(world):
    w = world
    decision = decide(w, proposal=selected_proposal(w))
    kwargs = {"actor": w.trustees[1], "decision": decision, "title": "x", "contacts": [w.contact]}
    with pytest.raises(ApplicationError, match="add up"):
        services.grant_approve(
            **kwargs, recipient_organisation=w.grantee, tranches=[TrancheSpec(99_999)]
        )
    w.grantee.due_diligence_status = "pending"
    w.grantee.save()
    with pytest.raises(ApplicationError, match="due diligence"):
        services.grant_approve(
            **kwargs, recipient_organisation=w.grantee, tranches=[TrancheSpec(100_000)]
        )


def test_a_decision_is_turned_into_one_grant_only(world):
    w = world
    g = grant(w, activate=False)
    with pytest.raises(StateError):
        services.grant_approve(
            actor=w.trustees[1],
            decision=g.decision,
            title="again",
            recipient_organisation=w.grantee,
            contacts=[w.contact],
            tranches=[TrancheSpec(100_000)],
        )


def test_release_pays_once_and_moves_the_balances(world):
    w = world
    g = grant(w, amount_pence=100_000)
    t1 = g.tranches.get(number=1)
    services.grant_tranche_release(actor=w.finance, tranche=t1)
    again = services.grant_tranche_release(actor=w.finance, tranche=t1)
    assert again.status == GrantTranche.Status.RELEASED
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.TRANCHE_PAID).count() == 1
    assert fund_figures(fund=w.fund).paid == 50_000


def test_paying_an_unapproved_grant_s_tranche_is_refused(world):
    w = world
    g = grant(w, activate=False)
    before = ledger_count(w)
    with pytest.raises(StateError, match="only an active grant"):
        services.grant_tranche_release(actor=w.finance, tranche=g.tranches.first())
    assert ledger_count(w) == before


def test_the_releaser_is_never_the_approver_the_payee_or_conflicted(world):
    w = world
    g = grant(w)
    t1 = g.tranches.get(number=1)
    with pytest.raises(ForbiddenError, match="releases payments"):
        services.grant_tranche_release(actor=w.trustees[1], tranche=t1)  # the approver
    g.contacts.add(w.finance)
    with pytest.raises(ForbiddenError, match="conflicted"):
        services.grant_tranche_release(actor=w.finance, tranche=t1)  # now a payee
    ConflictDeclaration.objects.create(
        user=w.finance2,
        neighbourhood=w.neighbourhood,
        object_type="funds.grant",
        object_id=str(g.pk),
        reason="Related",
    )
    with pytest.raises(ForbiddenError, match="conflicted"):
        services.grant_tranche_release(actor=w.finance2, tranche=t1)
    t1.refresh_from_db()
    assert t1.status == GrantTranche.Status.PENDING


def test_a_finance_officer_who_approved_cannot_release(world):
    # The approver is a trustee who is also a finance officer.
    from communities.models import Role, RoleAssignment

    w = world
    RoleAssignment.objects.create(
        user=w.trustees[1], neighbourhood=w.neighbourhood, role=Role.FINANCE_OFFICER
    )
    g = grant(w)
    with pytest.raises(ForbiddenError, match="You approved this grant"):
        services.grant_tranche_release(actor=w.trustees[1], tranche=g.tranches.get(number=1))


def test_a_held_tranche_is_not_paid_until_the_hold_is_lifted(world):
    w = world
    g = grant(w)
    t1 = g.tranches.get(number=1)
    with pytest.raises(ApplicationError):
        services.grant_tranche_hold(actor=w.auditor, tranche=t1, reason="  ")
    with pytest.raises(ForbiddenError):
        services.grant_tranche_hold(actor=w.finance, tranche=t1, reason="no")
    services.grant_tranche_hold(actor=w.auditor, tranche=t1, reason="Invoice query")
    with pytest.raises(StateError, match="Invoice query"):
        services.grant_tranche_release(actor=w.finance, tranche=t1)
    services.grant_tranche_unhold(actor=w.auditor, tranche=t1)
    assert services.grant_tranche_release(actor=w.finance, tranche=t1).status == "released"


def test_a_suspended_fund_pays_nothing_until_resumed(world):
    w = world
    g = grant(w)
    services.fund_suspend(actor=w.auditor, fund=w.fund, reason="Audit")
    with pytest.raises(StateError, match="pays nothing"):
        services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    services.fund_resume(actor=w.auditor, fund=w.fund)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))


def test_a_spend_report_precondition_must_hold_and_unlocks_one_tranche(world):
    w = world
    P = GrantTranche.Precondition
    g = grant(
        w,
        amount_pence=90_000,
        tranches=[
            TrancheSpec(30_000),
            TrancheSpec(30_000, precondition=P.SPEND_REPORT_ACCEPTED),
            TrancheSpec(30_000, precondition=P.SPEND_REPORT_ACCEPTED),
        ],
    )
    t1, t2, t3 = g.tranches.order_by("number")
    with pytest.raises(StateError, match="Earlier tranches"):
        services.grant_tranche_release(actor=w.finance, tranche=t2)
    services.grant_tranche_release(actor=w.finance, tranche=t1)
    with pytest.raises(StateError, match="spend report accepted"):
        services.grant_tranche_release(actor=w.finance, tranche=t2)
    report = services.monitoring_report_submit(
        actor=w.contact, grant=g, kind=MonitoringReport.Kind.SPEND, body="Spent", spend_pence=30_000
    )
    services.monitoring_report_review(actor=w.trustees[2], report=report, accept=True)
    services.grant_tranche_release(actor=w.finance, tranche=t2)
    with pytest.raises(StateError, match="spend report accepted"):
        services.grant_tranche_release(actor=w.finance, tranche=t3)


def test_completing_releases_the_unpaid_commitment_and_completes_the_proposal(world):
    w = world
    g = grant(w, amount_pence=100_000)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    services.grant_complete(actor=w.finance, grant=g)
    g.refresh_from_db()
    assert g.status == Grant.Status.COMPLETED
    assert g.proposal.status == Proposal.Status.COMPLETED
    f = fund_figures(fund=w.fund)
    assert (f.outstanding, f.paid, f.available) == (0, 50_000, 450_000)


def test_withdrawing_an_approved_grant_cancels_tranches_and_frees_the_money(world):
    w = world
    g = grant(w, activate=False)
    services.grant_withdraw(actor=w.finance, grant=g, reason="Grantee pulled out")
    assert set(g.tranches.values_list("status", flat=True)) == {"cancelled"}
    assert fund_figures(fund=w.fund).available == 500_000


def test_grant_states_follow_the_map(world):
    w = world
    g = grant(w)
    with pytest.raises(StateError):
        services.grant_withdraw(actor=w.finance, grant=g, reason="x")
    services.grant_suspend(actor=w.auditor, grant=g, reason="Query")
    services.grant_resume(actor=w.finance, grant=g)
    services.grant_close_early(actor=w.finance, grant=g, reason="Stopped")
    g.refresh_from_db()
    assert g.status == Grant.Status.CLOSED_EARLY and g.closed_early_at is not None


def test_a_running_costs_grant_to_the_fund_holder_pays_into_running_costs(world):
    w = world
    g = grant(w, running_costs=True, amount_pence=20_000)
    assert g.proposal is None
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    balances = fund_figures(fund=w.fund)
    assert balances.paid == 10_000
    from funds.selectors import account_balances

    assert account_balances(fund=w.fund)["running_costs"] == 10_000


def test_a_closing_fund_still_pays_what_it_committed_but_commits_nothing_new(world):
    w = world
    g = grant(w)
    decision = decide(w, proposal=selected_proposal(w))
    services.fund_start_closing(actor=w.finance, fund=w.fund)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    with pytest.raises(StateError, match="only when active"):
        services.grant_approve(
            actor=w.trustees[1],
            decision=decision,
            title="late",
            recipient_organisation=w.grantee,
            contacts=[w.contact],
            tranches=[TrancheSpec(100_000)],
        )
