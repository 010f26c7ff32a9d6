"""The public name a member chooses (shown next to what they write and on the roles page):
no invisible or text-direction characters, so nobody can pass for someone else (issue 9
point 11, visual spoofing), and no control characters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services import user_preferences_update
from config.errors import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "Tariq\u200bTrustee",  # zero-width space: looks like the real "TariqTrustee"
        "Tariq Trustee\u202eeetsurT",  # right-to-left override
        "Tariq\u2066 Trustee",  # left-to-right isolate
        "Tariq\nTrustee",  # a control character
    ],
)
def test_a_public_name_with_hidden_characters_is_refused(client, name):
    # given
    user = UserFactory(display_name="Plain Name")
    client.force_login(user)
    # when
    response = client.post(reverse("preferences"), {"display_name": name})
    # then
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    user.refresh_from_db()
    assert user.display_name == "Plain Name"


def test_a_plain_public_name_is_saved(client):
    user = UserFactory(display_name="")
    client.force_login(user)
    response = client.post(
        reverse("preferences"), {"display_name": "  Zoë  O'Brien-Ṡmith ", "notify_comments": "on"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Zoë O'Brien-Ṡmith"
    assert user.notify_comments is True


def test_the_service_refuses_hidden_characters_whoever_calls_it():
    user = UserFactory(display_name="Plain Name")
    with pytest.raises(ApplicationError, match="invisible or text-direction"):
        user_preferences_update(user=user, display_name="Ada\u200dAdmin")
