"""REST views of the funds app.

Public reads (anyone): a neighbourhood's spend summary (received, committed, paid, spend by
theme, as /funds/spend/<slug>/ shows) and its grants with their proposal and progress; no
personal data, no receipts. Authenticated actions of the trustee, finance officer, funder
auditor and grantee roles, through the same services as the pages: record a decision, make a
grant from a decision, release or hold a tranche, suspend or resume a fund, submit, approve,
return, reject and pay a claim, and read a receipt (audited for funder auditors). Powers that
need two-factor on the site need a token made in a two-factor session.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from communities.selectors import neighbourhood_get
from config.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ConditionalGetMixin,
    LimitedMultiPartParser,
    error_responses,
)
from config.errors import ApplicationError, NotFoundError
from proposals.models import Proposal

from . import selectors, selectors_audit, services
from .models import Claim, ClaimItem, Decision, Fund, Grant, GrantTranche, Organisation
from .receipt_access import CONTENT_TYPES, receipt_response
from .serializers import (
    ClaimIn,
    ClaimOut,
    DecisionIn,
    DecisionOut,
    FundOut,
    GrantFromDecisionIn,
    GrantOut,
    GrantSummaryOut,
    OptionalReasonIn,
    ReasonIn,
    SpendOut,
    TrancheOut,
)

# --- public reads -----------------------------------------------------------------------


class SpendSummary(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="funds_spend", responses={200: SpendOut, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, slug: str):
        """Where the neighbourhood's money goes: each public fund's received, committed and
        paid, and spend by theme (the public spend page's figures)."""
        nb = neighbourhood_get(user=request.user, slug=slug)
        funds = selectors_audit.public_funds(neighbourhood=nb)
        figures = selectors.funds_figures(funds=funds)  # one grouped query for them all
        for fund in funds:
            fund.public_figures = figures[fund.pk]
        themes = selectors_audit.spend_by_theme(funds=funds) if funds else []
        data = {
            "neighbourhood": nb.slug,
            "funds": funds,
            "spend_by_theme": [{"theme": label, "paid_pence": pence} for label, pence in themes],
        }
        return Response(SpendOut(data).data)


class GrantFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Grant.Status.choices, method="noop")
    fund = django_filters.NumberFilter(method="noop", min_value=1, max_value=10**18)

    def noop(self, queryset, name, value):
        return queryset


def _with_progress(grants: list[Grant]) -> list[Grant]:
    """Granted, paid and spent, and accepted progress reports: three queries per page."""
    from .selectors_pages import attach_grant_figures

    attach_grant_figures(grants)
    reports = selectors_audit.accepted_reports(funds={g.fund_id for g in grants})
    for grant in grants:
        grant.accepted_reports = reports.get(grant.pk, 0)
    return grants


