"""allauth form overrides (settings.MFA_FORMS)."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTPForm


class ActivateTOTPForm(BaseActivateTOTPForm):
    """Typing a valid code to set up TOTP counts as this session passing a second factor.

    allauth records a second factor when one is used to sign in or re-authenticate; setting
    one up proves the same (the person typed a valid code from the new secret). Without this
    a trustee who has just set up TOTP would have to sign in again before using their role.
    has_mfa also requires the authenticator to exist, so a set-up that fails after this
    point grants nothing.
    """

    def clean_code(self) -> str:
        code = super().clean_code()
        request = context.request
        if request is not None:
            record_authentication(request, self.user, "mfa", type="totp", activated=True)
        return code
