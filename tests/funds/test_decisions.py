"""Decisions: conflicted trustees excluded from vote and quorum with a reason; no quorum,
a conflicted voter or an unhealthy partnership refuse the decision and store nothing."""

from __future__ import annotations

import pytest

from communities.models import ConflictDeclaration, Role, RoleAssignment
from config.errors import ApplicationError, ForbiddenError
from funds import services
from funds.models import Decision, DecisionExclusion, DecisionVote, Meeting
from funds.services import quorum_for

from .factories import decide, meeting, selected_proposal


def test_quorum_is_a_majority_of_non_conflicted_trustees_and_at_least_three(settings):
    assert [quorum_for(n) for n in (1, 3, 4, 5, 6, 8, 9)] == [3, 3, 3, 3, 4, 5, 5]
    settings.COMMONPURSE = {**settings.COMMONPURSE, "DECISION_QUORUM_MIN": 2}
    assert quorum_for(2) == 2


def test_a_proposer_trustee_and_a_declared_trustee_are_excluded_with_reasons(world):
    w = world
    proposal = selected_proposal(w, proposer=w.trustees[1])
    ConflictDeclaration.objects.create(
        user=w.trustees[2],
        neighbourhood=w.neighbourhood,
        object_type="proposals.proposal",
        object_id=str(proposal.pk),
        reason="My sister runs it",
    )
    decision = decide(w, proposal=proposal, amount_pence=10_000)
    assert decision.passed
    assert decision.eligible_count == 3 and decision.quorum == 3
    reasons = dict(decision.exclusions.values_list("trustee_id", "reason"))
    assert reasons == {
        w.trustees[1].pk: DecisionExclusion.Reason.PROPOSER,
        w.trustees[2].pk: DecisionExclusion.Reason.DECLARED,
    }
    assert not decision.votes.filter(trustee__in=[w.trustees[1], w.trustees[2]]).exists()


def test_a_linked_trustee_is_excluded(world):
    w = world
    proposal = selected_proposal(w)
    proposal.linked_trustees.add(w.trustees[3])
    decision = decide(w, proposal=proposal)
    assert decision.exclusions.get().reason == DecisionExclusion.Reason.LINKED


def test_a_conflicted_trustee_voting_is_refused_and_nothing_is_stored(world):
    w = world
    proposal = selected_proposal(w, proposer=w.trustees[1])
    m = meeting(w)
    with pytest.raises(ApplicationError, match="conflict of interest"):
        services.decision_record(
            actor=w.chair,
            meeting=m,
            fund=w.fund,
            subject=Decision.Subject.GRANT,
            motion="Fund it",
            votes=dict.fromkeys(w.trustees, "for"),
            amount_pence=10_000,
            proposal=proposal,
        )
    assert not Decision.objects.exists() and not DecisionVote.objects.exists()


def test_a_decision_without_quorum_is_refused_and_nothing_is_stored(world):
    w = world
    with pytest.raises(ApplicationError, match="not quorate"):
        decide(w, proposal=selected_proposal(w), attendees=w.trustees[:2])
    assert not Decision.objects.exists()


def test_conflicts_reduce_the_quorum_pool(world):
    # 5 trustees, 3 conflicted: 2 eligible, quorum 3 -> cannot be quorate.
    w = world
    proposal = selected_proposal(w, proposer=w.trustees[0])
    proposal.linked_trustees.add(w.trustees[1], w.trustees[2])
    with pytest.raises(ApplicationError, match="not quorate"):
        decide(w, proposal=proposal, actor=w.trustees[3])


def test_a_decision_fails_when_more_vote_against(world):
    w = world
    votes = dict.fromkeys(w.trustees[:3], "against") | dict.fromkeys(w.trustees[3:], "for")
    decision = decide(w, proposal=selected_proposal(w), votes=votes)
    assert decision.outcome == Decision.Outcome.REJECTED
    assert (decision.votes_for, decision.votes_against) == (2, 3)


def test_every_trustee_present_must_have_a_vote_recorded(world):
    w = world
    with pytest.raises(ApplicationError, match="every trustee present"):
        decide(w, proposal=selected_proposal(w), votes={w.trustees[0]: "for"})


def test_an_unhealthy_partnership_cannot_decide(world):
    w = world
    RoleAssignment.objects.filter(user=w.trustees[4], role=Role.TRUSTEE).delete()
    with pytest.raises(ApplicationError, match="below its required make-up"):
        decide(w, proposal=selected_proposal(w), attendees=w.trustees[:4])
    assert not Decision.objects.exists()


def test_only_trustees_record_meetings_and_decisions(world):
    w = world
    with pytest.raises(ForbiddenError):
        services.meeting_record(
            actor=w.finance,
            neighbourhood=w.neighbourhood,
            held_on=w.fund.starts_on,
            attendees=w.trustees,
        )
    with pytest.raises(ForbiddenError):
        decide(w, proposal=selected_proposal(w), actor=w.finance)
    assert not Meeting.objects.filter(convened_by=w.finance).exists()
