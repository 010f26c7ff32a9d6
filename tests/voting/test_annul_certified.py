"""Annulling a certified round takes two trustees (issue 9 point 2): the first asks, with a
reason; a second, different trustee with no conflict confirms. Before certification one
trustee annuls, as before; a conflicted trustee never does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from communities.models import ConflictDeclaration
from config.errors import ApplicationError, ForbiddenError, StateError
from proposals.models import Proposal
from tests.factories import NeighbourhoodFactory, healthy_partnership, trustee
from tests.voting.factories import round_with_pot
from voting.models import AnnulmentRequest
from voting.permissions import can_annul_round, can_confirm_annulment
from voting.services import (
    round_annul,
    round_annul_confirm,
    round_annul_withdraw,
    round_certify,
    round_count,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, status="closed")
    first, second = trustee(place), trustee(place)
    healthy_partnership(place)
    round_count(actor=first, round=round)
    round_certify(actor=first, round=round)
    round_certify(actor=second, round=round)
    round.refresh_from_db()
    assert round.status == "certified"
    return round, pot, first, second


def test_one_trustee_only_asks_and_a_second_confirms(certified):
    round, pot, first, second = certified
    round_annul(actor=first, round=round, reason="Ballot papers were misprinted.")
    round.refresh_from_db()
    assert round.status == "certified"
    request = AnnulmentRequest.objects.get(round=round)
    assert request.requested_by == first and request.confirmed_at is None
    with pytest.raises(StateError, match="already asked"):
        round_annul(actor=first, round=round, reason="again")
    with pytest.raises(StateError, match="second, different trustee"):
        round_annul_confirm(actor=first, round=round)
    round.refresh_from_db()
    assert round.status == "certified"

    round_annul_confirm(actor=second, round=round)
    round.refresh_from_db()
    assert round.status == "annulled"
    assert round.annulment_reason == "Ballot papers were misprinted."
    request.refresh_from_db()
    assert request.confirmed_by == second and request.confirmed_at
    assert {p.status for p in Proposal.objects.filter(pot_items__pot=pot)} == {"shortlisted"}
    asked = AuditEvent.objects.get(action="voting.round_annulment_requested")
    assert asked.actor == first and asked.changes["reason"] == "Ballot papers were misprinted."
    done = AuditEvent.objects.get(action="voting.round_annulled")
    assert done.actor == second
    assert done.changes["requested_by"] == first.pk and done.changes["confirmed_by"] == second.pk


def test_a_conflicted_trustee_neither_asks_nor_confirms(certified):
    round, pot, first, _ = certified
    conflicted = trustee(round.neighbourhood)
    ConflictDeclaration.objects.create(
        user=conflicted,
        neighbourhood=round.neighbourhood,
        object_type="proposals.proposal",
        object_id=str(pot.items.first().proposal.pk),
        reason="I run it.",
    )
    assert not can_annul_round(conflicted, round)
    with pytest.raises(ForbiddenError, match="conflict of interest"):
        round_annul(actor=conflicted, round=round, reason="I lost.")
    round_annul(actor=first, round=round, reason="Misprint.")
    assert not can_confirm_annulment(conflicted, round)
    with pytest.raises(ForbiddenError, match="conflict of interest"):
        round_annul_confirm(actor=conflicted, round=round)
    round.refresh_from_db()
    assert round.status == "certified"


def test_a_request_can_be_withdrawn_and_then_nothing_is_left_to_confirm(certified):
    round, _, first, second = certified
    round_annul(actor=first, round=round, reason="Misprint.")
    round_annul_withdraw(actor=second, round=round)
    with pytest.raises(StateError, match="Nobody has asked"):
        round_annul_confirm(actor=second, round=round)
    assert AuditEvent.objects.filter(action="voting.round_annulment_withdrawn").count() == 1
    # a new request may follow
    round_annul(actor=second, round=round, reason="Found another misprint.")
    assert AnnulmentRequest.objects.filter(round=round).count() == 2


def test_the_database_refuses_one_person_asking_and_confirming(certified):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    round, _, first, _ = certified
    request = AnnulmentRequest.objects.create(round=round, reason="x", requested_by=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnulmentRequest.objects.filter(pk=request.pk).update(
            confirmed_by=first, confirmed_at=timezone.now()
        )


def test_before_certification_one_trustee_annuls():
    place = NeighbourhoodFactory()
    round, _ = round_with_pot(place, status="open")
    round_annul(actor=trustee(place), round=round, reason="Wrong pot amount.")
    round.refresh_from_db()
    assert round.status == "annulled"
    with pytest.raises(ApplicationError):
        round_annul_confirm(actor=trustee(place), round=round)


def test_the_round_page_buttons(certified, client):
    round, _, first, second = certified
    url = reverse("voting:round_detail", args=[round.pk])
    client.force_login(first)
    page = client.get(url).content.decode()
    assert "Ask to annul the vote" in page and "Confirm: annul the vote" not in page
    response = client.post(reverse("voting:round_annul", args=[round.pk]), {"reason": "Misprint."})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "A second, different trustee" in page and "Confirm: annul the vote" not in page
    client.force_login(second)
    page = client.get(url).content.decode()
    assert "Confirm: annul the vote" in page
    client.post(reverse("voting:round_annul_confirm", args=[round.pk]))
    round.refresh_from_db()
    assert round.status == "annulled"


def test_the_round_page_for_a_trustee_has_bounded_queries(client, django_assert_max_num_queries):
    place = NeighbourhoodFactory()
    round, _ = round_with_pot(place, status="counted", costs=[100_000] * 12)
    client.force_login(trustee(place))
    # The conflict check (about two queries per proposal) runs once, not once per button
    # (count, certify, annul, confirm): four passes would be over 100 queries.
    with django_assert_max_num_queries(40):
        assert client.get(reverse("voting:round_detail", args=[round.pk])).status_code == 200
