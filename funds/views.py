"""Funds pages: the fund's books and the finance officer's queue, a grant's page for its
contacts (claims with receipts), and receipts served through a permission check.

Each view parses input, calls one service or selector, and renders; every action is a
plain form post that redirects (no JavaScript).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audit.services import audit_record
from communities.models import Role
from communities.permissions import MfaRequiredError, has_role
from config.errors import ApplicationError, NotFoundError

from . import permissions as perms
from . import selectors, services
from .forms import ClaimItemForm, DecisionForm, GrantApproveForm
from .models import Claim, ClaimItem, Decision, Fund, Grant, GrantTranche
from .services import ItemInput
from .services.grants import tranche_refusal

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


def _domain_errors(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except MfaRequiredError as exc:
            messages.error(request, exc.message)
            return redirect("mfa_index")
        except NotFoundError as exc:
            raise Http404(exc.message) from exc

    return wrapper


@login_required
@_domain_errors
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(
        Fund.objects.select_related("neighbourhood", "funder", "holder"), pk=pk
    )
    if not perms.can_view_fund(request.user, fund):
        raise PermissionDenied
    is_finance = perms.can_use_powers_finance(request.user, fund)
    claims_to_approve = [
        claim
        for claim in Claim.objects.filter(
            grant__fund=fund, status=Claim.Status.SUBMITTED
        ).select_related("grant__fund__neighbourhood", "grant__proposal")
        if perms.can_approve_claim(request.user, claim)
    ]
    ready, claims_to_pay = [], []
    if is_finance:
        pending = GrantTranche.objects.filter(
            grant__fund=fund, status=GrantTranche.Status.PENDING, grant__status="active"
        ).select_related("grant")
        ready = [t for t in pending if tranche_refusal(t, fund, t.grant) is None]
        claims_to_pay = list(
            Claim.objects.filter(
                grant__fund=fund,
                status=Claim.Status.APPROVED,
                grant__payment_mode=Grant.PaymentMode.REIMBURSEMENT,
            ).select_related("grant")
        )
    return render(
        request,
        "funds/fund_detail.html",
        {
            "fund": fund,
            "figures": selectors.fund_figures(fund=fund),
            "grants": fund.grants.order_by("-approved_at"),
            "tranches": fund.tranches.all(),
            "is_finance": is_finance,
            "ready": ready,
            "claims_to_pay": claims_to_pay,
            "claims_to_approve": claims_to_approve,
            "decisions": fund.decisions.select_related("meeting")[:20],
            "entries": selectors.journal_list(fund=fund, limit=20),
        },
    )


@login_required
@require_POST
@_domain_errors
def tranche_release(request: HttpRequest, pk: int) -> HttpResponse:
    tranche = get_object_or_404(GrantTranche.objects.select_related("grant"), pk=pk)
    try:
        services.grant_tranche_release(actor=request.user, tranche=tranche)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Tranche {tranche.number} of “{tranche.grant}” is paid.")
    return redirect("funds:fund", pk=tranche.grant.fund_id)


@login_required
@require_POST
@_domain_errors
def claim_pay(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.select_related("grant"), pk=pk)
    try:
        services.claim_pay(actor=request.user, claim=claim)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Claim {claim.pk} is paid.")
    return redirect("funds:fund", pk=claim.grant.fund_id)


@login_required
@_domain_errors
def decision_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A trustee records a meeting's decision on funding a selected proposal. The meeting and
    the decision are one transaction: a refused decision (no quorum, a conflicted trustee's
    vote, an unhealthy partnership) leaves nothing behind."""
    from django.db import transaction

    from proposals.models import Proposal

    from .services.decisions import current_trustee_ids

    fund = get_object_or_404(Fund.objects.select_related("neighbourhood"), pk=pk)
    if not perms.can_record_decision(request.user, fund):
        raise PermissionDenied
    User = get_user_model()
    trustees = User.objects.filter(pk__in=current_trustee_ids(fund.neighbourhood)).order_by(
        "display_name"
    )
    proposals = Proposal.objects.filter(
        neighbourhood=fund.neighbourhood, status=Proposal.Status.SELECTED
    ).order_by("title")
    form = DecisionForm(request.POST or None, proposals=proposals, trustees=trustees)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                meeting = services.meeting_record(
                    actor=request.user,
                    neighbourhood=fund.neighbourhood,
                    held_on=data["held_on"],
                    attendees=form.people("present"),
                    apologies=form.people("apologies"),
                )
                decision = services.decision_record(
                    actor=request.user,
                    meeting=meeting,
                    fund=fund,
                    subject=Decision.Subject.GRANT,
                    motion=data["motion"],
                    votes=form.votes(),
                    amount_pence=data["amount_pence"],
                    proposal=data["proposal"],
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Decision recorded: {decision.get_outcome_display()}.")
            return redirect("funds:decision", pk=decision.pk)
    return render(
        request,
        "funds/decision_form.html",
        {"fund": fund, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@_domain_errors
def grant_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A trustee without a conflict turns a passed decision into a grant (commits the money)."""
    from .models import Organisation
    from .services import TrancheSpec

    decision = get_object_or_404(Decision.objects.select_related("fund", "proposal"), pk=pk)
    if not perms.can_approve_grant(request.user, decision.fund):
        raise PermissionDenied
    organisations = Organisation.objects.filter(
        due_diligence_status=Organisation.DueDiligence.PASSED,
        kind__in=(Organisation.Kind.GRANTEE, Organisation.Kind.FUND_HOLDER),
    )
    initial = {"title": decision.proposal.title if decision.proposal else ""}
    form = GrantApproveForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = get_user_model().objects.filter(email__iexact=data["contact_email"]).first()
        if contact is None:
            form.add_error("contact_email", "Nobody has an account with that email address.")
        else:
            tranches = []
            if data["payment_mode"] == Grant.PaymentMode.ADVANCE:
                n, amount = data["tranches"], decision.amount_pence
                shares = [amount // n] * n
                shares[0] += amount - sum(shares)
                tranches = [
                    TrancheSpec(
                        share,
                        precondition=GrantTranche.Precondition.NONE
                        if i == 0
                        else GrantTranche.Precondition.SPEND_REPORT_ACCEPTED,
                    )
                    for i, share in enumerate(shares)
                ]
            try:
                grant = services.grant_approve(
                    actor=request.user,
                    decision=decision,
                    title=data["title"],
                    recipient_organisation=data["recipient_organisation"],
                    contacts=[contact],
                    conditions=data["conditions"],
                    payment_mode=data["payment_mode"],
                    tranches=tranches,
                    purpose=Grant.Purpose.PROJECT
                    if decision.proposal_id
                    else Grant.Purpose.RUNNING_COSTS,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Grant approved: the money is committed.")
                return redirect("funds:grant", pk=grant.pk)
    return render(
        request,
        "funds/grant_form.html",
        {"decision": decision, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
@_domain_errors
def claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.select_related("grant"), pk=pk)
    try:
        services.claim_approve(actor=request.user, claim=claim)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Claim {claim.pk} is approved.")
    return redirect("funds:fund", pk=claim.grant.fund_id)


@login_required
@_domain_errors
def decision_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The minute of one decision, generated from the record: who attended, sent apologies,
    was excluded and why, and how each trustee voted (trustees are named as office-holders)."""
    decision = get_object_or_404(
        Decision.objects.select_related("meeting", "fund__neighbourhood", "proposal"), pk=pk
    )
    if not perms.can_view_fund(request.user, decision.fund):
        raise PermissionDenied
    return render(
        request,
        "funds/decision_minutes.html",
        {
            "decision": decision,
            "meeting": decision.meeting,
            "attendees": decision.meeting.attendees.order_by("display_name"),
            "apologies": decision.meeting.apologies.order_by("display_name"),
            "votes": decision.votes.select_related("trustee").order_by("trustee__display_name"),
            "exclusions": decision.exclusions.select_related("trustee"),
        },
    )


@login_required
@_domain_errors
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(
        Grant.objects.select_related("fund__neighbourhood", "recipient_organisation"), pk=pk
    )
    if not perms.can_view_grant(request.user, grant):
        raise PermissionDenied
    can_claim = perms.can_submit_claim(request.user, grant)
    form = ClaimItemForm(request.POST or None, request.FILES or None) if can_claim else None
    if request.method == "POST":
        if not can_claim:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.claim_create(
                    actor=request.user,
                    grant=grant,
                    items=[ItemInput(data["description"], data["amount_pence"], data["receipt"])],
                )
                services.claim_submit(actor=request.user, claim=claim)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Your claim is submitted. A trustee will review it.")
                return redirect("funds:grant", pk=grant.pk)
    return render(
        request,
        "funds/grant_detail.html",
        {
            "grant": grant,
            "figures": selectors.grant_figures(grant=grant),
            "tranches": grant.tranches.all(),
            "claims": grant.claims.prefetch_related("items"),
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@_domain_errors
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A receipt, to people who may see its grant; a funder auditor's read is logged."""
    item = get_object_or_404(ClaimItem.objects.select_related("claim__grant__fund"), pk=pk)
    grant = item.claim.grant
    if not item.receipt or not perms.can_view_grant(request.user, grant):
        raise Http404
    if has_role(request.user, grant.fund.neighbourhood, Role.FUNDER_AUDITOR):
        audit_record(
            action="funds.receipt_viewed",
            actor=request.user,
            obj=item,
            actor_role=Role.FUNDER_AUDITOR,
        )
    response = FileResponse(
        item.receipt.open("rb"),
        as_attachment=True,
        filename=f"receipt-{item.pk}.{item.receipt_kind}",
        content_type=CONTENT_TYPES.get(item.receipt_kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
