"""Forms of the funds pages: they parse what people type (pounds to pence) and nothing more;
the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from .models import DecisionVote, Grant, Organisation
from .money import MoneyInputError, parse_pounds

MAX_TRANCHES = 3
CLAIM_LINES = 3

ATTENDANCE = [
    ("for", "Present: voted for"),
    ("against", "Present: voted against"),
    ("abstain", "Present: abstained"),
    ("apologies", "Sent apologies"),
    ("absent", "Absent"),
]
CONFLICTED_ATTENDANCE = [
    ("present", "Present (does not vote)"),
    ("apologies", "Sent apologies"),
    ("absent", "Absent"),
]


class PoundsField(forms.CharField):
    """An amount in pounds, typed as people write it ("1,250.50", "£12"); cleaned to pence."""

    def __init__(self, *args, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return parse_pounds(value, allow_zero=self.allow_zero)
        except MoneyInputError as exc:
            raise forms.ValidationError(str(exc)) from exc


class DecisionForm(forms.Form):
    """The record of one meeting's decision on a selected proposal, and the grant it makes.

    One radio group per trustee: how they attended and voted. Conflicted trustees get no vote:
    the page shows them as excluded, with the reason.
    """

    held_on = forms.DateField(
        label="Date of the meeting",
        help_text="For example 2026-12-02.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    motion = forms.CharField(label="The motion the meeting voted on", widget=forms.Textarea)
    title = forms.CharField(label="Name of the grant", max_length=200)
    amount = PoundsField(label="Grant amount, in pounds")
    recipient = forms.ChoiceField(label="Who receives the money")
    payment_mode = forms.ChoiceField(
        label="How the grant pays",
        choices=Grant.PaymentMode.choices,
        widget=forms.RadioSelect,
        initial=Grant.PaymentMode.ADVANCE,
        help_text="Paid in advance: the finance officer pays the tranches below. Claims "
        "reimbursed: the finance officer pays each approved claim (leave the tranches empty).",
    )
    conditions = forms.CharField(
        label="Conditions of the grant", widget=forms.Textarea, required=False
    )

    def __init__(self, *args, proposal, eligible, conflicted, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.eligible = list(eligible)
        self.conflicted = list(conflicted)  # (user, reason label)
        self.organisations = list(organisations)
        for number in range(1, MAX_TRANCHES + 1):
            self.fields[f"tranche_{number}"] = PoundsField(
                label=f"Tranche {number}, in pounds", required=False
            )
        if "tranche_2" in self.fields:
            self.fields[
                "tranche_2"
            ].help_text = "Later tranches are paid when a spend report has been accepted."
        for trustee in self.eligible:
            self.fields[f"vote_{trustee.pk}"] = forms.ChoiceField(
                label=trustee.public_name, choices=ATTENDANCE, widget=forms.RadioSelect
            )
        for trustee, _reason in self.conflicted:
            self.fields[f"attend_{trustee.pk}"] = forms.ChoiceField(
                label=trustee.public_name,
                choices=CONFLICTED_ATTENDANCE,
                widget=forms.RadioSelect,
                initial="absent",
            )
        choices = [(f"org:{org.pk}", org.name) for org in self.organisations]
        choices.append(
            ("proposer", f"The proposer as an individual ({proposal.proposer.public_name})")
        )
        self.fields["recipient"].choices = choices
        self.fields["held_on"].initial = timezone.localdate()
        cost = getattr(proposal, "ballot_cost_pence", None) or 0
        if cost:
            self.fields["amount"].initial = f"{cost / 100:.2f}"
        self.fields["title"].initial = proposal.title
        self.fields[
            "motion"
        ].initial = f"That the partnership makes a grant for “{proposal.title}”."

    def vote_fields(self):
        return [self[f"vote_{t.pk}"] for t in self.eligible]

    def conflicted_fields(self):
        return [(self[f"attend_{t.pk}"], reason) for t, reason in self.conflicted]

    def tranche_fields(self):
        return [self[f"tranche_{n}"] for n in range(1, MAX_TRANCHES + 1)]

    def detail_fields(self):
        return [
            self[name] for name in ("title", "amount", "recipient", "payment_mode", "conditions")
        ]

    def clean(self):
        data = super().clean()
        attendees, apologies, votes = [], [], {}
        for trustee in self.eligible:
            choice = data.get(f"vote_{trustee.pk}")
            if choice in DecisionVote.Choice.values:
                attendees.append(trustee)
                votes[trustee] = choice
            elif choice == "apologies":
                apologies.append(trustee)
        for trustee, _reason in self.conflicted:
            choice = data.get(f"attend_{trustee.pk}")
            if choice == "present":
                attendees.append(trustee)
            elif choice == "apologies":
                apologies.append(trustee)
        data["attendees"], data["apologies"], data["votes"] = attendees, apologies, votes
        data["tranches"] = [
            data[f"tranche_{n}"]
            for n in range(1, MAX_TRANCHES + 1)
            if data.get(f"tranche_{n}") is not None
        ]
        recipient = data.get("recipient") or ""
        data["recipient_organisation"] = None
        data["recipient_user"] = None
        if recipient.startswith("org:"):
            data["recipient_organisation"] = next(
                (o for o in self.organisations if f"org:{o.pk}" == recipient), None
            )
        elif recipient == "proposer":
            data["recipient_user"] = self.proposal.proposer
        if isinstance(data.get("held_on"), dt.date) and data["held_on"] > timezone.localdate():
            self.add_error("held_on", "The meeting cannot be in the future.")
        return data


class ClaimForm(forms.Form):
    """Up to three lines of spend, each with its receipt (a photo or a PDF)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, CLAIM_LINES + 1):
            required = n == 1
            self.fields[f"description_{n}"] = forms.CharField(
                label=f"Item {n}: what it was for", max_length=200, required=required
            )
            self.fields[f"amount_{n}"] = PoundsField(
                label=f"Item {n}: amount, in pounds", required=required
            )
            self.fields[f"receipt_{n}"] = forms.FileField(
                label=f"Item {n}: receipt",
                required=required,
                help_text="A photo (JPEG, PNG or WebP) or a PDF, up to 10 MB.",
                widget=forms.ClearableFileInput(
                    attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
                ),
            )

    def lines(self):
        return [
            [self[f"description_{n}"], self[f"amount_{n}"], self[f"receipt_{n}"]]
            for n in range(1, CLAIM_LINES + 1)
        ]

    def clean(self):
        data = super().clean()
        items = []
        for n in range(1, CLAIM_LINES + 1):
            description = data.get(f"description_{n}") or ""
            amount = data.get(f"amount_{n}")
            receipt = data.get(f"receipt_{n}")
            if not (description or amount or receipt):
                continue
            if not description:
                self.add_error(f"description_{n}", "Say what this item was for.")
            if amount is None:
                self.add_error(f"amount_{n}", "Enter how much this item cost.")
            if not receipt:
                self.add_error(f"receipt_{n}", "Add the receipt for this item.")
            items.append((description, amount, receipt))
        data["items"] = items
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=1000)