class GrantList(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = GrantSummaryOut
    filterset_class = GrantFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Grant.objects.none()
        nb = neighbourhood_get(user=self.request.user, slug=self.kwargs["slug"])
        params = self.request.query_params
        fund = params.get("fund")
        return selectors_audit.public_grants(
            neighbourhood=nb,
            status=params.get("status", ""),
            fund_id=int(fund) if fund and fund.isdigit() else None,
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return _with_progress(list(page)) if page is not None else page

    @extend_schema(
        operation_id="grants_list",
        responses={200: GrantSummaryOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request, *args, **kwargs):
        """The neighbourhood's grants, newest first, with their proposal and progress."""
        return super().get(request, *args, **kwargs)


class GrantDetail(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="grants_get", responses={200: GrantOut, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, pk: int):
        """One grant: its proposal, progress and payment tranches (no personal data)."""
        grant = selectors_audit.public_grant_get(pk=pk, user=request.user)
        if grant is None:
            raise NotFoundError("There is no such grant.")
        _with_progress([grant])
        return Response(GrantOut(grant).data)


# --- authenticated actions --------------------------------------------------------------


class _Action(APIView):
    permission_classes = [permissions.IsAuthenticated]


def _fund(pk: int) -> Fund:
    fund = Fund.objects.select_related("neighbourhood").filter(pk=pk).first()
    if fund is None:
        raise NotFoundError("There is no such fund.")
    return fund


def _tranche(pk: int) -> GrantTranche:
    tranche = GrantTranche.objects.select_related("grant").filter(pk=pk).first()
    if tranche is None:
        raise NotFoundError("There is no such tranche.")
    return tranche


def _claim(pk: int) -> Claim:
    claim = Claim.objects.select_related("grant").filter(pk=pk).first()
    if claim is None:
        raise NotFoundError("There is no such claim.")
    return claim


def _claim_out(claim: Claim) -> dict:
    claim = Claim.objects.prefetch_related("items").get(pk=claim.pk)
    return ClaimOut(claim).data


class DecisionRecord(_Action):
    @extend_schema(
        operation_id="funds_decision_record",
        request=DecisionIn,
        responses={201: DecisionOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """A trustee records a meeting's decision on a proposal residents selected and, when
        it passes, the grant (one transaction). Conflicted trustees are excluded from the
        vote and the quorum: list them under present_not_voting, not under votes."""
        fund = _fund(pk)
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        proposal = (
            Proposal.objects.select_related("proposer")
            .filter(pk=values["proposal"], neighbourhood_id=fund.neighbourhood_id)
            .first()
        )
        if proposal is None:
            raise ApplicationError(
                "There is no such proposal in this fund's neighbourhood.",
                extra={"field": "proposal"},
            )
        ids = {v["trustee"] for v in values["votes"]}
        ids |= set(values["present_not_voting"]) | set(values["apologies"])
        people = get_user_model().objects.in_bulk(ids)
        if len(people) != len(ids):
            raise ApplicationError("Someone listed is not a trustee.", extra={"field": "votes"})
        votes = {people[v["trustee"]]: v["vote"] for v in values["votes"]}
        attendees = [*votes, *(people[i] for i in values["present_not_voting"])]
        organisation = None
        if values["recipient_organisation"] is not None:
            organisation = Organisation.objects.filter(pk=values["recipient_organisation"]).first()
            if organisation is None:
                raise ApplicationError(
                    "There is no such organisation.", extra={"field": "recipient_organisation"}
                )
        decision = services.grant_decision_record(
            actor=request.user,
            fund=fund,
            proposal=proposal,
            held_on=values["held_on"],
            attendees=attendees,
            apologies=[people[i] for i in values["apologies"]],
            motion=values["motion"],
            votes=votes,
            amount_pence=values["amount_pence"],
            title=values["title"],
            recipient_organisation=organisation,
            recipient_user=proposal.proposer if organisation is None else None,
            conditions=values["conditions"],
            payment_mode=values["payment_mode"],
            tranche_amounts=values["tranches_pence"],
        )
        return Response(_decision_out(decision), status=status.HTTP_201_CREATED)


def _decision_out(decision: Decision) -> dict:
    decision = (
        Decision.objects.select_related("approved_grant")
        .prefetch_related("exclusions__trustee")
        .get(pk=decision.pk)
    )
    return DecisionOut(decision).data


class GrantFromDecision(_Action):
    @extend_schema(
        operation_id="funds_grant_create",
        request=GrantFromDecisionIn,
        responses={201: GrantOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """A trustee without a conflict turns a passed decision that has no grant yet into a
        grant (this commits the money)."""
        decision = Decision.objects.select_related("fund", "proposal").filter(pk=pk).first()
        if decision is None:
            raise NotFoundError("There is no such decision.")
        data = GrantFromDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = Organisation.objects.filter(pk=values["recipient_organisation"]).first()
        if organisation is None:
            raise ApplicationError(
                "There is no such organisation.", extra={"field": "recipient_organisation"}
            )
        contact = get_user_model().objects.filter(email__iexact=values["contact_email"]).first()
        if contact is None:
            raise ApplicationError(
                "Nobody has an account with that email address.", extra={"field": "contact_email"}
            )
        grant = services.grant_from_decision(
            actor=request.user,
            decision=decision,
            title=values["title"],
            recipient_organisation=organisation,
            contact=contact,
            payment_mode=values["payment_mode"],
            tranche_count=values["tranches"],
            conditions=values["conditions"],
        )
        grant = selectors_audit.public_grant_get(pk=grant.pk, user=request.user)
        _with_progress([grant])
        return Response(GrantOut(grant).data, status=status.HTTP_201_CREATED)


class TrancheRelease(_Action):
    @extend_schema(
        operation_id="funds_tranche_release",
        request=None,
        responses={200: TrancheOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """The finance officer pays a tranche whose conditions hold. A repeat pays nothing more."""
        tranche = services.grant_tranche_release(actor=request.user, tranche=_tranche(pk))
        return Response(TrancheOut(tranche).data)


class TrancheHold(_Action):
    @extend_schema(
        operation_id="funds_tranche_hold",
        request=ReasonIn,
        responses={200: TrancheOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """A funder auditor holds a tranche, with a reason: it is not paid until lifted."""
        tranche = _tranche(pk)
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        tranche = services.grant_tranche_hold(
            actor=request.user, tranche=tranche, reason=data.validated_data["reason"]
        )
        return Response(TrancheOut(tranche).data)

    @extend_schema(
        operation_id="funds_tranche_unhold",
        request=None,
        responses={200: TrancheOut, **error_responses(*WRITE_ERRORS)},
    )
    def delete(self, request, pk: int):
        """A funder auditor lifts the hold on a tranche."""
        tranche = services.grant_tranche_unhold(actor=request.user, tranche=_tranche(pk))
        return Response(TrancheOut(tranche).data)


class FundSuspend(_Action):
    @extend_schema(
        operation_id="funds_suspend",
        request=ReasonIn,
        responses={200: FundOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """A funder auditor suspends the fund: it commits and pays nothing until resumed."""
        fund = _fund(pk)
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        fund = services.fund_suspend(
            actor=request.user, fund=fund, reason=data.validated_data["reason"]
        )
        return Response(FundOut(fund).data)


class FundResume(_Action):
    @extend_schema(
        operation_id="funds_resume",
        request=OptionalReasonIn,
        responses={200: FundOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """A funder auditor resumes a suspended fund."""
        fund = _fund(pk)
        data = OptionalReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        fund = services.fund_resume(
            actor=request.user, fund=fund, reason=data.validated_data["reason"]
        )
        return Response(FundOut(fund).data)


class ClaimSubmit(_Action):
    parser_classes = [LimitedMultiPartParser]

    @extend_schema(
        operation_id="funds_claim_submit",
        request={"multipart/form-data": ClaimIn},
        responses={201: ClaimOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, pk: int):
        """A grantee contact submits a claim: up to three items, each with its receipt
        (multipart/form-data; receipts up to 10 MB each). Nothing is stored when a receipt
        or an amount is refused."""
        grant = Grant.objects.filter(pk=pk).first()
        if grant is None:
            raise NotFoundError("There is no such grant.")
        data = ClaimIn(data=request.data)
        data.is_valid(raise_exception=True)
        items = [
            services.ItemInput(description=description, amount_pence=amount, receipt=receipt)
            for description, amount, receipt in data.validated_data["items"]
        ]
        claim = services.claim_file(actor=request.user, grant=grant, items=items)
        return Response(_claim_out(claim), status=status.HTTP_201_CREATED)


def _claim_action(operation_id: str, service, doc: str, *, reason: bool = False):
    class ClaimAction(_Action):
        @extend_schema(
            operation_id=operation_id,
            request=ReasonIn if reason else None,
            responses={200: ClaimOut, **error_responses(*WRITE_ERRORS)},
            description=doc,
        )
        def post(self, request, pk: int):
            claim = _claim(pk)
            extra = {}
            if reason:
                data = ReasonIn(data=request.data)
                data.is_valid(raise_exception=True)
                extra["reason"] = data.validated_data["reason"]
            claim = service(actor=request.user, claim=claim, **extra)
            return Response(_claim_out(claim))

    ClaimAction.__name__ = ClaimAction.__qualname__ = "".join(
        part.title() for part in operation_id.split("_")
    )
    return ClaimAction


ClaimApprove = _claim_action(
    "funds_claim_approve",
    services.claim_approve,
    "A trustee approves a submitted claim: never their own, never when conflicted.",
)
ClaimReturn = _claim_action(
    "funds_claim_return",
    services.claim_return_incomplete,
    "A trustee returns a submitted claim to the grantee, saying what is missing.",
    reason=True,
)
ClaimReject = _claim_action(
    "funds_claim_reject",
    services.claim_reject,
    "A trustee rejects a submitted or returned claim, with a reason.",
    reason=True,
)
ClaimPay = _claim_action(
    "funds_claim_pay",
    services.claim_pay,
    "The finance officer pays an approved claim of a reimbursement grant, once: not its "
    "approver or submitter. Paying a paid claim again pays nothing more.",
)


_RECEIPT_TYPES = sorted(set(CONTENT_TYPES.values()))


class ReceiptRead(_Action):
    def perform_content_negotiation(self, request, force=False):
        # A client may ask for the receipt's own type (image/png, application/pdf): the file
        # is sent as it is, and any error is still the JSON error format.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="funds_receipt_get",
        responses={
            **{
                (200, kind): OpenApiResponse(OpenApiTypes.BINARY, description="The receipt.")
                for kind in _RECEIPT_TYPES
            },
            **error_responses(400, 401, 403, 404, 405, 429),
        },
    )
    def get(self, request, pk: int):
        """A claim item's receipt, to the grant's contacts, the partnership and the funder's
        auditors (an auditor's read is recorded in the audit trail)."""
        item = get_object_or_404(
            ClaimItem.objects.select_related("claim__grant__fund__neighbourhood"), pk=pk
        )
        return receipt_response(actor=request.user, item=item)
