"""The erasure form: password, and the two-factor code for those who have one."""

from __future__ import annotations

from django import forms


class EraseAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account is erased for good and cannot be brought back",
        error_messages={"required": "Tick the box to confirm you want to erase your account."},
    )

    def __init__(self, *args, needs_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_code:
            del self.fields["code"]
