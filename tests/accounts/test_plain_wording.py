"""allauth's stock wording is replaced by plain English on the pages a visitor sees, and the
header offers two-factor only to those who need it."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from communities.models import Role
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    NeighbourhoodFactory,
    RoleAssignmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

STOCK = [
    "Sign In",
    "Sign Up",
    "Signup",
    "Remember Me",
    "Reset My Password",
    "finalize",
    "Bad Token",
    "Two-Factor Authentication",
    "Activate Authenticator App",
    "Please ",
    "Successfully",
    "E-mail",
]


def _plain(html: str) -> None:
    for phrase in STOCK:
        assert phrase not in html, phrase
    # Every input a person types into has a visible label tied to it.
    for field_id in re.findall(r'<input type="(?:text|email|password)"[^>]*id="([^"]+)"', html):
        assert f'for="{field_id}"' in html, field_id


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/accounts/login/", "Your email address"),
        ("/accounts/signup/", "Create my account"),
        ("/accounts/password/reset/", "Send me the link"),
        ("/accounts/password/reset/done/", "If an account uses that address"),
        ("/accounts/confirm-email/", "Check your email"),
    ],
)
def test_entrance_pages_speak_plainly(client, path, says):
    html = client.get(path).content.decode()
    assert says in html
    _plain(html)


def test_signup_then_the_email_link_speak_plainly(client):
    response = client.post(
        "/accounts/signup/",
        {
            "display_name": "Sam",
            "email": "sam@example.org",
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Check your email" in html
    _plain(html)
    link = next(line for line in mail.outbox[0].body.splitlines() if "confirm-email" in line)
    html = client.get(link[link.index("/accounts/") :].strip()).content.decode()
    assert "Confirm my email address" in html
    _plain(html)
    html = client.get("/accounts/confirm-email/not-a-key/").content.decode()
    assert "This link has run out or has already been used." in html


def test_password_reset_from_a_bad_link_says_what_to_do(client):
    html = client.get("/accounts/password/reset/key/1-bad-key/", follow=True).content.decode()
    assert "Ask for a new link" in html
    _plain(html)


def test_the_second_step_pages_speak_plainly(client):
    trustee = UserFactory(mfa=True)
    response = client.post("/accounts/login/", {"login": trustee.email, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    html = client.get(response["Location"]).content.decode()
    assert "Type your sign-in code" in html
    _plain(html)
    client.force_login(UserFactory())
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    html = client.get(response["Location"]).content.decode()
    assert "Type your password again" in html
    _plain(html)
    reauth = client.post(response["Location"], {"password": PASSWORD})
    assert reauth["Location"] == "/accounts/2fa/totp/activate/"
    html = client.get("/accounts/2fa/totp/activate/").content.decode()
    assert "Set up sign-in codes" in html and "Turn on sign-in codes" in html
    _plain(html)


def test_two_factor_is_offered_only_to_those_who_need_it(client):
    nb = NeighbourhoodFactory()
    resident = MembershipFactory(neighbourhood=nb).user
    client.force_login(resident)
    assert "/accounts/2fa/" not in client.get("/").content.decode()

    treasurer = UserFactory(mfa=False)
    RoleAssignmentFactory(user=treasurer, neighbourhood=nb, role=Role.FINANCE_OFFICER)
    client.force_login(treasurer)
    assert 'href="/accounts/2fa/">Sign-in codes (two-factor)' in client.get("/").content.decode()

    already = UserFactory(mfa=True)  # set it up once: keeps the way to manage it
    client.force_login(already)
    assert 'href="/accounts/2fa/"' in client.get("/").content.decode()
    html = client.get("/accounts/2fa/").content.decode()
    assert "On: you type a code from your app when you sign in." in html
    _plain(html)


def test_the_emails_speak_plainly(client):
    client.post(
        "/accounts/signup/",
        {
            "display_name": "Sam",
            "email": "sam@example.org",
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
        },
    )
    client.logout()
    client.post("/accounts/password/reset/", {"email": "sam@example.org"})
    confirm, reset = mail.outbox[0], mail.outbox[-1]
    assert confirm.subject == "[Common Purse] Show that this email address is yours"
    assert "To show the address is yours, open this link:" in confirm.body
    assert reset.subject == "[Common Purse] Choose a new password"
    assert "/accounts/password/reset/key/" in reset.body
    for message in (confirm, reset):
        assert "Hello from" not in message.body and "You're receiving" not in message.body
