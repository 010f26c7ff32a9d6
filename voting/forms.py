"""HTML forms of the voting app: they parse input; the services hold the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from communities.models import AgeBand, Connection
from proposals.models import Proposal

from .models import BallotMethod, CountingRule

# Sane bounds for the round options (the model fields are small integers): a ballot longer
# than 50 proposals is unreadable, and the engine needs no more range than this.
MAX_CHOICES_LIMIT = 50
POINTS_TOTAL_LIMIT = 1000
SCORE_THRESHOLD_LIMIT = 10_000_000

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class PotFieldsMixin(forms.Form):
    pot_name = forms.CharField(label="Pot name", max_length=120, initial="Main pot")
    pot_amount = forms.DecimalField(
        label="Amount in the pot, in pounds",
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    proposals = forms.ModelMultipleChoiceField(
        label="Shortlisted proposals on this pot's ballot",
        queryset=Proposal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def set_proposals(self, neighbourhood) -> None:
        self.fields["proposals"].queryset = Proposal.objects.filter(
            neighbourhood=neighbourhood, status=Proposal.Status.SHORTLISTED
        ).order_by("title")
        self.fields["proposals"].label_from_instance = lambda p: (
            f"{p.title} (£{p.ballot_cost_pence / 100:,.2f})"
        )


class RoundForm(PotFieldsMixin):
    title = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    ballot_method = forms.ChoiceField(label="How people vote", choices=BallotMethod.choices)
    max_choices = forms.IntegerField(
        label="Most proposals a voter may choose or rank",
        min_value=1,
        max_value=MAX_CHOICES_LIMIT,
        required=False,
        help_text="For “choose up to” and ranking ballots; at most the number of proposals "
        "on the ballot.",
        error_messages={
            "min_value": "A voter must be able to choose at least 1 proposal.",
            "max_value": f"A voter can choose or rank at most {MAX_CHOICES_LIMIT} proposals.",
        },
    )
    points_total = forms.IntegerField(
        label="Points each voter shares out",
        min_value=1,
        max_value=POINTS_TOTAL_LIMIT,
        required=False,
        help_text=f"For points ballots; at most {POINTS_TOTAL_LIMIT:,}.",
        error_messages={
            "min_value": "Give each voter at least 1 point to share out.",
            "max_value": f"Give each voter at most {POINTS_TOTAL_LIMIT:,} points to share out.",
        },
    )
    min_spend_percent = forms.IntegerField(
        label="Least share of the pot a ballot must spend, in percent",
        min_value=0,
        max_value=100,
        initial=0,
        required=False,
        help_text="For “within the budget” ballots; 0 for none.",
    )
    counting_rule = forms.ChoiceField(
        label="How the votes are counted", choices=CountingRule.choices
    )
    greedy_skip = forms.BooleanField(
        label="Greedy: skip a proposal that does not fit and go on down the list",
        required=False,
        initial=True,
        help_text="Untick to stop at the first proposal that does not fit (no-skip).",
    )
    score_threshold = forms.IntegerField(
        label="Greedy: lowest score a funded proposal needs",
        min_value=0,
        max_value=SCORE_THRESHOLD_LIMIT,
        required=False,
        help_text="Leave empty for no threshold.",
        error_messages={
            "min_value": "The threshold cannot be below 0.",
            "max_value": f"The threshold can be at most {SCORE_THRESHOLD_LIMIT:,}.",
        },
    )
    min_age_band = forms.ChoiceField(
        label="Youngest age band that may vote",
        choices=[("", "Any age"), *AgeBand.choices],
        required=False,
    )
    eligible_connections = forms.MultipleChoiceField(
        label="Who may vote",
        choices=Connection.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(Connection.values),
    )
    channel_online = forms.BooleanField(label="Vote online", required=False, initial=True)
    channel_paper = forms.BooleanField(label="Vote on paper", required=False)
    opens_at = forms.DateTimeField(label="Opens at", widget=DATETIME_INPUT)
    closes_at = forms.DateTimeField(label="Closes at", widget=DATETIME_INPUT)
    allow_change = forms.BooleanField(
        label="Voters may change their ballot until the vote closes", required=False, initial=True
    )
    proposer_may_vote_own = forms.BooleanField(
        label="Proposers may vote for their own proposal", required=False, initial=True
    )

    field_order = [
        "title",
        "description",
        "opens_at",
        "closes_at",
        "ballot_method",
        "max_choices",
        "points_total",
        "min_spend_percent",
        "counting_rule",
        "greedy_skip",
        "score_threshold",
        "min_age_band",
        "eligible_connections",
        "channel_online",
        "channel_paper",
        "allow_change",
        "proposer_may_vote_own",
        "pot_name",
        "pot_amount",
        "proposals",
    ]

    def __init__(self, *args, neighbourhood, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
        self.set_proposals(neighbourhood)
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("opens_at", now + timezone.timedelta(days=1))
            self.initial.setdefault("closes_at", now + timezone.timedelta(days=15))

    def clean(self):
        data = super().clean()
        max_choices, proposals = data.get("max_choices"), data.get("proposals")
        if max_choices and proposals is not None and max_choices > len(proposals):
            self.add_error(
                "max_choices",
                f"A voter cannot choose or rank more proposals ({max_choices}) than there are "
                f"on the ballot ({len(proposals)}).",
            )
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        keys = [
            "title",
            "description",
            "ballot_method",
            "max_choices",
            "points_total",
            "counting_rule",
            "greedy_skip",
            "score_threshold",
            "min_age_band",
            "eligible_connections",
            "channel_online",
            "channel_paper",
            "opens_at",
            "closes_at",
            "allow_change",
            "proposer_may_vote_own",
        ]
        out = {k: data[k] for k in keys}
        out["min_spend_percent"] = data.get("min_spend_percent") or 0
        return out


class PotForm(PotFieldsMixin):
    def __init__(self, *args, neighbourhood, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_proposals(neighbourhood)


class AnnulForm(forms.Form):
    reason = forms.CharField(
        label="Why is the vote annulled?", widget=forms.Textarea(attrs={"rows": 3})
    )


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label="Receipt code",
        max_length=40,
        help_text="The code you were given when you voted, like ABCD-EFGH-JKLM-NPQR.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class BallotForm(forms.Form):
    """One field per proposal (points or rank) or one group of checkboxes (choices).

    The page renders the fields beside each proposal's details; `choices()` gives what the
    ballot service takes.
    """

    def __init__(self, *args, round, items, show_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.round, self.items = round, items
        method = round.ballot_method
        if method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK):
            self.fields["choice"] = forms.TypedMultipleChoiceField(
                label="Your choices",
                choices=[(i.proposal_id, i.proposal.title) for i in items],
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        elif method == BallotMethod.CUMULATIVE:
            for item in items:
                self.fields[f"points_{item.proposal_id}"] = forms.IntegerField(
                    label=f"Points for {item.proposal.title}", min_value=0, required=False
                )
        else:
            ranks = [("", "Not ranked")] + [
                (str(n), str(n)) for n in range(1, round.max_choices + 1)
            ]
            for item in items:
                self.fields[f"rank_{item.proposal_id}"] = forms.ChoiceField(
                    label=f"Rank for {item.proposal.title}", choices=ranks, required=False
                )
        if show_code:
            self.fields["receipt_code"] = forms.CharField(
                label="Your receipt code",
                required=False,
                max_length=40,
                help_text="You have voted already. To change your ballot, enter the receipt "
                "code you were given.",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def rows(self):
        """(item, bound field or None, checked) for the template, in the ballot's order."""
        method = self.round.ballot_method
        chosen = set()
        if method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK) and self.is_bound:
            chosen = {str(v) for v in self.data.getlist(self.add_prefix("choice"))}
        for item in self.items:
            if method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK):
                yield item, None, str(item.proposal_id) in chosen
            elif method == BallotMethod.CUMULATIVE:
                yield item, self[f"points_{item.proposal_id}"], False
            else:
                yield item, self[f"rank_{item.proposal_id}"], False

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["choices"] = self._choices(data)
        return data

    def carried_fields(self) -> list[tuple[str, str]]:
        """The filled-in ballot as (name, value) pairs, for the review page's hidden inputs:
        "Change" brings the form back as it was, "Cast my vote" casts exactly this."""
        data, out = self.cleaned_data, []
        for name in self.fields:
            value = data.get(name)
            if name == "choice":
                out += [("choice", str(v)) for v in value or []]
            elif value not in (None, ""):
                out.append((name, str(value)))
        return out

    def choices(self):
        return self.cleaned_data["choices"]

    def _choices(self, data):
        method = self.round.ballot_method
        if method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK):
            return data.get("choice", [])
        if method == BallotMethod.CUMULATIVE:
            return {i.proposal_id: data.get(f"points_{i.proposal_id}") or 0 for i in self.items}
        ranked = [
            (int(data[f"rank_{i.proposal_id}"]), i.proposal_id)
            for i in self.items
            if data.get(f"rank_{i.proposal_id}")
        ]
        ranks = [r for r, _ in ranked]
        if len(set(ranks)) != len(ranks):
            raise forms.ValidationError("Give each rank to one proposal only.")
        if sorted(ranks) != list(range(1, len(ranks) + 1)):
            raise forms.ValidationError("Use ranks 1, 2, 3 and so on without gaps.")
        return [pid for _, pid in sorted(ranked)]


