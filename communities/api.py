"""REST views of the communities app: public reads of neighbourhoods, and joining one."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import READ_ERRORS, WRITE_ERRORS, ConditionalGetMixin, error_responses

from . import selectors, services
from .serializers import JoinIn, MembershipOut, NeighbourhoodOut


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.ChoiceFilter):
    """true or false, nothing else (django-filter's BooleanFilter takes "null" as no filter)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=[("true", "true"), ("false", "false")], **kwargs)


class NeighbourhoodFilter(django_filters.FilterSet):
    """The filters of the neighbourhoods page: text search and left-behind areas."""

    q = django_filters.CharFilter(method="noop", max_length=100)
    left_behind = StrictBooleanFilter(method="noop")

    def noop(self, queryset, name, value):
        return queryset  # the selector filters; this class validates the query string


class NeighbourhoodList(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = NeighbourhoodOut
    filterset_class = NeighbourhoodFilter

    def get_queryset(self):
        params = self.request.query_params
        left = params.get("left_behind")
        return selectors.neighbourhood_list(
            user=self.request.user,
            query=params.get("q", "")[:100],
            left_behind={"true": True, "false": False}.get((left or "").lower()),
        )

    @extend_schema(
        operation_id="neighbourhoods_list",
        responses={200: NeighbourhoodOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NeighbourhoodDetail(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="neighbourhoods_get",
        responses={200: NeighbourhoodOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request, slug: str):
        nb = selectors.neighbourhood_get(user=request.user, slug=slug)
        nb.member_count = selectors.member_count(nb)
        return Response(NeighbourhoodOut(nb).data)


class NeighbourhoodJoin(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="neighbourhoods_join",
        request=JoinIn,
        responses={201: MembershipOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, slug: str):
        """Ask to join: the membership waits for verification, as on the site."""
        nb = selectors.neighbourhood_get(user=request.user, slug=slug)
        data = JoinIn(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_request(
            actor=request.user, neighbourhood=nb, **data.validated_data
        )
        return Response(MembershipOut(membership).data, status=status.HTTP_201_CREATED)
