"""The demo seed: an open vote the demo resident can use now, a past vote with published
results, and a second run that changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from voting.models import Ballot, PotResult, VoteRound

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_usable(client, settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo", stdout=io.StringIO())
    counts = (VoteRound.objects.count(), Ballot.objects.count(), PotResult.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (VoteRound.objects.count(), Ballot.objects.count(), PotResult.objects.count()) == counts

    open_round = VoteRound.objects.get(status="open")
    past = VoteRound.objects.get(status="results_published")
    assert past.certifications.values("trustee").distinct().count() == 2
    assert past.pots.get().result.frozen_at is not None

    client.force_login(User.objects.get(email="resident@example.org"))
    pot = open_round.pots.get()
    page = client.get(reverse("voting:ballot", args=[pot.pk]))
    assert page.status_code == 200 and b"Review my vote" in page.content
    results = client.get(reverse("voting:results", args=[past.pk]))
    assert b"<svg" in results.content and b"Funded" in results.content
