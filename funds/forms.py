"""Forms of the funds pages: money is typed in pounds and parsed to pence here, at the edge."""

from __future__ import annotations

from django import forms

from .money import MoneyInputError, parse_pounds
from .receipts import MAX_BYTES


class PoundsField(forms.CharField):
    """'1,250.50' -> 125050 pence; refuses more than two decimal places, zero and negatives."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "In pounds, for example 125.50")
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_pounds(value)
        except MoneyInputError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ClaimItemForm(forms.Form):
    description = forms.CharField(label="What was it for?", max_length=200)
    amount_pence = PoundsField(label="Amount")
    receipt = forms.FileField(
        label="Receipt",
        help_text=f"A photo (JPEG, PNG or WebP) or a PDF, up to {MAX_BYTES // 1048576} MB.",
    )
