"""REST input and output serializers of the proposals app (the services do the rules)."""

from __future__ import annotations

from rest_framework import serializers

from config.api import StrictInputSerializer

from .models import Proposal, Theme

HIDDEN_TEXT_FIELDS = ("title", "summary", "description", "location")


class _HidesText:
    """A hidden proposal stays listed with its text replaced by a notice, as on the pages."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.is_hidden:
            for name in HIDDEN_TEXT_FIELDS:
                if name in data:
                    data[name] = "Hidden proposal" if name == "title" else ""
        return data


class ProposalSummaryOut(_HidesText, serializers.Serializer):
    id = serializers.IntegerField()
    neighbourhood = serializers.CharField(source="neighbourhood.slug")
    title = serializers.CharField()
    summary = serializers.CharField()
    theme = serializers.ChoiceField(choices=Theme.choices)
    status = serializers.ChoiceField(choices=Proposal.Status.choices)
    is_hidden = serializers.BooleanField()
    proposer = serializers.CharField(source="proposer.public_name")
    support_count = serializers.IntegerField()
    cost_pence = serializers.IntegerField(source="ballot_cost", allow_null=True)
    created_at = serializers.DateTimeField()


class StatusChangeOut(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class CostLineOut(serializers.Serializer):
    description = serializers.CharField()
    amount_pence = serializers.IntegerField()


class ProposalOut(_HidesText, serializers.Serializer):
    id = serializers.IntegerField()
    neighbourhood = serializers.CharField(source="neighbourhood.slug")
    title = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField()
    theme = serializers.ChoiceField(choices=Theme.choices)
    location = serializers.CharField()
    status = serializers.ChoiceField(choices=Proposal.Status.choices)
    status_reason = serializers.CharField()
    is_hidden = serializers.BooleanField()
    proposer = serializers.CharField(source="proposer.public_name")
    support_count = serializers.IntegerField()
    total_pence = serializers.IntegerField()
    cost_lines = CostLineOut(many=True, source="cost_lines.all")
    history = StatusChangeOut(many=True, source="history.all")
    created_at = serializers.DateTimeField()


class CostLineIn(StrictInputSerializer):
    description = serializers.CharField(max_length=200)
    amount_pence = serializers.IntegerField(min_value=1, max_value=10**12)


class ProposalIn(StrictInputSerializer):
    title = serializers.CharField(max_length=120)
    summary = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    theme = serializers.ChoiceField(choices=Theme.choices)
    location = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    organisation = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    cost_lines = CostLineIn(many=True, allow_empty=False, max_length=50)


class WithdrawIn(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class CommentIn(StrictInputSerializer):
    body = serializers.CharField(max_length=5000)


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.public_name")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