class PaperVoterForm(forms.Form):
    """The desk: find a member on the register, or record someone who is not on it."""

    name = forms.CharField(label="Full name", max_length=200, required=False)
    house = forms.CharField(label="House number or name", max_length=100, required=False)
    postcode = forms.CharField(label="Home postcode", max_length=10, required=False)
    age_band = forms.ChoiceField(
        label="Age band",
        required=False,
        choices=[("", "Ask only if they are not on the register"), *AgeBand.choices],
    )
    connection = forms.ChoiceField(
        label="Connection to the area",
        required=False,
        choices=[("", "Ask only if they are not on the register"), *Connection.choices],
    )
    near_match_decision = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not (data.get("name") or data.get("postcode")):
            raise forms.ValidationError("Enter the voter's name or postcode.")
        return data


class BatchForm(forms.Form):
    pot = forms.TypedChoiceField(label="Pot", coerce=int)
    event = forms.CharField(label="Event or place the papers came from", max_length=200)
    declared_count = forms.IntegerField(label="Number of ballot papers in the batch", min_value=1)

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pot"].choices = [(p.pk, p.name) for p in round.pots.all()]


class EntryForm(forms.Form):
    text = forms.CharField(
        label="Ballot papers, one line each",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="Use the numbers printed on the paper: “1, 4, 5” (for a ranking, best "
        "first); for points “2:3, 5:2”; “x” for a spoilt paper.",
    )


