"""Register a neighbourhood: draft, submit, verify or reject; bad area input changes nothing."""

import pytest

from audit.models import AuditEvent
from communities import services
from communities.models import Neighbourhood, Role, RoleAssignment
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-1.5, 53.8], [-1.4, 53.8], [-1.4, 53.9], [-1.5, 53.9], [-1.5, 53.8]]],
}


def _draft(user, **kwargs):
    kwargs.setdefault("units", [("E05011111", 2023)])
    return services.neighbourhood_create(actor=user, name="Hollin Bank", **kwargs)


def test_draft_takes_units_and_flags_from_reference_data(geography):
    user = UserFactory()
    nb = _draft(user, boundary=SQUARE, population_estimate=8000)
    assert nb.status == Neighbourhood.Status.DRAFT
    assert nb.slug == "hollin-bank"
    assert [(u.code, u.unit_type, u.vintage) for u in nb.units.all()] == [
        ("E05011111", "ward", 2023)
    ]
    assert nb.left_behind is True
    assert nb.imd_decile == 1
    assert nb.boundary["type"] == "Polygon"
    assert AuditEvent.objects.filter(action="communities.neighbourhood_created").count() == 1


def test_latest_vintage_is_used_when_none_is_given(geography):
    nb = _draft(UserFactory(), units=services.parse_units("e05011111"))
    assert nb.units.get().vintage == 2023


def test_a_mixed_area_is_not_left_behind(geography):
    nb = _draft(UserFactory(), units=[("E05011111", 2023), ("E05022222", 2023)])
    assert nb.left_behind is False
    assert nb.imd_decile == 1


@pytest.mark.parametrize(
    "boundary, words",
    [
        ({"type": "Point", "coordinates": [0, 51]}, "Point"),
        ({"type": "LineString", "coordinates": [[0, 51], [1, 52]]}, "LineString"),
        ({"type": "Polygon", "coordinates": [[[0, 51], [1, 51], [1, 52]]]}, "four"),
        ({"type": "Polygon", "coordinates": [[[0, 51], [1, 51], [1, 52], [0, 52]]]}, "end"),
        ({"type": "Polygon", "coordinates": [[[0, 951], [1, 51], [1, 52], [0, 951]]]}, "four"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "Polygon"),
    ],
)
def test_boundary_must_be_a_polygon(geography, boundary, words):
    with pytest.raises(ApplicationError, match=words):
        _draft(UserFactory(), boundary=boundary)
    assert not Neighbourhood.objects.exists()


def test_a_feature_wrapping_a_multipolygon_is_accepted(geography):
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]},
    }
    nb = _draft(UserFactory(), boundary=feature)
    assert nb.boundary["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    "text, words",
    [
        ("E05999999", "not in our geography reference data"),
        ("E05011111 2001", "not in our geography reference data"),
        ("X123", "not an ONS unit code"),
        ("E05011111 twenty", "not a year"),
        ("", "at least one"),
    ],
)
def test_unknown_or_malformed_units_are_refused(geography, text, words):
    with pytest.raises(ApplicationError, match=words):
        _draft(UserFactory(), units=services.parse_units(text))
    assert not Neighbourhood.objects.exists()


def test_unverified_email_cannot_register(geography):
    with pytest.raises(ForbiddenError):
        _draft(UserFactory(verified=False))


def test_submit_then_verify_makes_the_registrant_trustee_and_chair(geography):
    registrant = UserFactory()
    admin = UserFactory(is_platform_admin=True, mfa=True)
    nb = _draft(registrant)
    services.neighbourhood_submit(actor=registrant, neighbourhood=nb)
    nb = services.neighbourhood_verify(actor=admin, neighbourhood=nb)
    assert nb.status == Neighbourhood.Status.VERIFIED and nb.verified_at
    roles = set(
        RoleAssignment.objects.current()
        .filter(user=registrant, neighbourhood=nb)
        .values_list("role", flat=True)
    )
    assert roles == {Role.TRUSTEE, Role.CHAIR}
    assert AuditEvent.objects.filter(action="communities.neighbourhood_verified").exists()


