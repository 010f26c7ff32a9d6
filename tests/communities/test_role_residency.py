"""Trustees are people of the neighbourhood (issue 9 point 2).

"Two different trustees" must mean two people: a trustee or chair is a member confirmed by
more than a typed postcode (an access code letter, or a trustee in person), or a declared
non-resident, with the reason, within the resident majority rule. Partnership health counts
as residents only trustees whose confirmed membership says they live there.
"""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from communities import services
from communities.models import Connection, Membership, Role, RoleAssignment, VerificationMethod
from communities.selectors import partnership_health
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import pending, role_holder

pytestmark = pytest.mark.django_db

ATTESTED = VerificationMethod.ATTESTATION


def member(nb, *, method=ATTESTED, connection=Connection.LIVES, **kwargs):
    return MembershipFactory(
        neighbourhood=nb, verification_method=method, connection=connection, **kwargs
    ).user


@pytest.fixture
def nb():
    return NeighbourhoodFactory()


@pytest.fixture
def chair(nb):
    return role_holder(nb, Role.CHAIR, member=True)


@pytest.fixture
def admin():
    return UserFactory(is_platform_admin=True, mfa=True)


def test_a_verified_account_that_is_not_a_member_cannot_be_made_trustee(nb, chair, admin):
    stranger = UserFactory()
    with pytest.raises(ApplicationError, match="not a verified member"):
        services.role_appoint(actor=chair, neighbourhood=nb, user=stranger, role=Role.TRUSTEE)
    with pytest.raises(ApplicationError, match="not a verified member"):
        services.role_appoint(actor=admin, neighbourhood=nb, user=stranger, role=Role.CHAIR)
    assert not RoleAssignment.objects.filter(user=stranger).exists()


def test_a_member_who_only_typed_a_postcode_is_refused(nb, chair):
    typed = member(nb, method=VerificationMethod.POSTCODE)
    with pytest.raises(ApplicationError, match="typing a postcode"):
        services.role_appoint(actor=chair, neighbourhood=nb, user=typed, role=Role.TRUSTEE)
    assert not RoleAssignment.objects.filter(user=typed).exists()


def test_the_appointing_trustee_may_confirm_a_postcode_member_in_person(nb, chair):
    typed = member(nb, method=VerificationMethod.POSTCODE)
    services.role_appoint(actor=chair, neighbourhood=nb, user=typed, role=Role.TRUSTEE, attest=True)
    membership = Membership.objects.get(user=typed)
    assert membership.verification_method == ATTESTED
    assert membership.verified_by == chair
    assert membership.verification_evidence["earlier_method"] == "postcode"
    event = AuditEvent.objects.filter(action="communities.membership_verified").last()
    assert event.actor == chair and event.changes["at_appointment"] is True
    assert partnership_health(nb).residents == 2


def test_a_platform_admin_cannot_confirm_someone_in_person(nb, admin):
    typed = member(nb, method=VerificationMethod.POSTCODE)
    with pytest.raises(ApplicationError, match="Only a trustee who has met them"):
        services.role_appoint(
            actor=admin, neighbourhood=nb, user=typed, role=Role.TRUSTEE, attest=True
        )
    assert Membership.objects.get(user=typed).verification_method == "postcode"


def test_confirming_in_person_needs_a_membership(nb, chair):
    with pytest.raises(ApplicationError, match="not a member"):
        services.role_appoint(
            actor=chair, neighbourhood=nb, user=UserFactory(), role=Role.TRUSTEE, attest=True
        )


def test_members_by_access_code_or_attestation_may_be_appointed(nb, chair):
    batch = services.access_code_batch_create(actor=chair, neighbourhood=nb, label="x", count=1)
    request = pending(nb)
    services.membership_verify_access_code(
        actor=request.user, membership=request, code=batch.codes.get().code
    )
    services.role_appoint(actor=chair, neighbourhood=nb, user=request.user, role=Role.TRUSTEE)
    services.role_appoint(actor=chair, neighbourhood=nb, user=member(nb), role=Role.TRUSTEE)
    assert partnership_health(nb).residents == 3


def test_an_access_code_from_ones_own_batch_does_not_make_a_resident(nb, chair):
    trustee = role_holder(nb, Role.TRUSTEE)
    own = pending(nb, user=trustee)
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=1)
    services.membership_verify_access_code(
        actor=trustee, membership=own, code=batch.codes.get().code
    )
    assert Membership.objects.get(user=trustee).is_active
    assert partnership_health(nb).residents == 1  # the chair only


def test_health_counts_only_confirmed_trustees_who_live_here(nb, chair):
    typed = role_holder(nb, Role.TRUSTEE)
    MembershipFactory(user=typed, neighbourhood=nb, verification_method="postcode")
    worker = role_holder(nb, Role.TRUSTEE)
    MembershipFactory(
        user=worker, neighbourhood=nb, verification_method=ATTESTED, connection="works"
    )
    lapsed = role_holder(nb, Role.TRUSTEE)
    MembershipFactory(user=lapsed, neighbourhood=nb, verification_method=ATTESTED, status="expired")
    role_holder(nb, Role.TRUSTEE)  # no membership at all
    resident_voter = member(nb)  # a confirmed resident without a role
    health = partnership_health(nb)
    assert (health.members, health.residents) == (5, 1)
    assert resident_voter.pk not in {r.user_id for r in RoleAssignment.objects.all()}


