"""Setting up, publishing, opening and closing on time, and annulling rounds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from config.errors import ApplicationError, ForbiddenError, StateError
from proposals.models import Proposal
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident, trustee
from tests.voting.factories import round_with_pot
from voting.models import VoteRound
from voting.services import (
    PotSpec,
    pot_add,
    round_annul,
    round_create,
    round_publish,
    rounds_advance,
)
from voting.services._common import ALLOWED_TRANSITIONS
from voting.tasks import rounds_advance_task

pytestmark = pytest.mark.django_db


def _create(actor, place, **kwargs):
    now = timezone.now()
    defaults = {
        "title": "Vote",
        "opens_at": now + timedelta(hours=1),
        "closes_at": now + timedelta(days=3),
    }
    return round_create(actor=actor, neighbourhood=place, **{**defaults, **kwargs})


def test_trustee_creates_and_publishes_a_round():
    place = NeighbourhoodFactory()
    chair = trustee(place)
    a, b = ProposalFactory(neighbourhood=place), ProposalFactory(neighbourhood=place)
    round = _create(chair, place, pots=[PotSpec("Main", 500_000, [a, b])])
    assert round.status == "draft"
    round = round_publish(actor=chair, round=round)
    assert round.status == "published" and round.published_at
    assert set(Proposal.objects.values_list("status", flat=True)) == {"on_ballot"}
    assert AuditEvent.objects.filter(action="voting.round_published").count() == 1


def test_a_resident_cannot_create_a_round():
    place = NeighbourhoodFactory()
    with pytest.raises(ForbiddenError):
        _create(resident(place), place)
    assert not VoteRound.objects.exists()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"ballot_method": "k_approval"}, "how many proposals"),
        ({"ballot_method": "cumulative"}, "how many points"),
        ({"ballot_method": "cumulative", "points_total": 5, "counting_rule": "phragmen"}, "needs"),
        ({"channel_online": False}, "at least one way"),
        ({"eligible_connections": []}, "who may vote"),
        ({"min_spend_percent": 20, "ballot_method": "k_approval", "max_choices": 2}, "minimum"),
    ],
)
def test_inconsistent_options_are_refused(options, message):
    place = NeighbourhoodFactory()
    with pytest.raises(ApplicationError, match=message):
        _create(trustee(place), place, **options)


def test_closing_before_opening_is_refused():
    place = NeighbourhoodFactory()
    now = timezone.now()
    with pytest.raises(ApplicationError, match="close after it opens"):
        _create(trustee(place), place, opens_at=now, closes_at=now - timedelta(hours=1))


def test_only_shortlisted_proposals_of_the_neighbourhood_go_on_a_pot():
    place = NeighbourhoodFactory()
    chair = trustee(place)
    draft = ProposalFactory(neighbourhood=place, status="draft")
    elsewhere = ProposalFactory()
    round = _create(chair, place)
    with pytest.raises(ApplicationError, match="not on the shortlist"):
        pot_add(actor=chair, round=round, spec=PotSpec("A", 100, [draft]))
    with pytest.raises(ApplicationError, match="another neighbourhood"):
        pot_add(actor=chair, round=round, spec=PotSpec("A", 100, [elsewhere]))


def test_publishing_needs_a_pot_with_proposals():
    place = NeighbourhoodFactory()
    chair = trustee(place)
    round = _create(chair, place)
    with pytest.raises(ApplicationError, match="at least one pot"):
        round_publish(actor=chair, round=round)


def test_scheduled_task_opens_and_closes_on_time_and_is_idempotent():
    round, _ = round_with_pot(status="published")
    now = timezone.now()
    VoteRound.objects.filter(pk=round.pk).update(
        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(minutes=1)
    )
    assert rounds_advance_task() == {"opened": [round.pk], "closed": []}
    assert rounds_advance_task() == {"opened": [], "closed": []}
    assert rounds_advance(now=now + timedelta(minutes=2)) == {"opened": [], "closed": [round.pk]}
    round.refresh_from_db()
    assert round.status == "closed" and round.open_at and round.closed_at
    assert AuditEvent.objects.filter(action="voting.round_closed").count() == 1


def test_a_round_whose_whole_window_passed_opens_and_closes_in_one_run():
    round, _ = round_with_pot(status="published")
    later = round.closes_at + timedelta(seconds=1)
    assert rounds_advance(now=later) == {"opened": [round.pk], "closed": [round.pk]}


def test_annulling_returns_proposals_to_the_shortlist():
    place = NeighbourhoodFactory()
    chair = trustee(place)
    round, pot = round_with_pot(place, status="open")
    with pytest.raises(ApplicationError, match="reason"):
        round_annul(actor=chair, round=round, reason=" ")
    round_annul(actor=chair, round=round, reason="The ballot paper had a misprint.")
    round.refresh_from_db()
    assert round.status == "annulled" and round.annulment_reason
    assert set(Proposal.objects.values_list("status", flat=True)) == {"shortlisted"}
    with pytest.raises(StateError):
        round_annul(actor=chair, round=round, reason="again")


def test_transition_map_is_one_way():
    assert ALLOWED_TRANSITIONS["results_published"] == set()
    assert ALLOWED_TRANSITIONS["annulled"] == set()
    assert "open" not in ALLOWED_TRANSITIONS["closed"]


def test_setup_form_shows_the_service_message_and_saves_nothing(client):
    place = NeighbourhoodFactory()
    client.force_login(trustee(place))
    proposal = ProposalFactory(neighbourhood=place)
    now = timezone.localtime()
    response = client.post(
        f"/votes/{place.slug}/new/",
        {
            "title": "Points vote",
            "opens_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
            "ballot_method": "cumulative",
            "counting_rule": "greedy",
            "eligible_connections": ["lives"],
            "channel_online": "on",
            "pot_name": "Main",
            "pot_amount": "5000",
            "proposals": [proposal.pk],
        },
    )
    assert response.status_code == 200
    assert "Say how many points each voter shares out." in response.content.decode()
    assert not VoteRound.objects.exists()


def test_annul_through_the_page_needs_a_reason(client):
    place = NeighbourhoodFactory()
    round, _ = round_with_pot(place, status="published")
    client.force_login(trustee(place))
    url = f"/votes/round/{round.pk}/annul/"
    client.post(url, {"reason": ""})
    round.refresh_from_db()
    assert round.status == "published"
    client.post(url, {"reason": "Wrong pot amount"})
    round.refresh_from_db()
    assert round.status == "annulled" and round.annulment_reason == "Wrong pot amount"
