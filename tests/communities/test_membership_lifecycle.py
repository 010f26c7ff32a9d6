"""Membership: attestation by another trustee, refusal, renewal, leaving, expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from communities import permissions as p
from communities import services
from communities.models import Membership, Role
from communities.permissions import MfaRequiredError
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import hollin_bank, pending, role_holder

pytestmark = pytest.mark.django_db


def test_a_trustee_attests_someone_else(geography):
    nb = hollin_bank()
    trustee = role_holder(nb, Role.TRUSTEE)
    request = pending(nb, postcode="ZZ11AA")
    services.membership_attest(actor=trustee, membership=request, note="At the summer fair")
    request.refresh_from_db()
    assert request.status == Membership.Status.VERIFIED
    assert request.verification_method == "attestation"
    assert request.verified_by == trustee
    assert request.verification_evidence["note"] == "At the summer fair"
    assert request.unit_code == "E05011111" and request.postcode == ""
    assert request.expires_at > timezone.now() + timedelta(days=700)


def test_nobody_attests_themselves():
    nb = NeighbourhoodFactory()
    trustee = role_holder(nb, Role.TRUSTEE)
    own = pending(nb, user=trustee)
    with pytest.raises(ForbiddenError, match="own"):
        services.membership_attest(actor=trustee, membership=own)
    own.refresh_from_db()
    assert own.status == Membership.Status.PENDING


def test_nobody_verifies_themselves_by_any_route(geography):
    nb = hollin_bank()
    user = UserFactory()
    own = pending(nb, user=user, postcode="ZZ21AA")  # outside the area
    with pytest.raises(ForbiddenError):
        services.membership_attest(actor=user, membership=own)
    with pytest.raises(ApplicationError, match="not inside"):
        services.membership_verify_postcode(actor=user, membership=own)
    with pytest.raises(ApplicationError):
        services.membership_verify_access_code(actor=user, membership=own, code="ABCDEFGHJK")
    own.refresh_from_db()
    assert own.status == Membership.Status.PENDING


def test_a_trustee_without_two_factor_is_sent_to_set_it_up():
    nb = NeighbourhoodFactory()
    trustee = role_holder(nb, Role.TRUSTEE, mfa=False)
    with pytest.raises(MfaRequiredError):
        services.membership_attest(actor=trustee, membership=pending(nb))


def test_a_trustee_of_another_neighbourhood_cannot_attest():
    nb, other = NeighbourhoodFactory(), NeighbourhoodFactory()
    with pytest.raises(ForbiddenError):
        services.membership_attest(actor=role_holder(other, Role.CHAIR), membership=pending(nb))


def test_refusal_needs_a_reason_and_forgets_the_postcode():
    nb = NeighbourhoodFactory()
    trustee = role_holder(nb, Role.TRUSTEE)
    request = pending(nb)
    with pytest.raises(ApplicationError, match="why"):
        services.membership_reject(actor=trustee, membership=request, reason="")
    services.membership_reject(actor=trustee, membership=request, reason="Not known here")
    request.refresh_from_db()
    assert request.status == Membership.Status.REJECTED and request.postcode == ""
    with pytest.raises(StateError):
        services.membership_attest(actor=trustee, membership=request)


def test_asking_again_after_refusal_reuses_the_row(geography):
    nb = hollin_bank()
    request = pending(nb)
    services.membership_reject(
        actor=role_holder(nb, Role.TRUSTEE), membership=request, reason="Unknown"
    )
    again = services.membership_request(
        actor=request.user,
        neighbourhood=nb,
        connection="lives",
        age_band="18_24",
        postcode="ZZ1 1AA",
    )
    assert again.pk == request.pk and again.status == Membership.Status.PENDING
    assert again.rejection_reason == ""
    with pytest.raises(StateError, match="already asked"):
        services.membership_request(
            actor=request.user,
            neighbourhood=nb,
            connection="lives",
            age_band="18_24",
            postcode="ZZ1 1AA",
        )


def test_joining_a_draft_is_refused():
    nb = NeighbourhoodFactory(status="draft")
    with pytest.raises(StateError, match="not taking members"):
        services.membership_request(
            actor=UserFactory(),
            neighbourhood=nb,
            connection="lives",
            age_band="18_24",
            postcode="ZZ1 1AA",
        )


def test_renew_and_leave():
    membership = MembershipFactory(expires_at=timezone.now() + timedelta(days=3))
    user = membership.user
    services.membership_renew(actor=user, membership=membership)
    membership.refresh_from_db()
    assert membership.expires_at > timezone.now() + timedelta(days=700)
    assert membership.renewed_at
    with pytest.raises(ForbiddenError):
        services.membership_renew(actor=UserFactory(), membership=membership)
    services.membership_leave(actor=user, membership=membership)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.LEFT and membership.left_at
    assert not p.is_resident(
        UserFactory._meta.model.objects.get(pk=user.pk), membership.neighbourhood
    )


def test_expired_members_stop_counting_and_the_task_marks_them():
    from communities.tasks import memberships_expire_task

    old = MembershipFactory(expires_at=timezone.now() - timedelta(seconds=1))
    current = MembershipFactory()
    assert not p.is_resident(old.user, old.neighbourhood)
    assert memberships_expire_task.delay().get() == 1
    assert memberships_expire_task.delay().get() == 0  # a re-run is a no-op
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.status == Membership.Status.EXPIRED
    assert current.status == Membership.Status.VERIFIED
    with pytest.raises(ForbiddenError):
        services.membership_renew(actor=old.user, membership=old)
    assert AuditEvent.objects.filter(action="communities.membership_expired").count() == 1


def test_a_lapsed_member_can_ask_again_before_the_nightly_sweep(geography, client):
    """Review probe: verified but past expires_at (not yet swept) was refused as 'already
    asked'; it is expired, so the member asks again straight away."""
    nb = hollin_bank()
    lapsed = MembershipFactory(neighbourhood=nb, expires_at=timezone.now() - timedelta(days=1))
    assert not p.is_resident(lapsed.user, nb)
    assert p.can_join_neighbourhood(lapsed.user, nb)
    again = services.membership_request(
        actor=lapsed.user,
        neighbourhood=nb,
        connection="lives",
        age_band="35_49",
        postcode="ZZ1 1AA",
    )
    assert again.pk == lapsed.pk and again.status == Membership.Status.PENDING
    assert AuditEvent.objects.filter(
        action="communities.membership_expired", object_id=str(lapsed.pk)
    ).exists()
    # and through the page
    other = MembershipFactory(neighbourhood=nb, expires_at=timezone.now() - timedelta(days=1))
    client.force_login(other.user)
    client.post(
        f"/neighbourhoods/{nb.slug}/join/",
        {
            "connection": "lives",
            "age_band": "35_49",
            "postcode": "ZZ1 1AB",
            "private_name": "Lapsed Member",
            "private_house": "3",
        },
    )
    other.refresh_from_db()
    # a rejoin is a new request: pending until attested, with no expiry until then
    assert other.status == Membership.Status.PENDING
    assert other.expires_at is None


def test_members_page_lets_a_trustee_attest(client):
    nb = NeighbourhoodFactory(slug="here")
    trustee = role_holder(nb, Role.TRUSTEE)
    request = pending(nb)
    client.force_login(trustee)
    html = client.get("/neighbourhoods/here/members/").content.decode()
    assert request.user.email in html
    response = client.post(f"/neighbourhoods/here/members/{request.pk}/attest/", {"note": "met"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Membership.Status.VERIFIED
