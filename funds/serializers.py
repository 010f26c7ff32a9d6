"""REST input and output serializers of the funds app (the services do the rules).

Public outputs carry no personal data and no receipts: a grant to an individual names "an
individual resident", as the public spend page does."""

from __future__ import annotations

from rest_framework import serializers

from config.api import StrictFormSerializer, StrictInputSerializer
from proposals.models import Theme

from .models import Claim, DecisionVote, Fund, Grant, GrantTranche

MAX_PENCE = 10**12


# --- public outputs ---------------------------------------------------------------------


class FundSpendOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    funder = serializers.CharField(source="funder.name")
    holder = serializers.CharField(source="holder.name")
    status = serializers.ChoiceField(choices=Fund.Status.choices)
    total_pence = serializers.IntegerField(source="total_committed_pence")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    received_pence = serializers.IntegerField(source="public_figures.received")
    committed_pence = serializers.IntegerField(source="public_figures.committed")
    paid_pence = serializers.IntegerField(source="public_figures.paid")


class ThemeSpendOut(serializers.Serializer):
    theme = serializers.CharField()
    paid_pence = serializers.IntegerField()


class SpendOut(serializers.Serializer):
    neighbourhood = serializers.CharField()
    funds = FundSpendOut(many=True)
    spend_by_theme = ThemeSpendOut(many=True)


class GrantProposalOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    theme = serializers.ChoiceField(choices=Theme.choices)


class GrantSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    fund = serializers.IntegerField(source="fund_id")
    title = serializers.CharField()
    recipient = serializers.CharField(source="recipient_public_name")
    proposal = GrantProposalOut(allow_null=True)
    purpose = serializers.ChoiceField(choices=Grant.Purpose.choices)
    payment_mode = serializers.ChoiceField(choices=Grant.PaymentMode.choices)
    status = serializers.ChoiceField(choices=Grant.Status.choices)
    granted_pence = serializers.IntegerField(source="figures.granted")
    paid_pence = serializers.IntegerField(source="figures.paid")
    spent_pence = serializers.IntegerField(source="figures.spent")
    accepted_reports = serializers.IntegerField()
    approved_at = serializers.DateTimeField()


class TrancheOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    amount_pence = serializers.IntegerField()
    precondition = serializers.ChoiceField(choices=GrantTranche.Precondition.choices)
    status = serializers.ChoiceField(choices=GrantTranche.Status.choices)
    is_held = serializers.BooleanField()
    released_at = serializers.DateTimeField(allow_null=True)


class GrantOut(GrantSummaryOut):
    neighbourhood = serializers.CharField(source="fund.neighbourhood.slug")
    conditions = serializers.CharField()
    tranches = TrancheOut(many=True, source="tranches.all")


# --- authenticated outputs --------------------------------------------------------------


class FundOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=Fund.Status.choices)
    status_reason = serializers.CharField()


class ExclusionOut(serializers.Serializer):
    trustee = serializers.CharField(source="trustee.public_name")
    reason = serializers.CharField(source="get_reason_display")


class DecisionOut(serializers.Serializer):
    id = serializers.IntegerField()
    fund = serializers.IntegerField(source="fund_id")
    proposal = serializers.IntegerField(source="proposal_id", allow_null=True)
    motion = serializers.CharField()
    amount_pence = serializers.IntegerField()
    outcome = serializers.CharField()
    eligible_count = serializers.IntegerField()
    quorum = serializers.IntegerField()
    votes_for = serializers.IntegerField()
    votes_against = serializers.IntegerField()
    abstentions = serializers.IntegerField()
    excluded = ExclusionOut(many=True, source="exclusions.all")
    grant = serializers.SerializerMethodField(help_text="The grant made, when it passed.")

    def get_grant(self, decision) -> int | None:
        from django.core.exceptions import ObjectDoesNotExist

        try:
            return decision.approved_grant.pk
        except ObjectDoesNotExist:
            return None


class ClaimItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    amount_pence = serializers.IntegerField()
    has_receipt = serializers.SerializerMethodField()

    def get_has_receipt(self, item) -> bool:
        return bool(item.receipt)


