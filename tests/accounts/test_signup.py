"""Sign-up sends a verification email; an unverified account cannot act."""

import io

import pytest
from django.core import mail

from accounts.permissions import is_verified

pytestmark = pytest.mark.django_db


def test_signup_sends_verification_email_and_unverified_cannot_sign_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "display_name": "Sam Okoro",
            "email": "new.person@example.org",
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "new.person@example.org" in mail.outbox[0].to
    assert "/accounts/confirm-email/" in mail.outbox[0].body

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "new.person@example.org", "password": "a-Long-pass-2026!"}
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_confirming_email_makes_the_account_verified(client):
    from django.contrib.auth import get_user_model

    client.post(
        "/accounts/signup/",
        {
            "display_name": "Sam Okoro",
            "email": "c@example.org",
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
        },
    )
    user = get_user_model().objects.get(email="c@example.org")
    assert not is_verified(user)
    link = next(line for line in mail.outbox[0].body.splitlines() if "confirm-email" in line)
    path = link[link.index("/accounts/") :].strip()
    client.post(path)
    user = get_user_model().objects.get(email="c@example.org")
    assert is_verified(user)


def test_demo_logins_work(client, settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    with_two_factor = []
    for email in [
        "resident@example.org",
        "trustee@example.org",
        "finance@example.org",
        "funder@example.org",
        "admin@example.org",
    ]:
        client.logout()
        response = client.post("/accounts/login/", {"login": email, "password": "demo-pass-2026"})
        assert response.status_code == 302, email
        if response["Location"].startswith("/accounts/2fa/authenticate/"):
            # Role holders have two-factor: the demo code comes from `demo_totp EMAIL`.
            out = io.StringIO()
            call_command("demo_totp", email, stdout=out)
            response = client.post(response["Location"], {"code": out.getvalue().strip()})
            assert response.status_code == 302, email
            with_two_factor.append(email)
        assert "_auth_user_id" in client.session, email
    assert with_two_factor == [
        "trustee@example.org",
        "finance@example.org",
        "funder@example.org",
        "admin@example.org",
    ]
