"""Kiosks (issue 16): a trustee opens one on a shared device for a time window; voters vote one
after another; nothing carries over (server-side state per voter, dropped at the cast, at
"Finish", or after 2 minutes idle); a trustee closes it from another device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import NeighbourhoodFactory, trustee
from tests.voting.factories import postcode_in_area, proposal_ids, round_with_pot
from voting.card_views import KIOSK_COOKIE
from voting.models import Ballot, Kiosk, Participation, VoterVisit
from voting.services.kiosks import kiosk_open

pytestmark = pytest.mark.django_db

RITA = {
    "name": "Rita Resident",
    "house": "1 Hope Road",
    "postcode": "HP1 1AA",
    "age_band": "35_49",
    "connection": "lives",
}


@pytest.fixture
def setup():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place)
    chair = trustee(place)
    postcode_in_area("HP11AA")
    now = timezone.now()
    kiosk, token = kiosk_open(
        actor=chair,
        round=round,
        label="Library",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=3),
    )
    return round, pot, chair, kiosk, token


def _device(client, token):
    client.cookies[KIOSK_COOKIE] = token
    return client


def test_kiosk_vote_by_name_and_address_records_kiosk_channel(client, setup):
    round, pot, _, _, token = setup
    url = reverse("voting:kiosk")
    _device(client, token)
    page = client.post(url, {"code": ""})
    visit = page.context["visit"]
    page = client.post(url, {"visit": visit, **RITA})
    page = client.post(url, {"visit": visit, f"pot{pot.pk}-choice": [proposal_ids(pot)[0]]})
    page = client.post(url, {"visit": visit, "cast": "1"})
    assert "Thank you for voting" in page.content.decode()
    assert Participation.objects.get(round=round).channel == "kiosk"
    assert Ballot.objects.filter(round=round).count() == 1
    assert not VoterVisit.objects.exists()  # dropped at the cast
    # the same person again, at the kiosk: refused at the identity step
    page = client.post(url, {"code": ""})
    page = client.post(url, {"visit": page.context["visit"], **RITA})
    assert "already voted" in page.content.decode()
    # and no cookie but the kiosk's was ever set on the device
    assert set(client.cookies) == {KIOSK_COOKIE}


def test_idle_visit_is_reset_on_the_next_request(client, setup):
    _, _, _, _, token = setup
    url = reverse("voting:kiosk")
    _device(client, token)
    page = client.post(url, {"code": ""})
    visit = page.context["visit"]
    client.post(url, {"visit": visit, **RITA})
    VoterVisit.objects.update(last_seen_at=timezone.now() - timedelta(minutes=2, seconds=1))
    page = client.post(url, {"visit": visit, "pot0-choice": ["1"]})
    body = page.content.decode()
    assert page.context["step"] == "start"
    assert "starting afresh" in body
    assert "Rita" not in body
    assert not VoterVisit.objects.exists()


def test_finish_drops_the_visit(client, setup):
    _, _, _, _, token = setup
    _device(client, token)
    page = client.post(reverse("voting:kiosk"), {"code": ""})
    response = client.post(reverse("voting:kiosk_finish"), {"visit": page.context["visit"]})
    assert response.status_code == 302
    assert not VoterVisit.objects.exists()


def test_kiosk_past_its_window_refuses(client, setup):
    _, _, _, kiosk, token = setup
    Kiosk.objects.filter(pk=kiosk.pk).update(
        opens_at=timezone.now() - timedelta(hours=3), closes_at=timezone.now() - timedelta(hours=1)
    )
    _device(client, token)
    page = client.post(reverse("voting:kiosk"), {"code": ""})
    assert "This kiosk closed at" in page.content.decode()
    assert not VoterVisit.objects.exists()


def test_device_without_kiosk_cookie_is_refused(client, setup):
    page = client.get(reverse("voting:kiosk"))
    assert page.status_code == 404
    assert "not a kiosk" in page.content.decode()


def test_trustee_opens_kiosk_on_device_is_signed_out_and_closes_it_elsewhere(client, setup):
    round, _, chair, _, _ = setup
    from django.test import Client

    client.force_login(chair)
    now = timezone.localtime()
    response = client.post(
        reverse("voting:kiosks", args=[round.pk]),
        {
            "label": "Community centre",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert response.cookies[KIOSK_COOKIE]["samesite"] == "Strict"
    assert response.cookies[KIOSK_COOKIE]["httponly"]
    assert "_auth_user_id" not in client.session  # the trustee is signed out on the device
    kiosk = Kiosk.objects.get(label="Community centre")
    assert AuditEvent.objects.filter(action="voting.kiosk_opened").count() == 2
    # from another device
    other = Client()
    other.force_login(chair)
    page = other.post(reverse("voting:kiosk_close", args=[kiosk.pk]))
    assert page.status_code == 302
    kiosk.refresh_from_db()
    assert kiosk.closed_at is not None
    page = client.get(reverse("voting:kiosk"))
    assert "closed by a trustee" in page.content.decode()


def test_resident_cannot_close_a_kiosk(client, setup):
    from tests.factories import resident

    round, _, _, kiosk, _ = setup
    client.force_login(resident(round.neighbourhood))
    page = client.post(reverse("voting:kiosk_close", args=[kiosk.pk]))
    assert page.status_code == 404
    kiosk.refresh_from_db()
    assert kiosk.closed_at is None


def test_card_voter_cannot_vote_again_at_the_kiosk(client, setup):
    from voting.services.cards import (
        VoterIdentity,
        card_batch_issue,
        card_check,
        inperson_ballot_cast,
    )

    round, pot, chair, _, token = setup
    code = card_batch_issue(actor=chair, round=round, count=1).codes[0][1]
    inperson_ballot_cast(
        round=round,
        identity=VoterIdentity(keys=[], member_ids=[], **RITA),
        choices={pot.pk: proposal_ids(pot)[:1]},
        channel="card",
        card_id=card_check(code=code).pk,
    )
    url = reverse("voting:kiosk")
    _device(client, token)
    page = client.post(url, {"code": ""})
    page = client.post(url, {"visit": page.context["visit"], **{**RITA, "name": "Mrs R Resident"}})
    assert "already voted" in page.content.decode()
    assert Ballot.objects.filter(round=round).count() == 1


def test_sweep_drops_idle_visits_only(setup):
    from voting.services.kiosks import visit_start, visits_sweep

    _, _, _, kiosk, _ = setup
    visit_start(kiosk=kiosk, data={"step": "identity"})
    visit_start(kiosk=None, data={"step": "identity"})
    assert visits_sweep() == 0
    VoterVisit.objects.update(last_seen_at=timezone.now() - timedelta(minutes=3))
    assert visits_sweep() == 1  # the kiosk's (2 minutes); the card page allows 30
    assert VoterVisit.objects.filter(kiosk__isnull=True).count() == 1


def test_card_and_kiosk_rows_have_no_link_to_ballots():
    from voting.models import PollingCard

    for model in (Ballot,):
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert not related & {PollingCard, Kiosk, VoterVisit, Participation}
    for model in (PollingCard, Kiosk, VoterVisit):
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert Ballot not in related and Participation not in related
