"""A failed receipt email never breaks the vote: the voter still sees the receipt page."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation

pytestmark = pytest.mark.django_db


def test_mail_error_after_commit_still_shows_the_receipt(
    client, django_capture_on_commit_callbacks
):
    # given: an open round and a mail server that is down
    round, pot = round_with_pot()
    a, _, _ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    client.raise_request_exception = False
    # when: the voter casts a ballot and the receipt email fails after the commit
    with (
        mock.patch("voting.tasks.send_mail", side_effect=OSError("smtp down")) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("voting:ballot", args=[pot.pk]), {"choice": [a]})
    # then: the receipt page, one ballot, one participation
    assert send.called
    assert response.status_code == 200
    assert b"receipt" in response.content.lower()
    assert Ballot.objects.count() == 1
    assert Participation.objects.count() == 1