def test_a_non_resident_is_appointed_with_a_reason_within_the_resident_majority(nb, chair):
    for _ in range(2):
        services.role_appoint(actor=chair, neighbourhood=nb, user=member(nb), role=Role.TRUSTEE)
    # 3 residents of 3: one non-resident makes 3 of 4 (75%)
    outsider = UserFactory()
    assignment = services.role_appoint(
        actor=chair,
        neighbourhood=nb,
        user=outsider,
        role=Role.TRUSTEE,
        non_resident_reason="Head teacher of Hollin Bank Primary",
    )
    assert assignment.non_resident
    assert assignment.non_resident_reason == "Head teacher of Hollin Bank Primary"
    event = AuditEvent.objects.filter(action="communities.role_appointed").last()
    assert event.changes["non_resident"] is True
    # a second makes 3 of 5 (60%), a third would make 3 of 6 (50%): refused
    services.role_appoint(
        actor=chair,
        neighbourhood=nb,
        user=UserFactory(),
        role=Role.TRUSTEE,
        non_resident_reason="Housing association officer",
    )
    third = UserFactory()
    with pytest.raises(StateError, match="residents at 3 of 6 trustees"):
        services.role_appoint(
            actor=chair,
            neighbourhood=nb,
            user=third,
            role=Role.TRUSTEE,
            non_resident_reason="Councillor",
        )
    assert not RoleAssignment.objects.filter(user=third).exists()
    health = partnership_health(nb)
    assert (health.members, health.residents) == (5, 3)


def test_a_member_who_works_here_counts_against_the_resident_majority(nb, chair):
    worker = member(nb, connection="works")
    # 1 resident (the chair) of 2 would be 50%, below 51%: refused
    with pytest.raises(StateError, match="residents at 1 of 2 trustees"):
        services.role_appoint(actor=chair, neighbourhood=nb, user=worker, role=Role.TRUSTEE)
    services.role_appoint(actor=chair, neighbourhood=nb, user=member(nb), role=Role.TRUSTEE)
    # 2 of 3 (66%): appointed, as a member, without a non-resident declaration
    assignment = services.role_appoint(
        actor=chair, neighbourhood=nb, user=worker, role=Role.TRUSTEE
    )
    assert not assignment.non_resident
    health = partnership_health(nb)
    assert (health.members, health.residents) == (3, 2)


def test_a_confirmed_resident_is_not_declared_a_non_resident(nb, chair):
    with pytest.raises(ApplicationError, match="confirmed resident"):
        services.role_appoint(
            actor=chair,
            neighbourhood=nb,
            user=member(nb),
            role=Role.TRUSTEE,
            non_resident_reason="Why not",
        )


def test_staff_roles_take_no_residence_declaration(nb, chair):
    with pytest.raises(ApplicationError, match="Only trustees and the chair"):
        services.role_appoint(
            actor=chair,
            neighbourhood=nb,
            user=UserFactory(),
            role=Role.FINANCE_OFFICER,
            organisation="LTO",
            non_resident_reason="Staff",
        )


def test_a_non_resident_made_chair_keeps_their_declared_seat(nb, admin):
    role_holder(nb, Role.TRUSTEE, member=True)
    role_holder(nb, Role.TRUSTEE, member=True)
    outsider = UserFactory()
    services.role_appoint(
        actor=admin, neighbourhood=nb, user=outsider, role=Role.CHAIR, non_resident_reason="LTO"
    )
    seats = RoleAssignment.objects.current().filter(user=outsider)
    assert {(a.role, a.non_resident, a.non_resident_reason) for a in seats} == {
        ("chair", True, "LTO"),
        ("trustee", True, "LTO"),
    }


def test_appointing_in_the_browser_with_attestation_or_a_reason(client, nb, chair):
    typed = member(nb, method=VerificationMethod.POSTCODE, user__email="typed@example.org")
    client.force_login(chair)
    url = f"/neighbourhoods/{nb.slug}/roles/"
    html = client.post(url, {"email": "typed@example.org", "role": "trustee"}).content.decode()
    assert "typing a postcode" in html
    assert not RoleAssignment.objects.filter(user=typed).exists()
    response = client.post(url, {"email": "typed@example.org", "role": "trustee", "attest": "on"})
    assert response.status_code == 302
    assert RoleAssignment.objects.current().filter(user=typed, role=Role.TRUSTEE).exists()
    UserFactory(email="outsider@example.org")
    response = client.post(
        url,
        {"email": "outsider@example.org", "role": "trustee", "non_resident_reason": "Vicar"},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "non-resident: Vicar" in page


def test_a_trustee_confirms_a_postcode_member_in_person_later(client, nb, chair):
    # the registrant-chair typed a postcode; another trustee who has met them confirms it
    founder = role_holder(nb, Role.TRUSTEE)
    MembershipFactory(user=founder, neighbourhood=nb, verification_method="postcode")
    assert partnership_health(nb).residents == 1
    with pytest.raises(ForbiddenError, match="own membership"):
        services.membership_confirm_in_person(
            actor=founder, membership=Membership.objects.get(user=founder)
        )
    client.force_login(chair)
    membership = Membership.objects.get(user=founder)
    page = client.get(f"/neighbourhoods/{nb.slug}/members/").content.decode()
    assert "confirm in person" in page
    response = client.post(f"/neighbourhoods/{nb.slug}/members/{membership.pk}/confirm/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.verification_method, membership.verified_by) == (ATTESTED, chair)
    assert partnership_health(nb).residents == 2
    with pytest.raises(StateError, match="already a confirmed member"):
        services.membership_confirm_in_person(actor=chair, membership=membership)
    resident = MembershipFactory(neighbourhood=nb, verification_method="postcode")
    with pytest.raises(ForbiddenError):
        services.membership_confirm_in_person(actor=resident.user, membership=resident)


def test_the_in_person_box_is_only_offered_to_trustees(client, nb, chair, admin):
    url = f"/neighbourhoods/{nb.slug}/roles/"
    client.force_login(admin)
    assert 'name="attest"' not in client.get(url).content.decode()
    client.force_login(chair)
    assert 'name="attest"' in client.get(url).content.decode()
