"""An Atom feed per neighbourhood: new proposals, votes and results, links from SITE_URL."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import NeighbourhoodFactory, ProposalFactory
from tests.voting.factories import round_with_pot
from voting.models import VoteRound

pytestmark = pytest.mark.django_db


@override_settings(SITE_URL="https://purse.example.org")
def test_neighbourhood_feed_lists_proposals_votes_and_results(client):
    hood = NeighbourhoodFactory()
    proposal = ProposalFactory(neighbourhood=hood, title="Benches", submitted_at=timezone.now())
    ProposalFactory(neighbourhood=hood, title="Secret draft", status="draft")
    now = timezone.now()
    round, _ = round_with_pot(
        hood,
        title="Spring vote",
        status=VoteRound.Status.RESULTS_PUBLISHED,
        published_at=now,
        results_published_at=now,
    )
    round_with_pot(hood, title="Draft vote", status=VoteRound.Status.DRAFT, published_at=None)
    response = client.get(reverse("notifications:neighbourhood_feed", args=[hood.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "New proposal: Benches" in body
    assert "Vote: Spring vote" in body and "Results: Spring vote" in body
    assert "Secret draft" not in body and "Draft vote" not in body
    detail = reverse("proposals:detail", args=[hood.slug, proposal.pk])
    assert f"https://purse.example.org{detail}" in body


def test_feed_of_an_unknown_neighbourhood_is_404(client):
    response = client.get(reverse("notifications:neighbourhood_feed", args=["nowhere"]))
    assert response.status_code == 404
