"""Counting, certification by two different unconflicted trustees, frozen results, publication."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from communities.models import ConflictDeclaration, Membership, RoleAssignment
from communities.selectors import partnership_health
from communities.services import PartnershipUnhealthyError, partnership_exception_record
from config.errors import ForbiddenError, StateError
from proposals.models import Proposal
from tests.factories import (
    NeighbourhoodFactory,
    UserFactory,
    healthy_partnership,
    resident,
    trustee,
)
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, PotResult
from voting.permissions import can_publish_results
from voting.services import (
    ballot_cast,
    round_certify,
    round_count,
    round_publish_results,
    round_recount,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, costs=(300_000, 400_000, 500_000, 600_000))
    a, b, c, d = proposal_ids(pot)
    for choices in ([a, b], [a, b], [c], [d], [a, c], [b]):
        ballot_cast(actor=resident(place), pot=pot, choices=choices)
    round.status = "closed"
    round.save()
    chair = trustee(place)
    healthy_partnership(place)
    round_count(actor=chair, round=round)
    round.refresh_from_db()
    return round, pot, chair


def test_count_stores_exact_scores_and_winners(counted):
    round, pot, _ = counted
    a, b, c, d = proposal_ids(pot)
    result = pot.result
    assert round.status == "counted"
    assert result.scores == {str(a): "3", str(b): "3", str(c): "2", str(d): "1"}
    # greedy (skip): a (3, £3,000), b (3, £4,000) -> £3,000 left, c (£5,000) and d do not fit
    assert result.winners == sorted([a, b])
    assert result.total_cost_pence == 700_000
    assert result.ballots_counted == 6


def test_two_different_trustees_certify(counted):
    round, _, chair = counted
    round_certify(actor=chair, round=round)
    with pytest.raises(ForbiddenError, match="already certified"):
        round_certify(actor=chair, round=round)
    round.refresh_from_db()
    assert round.status == "counted"
    round_certify(actor=trustee(round.neighbourhood), round=round)
    round.refresh_from_db()
    assert round.status == "certified" and round.certified_at
    assert PotResult.objects.get().frozen_at is not None


def test_a_conflicted_trustee_cannot_certify(counted):
    round, pot, _ = counted
    conflicted = trustee(round.neighbourhood)
    proposal = pot.items.first().proposal
    ConflictDeclaration.objects.create(
        user=conflicted,
        neighbourhood=round.neighbourhood,
        object_type="proposals.proposal",
        object_id=str(proposal.pk),
        reason="My sister runs it.",
    )
    with pytest.raises(ForbiddenError, match="conflict of interest"):
        round_certify(actor=conflicted, round=round)


def test_a_resident_cannot_certify(counted):
    round, _, _ = counted
    with pytest.raises(ForbiddenError):
        round_certify(actor=resident(round.neighbourhood), round=round)


def test_certified_result_is_frozen_and_recount_agrees_without_writing(counted):
    round, pot, chair = counted
    round_certify(actor=chair, round=round)
    round_certify(actor=trustee(round.neighbourhood), round=round)
    stored = PotResult.objects.values().get()
    # a recount gives the same answer
    (check,) = round_recount(round=round)
    assert check.matches and check.recount_winners == stored["winners"]
    # counting again is refused, and the record is untouched
    with pytest.raises(StateError):
        round_count(actor=chair, round=round)
    # even if ballots were tampered with later, the recount shows it and the record stays
    Ballot.objects.filter(pot=pot).update(choices=[proposal_ids(pot)[3]])
    (check,) = round_recount(round=round)
    assert not check.matches
    assert PotResult.objects.values().get() == stored


def test_recount_before_certification_clears_signatures(counted):
    round, _, chair = counted
    round_certify(actor=chair, round=round)
    round_count(actor=chair, round=round)
    assert round.certifications.count() == 0


def test_publishing_results_selects_winners(counted, client):
    round, pot, chair = counted
    round_certify(actor=chair, round=round)
    round_certify(actor=trustee(round.neighbourhood), round=round)
    round_publish_results(actor=chair, round=round)
    a, b, c, d = proposal_ids(pot)
    status = dict(Proposal.objects.values_list("pk", "status"))
    assert [status[a], status[b], status[c], status[d]] == [
        "selected",
        "selected",
        "not_selected",
        "not_selected",
    ]
    page = client.get(reverse("voting:results", args=[round.pk])).content.decode()
    assert "Greedy by votes" in page and "Skip:" in page and "<svg" in page


def test_results_page_query_count_is_bounded(counted, client, django_assert_max_num_queries):
    round, _, chair = counted
    round_certify(actor=chair, round=round)
    round_certify(actor=trustee(round.neighbourhood), round=round)
    round_publish_results(actor=chair, round=round)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("voting:results", args=[round.pk])).status_code == 200


# --- The partnership health rule at every certification (issue 9 point 2, RULINGS) -------


def _conflicted_trustee(round, pot):
    conflicted = trustee(round.neighbourhood)
    ConflictDeclaration.objects.create(
        user=conflicted,
        neighbourhood=round.neighbourhood,
        object_type="proposals.proposal",
        object_id=str(pot.items.first().proposal.pk),
        reason="My sister runs it.",
    )
    return conflicted


def test_certification_is_refused_while_the_partnership_is_below_the_rule(counted):
    round, _, chair = counted
    place = round.neighbourhood
    # the partnership falls below the rule mid-round: three trustees stand down
    for assignment in RoleAssignment.objects.current().filter(neighbourhood=place)[:3]:
        if assignment.user_id != chair.pk:
            assignment.ended_at = timezone.now()
            assignment.save()
    members = partnership_health(place).members
    assert members < 8
    with pytest.raises(PartnershipUnhealthyError, match=f"needs 8 trustees, has {members}"):
        round_certify(actor=chair, round=round)
    assert round.certifications.count() == 0


def test_health_is_checked_at_each_signature(counted):
    round, _, chair = counted
    round_certify(actor=chair, round=round)
    # between the two signatures, two resident trustees are found to have moved away
    others = RoleAssignment.objects.current().filter(neighbourhood=round.neighbourhood)
    second = trustee(round.neighbourhood)
    moved = others.exclude(user__in=[chair, second]).values_list("user", flat=True)[:6]
    Membership.objects.filter(user__in=list(moved), neighbourhood=round.neighbourhood).update(
        connection="works"
    )
    with pytest.raises(PartnershipUnhealthyError, match=r"residents are \d+ of \d+, need 51%"):
        round_certify(actor=second, round=round)
    round.refresh_from_db()
    assert round.status == "counted" and round.certifications.count() == 1


def test_a_platform_admins_exception_lets_certification_go_ahead(counted):
    round, _, chair = counted
    place = round.neighbourhood
    RoleAssignment.objects.current().filter(neighbourhood=place).exclude(user=chair).update(
        ended_at=timezone.now()
    )
    admin = UserFactory(is_platform_admin=True, mfa=True)
    exception = partnership_exception_record(
        actor=admin, neighbourhood=place, reason="Trustees resigned after the vote closed."
    )
    round_certify(actor=chair, round=round)
    round_certify(actor=trustee(place), round=round)
    round.refresh_from_db()
    assert round.status == "certified"
    signed = AuditEvent.objects.filter(action="voting.round_signed", object_id=str(round.pk))
    assert [e.changes["partnership_exception_id"] for e in signed] == [exception.pk] * 2


def test_the_certify_page_shows_the_refusal(counted, client):
    round, _, chair = counted
    RoleAssignment.objects.current().filter(neighbourhood=round.neighbourhood).exclude(
        user=chair
    ).update(ended_at=timezone.now())
    client.force_login(chair)
    response = client.post(reverse("voting:round_certify", args=[round.pk]), follow=True)
    assert "needs 8 trustees, has 1" in response.content.decode()


# --- Counting and publishing refuse conflicted trustees, as certifying does --------------


def test_a_conflicted_trustee_cannot_count(counted):
    round, pot, _ = counted
    conflicted = _conflicted_trustee(round, pot)
    with pytest.raises(ForbiddenError, match="cannot count this vote"):
        round_count(actor=conflicted, round=round)
    closed, closed_pot = round_with_pot(round.neighbourhood, status="closed")
    proposer = closed_pot.items.first().proposal.proposer
    RoleAssignment.objects.create(user=proposer, neighbourhood=round.neighbourhood, role="trustee")
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=proposer, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    with pytest.raises(ForbiddenError, match="conflict of interest"):
        round_count(actor=proposer, round=closed)
    closed.refresh_from_db()
    assert closed.status == "closed"


def test_a_conflicted_trustee_cannot_publish_results(counted):
    round, pot, chair = counted
    round_certify(actor=chair, round=round)
    round_certify(actor=trustee(round.neighbourhood), round=round)
    conflicted = _conflicted_trustee(round, pot)
    with pytest.raises(ForbiddenError, match="cannot publish these results"):
        round_publish_results(actor=conflicted, round=round)
    round.refresh_from_db()
    assert round.status == "certified"
    assert not can_publish_results(conflicted, round) and can_publish_results(chair, round)
