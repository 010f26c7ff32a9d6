"""REST input and output serializers of the communities app (no rules here: services do them)."""

from __future__ import annotations

from rest_framework import serializers

from config.api import StrictInputSerializer

from .models import AgeBand, Connection, Neighbourhood


class NeighbourhoodOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Neighbourhood.Status.choices)
    left_behind = serializers.BooleanField()
    imd_decile = serializers.IntegerField(allow_null=True)
    member_count = serializers.IntegerField()


class JoinIn(StrictInputSerializer):
    connection = serializers.ChoiceField(choices=Connection.choices)
    age_band = serializers.ChoiceField(choices=AgeBand.choices)
    postcode = serializers.CharField(max_length=10)
    private_name = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    private_house = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    private_postcode = serializers.CharField(
        max_length=10, required=False, default="", allow_blank=True
    )


class MembershipOut(serializers.Serializer):
    neighbourhood = serializers.CharField(source="neighbourhood.slug")
    status = serializers.CharField()
    connection = serializers.CharField()
    created_at = serializers.DateTimeField()
