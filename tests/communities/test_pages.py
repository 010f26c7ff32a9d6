"""Neighbourhood list (search, left-behind filter) and page: content, size, bounded queries."""

import pytest

from communities.models import Neighbourhood, Role
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import hollin_bank, in_area, role_holder

pytestmark = pytest.mark.django_db


def test_search_and_filter(client, geography):
    hollin_bank()
    in_area(name="Riverside Park", slug="riverside", units=["E05022222"])
    NeighbourhoodFactory(name="Secret Draft", slug="draft", status=Neighbourhood.Status.DRAFT)
    html = client.get("/neighbourhoods/").content.decode()
    assert "Hollin Bank" in html and "Riverside Park" in html and "Secret Draft" not in html
    html = client.get("/neighbourhoods/?left_behind=yes").content.decode()
    assert "Hollin Bank" in html and "Riverside Park" not in html
    html = client.get("/neighbourhoods/?left_behind=no").content.decode()
    assert "Hollin Bank" not in html and "Riverside Park" in html
    html = client.get("/neighbourhoods/?q=E05022222").content.decode()
    assert "Hollin Bank" not in html and "Riverside Park" in html
    html = client.get("/neighbourhoods/?q=river").content.decode()
    assert "Riverside Park" in html and "Hollin" not in html


def test_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    for _ in range(15):
        nb = NeighbourhoodFactory()
        MembershipFactory(neighbourhood=nb)
    with django_assert_max_num_queries(4):
        response = client.get("/neighbourhoods/")
    assert response.status_code == 200
    assert "15 neighbourhoods" in response.content.decode()


def test_neighbourhood_page_shows_what_it_is(client, geography):
    nb = hollin_bank(description="A 1960s estate.", population_estimate=8400)
    chair = role_holder(nb, Role.CHAIR, member=True, display_name="Tariq")
    MembershipFactory(neighbourhood=nb)
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    for text in [
        "A 1960s estate.",
        "Left-behind neighbourhood",
        "Decile 1 of 10",
        "E05011111",
        "Tariq (chair)",
        'href="/proposals/hollin-bank/"',
        'href="/votes/hollin-bank/"',
        "Partnership health",
        "does not meet the minimum",
    ]:
        assert text in html, text
    assert "<dt>Members</dt><dd>2</dd>" in html
    assert len(html.encode()) < 30_000
    client.force_login(chair)
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert "Members and requests to join" in html
    assert "Trustees and other roles" in html


def test_page_query_count_is_bounded(client, django_assert_max_num_queries):
    nb = NeighbourhoodFactory(slug="here")
    for _ in range(10):
        role_holder(nb, Role.TRUSTEE, member=True)
    client.force_login(UserFactory())
    with django_assert_max_num_queries(25):
        client.get("/neighbourhoods/here/")


def test_registrant_sees_their_draft_others_do_not(client):
    draft = NeighbourhoodFactory(slug="mine", status=Neighbourhood.Status.DRAFT)
    client.force_login(draft.registrant)
    assert client.get("/neighbourhoods/mine/").status_code == 200
    client.force_login(UserFactory())
    assert client.get("/neighbourhoods/mine/").status_code == 404
