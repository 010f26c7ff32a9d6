"""Marking a paper voter covers the pots they have not voted in yet, tells the desk which pots
were skipped, and is refused only when no pot is left."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.errors import StateError
from tests.factories import ProposalFactory, resident, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Participation, Pot, PotItem
from voting.services import ballot_cast, paper_voter_mark

pytestmark = pytest.mark.django_db


def _two_pots():
    round, first = round_with_pot(channel_paper=True)
    second = Pot.objects.create(round=round, name="Youth pot", amount_pence=500_000, position=1)
    proposal = ProposalFactory(
        neighbourhood=round.neighbourhood, cost_pence=100_000, status="on_ballot"
    )
    PotItem.objects.create(pot=second, proposal=proposal, number=1, cost_pence=100_000)
    return round, first, second


def test_online_voter_in_one_pot_is_marked_for_the_other():
    # given: a member who voted online in the first pot only
    round, first, second = _two_pots()
    voter = resident(round.neighbourhood)
    ballot_cast(actor=voter, pot=first, choices=proposal_ids(first)[:1])
    # when: the desk marks them for paper
    mark = paper_voter_mark(
        actor=trustee(round.neighbourhood), round=round, membership=voter.memberships.get()
    )
    # then: only the second pot is marked, and the desk is told the first was skipped
    assert [p.pot for p in mark.created] == [second]
    assert [(pot, how) for pot, how in mark.skipped] == [(first, "online")]
    assert "“Youth pot”" in mark.message
    assert "Not for “Main pot” (already voted online)" in mark.message
    channels = dict(
        Participation.objects.filter(membership__user=voter).values_list("pot", "channel")
    )
    assert channels == {first.pk: "online", second.pk: "paper"}


def test_refused_when_every_pot_is_taken():
    round, first, second = _two_pots()
    chair = trustee(round.neighbourhood)
    member = resident(round.neighbourhood).memberships.get()
    paper_voter_mark(actor=chair, round=round, membership=member)
    with pytest.raises(StateError, match="no pot left"):
        paper_voter_mark(actor=chair, round=round, membership=member)
    assert Participation.objects.count() == 2


def test_desk_page_shows_the_skipped_pots(client):
    round, first, second = _two_pots()
    chair = trustee(round.neighbourhood)
    voter = resident(round.neighbourhood)
    ballot_cast(actor=voter, pot=first, choices=proposal_ids(first)[:1])
    client.force_login(chair)
    response = client.post(
        reverse("voting:paper", args=[round.pk]),
        {"action": "member", "membership": voter.memberships.get().pk},
        follow=True,
    )
    page = response.content.decode()
    assert "Give them ballot papers for “Youth pot”" in page
    assert "Not for “Main pot” (already voted online)" in page
    assert Participation.objects.filter(pot=second, channel="paper").count() == 1
