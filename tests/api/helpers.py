"""Helpers for the API tests: a token for a user, a client that sends it."""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_hash


def make_token(user, *, mfa: bool = False, days: int = 30, secret: str | None = None) -> str:
    """A token as api_token_create would make it (without going through a session)."""
    import secrets

    secret = secret or "cp_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name="test",
        prefix=secret[:10],
        key_hash=api_token_hash(secret),
        created_with_mfa=mfa,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return secret


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client
