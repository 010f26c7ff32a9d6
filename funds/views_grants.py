"""Grant and claim pages: the grantee's grant page and claim form, the claim page with the
trustee's and finance officer's buttons, tranche release, and private receipts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.errors import ApplicationError, ForbiddenError
from config.pagination import other_params, paginate

from . import permissions as perms
from . import selectors_pages, selectors_queries, services
from .forms import ClaimForm, ReasonForm
from .models import Claim, ClaimItem, Grant, GrantTranche
from .receipt_access import receipt_response
from .services.grants import tranche_facts, tranche_refusal


def _grant(request: HttpRequest, pk: int) -> Grant:
    grant = get_object_or_404(
        Grant.objects.select_related(
            "fund", "fund__neighbourhood", "proposal", "recipient_organisation", "recipient_user"
        ),
        pk=pk,
    )
    if not perms.can_view_grant(request.user, grant):
        raise ForbiddenError("Only the grant's contacts, the partnership and the funder see it.")
    return grant


def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The grantee's grant page: conditions, tranches, claims and what to do next."""
    grant = _grant(request, pk)
    tranches = list(grant.tranches.all())
    facts = tranche_facts(tranches)  # the same queries however many tranches
    for tranche in tranches:
        tranche.waiting_reason = (
            tranche_refusal(tranche, grant.fund, grant, facts[tranche.pk])
            if tranche.status == GrantTranche.Status.PENDING
            else None
        )
    return render(
        request,
        "funds/grant.html",
        {
            "grant": grant,
            "money": selectors_pages.grant_money(grant=grant),
            "tranches": tranches,
            "claims": paginate(request, grant.claims.all(), 20, param="claims"),
            "claims_query": other_params(request, "claims"),
            "can_claim": perms.can_submit_claim(request.user, grant)
            and grant.status in (Grant.Status.ACTIVE, Grant.Status.AGREEMENT_ISSUED),
            "can_view_fund": perms.can_view_fund(request.user, grant.fund),
            "can_hold": perms.can_suspend_fund(request.user, grant.fund),
            "can_raise_query": perms.can_raise_query(request.user, grant.fund),
            "queries": (
                selectors_queries.queries_about(grant=grant)
                if perms.can_view_fund_queries(request.user, grant.fund)
                else []
            ),
        },
    )


def claim_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A claim with its line items and receipts, submitted in one go (nothing stored when a
    receipt or an amount is refused)."""
    grant = _grant(request, pk)
    if not perms.can_submit_claim(request.user, grant):
        raise ForbiddenError("Only the grant's contacts can claim on it.")
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        items = [
            services.ItemInput(description=description, amount_pence=amount, receipt=receipt)
            for description, amount, receipt in form.cleaned_data["items"]
        ]
        try:
            claim = services.claim_file(actor=request.user, grant=grant, items=items)
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your claim is submitted. A trustee will check it next.")
            return redirect("funds:claim", pk=claim.pk)
    return render(request, "funds/claim_form.html", {"grant": grant, "form": form})


def _claim(request: HttpRequest, pk: int) -> Claim:
    claim = get_object_or_404(
        Claim.objects.select_related(
            "grant", "grant__fund", "grant__fund__neighbourhood", "submitted_by", "approved_by"
        ),
        pk=pk,
    )
    if not perms.can_view_grant(request.user, claim.grant):
        raise ForbiddenError("Only the grant's contacts, the partnership and the funder see it.")
    return claim


def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    grant = claim.grant
    is_submitted = claim.status == Claim.Status.SUBMITTED
    items = list(claim.items.all())
    can_pay = (
        claim.status == Claim.Status.APPROVED
        and grant.payment_mode == Grant.PaymentMode.REIMBURSEMENT
        and perms.can_pay_claim(request.user, claim)
    )
    return render(
        request,
        "funds/claim.html",
        {
            "claim": claim,
            "grant": grant,
            "items": items,
            "total": sum(i.amount_pence for i in items),
            "can_review": is_submitted and perms.can_approve_claim(request.user, claim),
            "can_raise_query": claim.status != claim.Status.DRAFT
            and perms.can_raise_query(request.user, claim.grant.fund),
            "queries": (
                selectors_queries.queries_about(claim=claim)
                if perms.can_view_fund_queries(request.user, claim.grant.fund)
                else []
            ),
            "can_pay": can_pay,
            "reason_form": ReasonForm(),
        },
    )


def _claim_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    claim = _claim(request, pk)
    reason = request.POST.get("reason", "")
    calls = {
        "approve": (services.claim_approve, {}, "The claim is approved."),
        "pay": (services.claim_pay, {}, "The claim is paid."),
        "return": (
            services.claim_return_incomplete,
            {"reason": reason},
            "The claim is returned to the grantee for more information.",
        ),
        "reject": (services.claim_reject, {"reason": reason}, "The claim is rejected."),
    }
    service, extra, done = calls[action]
    try:
        service(actor=request.user, claim=claim, **extra)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("funds:claim", pk=claim.pk)


@require_POST
def claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_action(request, pk, "approve")


@require_POST
def claim_pay(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_action(request, pk, "pay")


@require_POST
def claim_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_action(request, pk, "return")


@require_POST
def claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_action(request, pk, "reject")


@require_POST
def tranche_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay a tranche. A second press (or a retried request) pays nothing more."""
    tranche = get_object_or_404(GrantTranche.objects.select_related("grant"), pk=pk)
    try:
        tranche = services.grant_tranche_release(actor=request.user, tranche=tranche)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Tranche {tranche.number} of “{tranche.grant}” is paid.")
    return redirect("funds:queue", pk=tranche.grant.fund_id)


@require_POST
def tranche_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """A funder auditor holds a tranche (with a reason), or lifts the hold."""
    tranche = get_object_or_404(GrantTranche.objects.select_related("grant"), pk=pk)
    try:
        if request.POST.get("action") == "lift":
            services.grant_tranche_unhold(actor=request.user, tranche=tranche)
            done = f"The hold on tranche {tranche.number} is lifted."
        else:
            services.grant_tranche_hold(
                actor=request.user, tranche=tranche, reason=request.POST.get("reason", "")
            )
            done = f"Tranche {tranche.number} is held: it will not be paid until you lift it."
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("funds:grant", pk=tranche.grant_id)


@require_POST
def grant_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue the agreement of an approved grant, or activate one whose agreement is back."""
    grant = get_object_or_404(Grant, pk=pk)
    try:
        if grant.status == Grant.Status.APPROVED:
            services.grant_issue_agreement(actor=request.user, grant=grant)
            done = f"The agreement for “{grant}” is issued."
        else:
            services.grant_activate(actor=request.user, grant=grant)
            done = f"“{grant}” is active: its payments can be released."
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("funds:queue", pk=grant.fund_id)


def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A receipt, to those who may see it; never from a public URL (a stream from disk, or a
    redirect to a signed URL that expires within a minute)."""
    item = get_object_or_404(
        ClaimItem.objects.select_related("claim__grant__fund__neighbourhood"), pk=pk
    )
    return receipt_response(actor=request.user, item=item)
