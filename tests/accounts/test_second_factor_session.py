"""Two-factor means this session passed a second factor, not that the user owns an authenticator.

Issue 9, point 1: a password-only staff session edited other people's authenticators and
appointed a stranger as chair. These tests sign in the way the attacker did (a password and
nothing else) and check that no power is usable until the session passes a second factor.
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import RequestFactory
from django.utils import timezone

from accounts.permissions import has_mfa
from accounts.request_scope import request_scope
from communities.models import Role, RoleAssignment, VerificationMethod
from tests.factories import PASSWORD, MembershipFactory, NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"  # the secret UserFactory(mfa=True) gives


def totp_code(secret: str = SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))


def _chair_and_appointee():
    nb = NeighbourhoodFactory()
    chair = UserFactory(mfa=True)
    RoleAssignment.objects.create(user=chair, neighbourhood=nb, role=Role.CHAIR)
    RoleAssignment.objects.create(user=chair, neighbourhood=nb, role=Role.TRUSTEE)
    MembershipFactory(user=chair, neighbourhood=nb)
    # confirmed in person, so they may sit as a resident trustee
    appointee = MembershipFactory(
        neighbourhood=nb, verification_method=VerificationMethod.ATTESTATION
    ).user
    return nb, chair, appointee


def test_a_password_only_session_of_a_chair_with_an_authenticator_cannot_appoint(
    client, password_only_login
):
    # given a chair who owns an authenticator but signed in with a password alone
    nb, chair, appointee = _chair_and_appointee()
    password_only_login(client, chair)
    url = f"/neighbourhoods/{nb.slug}/roles/"

    # when they appoint someone
    response = client.post(url, {"email": appointee.email, "role": "trustee"})

    # then nothing is appointed and they are asked for their authenticator code
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    assert not RoleAssignment.objects.filter(user=appointee).exists()

    # and once this session passes the second factor, they are sent back and it works
    response = client.post(response["Location"], {"code": totp_code()})
    assert response.status_code == 302
    assert response["Location"] == url
    response = client.post(url, {"email": appointee.email, "role": "trustee"})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=appointee, role=Role.TRUSTEE).exists()


def test_a_password_only_session_of_a_platform_admin_cannot_appoint_a_chair(
    client, password_only_login
):
    nb = NeighbourhoodFactory()
    admin = UserFactory(is_platform_admin=True, is_staff=True, is_superuser=True, mfa=True)
    stranger = UserFactory()
    password_only_login(client, admin)
    response = client.post(
        f"/neighbourhoods/{nb.slug}/roles/", {"email": stranger.email, "role": "chair"}
    )
    assert response.status_code == 302
    assert "/accounts/2fa/" in response["Location"]
    assert not RoleAssignment.objects.filter(user=stranger).exists()


def test_a_password_only_staff_session_cannot_edit_other_peoples_authenticators(
    client, password_only_login
):
    admin = UserFactory(is_platform_admin=True, is_staff=True, is_superuser=True, mfa=True)
    victim = UserFactory(mfa=True)
    totp = Authenticator.objects.get(user=victim)
    password_only_login(client, admin)

    listing = client.get("/admin/mfa/authenticator/")
    change = client.get(f"/admin/mfa/authenticator/{totp.pk}/change/")
    delete = client.post(f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"})

    for response in (listing, change, delete):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert Authenticator.objects.filter(pk=totp.pk).exists()
    # the admin login sends them to their authenticator, never to a password form
    response = client.get(listing["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_signing_in_through_allauth_runs_the_second_factor_before_any_power(client):
    nb, chair, appointee = _chair_and_appointee()
    response = client.post("/accounts/login/", {"login": chair.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.post(f"/neighbourhoods/{nb.slug}/roles/", {"email": appointee.email, "role": "trustee"})
    assert RoleAssignment.objects.filter(user=appointee, role=Role.TRUSTEE).exists()


def test_activating_totp_in_the_session_counts_as_passing_a_second_factor(
    client, password_only_login
):
    # given a chair without an authenticator, signed in with a password
    nb, chair, appointee = _chair_and_appointee()
    Authenticator.objects.filter(user=chair).delete()
    password_only_login(client, chair)
    response = client.post(
        f"/neighbourhoods/{nb.slug}/roles/", {"email": appointee.email, "role": "trustee"}
    )
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    # when they set up TOTP (allauth asks for the password again first), typing a code
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=chair, type="totp").exists()

    # then this session may use the chair's powers without signing in again
    client.post(f"/neighbourhoods/{nb.slug}/roles/", {"email": appointee.email, "role": "trustee"})
    assert RoleAssignment.objects.filter(user=appointee, role=Role.TRUSTEE).exists()


def test_outside_a_request_or_about_someone_else_two_factor_means_owning_an_authenticator():
    with_totp, without = UserFactory(mfa=True), UserFactory()
    # a management command or a task: no session to ask
    assert has_mfa(with_totp) and not has_mfa(without)
    # a request signed in as someone else says nothing about their session
    request = RequestFactory().get("/")
    request.session = {}
    request.user = UserFactory()
    with request_scope(request):
        assert has_mfa(with_totp) and not has_mfa(without)
        assert not has_mfa(request.user)
    # the signed-in person with an authenticator but a password-only session
    request.user = with_totp
    with request_scope(request):
        assert not has_mfa(with_totp)


def test_a_password_only_trustee_session_cannot_screen_and_is_asked_for_the_code(
    client, password_only_login
):
    from proposals.models import Proposal
    from tests.factories import ProposalFactory, trustee

    nb = NeighbourhoodFactory()
    proposal = ProposalFactory(neighbourhood=nb, status=Proposal.Status.SUBMITTED)
    password_only_login(client, trustee(nb))
    response = client.get(f"/proposals/{nb.slug}/{proposal.pk}/screen/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
