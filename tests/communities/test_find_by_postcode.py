"""Finding a neighbourhood by postcode: any case or spacing, through the reference data."""

import pytest

from communities import selectors
from tests.factories import UserFactory

from .factories import hollin_bank, in_area

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["ZZ1 1AA", "zz11aa", "  Zz1   1aA "])
def test_a_postcode_finds_the_neighbourhood_that_contains_it(client, geography, typed):
    hollin_bank()
    in_area(name="Riverside Park", slug="riverside", units=["E05022222"])
    html = client.get("/neighbourhoods/", {"q": typed}).content.decode()
    assert "Hollin Bank" in html
    assert "Riverside Park" not in html
    assert "ZZ1 1AA is in the neighbourhood below" in html


def test_a_postcode_matches_any_unit_type_of_the_area(geography):
    # An area drawn from LSOAs (not wards) still holds the postcodes that lie in them.
    in_area(name="Lower Hollin", slug="lower-hollin", units=["E01099002"])
    user = UserFactory()
    found = selectors.neighbourhood_list(user=user, query="zz1 2ab")
    assert [n.slug for n in found] == ["lower-hollin"]
    assert list(selectors.neighbourhood_list(user=user, query="ZZ1 1AA")) == []


def test_an_unknown_postcode_says_so_and_what_to_do(client, geography):
    hollin_bank()
    html = client.get("/neighbourhoods/", {"q": "zz9 9zz"}).content.decode()
    assert "Hollin Bank" not in html
    assert "No neighbourhood on Common Purse includes the postcode ZZ9 9ZZ yet" in html
    assert 'href="/neighbourhoods/register/"' in html


def test_names_and_ons_codes_still_work(client, geography):
    hollin_bank()
    assert "Hollin Bank" in client.get("/neighbourhoods/", {"q": "hollin"}).content.decode()
    assert "Hollin Bank" in client.get("/neighbourhoods/", {"q": "E05011111"}).content.decode()


def test_the_api_finds_by_postcode_too(client, geography):
    hollin_bank()
    body = client.get("/api/v1/neighbourhoods/", {"q": "zz1 1aa"}).json()
    assert [n["slug"] for n in body["results"]] == ["hollin-bank"]
