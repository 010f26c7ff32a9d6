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


class DecisionForm(forms.Form):
    """A meeting and its vote on funding one selected proposal: one vote field per trustee."""

    held_on = forms.DateField(
        label="Date of the meeting", widget=forms.DateInput(attrs={"type": "date"})
    )
    proposal = forms.ModelChoiceField(label="Proposal", queryset=None, empty_label=None)
    amount_pence = PoundsField(label="Amount to grant")
    motion = forms.CharField(label="Motion", widget=forms.Textarea(attrs={"rows": 3}))

    PRESENCE = [("present", "Present"), ("apologies", "Sent apologies"), ("absent", "Absent")]
    VOTES = [("", "Did not vote"), ("for", "For"), ("against", "Against"), ("abstain", "Abstain")]

    def __init__(self, *args, proposals, trustees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"].queryset = proposals
        self.trustees = list(trustees)
        for trustee in self.trustees:
            self.fields[f"presence_{trustee.pk}"] = forms.ChoiceField(
                label=f"{trustee.display_name}: attendance",
                choices=self.PRESENCE,
                initial="present",
            )
            self.fields[f"vote_{trustee.pk}"] = forms.ChoiceField(
                label=f"{trustee.display_name}: vote", choices=self.VOTES, required=False
            )

    def people(self, presence: str) -> list:
        return [t for t in self.trustees if self.cleaned_data[f"presence_{t.pk}"] == presence]

    def votes(self) -> dict:
        return {
            t: self.cleaned_data[f"vote_{t.pk}"]
            for t in self.trustees
            if self.cleaned_data[f"vote_{t.pk}"]
        }


class GrantApproveForm(forms.Form):
    """Turn a passed decision into a grant: recipient, contact, how it pays."""

    title = forms.CharField(max_length=200)
    recipient_organisation = forms.ModelChoiceField(label="Paid to", queryset=None)
    contact_email = forms.EmailField(
        label="Grantee contact's email",
        help_text="They must have an account here: they see the grant and submit its claims.",
    )
    payment_mode = forms.ChoiceField(label="How it pays", choices=())
    tranches = forms.IntegerField(
        label="Number of payments (advance grants)",
        min_value=1,
        max_value=4,
        initial=2,
        help_text="Split equally; each payment after the first waits for an accepted spend report.",
    )
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, organisations, **kwargs):
        from .models import Grant

        super().__init__(*args, **kwargs)
        self.fields["recipient_organisation"].queryset = organisations
        self.fields["payment_mode"].choices = Grant.PaymentMode.choices
