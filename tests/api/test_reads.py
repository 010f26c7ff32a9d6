"""Public reads: paginated lists, filters, state history, results; ETags; bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from proposals.models import StatusChange
from tests.factories import NeighbourhoodFactory, ProposalFactory
from tests.voting.factories import round_with_pot
from voting.models import VoteRound

pytestmark = pytest.mark.django_db


def test_neighbourhood_list_is_paginated_filtered_and_has_an_etag():
    NeighbourhoodFactory(name="Hollin Bank", left_behind=True)
    NeighbourhoodFactory(name="Elsewhere")
    api = APIClient()
    response = api.get(reverse("api:neighbourhoods"), {"q": "hollin"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["results"][0]["name"] == "Hollin Bank"
    assert {"next", "previous"} <= set(body)
    etag = response["ETag"]
    again = api.get(reverse("api:neighbourhoods"), {"q": "hollin"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert api.get(reverse("api:neighbourhoods"), {"left_behind": "true"}).json()["count"] == 1


def test_proposal_list_queries_are_bounded(django_assert_max_num_queries):
    nb = NeighbourhoodFactory()
    ProposalFactory.create_batch(3, neighbourhood=nb)
    api = APIClient()
    url = reverse("api:proposals", kwargs={"slug": nb.slug})
    with django_assert_max_num_queries(6):
        small = api.get(url)
    ProposalFactory.create_batch(20, neighbourhood=nb)
    with django_assert_max_num_queries(6):
        large = api.get(url, {"sort": "supported"})
    assert small.json()["count"] == 3 and large.json()["count"] == 23
    assert api.get(url, {"sort": ""}).status_code == 400
    assert api.get(url, {"theme": "nonsense"}).status_code == 400
    assert api.get(url, {"page_size": "0"}).status_code == 400


def test_proposal_detail_has_its_state_history():
    proposal = ProposalFactory()
    StatusChange.objects.create(proposal=proposal, from_status="draft", to_status="submitted")
    response = APIClient().get(
        reverse("api:proposal", kwargs={"slug": proposal.neighbourhood.slug, "pk": proposal.pk})
    )
    assert response.status_code == 200
    assert [h["to_status"] for h in response.json()["history"]] == ["submitted"]


def test_round_list_and_detail_queries_are_bounded(django_assert_max_num_queries):
    nb = NeighbourhoodFactory()
    for _ in range(5):
        round_with_pot(nb)
    api = APIClient()
    with django_assert_max_num_queries(5):
        listed = api.get(reverse("api:rounds", kwargs={"slug": nb.slug}))
    assert listed.json()["count"] == 5
    round = VoteRound.objects.filter(neighbourhood=nb).first()
    with django_assert_max_num_queries(6):
        detail = api.get(reverse("api:round", kwargs={"pk": round.pk}))
    assert len(detail.json()["pots"][0]["items"]) == 3


def test_results_are_404_until_published():
    round, _ = round_with_pot()
    response = APIClient().get(reverse("api:round-results", kwargs={"pk": round.pk}))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_draft_round_is_hidden():
    round, _ = round_with_pot(status=VoteRound.Status.DRAFT)
    assert APIClient().get(reverse("api:round", kwargs={"pk": round.pk})).status_code == 404


def test_a_hidden_proposal_keeps_its_place_but_not_its_text():
    proposal = ProposalFactory(title="Secret words", is_hidden=True)
    api = APIClient()
    slug = proposal.neighbourhood.slug
    listed = api.get(reverse("api:proposals", kwargs={"slug": slug})).json()["results"][0]
    detail = api.get(reverse("api:proposal", kwargs={"slug": slug, "pk": proposal.pk})).json()
    for body in (listed, detail):
        assert body["is_hidden"] is True and body["title"] == "Hidden proposal"
        assert "Secret" not in str(body)
