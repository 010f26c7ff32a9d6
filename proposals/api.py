"""REST views of the proposals app: lists and details (with state history) for anyone; drafting,
submitting, withdrawing, supporting and commenting for signed-in residents, through the services."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from communities.selectors import neighbourhood_get
from config.api import READ_ERRORS, WRITE_ERRORS, ConditionalGetMixin, error_responses

from . import selectors, services
from .models import Proposal, Theme
from .serializers import (
    CommentIn,
    CommentOut,
    ProposalIn,
    ProposalOut,
    ProposalSummaryOut,
    WithdrawIn,
)


class ProposalFilter(django_filters.FilterSet):
    """The filters of the proposals page (the selector applies them)."""

    theme = django_filters.ChoiceFilter(choices=Theme.choices, method="noop")
    status = django_filters.ChoiceFilter(choices=Proposal.Status.choices, method="noop")
    q = django_filters.CharFilter(method="noop", max_length=100)
    sort = django_filters.ChoiceFilter(choices=[(k, k) for k in selectors.SORTS], method="noop")

    def noop(self, queryset, name, value):
        return queryset


def _proposal(request, slug: str, pk: int) -> Proposal:
    return selectors.proposal_get(neighbourhood_slug=slug, pk=pk, user=request.user)


class ProposalListCreate(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = ProposalSummaryOut
    filterset_class = ProposalFilter

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Proposal.objects.none()
        nb = neighbourhood_get(user=self.request.user, slug=self.kwargs["slug"])
        params = self.request.query_params
        filters = selectors.ProposalFilters(
            theme=params.get("theme", ""),
            status=params.get("status", ""),
            q=params.get("q", "")[:100],
            sort=params.get("sort", "newest"),
        )
        qs = selectors.proposal_list(neighbourhood=nb, user=self.request.user, filters=filters)
        return qs.select_related("neighbourhood")

    @extend_schema(
        operation_id="proposals_list",
        responses={200: ProposalSummaryOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="proposals_create",
        request=ProposalIn,
        responses={201: ProposalOut, **error_responses(*WRITE_ERRORS)},
        filters=False,
    )
    def post(self, request, slug: str):
        """Draft a proposal (then submit it)."""
        nb = neighbourhood_get(user=request.user, slug=slug)
        data = ProposalIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lines = [(line["description"], line["amount_pence"]) for line in values.pop("cost_lines")]
        proposal = services.proposal_create(
            neighbourhood=nb, proposer=request.user, cost_lines=lines, **values
        )
        proposal = _proposal(request, slug, proposal.pk)
        return Response(ProposalOut(proposal).data, status=status.HTTP_201_CREATED)


class ProposalDetail(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="proposals_get", responses={200: ProposalOut, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, slug: str, pk: int):
        """One proposal with its cost lines and its history of states."""
        return Response(ProposalOut(_proposal(request, slug, pk)).data)


class _Action(APIView):
    permission_classes = [permissions.IsAuthenticated]


class ProposalSubmit(_Action):
    @extend_schema(
        operation_id="proposals_submit",
        request=None,
        responses={200: ProposalOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, slug: str, pk: int):
        services.proposal_submit(proposal=_proposal(request, slug, pk), actor=request.user)
        return Response(ProposalOut(_proposal(request, slug, pk)).data)


class ProposalWithdraw(_Action):
    @extend_schema(
        operation_id="proposals_withdraw",
        request=WithdrawIn,
        responses={200: ProposalOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, slug: str, pk: int):
        data = WithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_withdraw(
            proposal=_proposal(request, slug, pk), actor=request.user, **data.validated_data
        )
        return Response(ProposalOut(_proposal(request, slug, pk)).data)


class ProposalSupport(_Action):
    @extend_schema(
        operation_id="proposals_support",
        request=None,
        responses={200: ProposalOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, slug: str, pk: int):
        services.support_add(proposal=_proposal(request, slug, pk), user=request.user)
        return Response(ProposalOut(_proposal(request, slug, pk)).data)

    @extend_schema(
        operation_id="proposals_support_withdraw",
        request=None,
        responses={200: ProposalOut, **error_responses(*WRITE_ERRORS)},
    )
    def delete(self, request, slug: str, pk: int):
        services.support_withdraw(proposal=_proposal(request, slug, pk), user=request.user)
        return Response(ProposalOut(_proposal(request, slug, pk)).data)


class ProposalComment(_Action):
    @extend_schema(
        operation_id="proposals_comment",
        request=CommentIn,
        responses={201: CommentOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, slug: str, pk: int):
        data = CommentIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            proposal=_proposal(request, slug, pk), author=request.user, **data.validated_data
        )
        return Response(CommentOut(comment).data, status=status.HTTP_201_CREATED)
