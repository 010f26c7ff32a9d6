"""Predicates about the account itself (roles per neighbourhood live in communities)."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from .request_scope import current_scope


def _cached(kind: str, user, compute) -> bool:
    """Cache a database read for the rest of this request only (none outside a request)."""
    scope = current_scope()
    if scope is None:
        return compute()
    key = (kind, user.pk)
    if key not in scope.cache:
        scope.cache[key] = compute()
    return scope.cache[key]


def remember_verified(user: AbstractBaseUser, verified: bool) -> None:
    """Keep whether the user has a verified email, read by a combined statement elsewhere
    (communities.permissions.member_standing), so `is_verified` does not read it again."""
    scope = current_scope()
    if scope is not None:
        scope.cache[("email_verified", user.pk)] = bool(verified)


def is_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Signed in with a verified email address: nobody acts before verifying."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return _cached(
        "email_verified",
        user,
        lambda: EmailAddress.objects.filter(user=user, verified=True).exists(),
    )


def owns_authenticator(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Has set up a TOTP authenticator (says nothing about this session)."""
    if not getattr(user, "is_authenticated", False):
        return False
    from allauth.mfa.models import Authenticator

    return _cached(
        "owns_totp",
        user,
        lambda: Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
    )


def session_passed_mfa(request, user: AbstractBaseUser | AnonymousUser) -> bool:
    """This session recorded a second factor for this user: the TOTP (or recovery code) step
    of allauth's login or re-authentication, or typing a code to activate TOTP."""
    if not getattr(user, "is_authenticated", False) or not hasattr(request, "session"):
        return False
    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records)


def has_mfa(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Two-factor: required before using trustee, finance, auditor or admin powers.

    For the person signed in on the current request it means THIS SESSION passed a second
    factor (and the authenticator still exists): a password alone, even of someone who owns
    an authenticator, is not enough. Outside any request (commands, tasks), or when asking
    about someone other than the signed-in person, it means owning a TOTP authenticator.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    scope = current_scope()
    if scope is not None and scope.is_request_user(user):
        token = getattr(scope.request, "api_token", None)
        if token is not None:
            # A token request: the token has the second factor its creating session had.
            return token.created_with_mfa and owns_authenticator(user)
        return session_passed_mfa(scope.request, user) and owns_authenticator(user)
    return owns_authenticator(user)


def can_create_api_token(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A verified user may make a token; one who owns an authenticator only from a session
    that passed it (a token is no way round two-factor). Not from a token request."""
    if not is_verified(user):
        return False
    scope = current_scope()
    if scope is not None and getattr(scope.request, "api_token", None) is not None:
        return False
    return has_mfa(user) or not owns_authenticator(user)
