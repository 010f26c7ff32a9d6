"""Public reads of the funds API: spend summary, grants list and detail (no personal data,
no receipts), paginated, filtered, with ETags and pinned query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from funds import services
from funds.models import Grant
from tests.funds.factories import decide, grant, item, make_world, selected_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world()
    g = grant(w)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    claim = services.claim_file(actor=w.contact, grant=g, items=[item(20_000)])
    services.claim_approve(actor=w.trustees[1], claim=claim)
    w.extra["grant"] = g
    return w


def test_spend_summary_shows_the_public_page_figures(world, django_assert_num_queries):
    url = reverse("api:spend", kwargs={"slug": world.neighbourhood.slug})
    # neighbourhood, funds, their figures (one grouped query for all funds), spend by theme
    with django_assert_num_queries(4):
        response = APIClient().get(url)
    assert response.status_code == 200, response.json()
    body = response.json()
    (fund,) = body["funds"]
    assert fund["received_pence"] == 500_000
    assert fund["committed_pence"] == 100_000
    assert fund["paid_pence"] == 50_000
    assert body["spend_by_theme"] and body["spend_by_theme"][0]["paid_pence"] == 50_000
    again = APIClient().get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_grants_list_is_paginated_filtered_and_names_no_individual(
    world, django_assert_num_queries
):
    # given a second grant, to an individual
    w = world
    proposal = selected_proposal(w)
    decision = decide(w, amount_pence=30_000, proposal=proposal)
    services.grant_approve(
        actor=w.trustees[1],
        decision=decision,
        title="Bench by the pond",
        recipient_user=proposal.proposer,
        payment_mode=Grant.PaymentMode.REIMBURSEMENT,
    )
    url = reverse("api:grants", kwargs={"slug": w.neighbourhood.slug})
    # neighbourhood, count, page, legs, claim items, reports
    with django_assert_num_queries(6):
        response = APIClient().get(url)
    body = response.json()
    assert body["count"] == 2
    names = {g["title"]: g for g in body["results"]}
    assert names["Bench by the pond"]["recipient"] == "an individual resident"
    assert proposal.proposer.public_name not in str(body)
    assert proposal.proposer.email not in str(body)
    garden = names["Community garden"]
    assert (garden["granted_pence"], garden["paid_pence"], garden["spent_pence"]) == (
        100_000,
        50_000,
        20_000,
    )
    assert "receipt" not in str(body)
    approved = APIClient().get(url, {"status": "approved"}).json()
    assert [g["title"] for g in approved["results"]] == ["Bench by the pond"]
    assert APIClient().get(url, {"status": "nonsense"}).status_code == 400
    assert APIClient().get(url, {"page_size": 1}).json()["next"]


def test_grant_detail_with_tranches(world, django_assert_num_queries):
    g = world.extra["grant"]
    url = reverse("api:grant", kwargs={"pk": g.pk})
    # grant, legs, claim items, reports, tranches
    with django_assert_num_queries(5):
        response = APIClient().get(url)
    body = response.json()
    assert body["proposal"]["id"] == g.proposal_id
    assert [t["status"] for t in body["tranches"]] == ["released", "pending"]
    assert response["ETag"]


def test_unknown_grant_and_neighbourhood_are_404_in_the_error_format():
    assert APIClient().get(reverse("api:grant", kwargs={"pk": 999999})).json()["error"]["code"] == (
        "not_found"
    )
    response = APIClient().get(reverse("api:spend", kwargs={"slug": "nowhere"}))
    assert response.status_code == 404
