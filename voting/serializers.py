"""REST input and output serializers of the voting app (the services do the rules)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import StrictInputSerializer

from .models import BallotMethod, VoteRound


class PotItemOut(serializers.Serializer):
    number = serializers.IntegerField()
    proposal_id = serializers.IntegerField()
    title = serializers.CharField(source="proposal.title")
    cost_pence = serializers.IntegerField()


class PotOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    amount_pence = serializers.IntegerField()


class PotDetailOut(PotOut):
    items = PotItemOut(many=True, source="items.all")


class RoundSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    neighbourhood = serializers.CharField(source="neighbourhood.slug")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=VoteRound.Status.choices)
    ballot_method = serializers.ChoiceField(choices=BallotMethod.choices)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    pots = PotOut(many=True, source="pots.all")


class RoundOut(RoundSummaryOut):
    description = serializers.CharField()
    max_choices = serializers.IntegerField(allow_null=True)
    points_total = serializers.IntegerField(allow_null=True)
    min_spend_percent = serializers.IntegerField()
    allow_change = serializers.BooleanField()
    pots = PotDetailOut(many=True, source="pots.all")


class ResultRowOut(serializers.Serializer):
    proposal_id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    score = serializers.CharField(help_text="Exact score (an integer or a fraction as text).")
    selected = serializers.BooleanField()


class PotResultOut(serializers.Serializer):
    pot_id = serializers.IntegerField(source="pot.pk")
    pot = serializers.CharField(source="pot.name")
    rule = serializers.CharField(source="result.rule")
    ballots = serializers.CharField(help_text="Ballots counted ('fewer than 5' when small).")
    spent_pence = serializers.IntegerField(source="result.total_cost_pence")
    rows = ResultRowOut(many=True)


class RoundResultsOut(serializers.Serializer):
    round_id = serializers.IntegerField()
    pots = PotResultOut(many=True)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 1000},
            {
                "type": "object",
                "propertyNames": {"pattern": "^[0-9]{1,18}$"},
                "additionalProperties": {"type": "integer"},
                "minProperties": 1,
                "maxProperties": 1000,
            },
        ]
    }
)
class ChoicesField(serializers.JSONField):
    """A list of proposal ids, or an object of proposal id to points."""


class BallotIn(StrictInputSerializer):
    pot = serializers.IntegerField(min_value=1, max_value=2**62, help_text="The pot's id.")
    choices = ChoicesField(
        help_text=(
            "Approval, knapsack and ranking rounds: a list of proposal ids (ranking: best "
            'first). Cumulative rounds: an object of proposal id to points, e.g. {"12": 3}.'
        )
    )
    receipt_code = serializers.CharField(
        max_length=40,
        required=False,
        default="",
        allow_blank=True,
        help_text="To change a ballot: the receipt code given when you voted.",
    )

    def validate_choices(self, value):
        # Shape only; what the choices may be is the service's rule (validate_choices).
        if isinstance(value, list):
            if len(value) > 1000 or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise serializers.ValidationError("Give a list of proposal ids (whole numbers).")
            return value
        if isinstance(value, dict):
            if len(value) > 1000 or not all(
                isinstance(v, int) and not isinstance(v, bool) and k.isdigit() and len(k) < 19
                for k, v in value.items()
            ):
                raise serializers.ValidationError("Give proposal ids and whole numbers of points.")
            return value
        raise serializers.ValidationError("Give a list of proposal ids, or ids with points.")


class CastOut(serializers.Serializer):
    receipt_code = serializers.CharField(help_text="Shown once: keep it to check or change.")
    changed = serializers.BooleanField()
    round_id = serializers.IntegerField(source="round.pk")
    pot_id = serializers.IntegerField(source="pot.pk")


class ReceiptIn(StrictInputSerializer):
    code = serializers.CharField(max_length=40)


class ReceiptOut(serializers.Serializer):
    round_id = serializers.IntegerField(source="round.pk")
    round = serializers.CharField(source="round.title")
    pot = serializers.CharField(source="pot.name")
    counted = serializers.BooleanField()
