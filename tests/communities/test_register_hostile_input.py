"""Hostile input on the neighbourhood registration form gives form errors, never a 500.

Regression tests from the review probes: a boundary of 5,000 '1's (an integer too long to
convert), 200,000 '[' (nesting too deep to parse), and a superscript digit as the year.
"""

from __future__ import annotations

import pytest
from django.test import Client

from communities import services
from communities.models import GeographyUnit, Neighbourhood
from config.errors import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _register(**over):
    GeographyUnit.objects.get_or_create(
        code="E05000001", vintage=2023, defaults={"unit_type": "ward", "name": "W"}
    )
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    data = {
        "name": "Test place",
        "description": "",
        "units": "E05000001 2023",
        "population_estimate": "",
        "boundary": "",
    }
    data.update(over)
    return client.post("/neighbourhoods/register/", data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("units", "E05000001 ²", "is not a year"),
        ("units", "E05000001 ٢٠٢٣", "is not a year"),
        ("units", "E0500000²", "is not an ONS unit code"),
        ("boundary", "1" * 5000, "could not be read"),
        ("boundary", "[" * 200_000, "could not be read"),
        ("boundary", "{", "not valid JSON"),
    ],
)
def test_hostile_registration_input_is_a_form_error(field, value, message):
    response = _register(**{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Neighbourhood.objects.exists()


def test_an_oversized_boundary_is_refused_by_the_form_and_the_service():
    huge = " " * (services.neighbourhoods.MAX_BOUNDARY_CHARS + 1)
    response = _register(boundary=huge + "{}")
    assert response.status_code == 200
    assert not Neighbourhood.objects.exists()
    with pytest.raises(ApplicationError, match="too large"):
        services.parse_boundary(huge + "{}")


def test_parse_units_accepts_only_ascii_digits():
    assert services.parse_units("E05000001 2023") == [("E05000001", 2023)]
    for text in ["E05000001 ²⁰²³", "E０5000001", "E05000001\n 2023x"]:
        with pytest.raises(ApplicationError):
            services.parse_units(text)
