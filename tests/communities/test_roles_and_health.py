"""Roles: the chair or a platform admin appoints; the partnership health rule; activation."""

import pytest

from communities import services
from communities.models import (
    Connection,
    Neighbourhood,
    Role,
    RoleAssignment,
    VerificationMethod,
)
from communities.selectors import partnership_health
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import role_holder

pytestmark = pytest.mark.django_db


def member(nb, **user_kwargs):
    """A member confirmed in person: may be appointed trustee and counts as a resident."""
    return MembershipFactory(
        neighbourhood=nb,
        user=UserFactory(**user_kwargs),
        verification_method=VerificationMethod.ATTESTATION,
    ).user


def test_health_counts_trustees_and_residents():
    nb = NeighbourhoodFactory()
    for i in range(8):
        user = role_holder(nb, Role.CHAIR if i == 0 else Role.TRUSTEE)
        connection = Connection.LIVES if i < 4 else Connection.WORKS
        MembershipFactory(
            user=user,
            neighbourhood=nb,
            connection=connection,
            verification_method=VerificationMethod.ATTESTATION,
        )
    health = partnership_health(nb)
    assert (health.members, health.residents, health.resident_share) == (8, 4, 50)
    assert health.enough_members and not health.enough_residents and not health.healthy
    nb.min_resident_share = 50
    assert partnership_health(nb).healthy


def test_the_neighbourhood_becomes_active_once_the_partnership_is_healthy():
    admin = UserFactory(is_platform_admin=True, mfa=True)
    nb = NeighbourhoodFactory(status=Neighbourhood.Status.VERIFIED)
    people = [member(nb) for _ in range(8)]
    for person in people[:-1]:
        services.role_appoint(actor=admin, neighbourhood=nb, user=person, role=Role.TRUSTEE)
    nb.refresh_from_db()
    assert nb.status == Neighbourhood.Status.VERIFIED
    services.role_appoint(actor=admin, neighbourhood=nb, user=people[-1], role=Role.TRUSTEE)
    nb.refresh_from_db()
    assert nb.status == Neighbourhood.Status.ACTIVE and nb.activated_at


def test_the_chair_appoints_trustees_and_staff_but_not_chairs():
    nb = NeighbourhoodFactory()
    chair = role_holder(nb, Role.CHAIR)
    person = member(nb)
    services.role_appoint(actor=chair, neighbourhood=nb, user=person, role=Role.TRUSTEE)
    auditor = UserFactory()
    with pytest.raises(ApplicationError, match="organisation"):
        services.role_appoint(actor=chair, neighbourhood=nb, user=auditor, role=Role.FUNDER_AUDITOR)
    services.role_appoint(
        actor=chair, neighbourhood=nb, user=auditor, role=Role.FUNDER_AUDITOR, organisation="Fund"
    )
    with pytest.raises(ForbiddenError):
        services.role_appoint(actor=chair, neighbourhood=nb, user=person, role=Role.CHAIR)
    with pytest.raises(StateError, match="already"):
        services.role_appoint(actor=chair, neighbourhood=nb, user=person, role=Role.TRUSTEE)


def test_a_trustee_cannot_appoint():
    nb = NeighbourhoodFactory()
    with pytest.raises(ForbiddenError):
        services.role_appoint(
            actor=role_holder(nb, Role.TRUSTEE),
            neighbourhood=nb,
            user=UserFactory(),
            role=Role.TRUSTEE,
        )


def test_a_new_chair_replaces_the_old_one_and_is_a_trustee():
    nb = NeighbourhoodFactory()
    admin = UserFactory(is_platform_admin=True, mfa=True)
    old = role_holder(nb, Role.CHAIR, member=True)
    new = member(nb)
    services.role_appoint(actor=admin, neighbourhood=nb, user=new, role=Role.CHAIR)
    current = RoleAssignment.objects.current().filter(neighbourhood=nb)
    assert set(current.filter(role=Role.CHAIR).values_list("user", flat=True)) == {new.pk}
    assert current.filter(user=new, role=Role.TRUSTEE).exists()
    assert current.filter(user=old, role=Role.TRUSTEE).exists()


def test_standing_down():
    nb = NeighbourhoodFactory()
    chair = role_holder(nb, Role.CHAIR)
    trustee_role = RoleAssignment.objects.get(user=chair, role=Role.TRUSTEE)
    with pytest.raises(StateError, match="chair must stay"):
        services.role_end(actor=chair, assignment=trustee_role)
    other = role_holder(nb, Role.TRUSTEE)
    assignment = RoleAssignment.objects.get(user=other)
    services.role_end(actor=chair, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.ended_at


def test_appointing_in_the_browser(client):
    nb = NeighbourhoodFactory(slug="here")
    chair = role_holder(nb, Role.CHAIR)
    person = member(nb, email="new.trustee@example.org")
    client.force_login(chair)
    html = client.get("/neighbourhoods/here/roles/").content.decode()
    assert "Partnership health" in html and "Warning" in html
    assert 'value="chair"' not in html
    response = client.post(
        "/neighbourhoods/here/roles/", {"email": "New.Trustee@example.org", "role": "trustee"}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.current().filter(user=person, role=Role.TRUSTEE).exists()
    response = client.post(
        "/neighbourhoods/here/roles/", {"email": "nobody@example.org", "role": "trustee"}
    )
    assert "no account with that email" in response.content.decode()
