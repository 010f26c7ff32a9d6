"""A wrong postcode in a pending request to join is corrected without withdrawing."""

import pytest

from audit.models import AuditEvent
from communities import services
from communities.models import Membership
from config.errors import ApplicationError, ForbiddenError
from tests.factories import UserFactory

from .factories import hollin_bank, pending

pytestmark = pytest.mark.django_db


def test_a_member_corrects_a_typo_then_is_verified(client, geography):
    nb = hollin_bank()
    user = UserFactory()
    membership = pending(nb, user=user, postcode="ZZ21AA")  # Riverside Park, a slip
    client.force_login(user)
    html = client.get("/neighbourhoods/hollin-bank/join/verify/").content.decode()
    assert "ZZ2 1AA is wrong? Correct it" in html
    response = client.post(
        "/neighbourhoods/hollin-bank/join/verify/", {"method": "correct", "postcode": "zz1 1ab"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.postcode == "ZZ11AB" and membership.status == "pending"
    event = AuditEvent.objects.get(action="communities.membership_postcode_corrected")
    assert event.changes == {"postcode_district": ["ZZ2", "ZZ1"]}
    client.post("/neighbourhoods/hollin-bank/join/verify/", {"method": "postcode"})
    assert Membership.objects.get(pk=membership.pk).status == "verified"


@pytest.mark.parametrize(
    ("typed", "says"), [("12345", "is not a UK postcode"), ("zz2 1aa", "already")]
)
def test_a_bad_correction_is_refused_and_nothing_changes(client, geography, typed, says):
    nb = hollin_bank()
    user = UserFactory()
    membership = pending(nb, user=user, postcode="ZZ21AA")
    client.force_login(user)
    response = client.post(
        "/neighbourhoods/hollin-bank/join/verify/", {"method": "correct", "postcode": typed}
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    membership.refresh_from_db()
    assert membership.postcode == "ZZ21AA"
    assert not AuditEvent.objects.filter(action="communities.membership_postcode_corrected")


def test_only_the_member_corrects_and_only_while_pending(geography):
    nb = hollin_bank()
    membership = pending(nb, postcode="ZZ21AA")
    with pytest.raises(ForbiddenError):
        services.membership_postcode_correct(
            actor=UserFactory(), membership=membership, postcode="ZZ1 1AA"
        )
    Membership.objects.filter(pk=membership.pk).update(status="rejected")
    with pytest.raises(ApplicationError):
        services.membership_postcode_correct(
            actor=membership.user, membership=membership, postcode="ZZ1 1AA"
        )
