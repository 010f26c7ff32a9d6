"""allauth account adapter: failed-login throttling that cannot lock the owner out."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """The public name from the sign-up form (accounts.forms.SignupForm) is saved with the
        account, so nobody is ever shown by their email address."""
        name = getattr(form, "cleaned_data", {}).get("display_name")
        if name:
            user.display_name = name
        return super().save_user(request, user, form, commit=commit)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The "key" of the `login_failed` rate limit: the (account, IP) pair, not the account.

        Keyed by account alone, anyone could lock any account for minutes with a few wrong
        passwords. Keyed by the pair, wrong passwords from one address slow down that
        address only, so the owner signs in from their own; the per-IP rates in
        ACCOUNT_RATE_LIMITS["login_failed"] still slow one address trying many accounts.
        allauth uses this same key when a password reset clears the count.
        """
        account_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account_key}|ip={get_ip(request)}"
