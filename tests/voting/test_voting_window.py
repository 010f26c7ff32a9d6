"""Votes are taken only between opens_at and closes_at, even while the status still says open
(the scheduled task closes the round a little after the time)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.errors import ForbiddenError, StateError
from tests.factories import resident, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation, VoteRound
from voting.permissions import voter_ineligibility
from voting.services import ballot_cast, paper_voter_mark

pytestmark = pytest.mark.django_db


def _past_closing(**kwargs):
    now = timezone.now()
    return round_with_pot(
        status=VoteRound.Status.OPEN,
        opens_at=now - timedelta(days=3),
        closes_at=now - timedelta(hours=3),
        **kwargs,
    )


def test_online_vote_after_closes_at_is_refused():
    round, pot = _past_closing()
    voter = resident(round.neighbourhood)
    assert voter_ineligibility(voter, round).startswith("This vote closed at ")
    with pytest.raises(ForbiddenError, match="This vote closed at"):
        ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot)[:1])
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_ballot_page_after_closes_at_says_closed(client):
    round, pot = _past_closing()
    client.force_login(resident(round.neighbourhood))
    response = client.post(reverse("voting:ballot", args=[pot.pk]), {"choice": []})
    assert response.status_code == 403
    assert b"This vote is not open: it closed at" in response.content


def test_online_vote_before_opens_at_is_refused():
    now = timezone.now()
    round, pot = round_with_pot(
        opens_at=now + timedelta(hours=1), closes_at=now + timedelta(days=1)
    )
    voter = resident(round.neighbourhood)
    with pytest.raises(ForbiddenError, match="This vote opens at"):
        ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot)[:1])


def test_paper_voter_after_closes_at_is_refused():
    round, _ = _past_closing(channel_paper=True)
    chair = trustee(round.neighbourhood)
    member = resident(round.neighbourhood).memberships.get()
    with pytest.raises(StateError, match="This vote closed at"):
        paper_voter_mark(actor=chair, round=round, membership=member)
    assert not Participation.objects.exists()
