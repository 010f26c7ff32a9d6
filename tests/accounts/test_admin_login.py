"""Acceptance 2: /admin/ with a correct password and no second factor shows no admin page.

Signed in over the test client with real POSTs to the login forms (no force_login).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD, UserFactory

from .test_second_factor_session import totp_code

pytestmark = pytest.mark.django_db

ADMIN_PAGE = "Site administration"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _staff(**kwargs):
    return UserFactory(is_staff=True, is_superuser=True, is_platform_admin=True, **kwargs)


def test_the_admin_login_form_takes_no_password(client):
    staff = _staff()
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    # sent to allauth's login (rate-limited, with the MFA stage), not signed in
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in client.session
    assert ADMIN_PAGE not in client.get("/admin/", follow=True).content.decode()


def test_a_correct_password_without_an_authenticator_shows_no_admin_page(client):
    staff = _staff()
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session  # signed in, by password alone

    response = client.get("/admin/", follow=True)
    assert ADMIN_PAGE not in response.content.decode()
    # sent to set up an authenticator (allauth first asks for the password again)
    assert ("/accounts/2fa/totp/activate/", 302) in response.redirect_chain
    assert client.get("/admin/accounts/user/").status_code == 302


def test_a_correct_password_with_an_authenticator_shows_no_admin_page_until_the_code(client):
    staff = _staff(mfa=True)
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    response = client.get("/admin/", follow=True)
    assert ADMIN_PAGE not in response.content.decode()

    # the second factor completes the login and opens the admin
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 200
    assert ADMIN_PAGE in response.content.decode()


def test_a_signed_in_non_staff_person_is_refused_at_the_admin_login(client):
    person = UserFactory(mfa=True)
    client.force_login(person)
    assert client.get("/admin/login/").status_code == 403
