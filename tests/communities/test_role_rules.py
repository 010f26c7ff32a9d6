"""Who may be appointed: nobody appoints themselves, staff roles and trustee roles do not mix,
and platform admins need two-factor authentication for their powers like everyone else.

Regression tests from the review probes (a chair appointing themselves finance officer, an
admin appointing themselves chair, an admin without two-factor verifying neighbourhoods).
"""

from __future__ import annotations

import pytest

from communities import services
from communities.models import Neighbourhood, Role, RoleAssignment, VerificationMethod
from communities.permissions import MfaRequiredError
from config.errors import ApplicationError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import role_holder

pytestmark = pytest.mark.django_db


def test_the_chair_cannot_appoint_themselves_finance_officer(client):
    nb = NeighbourhoodFactory()
    chair = role_holder(nb, Role.CHAIR, member=True)
    with pytest.raises(ApplicationError, match="cannot appoint yourself"):
        services.role_appoint(
            actor=chair, neighbourhood=nb, user=chair, role=Role.FINANCE_OFFICER, organisation="X"
        )
    client.force_login(chair)
    response = client.post(
        f"/neighbourhoods/{nb.slug}/roles/",
        {"email": chair.email, "role": "finance_officer", "organisation": "LTO"},
    )
    assert response.status_code == 200
    assert "You cannot appoint yourself" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=chair, role=Role.FINANCE_OFFICER).exists()


def test_an_admin_cannot_appoint_themselves_chair(client):
    nb = NeighbourhoodFactory()
    admin = UserFactory(is_platform_admin=True, mfa=True)
    with pytest.raises(ApplicationError, match="cannot appoint yourself"):
        services.role_appoint(actor=admin, neighbourhood=nb, user=admin, role=Role.CHAIR)
    client.force_login(admin)
    client.post(
        f"/neighbourhoods/{nb.slug}/roles/",
        {"email": admin.email, "role": "chair", "organisation": ""},
    )
    assert not RoleAssignment.objects.filter(user=admin).exists()


@pytest.mark.parametrize(
    ("held", "wanted"),
    [
        (Role.TRUSTEE, Role.FINANCE_OFFICER),
        (Role.CHAIR, Role.FUNDER_AUDITOR),
        (Role.FINANCE_OFFICER, Role.TRUSTEE),
        (Role.FUNDER_AUDITOR, Role.CHAIR),
    ],
)
def test_staff_and_trustee_roles_do_not_mix_in_one_neighbourhood(held, wanted):
    nb = NeighbourhoodFactory()
    admin = UserFactory(is_platform_admin=True, mfa=True)
    person = role_holder(nb, held)
    with pytest.raises(StateError, match="cannot also be"):
        services.role_appoint(
            actor=admin, neighbourhood=nb, user=person, role=wanted, organisation="Org"
        )
    assert not RoleAssignment.objects.filter(user=person, role=wanted).exists()
    # ...but may hold it in another neighbourhood (as a confirmed member there, for trustees)
    other = NeighbourhoodFactory()
    MembershipFactory(
        user=person, neighbourhood=other, verification_method=VerificationMethod.ATTESTATION
    )
    services.role_appoint(
        actor=admin, neighbourhood=other, user=person, role=wanted, organisation="Org"
    )


def test_an_admin_without_two_factor_is_prompted_not_allowed(client):
    admin = UserFactory(is_platform_admin=True)
    nb = NeighbourhoodFactory()
    with pytest.raises(MfaRequiredError):
        services.role_appoint(actor=admin, neighbourhood=nb, user=UserFactory(), role=Role.TRUSTEE)
    submitted = NeighbourhoodFactory(status=Neighbourhood.Status.SUBMITTED)
    with pytest.raises(MfaRequiredError):
        services.neighbourhood_verify(actor=admin, neighbourhood=submitted)
    with pytest.raises(MfaRequiredError):
        services.neighbourhood_reject(actor=admin, neighbourhood=submitted, reason="no")
    client.force_login(admin)
    response = client.post(f"/neighbourhoods/{submitted.slug}/review/", {"action": "verify"})
    assert response.status_code == 302 and "2fa" in response["Location"]
    submitted.refresh_from_db()
    assert submitted.status == Neighbourhood.Status.SUBMITTED
