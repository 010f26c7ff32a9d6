"""The allowed-transitions map, the voting and funds hooks, stamps, history and audit."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from config.errors import ApplicationError, ForbiddenError, StateError
from proposals import services
from proposals.models import Proposal, StatusChange
from proposals.selectors import proposal_list_for_ballot
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident

pytestmark = pytest.mark.django_db
S = Proposal.Status


def test_every_state_is_in_the_map_and_terminal_states_go_nowhere():
    assert set(services.ALLOWED_TRANSITIONS) == set(S.values)
    for terminal in (S.NOT_SELECTED, S.COMPLETED, S.WITHDRAWN):
        assert services.ALLOWED_TRANSITIONS[terminal] == set()


def test_ballot_then_money_half_path_stamps_history_audits_and_emails(
    django_capture_on_commit_callbacks,
):
    p = ProposalFactory(status=S.SHORTLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_put_on_ballot(proposal=p)
        services.proposal_select(proposal=p)
        services.proposal_grant(proposal=p, reason="Decision 12")
        services.proposal_start_delivery(proposal=p)
        services.proposal_complete(proposal=p)
    p.refresh_from_db()
    assert p.status == S.COMPLETED
    for state in ("on_ballot", "selected", "granted", "in_delivery", "completed"):
        assert getattr(p, f"{state}_at") is not None
    assert list(p.history.values_list("to_status", flat=True)) == [
        "on_ballot",
        "selected",
        "granted",
        "in_delivery",
        "completed",
    ]
    events = AuditEvent.objects.filter(object_type="proposals.proposal").order_by("seq")
    assert [e.action for e in events] == [
        "proposals.put_on_ballot",
        "proposals.selected",
        "proposals.granted",
        "proposals.delivery_started",
        "proposals.completed",
    ]
    assert all(e.actor_id is None and e.actor_role == "system" for e in events)
    assert len(mail.outbox) == 5


def test_not_selected_and_return_to_shortlist_need_on_ballot():
    p = ProposalFactory(status=S.SHORTLISTED)
    with pytest.raises(StateError):
        services.proposal_select(proposal=p)
    services.proposal_put_on_ballot(proposal=p)
    with pytest.raises(ApplicationError, match="reason"):
        services.proposal_return_to_shortlist(proposal=p, reason=" ")
    services.proposal_return_to_shortlist(proposal=p, reason="Round annulled")
    p.refresh_from_db()
    assert p.status == S.SHORTLISTED and p.status_reason == "Round annulled"
    services.proposal_put_on_ballot(proposal=p)
    services.proposal_not_select(proposal=p)
    p.refresh_from_db()
    assert p.status == S.NOT_SELECTED
    with pytest.raises(StateError):
        services.proposal_grant(proposal=p)


@pytest.mark.parametrize("state", [s for s in S.values if s != S.SHORTLISTED])
def test_only_a_shortlisted_proposal_goes_on_the_ballot(state):
    p = ProposalFactory(status=state)
    with pytest.raises(StateError):
        services.proposal_put_on_ballot(proposal=p)
    p.refresh_from_db()
    assert p.status == state
    assert not StatusChange.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("state", list(S.values))
def test_withdrawal_is_allowed_only_before_the_ballot(state):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n), status=state)
    before = state in {S.DRAFT, S.SUBMITTED, S.SCREENING, S.SHORTLISTED, S.INELIGIBLE}
    if before:
        services.proposal_withdraw(proposal=p, actor=p.proposer, reason="Moving away")
        p.refresh_from_db()
        assert p.status == S.WITHDRAWN and p.withdrawn_at is not None
    else:
        with pytest.raises(StateError):
            services.proposal_withdraw(proposal=p, actor=p.proposer)


def test_only_the_proposer_can_withdraw_or_submit():
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.DRAFT)
    other = resident(n)
    with pytest.raises(ForbiddenError):
        services.proposal_withdraw(proposal=p, actor=other)
    with pytest.raises(ForbiddenError):
        services.proposal_submit(proposal=p, actor=other)
    services.proposal_submit(proposal=p, actor=p.proposer)
    with pytest.raises(StateError):
        services.proposal_submit(proposal=p, actor=p.proposer)


def test_ballot_selector_lists_visible_shortlisted_proposals_with_totals():
    n = NeighbourhoodFactory()
    a = ProposalFactory(neighbourhood=n, status=S.SHORTLISTED, cost_pence=5000)
    ProposalFactory(neighbourhood=n, status=S.SHORTLISTED, is_hidden=True)
    ProposalFactory(neighbourhood=n, status=S.SUBMITTED)
    ProposalFactory(status=S.SHORTLISTED)  # elsewhere
    listed = list(proposal_list_for_ballot(neighbourhood=n))
    assert listed == [a]
    assert listed[0].ballot_cost_pence == 5000


def test_conflicted_user_ids_are_the_proposer_and_linked_trustees():
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n))
    linked = resident(n)
    p.linked_trustees.add(linked)
    assert p.conflicted_user_ids() == sorted([p.proposer_id, linked.pk])