class ClaimOut(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    status = serializers.ChoiceField(choices=Claim.Status.choices)
    status_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    total_pence = serializers.SerializerMethodField()
    items = ClaimItemOut(many=True, source="items.all")

    def get_total_pence(self, claim) -> int:
        return sum(item.amount_pence for item in claim.items.all())


# --- inputs -----------------------------------------------------------------------------


class VoteIn(StrictInputSerializer):
    trustee = serializers.IntegerField(min_value=1, max_value=2**62)
    vote = serializers.ChoiceField(choices=DecisionVote.Choice.choices)


class DecisionIn(StrictInputSerializer):
    proposal = serializers.IntegerField(min_value=1, max_value=2**62)
    held_on = serializers.DateField(help_text="The meeting's date (not in the future).")
    motion = serializers.CharField(max_length=2000)
    votes = VoteIn(
        many=True,
        allow_empty=False,
        max_length=100,
        help_text="Each trustee present without a conflict, and how they voted.",
    )
    present_not_voting = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        default=list,
        max_length=100,
        help_text="Conflicted trustees who were present (they do not vote).",
    )
    apologies = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        default=list,
        max_length=100,
    )
    title = serializers.CharField(max_length=200, help_text="The grant's name, if it passes.")
    amount_pence = serializers.IntegerField(min_value=1, max_value=MAX_PENCE)
    recipient_organisation = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        allow_null=True,
        default=None,
        help_text="The organisation paid; leave out (null) to pay the proposer as an individual.",
    )
    payment_mode = serializers.ChoiceField(choices=Grant.PaymentMode.choices)
    tranches_pence = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_PENCE),
        required=False,
        default=list,
        max_length=3,
        help_text="Advance grants: up to three tranches adding up to the amount.",
    )
    conditions = serializers.CharField(
        max_length=5000, required=False, default="", allow_blank=True
    )


class GrantFromDecisionIn(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    recipient_organisation = serializers.IntegerField(min_value=1, max_value=2**62)
    contact_email = serializers.EmailField(
        help_text="The grantee contact (they must have an account here)."
    )
    payment_mode = serializers.ChoiceField(choices=Grant.PaymentMode.choices)
    tranches = serializers.IntegerField(
        min_value=1, max_value=3, default=2, help_text="Advance grants: equal payments."
    )
    conditions = serializers.CharField(
        max_length=5000, required=False, default="", allow_blank=True
    )


class ReasonIn(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000)


class OptionalReasonIn(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


_RECEIPT_HELP = "A photo (JPEG, PNG or WebP) or a PDF, up to 10 MB."


class ClaimIn(StrictFormSerializer):
    """Up to three items, each with its receipt, as multipart/form-data (the page's form)."""

    description_1 = serializers.CharField(max_length=200)
    amount_pence_1 = serializers.IntegerField(min_value=1, max_value=MAX_PENCE)
    receipt_1 = serializers.FileField(help_text=_RECEIPT_HELP)
    description_2 = serializers.CharField(max_length=200, required=False)
    amount_pence_2 = serializers.IntegerField(min_value=1, max_value=MAX_PENCE, required=False)
    receipt_2 = serializers.FileField(required=False, help_text=_RECEIPT_HELP)
    description_3 = serializers.CharField(max_length=200, required=False)
    amount_pence_3 = serializers.IntegerField(min_value=1, max_value=MAX_PENCE, required=False)
    receipt_3 = serializers.FileField(required=False, help_text=_RECEIPT_HELP)

    def validate(self, attrs):
        items = []
        for n in (1, 2, 3):
            parts = [
                attrs.get(f"{name}_{n}") for name in ("description", "amount_pence", "receipt")
            ]
            if any(p is not None for p in parts) and any(p is None for p in parts):
                raise serializers.ValidationError(
                    {f"description_{n}": ["Give each item's description, amount and receipt."]}
                )
            if parts[0] is not None:
                items.append(parts)
        attrs["items"] = items
        return attrs
