"""Where a signed-in person goes to pass a second factor in this session."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest
from django.urls import reverse

from .permissions import owns_authenticator


def second_factor_url(request: HttpRequest, next_url: str) -> str:
    """Confirm with the authenticator they have (allauth's MFA re-authentication records a
    second factor in the session), or set one up (activation records it too)."""
    if owns_authenticator(request.user):
        return f"{reverse('mfa_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
    # allauth's activation page goes on to the recovery codes; it takes no "next".
    return reverse("mfa_activate_totp")
