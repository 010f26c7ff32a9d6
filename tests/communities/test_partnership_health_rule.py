"""The partnership health rule at every decision (`ensure_partnership_healthy`), and the
platform admin's recorded exception (RULINGS: "a platform admin may record an exception with
a reason (audited)")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from communities import services
from communities.models import Neighbourhood, PartnershipException, Role, VerificationMethod
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import (
    MembershipFactory,
    NeighbourhoodFactory,
    UserFactory,
    healthy_partnership,
    trustee,
)

from .factories import role_holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(is_platform_admin=True, mfa=True)


def six_trustees_four_residents() -> Neighbourhood:
    nb = NeighbourhoodFactory(name="Hollin Bank")
    for _ in range(4):
        trustee(nb)
    for _ in range(2):
        user = role_holder(nb, Role.TRUSTEE)
        MembershipFactory(
            user=user,
            neighbourhood=nb,
            connection="works",
            verification_method=VerificationMethod.ATTESTATION,
        )
    return nb


def test_a_healthy_partnership_passes():
    nb = NeighbourhoodFactory()
    healthy_partnership(nb)
    assert services.ensure_partnership_healthy(nb, action="certify a vote") is None


def test_the_refusal_names_what_is_missing():
    nb = six_trustees_four_residents()
    with pytest.raises(services.PartnershipUnhealthyError) as caught:
        services.ensure_partnership_healthy(nb, action="certify a vote")
    message = caught.value.message
    assert message.startswith("You cannot certify a vote while the partnership of Hollin Bank")
    assert "needs 8 trustees, has 6" in message
    assert "residents are 4 of 6, need 51%" not in message  # 4 of 6 is 66%: enough
    assert isinstance(caught.value, StateError)
    # two more trustees who do not live here: enough trustees, too few residents
    for _ in range(2):
        role_holder(nb, Role.TRUSTEE)
    with pytest.raises(services.PartnershipUnhealthyError) as caught:
        services.ensure_partnership_healthy(nb, action="decide a grant")
    assert "needs 8 trustees" not in caught.value.message
    assert "residents are 4 of 8, need 51%" in caught.value.message
    assert caught.value.extra["problems"] == ["residents are 4 of 8, need 51%"]


def test_a_platform_admin_records_an_exception_with_a_reason(admin):
    nb = six_trustees_four_residents()
    exception = services.partnership_exception_record(
        actor=admin, neighbourhood=nb, reason="Two trustees resigned; recruiting.", days=30
    )
    assert services.ensure_partnership_healthy(nb, action="certify a vote") == exception
    assert exception.health == {
        "members": 6,
        "residents": 4,
        "min_members": 8,
        "min_resident_share": 51,
    }
    event = AuditEvent.objects.get(action="communities.partnership_exception_recorded")
    assert event.actor == admin and event.actor_role == "platform_admin"
    assert event.changes["reason"] == "Two trustees resigned; recruiting."
    assert event.changes["problems"] == ["needs 8 trustees, has 6"]


def test_an_exception_lapses_and_can_be_withdrawn(admin):
    nb = six_trustees_four_residents()
    exception = services.partnership_exception_record(
        actor=admin, neighbourhood=nb, reason="Recruiting.", days=1
    )
    PartnershipException.objects.filter(pk=exception.pk).update(
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    with pytest.raises(services.PartnershipUnhealthyError):
        services.ensure_partnership_healthy(nb)
    again = services.partnership_exception_record(
        actor=admin, neighbourhood=nb, reason="Still recruiting.", days=7
    )
    services.partnership_exception_withdraw(actor=admin, exception=again)
    with pytest.raises(services.PartnershipUnhealthyError):
        services.ensure_partnership_healthy(nb)
    assert AuditEvent.objects.filter(
        action="communities.partnership_exception_withdrawn", actor=admin
    ).exists()
    with pytest.raises(StateError, match="no longer in force"):
        services.partnership_exception_withdraw(actor=admin, exception=again)


def test_only_a_platform_admin_with_two_factor_records_an_exception(admin):
    nb = six_trustees_four_residents()
    chair = role_holder(nb, Role.CHAIR, member=True)
    with pytest.raises(ForbiddenError):
        services.partnership_exception_record(actor=chair, neighbourhood=nb, reason="Please")
    from communities.permissions import MfaRequiredError

    with pytest.raises(MfaRequiredError):
        services.partnership_exception_record(
            actor=UserFactory(is_platform_admin=True), neighbourhood=nb, reason="x"
        )
    with pytest.raises(ApplicationError, match="Say why"):
        services.partnership_exception_record(actor=admin, neighbourhood=nb, reason="  ")
    with pytest.raises(ApplicationError, match="between 1 and 90 days"):
        services.partnership_exception_record(actor=admin, neighbourhood=nb, reason="x", days=91)
    assert not PartnershipException.objects.exists()


def test_no_exception_for_a_healthy_partnership(admin):
    nb = NeighbourhoodFactory()
    healthy_partnership(nb)
    with pytest.raises(StateError, match="no exception is needed"):
        services.partnership_exception_record(actor=admin, neighbourhood=nb, reason="x")


def test_the_exception_button_on_the_health_panel(client, admin):
    nb = six_trustees_four_residents()
    url = f"/neighbourhoods/{nb.slug}/"
    assert "Record the exception" not in client.get(url).content.decode()
    chair = role_holder(nb, Role.CHAIR, member=True)
    client.force_login(chair)
    assert "Record the exception" not in client.get(url).content.decode()
    response = client.post(
        f"/neighbourhoods/{nb.slug}/partnership/exception/", {"reason": "x", "days": "5"}
    )
    assert response.status_code == 403
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "Record the exception" in page and "needs 8 trustees, has 7" in page
    response = client.post(
        f"/neighbourhoods/{nb.slug}/partnership/exception/",
        {"reason": "Recruiting after resignations.", "days": "14"},
    )
    assert response.status_code == 302
    exception = PartnershipException.objects.get()
    assert exception.recorded_by == admin and exception.reason == "Recruiting after resignations."
    page = client.get(url).content.decode()
    assert "Exception in force" in page and "Withdraw the exception" in page
    client.post(
        f"/neighbourhoods/{nb.slug}/partnership/exception/", {"withdraw": str(exception.pk)}
    )
    exception.refresh_from_db()
    assert exception.withdrawn_by == admin
