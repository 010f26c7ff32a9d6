"""Trustees open a published vote now and close an open vote now: audited with their name,
refused from the wrong state, for non-trustees and for conflicted trustees (issue 9, point 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from config.errors import ForbiddenError, StateError
from proposals.models import Proposal
from tests.factories import resident, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, VoteRound
from voting.services import ballot_cast, round_close_now, round_open_now

pytestmark = pytest.mark.django_db

S = VoteRound.Status


def _published(**kwargs):
    now = timezone.now()
    return round_with_pot(
        status=S.PUBLISHED,
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=8),
        **kwargs,
    )


def test_a_trustee_opens_a_published_vote_now_and_members_can_vote_at_once():
    round, pot = _published()
    chair = trustee(round.neighbourhood)
    scheduled = round.opens_at
    round = round_open_now(actor=chair, round=round)
    assert round.status == S.OPEN and round.open_at
    assert round.opens_at <= timezone.now() < scheduled
    event = AuditEvent.objects.get(action="voting.round_opened")
    assert event.actor == chair and event.actor_role == "trustee"
    assert event.changes["scheduled_opens_at"] == scheduled.isoformat()
    # the window now starts at the moment it was opened
    ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1])
    assert Ballot.objects.filter(pot=pot).count() == 1


def test_a_trustee_closes_an_open_vote_now_and_it_is_reshuffled_and_digested():
    round, pot = round_with_pot(status=S.OPEN)
    ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1])
    chair = trustee(round.neighbourhood)
    scheduled = round.closes_at
    round = round_close_now(actor=chair, round=round)
    assert round.status == S.CLOSED and round.closed_at and round.closes_at < scheduled
    event = AuditEvent.objects.get(action="voting.round_closed")
    assert event.actor == chair and event.changes["scheduled_closes_at"] == scheduled.isoformat()
    pot.refresh_from_db()
    assert pot.ballots_digested == 1 and len(pot.ballots_sha256) == 64
    assert AuditEvent.objects.get(action="voting.ballots_digested").actor == chair
    with pytest.raises(ForbiddenError, match="not open: it closed at"):
        ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1])


@pytest.mark.parametrize(
    "status", [S.DRAFT, S.OPEN, S.CLOSED, S.COUNTED, S.CERTIFIED, S.RESULTS_PUBLISHED, S.ANNULLED]
)
def test_open_now_only_from_published(status):
    round, _ = _published()
    VoteRound.objects.filter(pk=round.pk).update(status=status)
    with pytest.raises(StateError, match="Only a published vote can be opened"):
        round_open_now(actor=trustee(round.neighbourhood), round=round)
    assert not AuditEvent.objects.filter(action="voting.round_opened").exists()


@pytest.mark.parametrize(
    "status",
    [S.DRAFT, S.PUBLISHED, S.CLOSED, S.COUNTED, S.CERTIFIED, S.RESULTS_PUBLISHED, S.ANNULLED],
)
def test_close_now_only_from_open(status):
    round, _ = round_with_pot(status=status)
    with pytest.raises(StateError, match="Only an open vote can be closed"):
        round_close_now(actor=trustee(round.neighbourhood), round=round)
    assert VoteRound.objects.get(pk=round.pk).status == status


def test_opening_after_the_closing_time_is_refused():
    now = timezone.now()
    round, _ = round_with_pot(
        status=S.PUBLISHED, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1)
    )
    with pytest.raises(StateError, match="closing time has passed"):
        round_open_now(actor=trustee(round.neighbourhood), round=round)


@pytest.mark.parametrize("service", [round_open_now, round_close_now])
def test_residents_and_other_neighbourhoods_trustees_cannot(service):
    round, _ = round_with_pot(status=S.PUBLISHED if service is round_open_now else S.OPEN)
    other, _ = round_with_pot()
    for actor in (resident(round.neighbourhood), trustee(other.neighbourhood)):
        with pytest.raises(ForbiddenError):
            service(actor=actor, round=round)
    assert VoteRound.objects.get(pk=round.pk).status == round.status


@pytest.mark.parametrize("service", [round_open_now, round_close_now])
def test_a_trustee_with_a_proposal_on_the_ballot_cannot(service):
    round, pot = round_with_pot(status=S.PUBLISHED if service is round_open_now else S.OPEN)
    conflicted = trustee(round.neighbourhood)
    Proposal.objects.filter(pk=proposal_ids(pot)[0]).update(proposer=conflicted)
    with pytest.raises(ForbiddenError, match="conflict of interest"):
        service(actor=conflicted, round=round)
    assert VoteRound.objects.get(pk=round.pk).status == round.status


def test_the_round_page_asks_to_confirm_before_opening(client):
    round, _ = _published()
    client.force_login(trustee(round.neighbourhood))
    detail = client.get(reverse("voting:round_detail", args=[round.pk])).content.decode()
    url = reverse("voting:round_open_now", args=[round.pk])
    assert f'action="{url}"' in detail and "Open the vote now" in detail
    assert "Close the vote now" not in detail
    # the round page's button: a confirmation page, nothing changed yet
    response = client.post(url)
    assert response.status_code == 200
    assert "Open the vote now?" in response.content.decode()
    assert VoteRound.objects.get(pk=round.pk).status == S.PUBLISHED
    # confirmed
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert VoteRound.objects.get(pk=round.pk).status == S.OPEN
    assert "The vote is open." in response.content.decode()
    assert client.get(url).status_code == 405


def test_the_round_page_asks_to_confirm_before_closing(client):
    round, _ = round_with_pot(status=S.OPEN)
    client.force_login(trustee(round.neighbourhood))
    detail = client.get(reverse("voting:round_detail", args=[round.pk])).content.decode()
    url = reverse("voting:round_close_now", args=[round.pk])
    assert f'action="{url}"' in detail and "Close the vote now" in detail
    response = client.post(url)
    assert "Close the vote now?" in response.content.decode()
    assert VoteRound.objects.get(pk=round.pk).status == S.OPEN
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert VoteRound.objects.get(pk=round.pk).status == S.CLOSED
    assert "The vote is closed." in response.content.decode()


def test_a_wrong_state_is_explained_on_the_round_page(client):
    round, _ = round_with_pot(status=S.CLOSED)
    client.force_login(trustee(round.neighbourhood))
    url = reverse("voting:round_close_now", args=[round.pk])
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert "Only an open vote can be closed" in response.content.decode()


def test_residents_see_no_buttons_and_are_refused(client):
    round, _ = round_with_pot(status=S.OPEN)
    client.force_login(resident(round.neighbourhood))
    detail = client.get(reverse("voting:round_detail", args=[round.pk])).content.decode()
    assert "Close the vote now" not in detail
    url = reverse("voting:round_close_now", args=[round.pk])
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    assert VoteRound.objects.get(pk=round.pk).status == S.OPEN
