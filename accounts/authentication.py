"""DRF authentication by personal API token: `Authorization: Bearer cp_...`."""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Finds the token by its hash; an unknown, expired or revoked token is a 401.

    The token is put on the Django request, so `has_mfa` (through the request scope) grants
    two-factor powers only if the token's creating session had them.
    """

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the token after 'Bearer', nothing more.")
        try:
            secret = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        from .services import api_token_hash

        token = (
            ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(secret)).first()
        )
        now = timezone.now()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("That token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("That token has been revoked.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("That token has expired.")
        if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
            # At most one write per five minutes per token: enough to show "last used".
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request._request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI schema how the token is sent."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token."}
