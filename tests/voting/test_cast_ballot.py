"""Casting, changing and looking up online ballots; the ballot carries no link to the voter."""

from __future__ import annotations

import pytest
from django.core import mail

from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation
from voting.services import ballot_cast, receipt_lookup

pytestmark = pytest.mark.django_db


def test_cast_creates_participation_and_ballot_and_emails_a_notice_without_the_code(
    django_capture_on_commit_callbacks,
):
    # given
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    a, b, _ = proposal_ids(pot)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = ballot_cast(actor=voter, pot=pot, choices=[b, a])
    # then
    assert Participation.objects.get(pot=pot).membership.user == voter
    ballot = Ballot.objects.get(pot=pot)
    assert ballot.choices == sorted([a, b])
    assert result.receipt_code not in mail.outbox[-1].body  # shown once, on the page only
    assert "recorded" in mail.outbox[-1].body
    assert mail.outbox[-1].to == [voter.email]
    assert receipt_lookup(code=result.receipt_code).pot == pot
    assert receipt_lookup(code=result.receipt_code.lower().replace("-", " ")).pot == pot


def test_ballot_has_no_field_that_links_to_the_voter_or_time():
    names = {f.name for f in Ballot._meta.get_fields()}
    assert names == {"id", "round", "pot", "channel", "choices", "receipt_hash", "paper_batch"}
    assert Ballot._meta.pk.get_internal_type() == "UUIDField"


def test_second_cast_without_code_is_refused_and_changes_nothing():
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    a, b, c = proposal_ids(pot)
    ballot_cast(actor=voter, pot=pot, choices=[a])
    with pytest.raises(ApplicationError, match="receipt code"):
        ballot_cast(actor=voter, pot=pot, choices=[b])
    assert list(Ballot.objects.values_list("choices", flat=True)) == [[a]]


def test_change_with_receipt_code_replaces_the_ballot():
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    a, b, c = proposal_ids(pot)
    first = ballot_cast(actor=voter, pot=pot, choices=[a])
    second = ballot_cast(actor=voter, pot=pot, choices=[b, c], receipt_code=first.receipt_code)
    assert second.changed
    assert list(Ballot.objects.values_list("choices", flat=True)) == [[b, c]]
    assert Participation.objects.get().changes == 1
    assert receipt_lookup(code=first.receipt_code) is not None


def test_someone_elses_code_cannot_change_their_ballot():
    round, pot = round_with_pot()
    alice, bob = resident(round.neighbourhood), resident(round.neighbourhood)
    a, b, _ = proposal_ids(pot)
    alices = ballot_cast(actor=alice, pot=pot, choices=[a])
    ballot_cast(actor=bob, pot=pot, choices=[a])
    with pytest.raises(ApplicationError, match="not the receipt code"):
        ballot_cast(actor=bob, pot=pot, choices=[b], receipt_code=alices.receipt_code)
    assert sorted(Ballot.objects.values_list("choices", flat=True)) == [[a], [a]]


def test_no_change_when_round_forbids_it():
    round, pot = round_with_pot(allow_change=False)
    voter = resident(round.neighbourhood)
    a, b, _ = proposal_ids(pot)
    first = ballot_cast(actor=voter, pot=pot, choices=[a])
    with pytest.raises(StateError, match="cannot be changed"):
        ballot_cast(actor=voter, pot=pot, choices=[b], receipt_code=first.receipt_code)


def test_knapsack_over_budget_message_names_both_amounts():
    round, pot = round_with_pot(costs=(600_000, 640_000), amount_pence=1_000_000)
    voter = resident(round.neighbourhood)
    with pytest.raises(
        ApplicationError, match="You have chosen £12,400 of £10,000: £2,400 more than the pot"
    ):
        ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot))
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_knapsack_minimum_spend():
    round, pot = round_with_pot(costs=(100_000, 800_000), min_spend_percent=50)
    voter = resident(round.neighbourhood)
    small, big = proposal_ids(pot)
    with pytest.raises(ApplicationError, match="at least £5,000"):
        ballot_cast(actor=voter, pot=pot, choices=[small])
    ballot_cast(actor=voter, pot=pot, choices=[big])


def test_k_approval_limit():
    round, pot = round_with_pot(ballot_method="k_approval", max_choices=2)
    voter = resident(round.neighbourhood)
    with pytest.raises(ApplicationError, match="at most 2 proposals"):
        ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot))


def test_cumulative_points_limit_and_storage():
    round, pot = round_with_pot(ballot_method="cumulative", points_total=5)
    voter = resident(round.neighbourhood)
    a, b, c = proposal_ids(pot)
    with pytest.raises(ApplicationError, match="You have given 6 points; you have 5"):
        ballot_cast(actor=voter, pot=pot, choices={a: 3, b: 3})
    ballot_cast(actor=voter, pot=pot, choices={a: 3, b: 2, c: 0})
    assert Ballot.objects.get().choices == {str(a): 3, str(b): 2}


def test_ranking_keeps_order_and_refuses_repeats():
    round, pot = round_with_pot(ballot_method="ranking", max_choices=3)
    voter = resident(round.neighbourhood)
    a, b, c = proposal_ids(pot)
    with pytest.raises(ApplicationError, match="one proposal only"):
        ballot_cast(actor=voter, pot=pot, choices=[c, c])
    ballot_cast(actor=voter, pot=pot, choices=[c, a])
    assert Ballot.objects.get().choices == [c, a]


def test_proposer_may_not_vote_for_own_proposal_when_round_says_so():
    round, pot = round_with_pot(proposer_may_vote_own=False)
    item = pot.items.first()
    proposer = item.proposal.proposer
    from tests.factories import MembershipFactory

    MembershipFactory(user=proposer, neighbourhood=round.neighbourhood)
    with pytest.raises(ApplicationError, match="your own proposal"):
        ballot_cast(actor=proposer, pot=pot, choices=[item.proposal_id])


def test_closed_round_refuses_votes():
    round, pot = round_with_pot(status="closed")
    voter = resident(round.neighbourhood)
    with pytest.raises(ForbiddenError, match="not open"):
        ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot)[:1])


def test_receipt_lookup_of_unknown_code_says_nothing():
    assert receipt_lookup(code="AAAA-BBBB-CCCC-DDDD") is None
    assert receipt_lookup(code="short") is None
