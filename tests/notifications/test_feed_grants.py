"""The neighbourhood feed lists grants too, as the public spend page shows them: title, amount
and recipient, an individual only as "an individual resident", linked to the spend page."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from funds.models import Fund
from tests.funds.factories import make_world
from tests.funds.test_public_spend import _world_with_an_individual

pytestmark = pytest.mark.django_db


def _feed(client, slug: str) -> str:
    response = client.get(reverse("notifications:neighbourhood_feed", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


@override_settings(SITE_URL="https://purse.example.org")
def test_feed_lists_grants_with_no_personal_data(client, django_assert_num_queries):
    world = make_world()
    org, _claim, individual, person = _world_with_an_individual(world)
    # The neighbourhood, proposals, rounds and grants: one query each, however many grants.
    with django_assert_num_queries(4):
        body = _feed(client, world.neighbourhood.slug)
    assert f"Grant: {org.title}" in body
    assert f"£1,000.00 to {world.grantee.name} (active)" in body
    assert f"Grant: {individual.title}" in body
    assert "£300.00 to an individual resident" in body
    spend = reverse("funds:public_spend", args=[world.neighbourhood.slug])
    assert f"https://purse.example.org{spend}" in body
    for private in (
        person.display_name,
        person.email,
        "Zenobia",
        "Larkspur",
        "ZZ9 9ZZ",
        world.contact.email,
    ):
        assert private not in body


def test_grants_of_a_fund_without_an_agreement_stay_out(client):
    world = make_world()
    org, _claim, _individual, _person = _world_with_an_individual(world)
    Fund.objects.filter(pk=world.fund.pk).update(status=Fund.Status.PROPOSED)
    body = _feed(client, world.neighbourhood.slug)
    assert "Grant:" not in body and org.title not in body
