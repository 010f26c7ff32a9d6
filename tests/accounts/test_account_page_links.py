"""The account page leads to every setting a person has, the notice preferences among them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_account_page_links_to_the_notice_preferences(client):
    client.force_login(UserFactory())
    page = client.get(reverse("preferences"))
    assert page.status_code == 200
    notices = reverse("notifications:preferences")
    assert notices == "/notices/"
    assert f'<a href="{notices}">Notices about votes</a>' in page.content.decode()
    assert client.get(notices).status_code == 200
