"""Predicates about the account itself (roles per neighbourhood live in communities)."""

from __future__ import annotations

from allauth.account.models import EmailAddress


def is_verified(user) -> bool:
    """Signed in with a verified email address: nobody acts before verifying."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, "_cp_email_verified", None)
    if cached is None:
        cached = EmailAddress.objects.filter(user=user, verified=True).exists()
        user._cp_email_verified = cached
    return cached


def has_mfa(user) -> bool:
    """Has a TOTP authenticator: required before using trustee, finance or auditor powers."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_cp_has_mfa", None)
    if cached is None:
        from allauth.mfa.models import Authenticator

        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._cp_has_mfa = cached
    return cached
