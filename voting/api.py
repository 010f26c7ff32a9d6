"""REST views of the voting app: rounds and published results for anyone; casting (per pot) and
receipt lookup for signed-in voters, through the same selectors and services as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from communities.selectors import neighbourhood_get
from config.api import READ_ERRORS, WRITE_ERRORS, ConditionalGetMixin, error_responses
from config.errors import NotFoundError

from . import selectors, services
from .models import VoteRound
from .permissions import can_view_results, can_view_round
from .serializers import (
    BallotIn,
    CastOut,
    ReceiptIn,
    ReceiptOut,
    RoundOut,
    RoundResultsOut,
    RoundSummaryOut,
)


def _round(request, pk: int) -> VoteRound:
    round = selectors.round_get(pk=pk, user=request.user)
    if services.round_advance_if_due(round=round):
        round = selectors.round_get(pk=pk, user=request.user)
    return round


class RoundList(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = RoundSummaryOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return VoteRound.objects.none()
        nb = neighbourhood_get(user=self.request.user, slug=self.kwargs["slug"])
        return (
            VoteRound.objects.visible_to(self.request.user)
            .filter(neighbourhood=nb)
            .select_related("neighbourhood")
            .prefetch_related("pots")
            .order_by("-opens_at", "-id")
        )

    @extend_schema(
        operation_id="rounds_list",
        responses={200: RoundSummaryOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RoundDetail(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="rounds_get", responses={200: RoundOut, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, pk: int):
        return Response(RoundOut(_round(request, pk)).data)


class RoundResults(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="rounds_results",
        responses={200: RoundResultsOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request, pk: int):
        """The published result of each pot (404 until the results are published)."""
        round = _round(request, pk)
        if not can_view_results(request.user, round):
            raise NotFoundError("The results of this vote are not published yet.")
        pots = selectors.round_results(round=round)
        return Response(RoundResultsOut({"round_id": round.pk, "pots": pots}).data)


class BallotCast(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="rounds_ballot_cast",
        request=BallotIn,
        responses={201: CastOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """Cast (or, with the receipt code, change) your ballot in one pot of the round."""
        data = BallotIn(data=request.data)
        data.is_valid(raise_exception=True)
        # The cached ballot paper (selectors.ballot_paper), as on the ballot page: the cast
        # reads no more than its budget (services.ballot_cast).
        try:
            paper = selectors.ballot_paper(pot_id=data.validated_data["pot"])
        except NotFoundError:
            paper = None
        if paper is None or paper.round.pk != pk or not can_view_round(request.user, paper.round):
            _round(request, pk)  # 404 for a round that is not there or not visible
            raise NotFoundError("This vote has no such pot.")
        if services.round_advance_if_due(round=paper.round):
            paper = selectors.ballot_paper(pot_id=paper.pot.pk, fresh=True)
        result = services.ballot_cast(
            actor=request.user,
            pot=paper.pot,
            choices=data.validated_data["choices"],
            receipt_code=data.validated_data["receipt_code"],
            paper=paper,
        )
        response = Response(CastOut(result).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ReceiptLookup(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="receipts_lookup",
        request=ReceiptIn,
        responses={200: ReceiptOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request):
        """Which vote and pot a receipt code's ballot is in, and whether it is counted."""
        data = ReceiptIn(data=request.data)
        data.is_valid(raise_exception=True)
        found = services.receipt_lookup(code=data.validated_data["code"])
        if found is None:
            raise NotFoundError("No ballot has this receipt code.")
        return Response(ReceiptOut(found).data)
