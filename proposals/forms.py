"""HTML forms: parse input only. Rules are checked by the services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.forms import formset_factory

from accounts.models import User
from communities.models import RoleAssignment
from communities.permissions import TRUSTEE_ROLES

from .markup import markdown_problem
from .models import Proposal, Theme
from .selectors import SORTS
from .text import has_control_characters, spoofing_problem


def _one_line(value: str, label: str) -> str:
    if has_control_characters(value):
        raise forms.ValidationError(
            f"Write the {label} on one line, without tabs or control characters."
        )
    problem = spoofing_problem(value, label)
    if problem:
        raise forms.ValidationError(problem)
    return value


MAX_POUNDS = Decimal("100000000")  # a sanity bound before the fund check in the service


def parse_pounds(value: str) -> int:
    """'1,250.50' or '£1250' -> 125050 pence. Refuses negatives, fractions of a penny, junk."""
    text = (value or "").strip().replace("£", "").replace(",", "").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise forms.ValidationError("Enter an amount in pounds, like 250 or 1,250.50.") from exc
    if not amount.is_finite():
        raise forms.ValidationError("Enter an amount in pounds, like 250 or 1,250.50.")
    if amount <= 0:
        raise forms.ValidationError("The amount must be more than £0.")
    if amount > MAX_POUNDS:
        raise forms.ValidationError("That amount is far more than any neighbourhood's fund.")
    if amount != amount.quantize(Decimal("0.01")):
        raise forms.ValidationError("Use pounds and pence, with at most two decimal places.")
    return int(amount * 100)


class PoundsField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        return parse_pounds(value)


class ProposalForm(forms.Form):
    title = forms.CharField(max_length=120, help_text="At most 120 characters.")
    summary = forms.CharField(max_length=200, help_text="One line: what it is and who it helps.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=20_000,
        help_text="Say what, where, who benefits and how. You can use Markdown: "
        "**bold**, *italic*, lists with -, links as [text](https://...).",
    )
    theme = forms.ChoiceField(choices=Theme.choices)
    location = forms.CharField(
        max_length=200, required=False, help_text="Optional: a street, building or park."
    )
    organisation = forms.CharField(
        max_length=200,
        required=False,
        label="Proposing organisation",
        help_text="Optional: a group or charity proposing this with you.",
    )
    linked_trustees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Trustees you are linked to",
        help_text="Tick any trustee who is family, a friend, a colleague, or part of your "
        "organisation. They will not screen or decide this proposal.",
    )
    trustee_links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Describe the links",
        help_text="Optional: say how you are linked to those trustees.",
    )

    def __init__(self, *args, neighbourhood, **kwargs):
        super().__init__(*args, **kwargs)
        ids = (
            RoleAssignment.objects.current()
            .filter(neighbourhood=neighbourhood, role__in=TRUSTEE_ROLES)
            .values("user_id")
        )
        self.fields["linked_trustees"].queryset = User.objects.filter(pk__in=ids).order_by(
            "display_name", "pk"
        )
        self.fields["linked_trustees"].label_from_instance = lambda u: u.public_name

    def clean_title(self):
        return _one_line(self.cleaned_data["title"], "title")

    def clean_summary(self):
        return _one_line(self.cleaned_data["summary"], "summary")

    def clean_organisation(self):
        return _one_line(self.cleaned_data["organisation"], "organisation's name")

    def clean_description(self):
        description = self.cleaned_data["description"]
        problem = markdown_problem(description)
        if problem:
            raise forms.ValidationError(problem)
        return description


class CostLineForm(forms.Form):
    description = forms.CharField(max_length=200, required=False, label="What it pays for")
    amount = PoundsField(required=False, label="Amount in pounds")

    def clean(self):
        data = super().clean()
        if data.get("description") and data.get("amount") is None and not self.errors:
            self.add_error("amount", "Enter the amount for this line.")
        if data.get("amount") is not None and not data.get("description"):
            self.add_error("description", "Say what this amount pays for.")
        return data


CostLineFormSet = formset_factory(CostLineForm, extra=3, max_num=20, validate_max=True)


def cost_lines_from(formset) -> list[tuple[str, int]]:
    return [
        (f.cleaned_data["description"], f.cleaned_data["amount"])
        for f in formset.forms
        if f.cleaned_data.get("description") and f.cleaned_data.get("amount") is not None
    ]


class ImageForm(forms.Form):
    image = forms.FileField(
        label="Photo",
        help_text="A JPEG, PNG or WebP photo, up to 10 MB. Location data is removed.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = forms.CharField(
        max_length=250,
        label="Describe the photo",
        help_text="For people who cannot see it, e.g. “The empty shop on Mill Street”.",
    )


class ScreeningForm(forms.Form):
    DECISIONS = [("shortlist", "Eligible: shortlist it"), ("ineligible", "Not eligible")]
    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        help_text="Shown on the proposal page: eligibility and cost checks.",
    )
    revised_cost = PoundsField(
        required=False,
        label="Revised cost in pounds",
        help_text="Only if the cost check changed the total. The ballot will use it.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Reason it is not eligible",
        help_text="Needed if it is not eligible. The proposer will see it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "ineligible" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason it is not eligible.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class ReportChoiceForm(forms.Form):
    """Which report in the queue a trustee acts on (a positive id, anything else refused)."""

    report = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label="Your comment",
        help_text="Plain text, at most 2,000 characters. Be kind.",
    )
    # Bounded so an absurd id is a form error, not an overflow in the database query.
    parent = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


class MilestoneForm(forms.Form):
    happened_on = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For example 2026-05-31.",
    )
    update = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text="At most 500 characters.",
    )
    progress_percent = forms.IntegerField(
        min_value=0, max_value=100, label="Progress (percent)", help_text="0 to 100."
    )
    photo = forms.FileField(required=False, help_text="Optional: a JPEG, PNG or WebP, up to 10 MB.")
    photo_alt = forms.CharField(max_length=250, required=False, label="Describe the photo")

    def clean(self):
        data = super().clean()
        if data.get("photo") and not (data.get("photo_alt") or "").strip():
            self.add_error("photo_alt", "Describe the photo for people who cannot see it.")
        return data


class FilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search titles and summaries")
    theme = forms.ChoiceField(required=False, choices=[("", "All themes"), *Theme.choices])
    status = forms.ChoiceField(
        required=False,
        choices=[("", "All states")]
        + [(v, lbl) for v, lbl in Proposal.Status.choices if v != Proposal.Status.DRAFT],
        label="State",
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("newest", "Newest"),
            ("supported", "Most supported"),
            ("cost_low", "Lowest cost"),
            ("cost_high", "Highest cost"),
        ],
        label="Sort by",
    )

    def filters(self):
        from .selectors import ProposalFilters

        if not self.is_valid():
            return ProposalFilters()
        data = self.cleaned_data
        sort = data.get("sort") or "newest"
        return ProposalFilters(
            theme=data.get("theme") or "",
            status=data.get("status") or "",
            q=(data.get("q") or "").strip(),
            sort=sort if sort in SORTS else "newest",
        )
