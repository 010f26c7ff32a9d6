"""'Renew my membership' is shown only from 60 days before the membership runs out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from communities.permissions import membership_renewal_due
from tests.factories import MembershipFactory

from .factories import hollin_bank

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days_left", "shown"), [(300, False), (61, False), (59, True), (1, True)])
def test_renew_is_offered_near_expiry_only(client, geography, days_left, shown):
    nb = hollin_bank()
    membership = MembershipFactory(
        neighbourhood=nb, expires_at=timezone.now() + timedelta(days=days_left)
    )
    assert membership_renewal_due(membership) is shown
    client.force_login(membership.user)
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert ("Renew my membership" in html) is shown
