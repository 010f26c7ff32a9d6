"""Registering a neighbourhood starts from postcodes or a place name; ONS codes are optional
detail (the old ONS path keeps working)."""

import pytest

from communities import services
from communities.models import GeographyUnit, Neighbourhood, Postcode
from config.errors import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _register(client, **data):
    client.force_login(UserFactory())
    payload = {"name": "Hollin Bank", "description": "", "places": "", "units": ""}
    payload.update(data)
    return client.post("/neighbourhoods/register/", payload)


def test_the_form_asks_where_it_is_first(client):
    client.force_login(UserFactory())
    html = client.get("/neighbourhoods/register/").content.decode()
    assert "Where is it?" in html and "ONS codes (optional)" in html
    assert html.index('name="places"') < html.index('name="units"')


@pytest.mark.parametrize("places", ["ZZ1 1AA", "zz11aa", "Hollin Bank", "hollin bank\nZZ1 2AB"])
def test_a_postcode_or_a_ward_name_makes_the_area(client, geography, places):
    response = _register(client, places=places)
    assert response.status_code == 302
    nb = Neighbourhood.objects.get(name="Hollin Bank")
    assert [(u.code, u.vintage) for u in nb.units.all()] == [("E05011111", 2023)]
    assert nb.left_behind


def test_ons_codes_still_work_alone_or_beside_a_postcode(client, geography):
    assert _register(client, units="E05011111 2017").status_code == 302
    assert [u.vintage for u in Neighbourhood.objects.get().units.all()] == [2017]
    assert services.parse_area(places="ZZ2 1AA", codes="E05011111") == [
        ("E05022222", None),
        ("E05011111", None),
    ]


@pytest.mark.parametrize(
    ("places", "says"),
    [
        ("ZZ9 9ZZ", "We could not find the postcode ZZ9 9ZZ in our list"),
        ("Atlantis", "We could not find a ward or area called &#x27;Atlantis&#x27;"),
        ("ZZ5 1AA", "is in an area we have no details of yet"),
        ("", "type a postcode in it, or the name of its ward"),
    ],
)
def test_an_unknown_place_says_what_to_do_and_nothing_is_made(client, geography, places, says):
    Postcode.objects.create(postcode="ZZ51AA", ward_code="E05055555")  # ward not in reference
    response = _register(client, places=places)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Neighbourhood.objects.exists()


def test_a_name_shared_by_two_areas_asks_for_a_postcode(geography):
    GeographyUnit.objects.create(
        code="E05099999",
        unit_type="ward",
        vintage=2023,
        name="Hollin Bank",
        local_authority="Elsewhere",
    )
    with pytest.raises(ApplicationError, match="More than one area is called 'Hollin Bank'"):
        services.parse_area(places="Hollin Bank")
