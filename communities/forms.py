"""HTML forms of the communities app: they parse input; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import AgeBand, Connection, Role
from .services.neighbourhoods import MAX_BOUNDARY_CHARS


class NeighbourhoodForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="What the place is like and who lives there, in a few sentences.",
    )
    places = forms.CharField(
        label="Where is it?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A postcode in the neighbourhood, or the name of its ward. One per line; "
        "add more if it covers more than one ward.",
    )
    units = forms.CharField(
        label="ONS codes (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only if you know them: one ward, LSOA or MSOA code per line, with the year "
        "if you know it, for example: E05001234 2017. The platform admin checks the area.",
    )
    population_estimate = forms.IntegerField(
        required=False, min_value=0, max_value=10_000_000, label="Population (estimate)"
    )
    boundary = forms.CharField(
        required=False,
        max_length=MAX_BOUNDARY_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Boundary (optional)",
        help_text="A GeoJSON Polygon or MultiPolygon, if you have one.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The registrant will see this."
    )


class JoinForm(forms.Form):
    connection = forms.ChoiceField(
        choices=Connection.choices,
        widget=forms.RadioSelect,
        label="How are you connected to the neighbourhood?",
    )
    age_band = forms.ChoiceField(
        choices=[("", "Choose your age band"), *AgeBand.choices],
        label="Your age band",
        help_text="Some votes are only for young people, or only for adults.",
    )
    postcode = forms.CharField(
        max_length=10,
        help_text="Where you live, or where you work, study or volunteer. We keep only the "
        "area it is in once you are verified.",
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    private_name = forms.CharField(
        max_length=200,
        label="Your full name",
        help_text="Private: only the neighbourhood's trustees see it, to confirm you and to "
        "stop anyone voting twice. Your public name stays the one you chose.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    private_house = forms.CharField(
        max_length=100,
        label="Your house number or name",
        help_text="Private, like your full name.",
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    private_postcode = forms.CharField(
        max_length=10,
        required=False,
        label="Your home postcode",
        help_text="Private. Leave empty if it is the postcode above.",
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )


class PrivateDetailsForm(forms.Form):
    private_name = forms.CharField(max_length=200, label="Your full name")
    private_house = forms.CharField(max_length=100, label="Your house number or name")
    private_postcode = forms.CharField(max_length=10, label="Your home postcode")


class PostcodeCorrectForm(forms.Form):
    postcode = forms.CharField(
        max_length=10,
        label="The right postcode",
        help_text="Where you live, or where you work, study or volunteer, like LS6 3AB.",
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Access code",
        help_text="The code on your letter, like ABCDE-FGHJK.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class AttestForm(forms.Form):
    note = forms.CharField(
        max_length=500,
        required=False,
        label="Note (optional)",
        help_text="Where and how you confirmed them, e.g. 'at the community centre'.",
    )


class AccessCodeBatchForm(forms.Form):
    label = forms.CharField(
        max_length=120, required=False, help_text="For example: 'Letters to Elm Street'."
    )
    count = forms.IntegerField(min_value=1, max_value=1000, initial=50, label="How many codes")
    valid_days = forms.IntegerField(
        min_value=1, max_value=365, initial=90, label="Days before they expire"
    )


class AppointForm(forms.Form):
    email = forms.EmailField(
        label="Their email address", help_text="They need an account with a confirmed email."
    )
    role = forms.ChoiceField(choices=Role.choices)
    organisation = forms.CharField(
        max_length=200,
        required=False,
        help_text="For finance officers and funder auditors: the organisation they work for.",
    )
    attest = forms.BooleanField(
        required=False,
        label="I have met them and confirm they live, work, study or volunteer here",
        help_text="For a trustee who joined by typing a postcode: your in-person check is "
        "recorded as their verification.",
    )
    non_resident_reason = forms.CharField(
        max_length=300,
        required=False,
        label="If they are not a confirmed member: why they sit on the partnership",
        help_text="For example the organisation they represent. Non-resident trustees stay a "
        "minority: at least the rule's share of trustees must live here.",
    )

    def __init__(self, *args, allow_chair: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_chair:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.CHAIR]

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError("There is no account with that email address.")
        self.cleaned_data["user"] = user
        return email


class InterestForm(forms.Form):
    organisation = forms.CharField(max_length=200)
    nature = forms.CharField(
        max_length=200,
        label="Your link to it",
        help_text="For example: trustee, employee, member, a family member works there.",
    )
    since = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date it started (day/month/year).",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > timezone.localdate():
            raise forms.ValidationError("The start date cannot be in the future.")
        return since


class PartnershipExceptionForm(forms.Form):
    """A platform admin's exception to the partnership health rule."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Why decisions may go ahead although the partnership is below the rule",
    )
    days = forms.IntegerField(
        min_value=1, max_value=90, initial=30, label="For how many days (at most 90)"
    )
