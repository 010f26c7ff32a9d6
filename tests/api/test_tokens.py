"""Personal API tokens: hashed, shown once, expiring, revocable; no more power than their maker."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.permissions import has_mfa
from accounts.services import api_token_create, api_token_hash, api_token_revoke
from config.errors import ForbiddenError
from tests.api.helpers import make_token, token_client
from tests.factories import NeighbourhoodFactory, UserFactory, resident

pytestmark = pytest.mark.django_db


def test_token_page_shows_the_secret_once_and_stores_only_its_hash(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("api_tokens"), {"name": "my script", "days": 30})
    assert response.status_code == 200
    secret = response.context["created"].secret
    assert secret.startswith("cp_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == api_token_hash(secret) and secret not in token.key_hash
    assert secret not in client.get(reverse("api_tokens")).content.decode()


def test_token_authenticates_api_requests_until_revoked():
    nb = NeighbourhoodFactory()
    user = resident(nb)
    secret = make_token(user)
    api = token_client(secret)
    url = reverse("api:join", kwargs={"slug": nb.slug})
    # an authenticated request: 400 for the empty body, not 401
    assert api.post(url, {}, format="json").status_code == 400
    api_token_revoke(user=user, token_id=ApiToken.objects.get(user=user).pk)
    response = api.post(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "revoked" in response.json()["error"]["message"]


def test_expired_and_unknown_tokens_are_401():
    user = UserFactory()
    secret = make_token(user)
    ApiToken.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=10),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    for value in (secret, "cp_nope", "a b c"):
        response = token_client(value).get(reverse("api:neighbourhoods"))
        assert response.status_code == 401, value
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_owner_of_an_authenticator_needs_a_two_factor_session_to_make_a_token(
    client, password_only_login
):
    user = UserFactory(mfa=True)
    password_only_login(client, user)
    response = client.post(reverse("api_tokens"), {"name": "x", "days": 30})
    assert not ApiToken.objects.exists()
    assert "two-factor" in response.content.decode()
    with pytest.raises(ForbiddenError):
        # outside a request has_mfa means "owns an authenticator"; the page is the real gate,
        # but an unverified user is refused anywhere
        api_token_create(user=UserFactory(verified=False), name="x", days=1)


def test_token_made_with_two_factor_carries_it_and_one_without_does_not(rf):
    from accounts.request_scope import request_scope

    user = UserFactory(mfa=True)
    for with_mfa in (True, False):
        secret = make_token(user, mfa=with_mfa)
        token = ApiToken.objects.get(key_hash=api_token_hash(secret))
        request = rf.get("/api/v1/")
        request.user = user
        request.api_token = token
        with request_scope(request):
            assert has_mfa(user) is with_mfa


def test_a_two_factor_session_makes_a_token_that_records_it(client):
    user = UserFactory(mfa=True)
    client.force_login(user)  # passes the second factor (tests/conftest.py)
    client.post(reverse("api_tokens"), {"name": "x", "days": 30})
    assert ApiToken.objects.get(user=user).created_with_mfa is True


def test_revoke_button_revokes(client):
    user = UserFactory()
    make_token(user)
    token = ApiToken.objects.get()
    client.force_login(user)
    client.post(reverse("api_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    other = UserFactory()
    client.force_login(other)
    client.post(reverse("api_token_revoke", args=[token.pk]))  # not theirs: nothing happens
