"""Typing a code to activate TOTP counts as this session passing a second factor."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added, dispatch_uid="accounts.totp_activation_counts_as_mfa")
def record_totp_activation(sender, request, user, authenticator, **kwargs) -> None:
    """allauth records a second factor when one is used to sign in or re-authenticate; setting
    one up proves the same (the person typed a valid code), so record it in this session
    too. Without this a trustee who just set up TOTP would be asked to sign in again."""
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(
        request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True
    )