def organisations_for_grants():
    return Organisation.objects.filter(
        kind__in=[Organisation.Kind.GRANTEE, Organisation.Kind.FUND_HOLDER],
        due_diligence_status=Organisation.DueDiligence.PASSED,
    ).order_by("name")


class GrantApproveForm(forms.Form):
    """Turn a passed decision that has no grant yet into one: recipient, contact, how it pays."""

    title = forms.CharField(max_length=200)
    recipient_organisation = forms.ModelChoiceField(label="Paid to", queryset=None)
    contact_email = forms.EmailField(
        label="Grantee contact's email",
        help_text="They must have an account here: they see the grant and submit its claims.",
    )
    payment_mode = forms.ChoiceField(label="How it pays", choices=Grant.PaymentMode.choices)
    tranches = forms.IntegerField(
        label="Number of payments (advance grants)",
        min_value=1,
        max_value=MAX_TRANCHES,
        initial=2,
        help_text="Split equally; each payment after the first waits for an accepted spend report.",
    )
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_organisation"].queryset = organisations


class QueryForm(forms.Form):
    """A funder auditor's query: a subject and the question; the item comes from the link."""

    target = forms.ChoiceField(
        choices=[("entry", "entry"), ("grant", "grant"), ("claim", "claim")],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Raise a query from an entry, a grant or a claim."},
    )
    target_id = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={"invalid": "Raise a query from an entry, a grant or a claim."},
    )
    subject = forms.CharField(
        label="Subject",
        max_length=200,
        help_text="A few words, for example “Receipt does not match the amount”.",
        error_messages={"required": "Enter a subject for the query."},
    )
    body = forms.CharField(
        label="Your question",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Say what you need the trustees to explain or send. At most 5,000 characters.",
        error_messages={"required": "Write your question."},
    )


class QueryMessageForm(forms.Form):
    """An answer, a reply, or the note that closes or reopens a query."""

    body = forms.CharField(
        label="Your message",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="At most 5,000 characters.",
    )