def test_nobody_verifies_their_own_neighbourhood(geography):
    admin = UserFactory(is_platform_admin=True, mfa=True)
    nb = _draft(admin)
    services.neighbourhood_submit(actor=admin, neighbourhood=nb)
    with pytest.raises(ForbiddenError):
        services.neighbourhood_verify(actor=admin, neighbourhood=nb)
    nb.refresh_from_db()
    assert nb.status == Neighbourhood.Status.SUBMITTED


def test_only_a_platform_admin_verifies(geography):
    registrant = UserFactory()
    nb = _draft(registrant)
    services.neighbourhood_submit(actor=registrant, neighbourhood=nb)
    with pytest.raises(ForbiddenError):
        services.neighbourhood_verify(actor=UserFactory(mfa=True), neighbourhood=nb)


def test_reject_needs_a_reason_and_is_final(geography):
    registrant = UserFactory()
    admin = UserFactory(is_platform_admin=True, mfa=True)
    nb = _draft(registrant)
    with pytest.raises(StateError):
        services.neighbourhood_verify(actor=admin, neighbourhood=nb)  # still a draft
    services.neighbourhood_submit(actor=registrant, neighbourhood=nb)
    with pytest.raises(ApplicationError, match="why"):
        services.neighbourhood_reject(actor=admin, neighbourhood=nb, reason="  ")
    nb = services.neighbourhood_reject(actor=admin, neighbourhood=nb, reason="Not in England")
    assert nb.status == Neighbourhood.Status.REJECTED
    assert nb.rejection_reason == "Not in England"
    with pytest.raises(StateError):
        services.neighbourhood_verify(actor=admin, neighbourhood=nb)


def test_slugs_are_unique_and_avoid_page_names(geography):
    user = UserFactory()
    first = _draft(user)
    second = _draft(user)
    assert first.slug != second.slug
    other = services.neighbourhood_create(actor=user, name="Register", units=[("E05011111", 2023)])
    assert other.slug != "register"


def test_registering_in_the_browser(client, geography):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/neighbourhoods/register/",
        {"name": "Castle Mount", "units": "E05033333 2023", "description": "Hilltop estate"},
    )
    nb = Neighbourhood.objects.get(name="Castle Mount")
    assert response.status_code == 302
    assert response["Location"] == f"/neighbourhoods/{nb.slug}/"
    response = client.post("/neighbourhoods/register/", {"name": "Nowhere", "units": "E05999999"})
    assert response.status_code == 200
    assert "not in our geography reference data" in response.content.decode()
    client.post(f"/neighbourhoods/{nb.slug}/submit/")
    nb.refresh_from_db()
    assert nb.status == Neighbourhood.Status.SUBMITTED


def test_admin_verifies_in_the_browser(client, geography):
    registrant = UserFactory()
    nb = _draft(registrant)
    services.neighbourhood_submit(actor=registrant, neighbourhood=nb)
    client.force_login(UserFactory(is_platform_admin=True, mfa=True))
    assert nb.name in client.get("/neighbourhoods/review/").content.decode()
    response = client.post(f"/neighbourhoods/{nb.slug}/review/", {"action": "verify"})
    assert response.status_code == 302
    nb.refresh_from_db()
    assert nb.status == Neighbourhood.Status.VERIFIED


@pytest.mark.parametrize("name", ["Hollin\u200b Bank", "Hollin Bank\u202ekcab", "Hollin\nBank"])
def test_a_name_with_hidden_or_control_characters_is_refused(geography, name):
    # A neighbourhood's name is public, like a title: no visual spoofing (issue 9 point 11).
    user = UserFactory()
    with pytest.raises(ApplicationError) as caught:
        services.neighbourhood_create(actor=user, name=name, units=[("E05011111", 2023)])
    assert caught.value.extra.get("field") == "name"
    assert not Neighbourhood.objects.exists()
    draft = _draft(user)
    with pytest.raises(ApplicationError):
        services.neighbourhood_update(
            actor=user, neighbourhood=draft, name=name, units=[("E05011111", 2023)]
        )
    draft.refresh_from_db()
    assert draft.name == "Hollin Bank"