class VolunteerForm(forms.Form):
    email = forms.EmailField(label="Volunteer's email address")


class PrintPapersForm(forms.Form):
    """Numbered ballot papers for a polling event."""

    pot = forms.TypedChoiceField(label="Pot", coerce=int)
    event = forms.CharField(label="Polling event (name, place and date)", max_length=200)
    count = forms.IntegerField(
        label="Number of ballot papers",
        min_value=1,
        max_value=1000,
        error_messages={
            "min_value": "Print at least 1 paper.",
            "max_value": "Print at most 1,000 papers at a time.",
        },
    )
    per_page = forms.TypedChoiceField(
        label="Papers on each A4 sheet",
        coerce=int,
        choices=[(1, "One (large print)"), (2, "Two (cut the sheet in half)")],
        initial=1,
    )

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pot"].choices = [(p.pk, p.name) for p in round.pots.all()]


class PrintRegisterForm(forms.Form):
    event = forms.CharField(label="Polling event (name, place and date)", max_length=200)


class CardIssueForm(forms.Form):
    count = forms.IntegerField(label="How many cards", min_value=1, max_value=1000, initial=60)
    label = forms.CharField(
        label="Label (optional)",
        max_length=120,
        required=False,
        help_text="For example the street or event the cards are for.",
    )


class CardCodeForm(forms.Form):
    code = forms.CharField(
        label="Polling card code",
        max_length=40,
        help_text="The 10 letters and numbers on your card, like ABCDE-FGHJK.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class KioskStartForm(forms.Form):
    code = forms.CharField(
        label="Polling card code (if you have a card)",
        max_length=40,
        required=False,
        help_text="No card? Leave this empty: you will be asked your name and address instead.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class VoterIdentityForm(forms.Form):
    """What eligibility needs, and the name and address that stop anyone voting twice."""

    postcode = forms.CharField(label="Home postcode", max_length=10)
    connection = forms.ChoiceField(
        label="How are you connected to the area?",
        choices=[("", "Choose one"), *Connection.choices],
    )
    age_band = forms.ChoiceField(label="Your age", choices=[("", "Choose one"), *AgeBand.choices])
    name = forms.CharField(
        label="Full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    house = forms.CharField(
        label="House number or name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class KioskOpenForm(forms.Form):
    label = forms.CharField(
        label="Where is the kiosk?", max_length=120, help_text="For example “Hollin Bank library”."
    )
    opens_at = forms.DateTimeField(label="Opens at", widget=DATETIME_INPUT)
    closes_at = forms.DateTimeField(label="Closes at", widget=DATETIME_INPUT)
