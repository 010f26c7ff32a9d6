"""allauth form overrides (settings.MFA_FORMS)."""

from __future__ import annotations

from allauth.account.forms import LoginForm as BaseLoginForm
from allauth.account.forms import ResetPasswordForm as BaseResetPasswordForm
from allauth.account.forms import ResetPasswordKeyForm as BaseResetPasswordKeyForm
from allauth.account.forms import SignupForm as BaseSignupForm
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTPForm
from django import forms

from config.errors import ApplicationError

from .services import display_name_clean

PASSWORD_HINT = (
    "At least 8 characters: a few words you will remember work well. Not a common password, "
    "not only numbers, and not like your name or email address."
)


def _plain(form, labels: dict[str, str], hints: dict[str, str] | None = None) -> None:
    """allauth's wording, said plainly (labels shown above fields, no placeholders standing in
    for labels, no HTML in hints)."""
    for name, label in labels.items():
        if name in form.fields:
            form.fields[name].label = label
            form.fields[name].widget.attrs.pop("placeholder", None)
    for name, hint in (hints or {}).items():
        if name in form.fields:
            form.fields[name].help_text = hint


class LoginForm(BaseLoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain(
            self,
            {
                "login": "Your email address",
                "password": "Your password",
                "remember": "Keep me signed in on this device",
            },
        )
        if "password" in self.fields:
            self.fields["password"].help_text = ""


class ResetPasswordForm(BaseResetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain(self, {"email": "Your email address"})


class ResetPasswordKeyForm(BaseResetPasswordKeyForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain(
            self,
            {"password1": "New password", "password2": "Type the new password again"},
            {"password1": PASSWORD_HINT},
        )


class SignupForm(BaseSignupForm):
    """allauth's sign-up plus the name to show publicly (settings.ACCOUNT_FORMS).

    The adapter's save_user stores it (accounts.adapter); the rule is display_name_clean.
    """

    display_name = forms.CharField(
        label="Your name, as others will see it",
        max_length=80,
        help_text="Shown next to your proposals and comments. Your email address is never shown.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
        error_messages={
            "required": "Enter the name to show next to what you write, for example Sam or "
            "Sam Okoro."
        },
    )
    field_order = ["display_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain(
            self,
            {
                "email": "Your email address",
                "password1": "Choose a password",
                "password2": "Type the password again",
            },
            {
                "email": "We send you a link to check it. It is never shown to anyone.",
                "password1": PASSWORD_HINT,
            },
        )

    def clean_display_name(self) -> str:
        try:
            return display_name_clean(self.cleaned_data.get("display_name", ""))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc


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
