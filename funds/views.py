"""Funds pages for trustees, the finance officer and funder auditors: the fund, the to-do
lists, the decision meeting form and its minutes. Grants, claims and receipts are in
views_grants. Views parse, call one service (or one atomic group of them), and render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from communities.permissions import TRUSTEE_ROLES, ensure_powers
from config.errors import ApplicationError, ForbiddenError, NotFoundError
from config.pagination import other_params, paginate
from proposals.models import Proposal

from . import minutes as minutes_pdf
from . import permissions as perms
from . import selectors, selectors_pages, selectors_queries, services
from .forms import DecisionForm, GrantApproveForm, organisations_for_grants
from .models import Decision, DecisionExclusion, Fund, Grant
from .services.decisions import (
    conflicts_for,
    current_trustee_ids,
    proposal_waiting_for_decision,
)

# Every list on these pages is cut into pages of this size (issue 17).
PER_PAGE = 20


def _fund(pk: int) -> Fund:
    return get_object_or_404(
        Fund.objects.select_related("neighbourhood", "funder", "holder"), pk=pk
    )


def _viewable_fund(request: HttpRequest, pk: int) -> Fund:
    fund = _fund(pk)
    if not perms.can_view_fund(request.user, fund):
        raise ForbiddenError(
            "Only the trustees, finance officer and funder auditors see this fund."
        )
    return fund


def index(request: HttpRequest) -> HttpResponse:
    """Money: the funds this person looks after and the grants they report on."""
    if not request.user.is_authenticated:
        raise ForbiddenError("Sign in to see the money you look after.")
    funds = selectors_pages.funds_for_user(user=request.user)
    for fund in funds:
        fund.roles = {
            "trustee": perms.can_record_decision(request.user, fund),
            "finance": perms.can_manage_fund(request.user, fund),
            "auditor": perms.can_suspend_fund(request.user, fund),
        }
    grants = paginate(
        request, selectors_pages.grants_for_contact(user=request.user), PER_PAGE, param="grants"
    )
    return render(
        request,
        "funds/index.html",
        {"funds": funds, "grants": grants, "grants_query": other_params(request, "grants")},
    )


def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The fund's money: received, committed, paid, recovered, available; the schedule."""
    fund = _viewable_fund(request, pk)
    grants = paginate(
        request,
        selectors_pages.fund_grants_queryset(fund=fund),
        PER_PAGE,
        param="grants",
    )
    grants.object_list = selectors_pages.fund_grants(fund=fund, grants=grants.object_list)
    return render(
        request,
        "funds/fund.html",
        {
            "fund": fund,
            "figures": selectors.fund_figures(fund=fund),
            "tranches": selectors_pages.fund_tranches(fund=fund),
            "grants": grants,
            "grants_query": other_params(request, "grants"),
            "decisions": fund.decisions.select_related("meeting", "proposal")[:20],
            "is_trustee": perms.can_record_decision(request.user, fund),
            "is_finance": perms.can_manage_fund(request.user, fund),
            "is_auditor": perms.can_suspend_fund(request.user, fund),
        },
    )


@require_POST
def fund_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    """A funder auditor suspends the fund (it then commits and pays nothing), or resumes it."""
    fund = _fund(pk)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "resume":
            services.fund_resume(actor=request.user, fund=fund, reason=reason)
            done = "The fund is active again."
        else:
            services.fund_suspend(actor=request.user, fund=fund, reason=reason)
            done = "The fund is suspended: it commits and pays nothing until you resume it."
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("funds:fund", pk=fund.pk)


def trustee_todo(request: HttpRequest, pk: int) -> HttpResponse:
    """A trustee's money to-do: proposals to decide, claims to approve."""
    fund = _fund(pk)
    ensure_powers(request.user, fund.neighbourhood, TRUSTEE_ROLES, action="decide on money")
    claims = paginate(
        request,
        selectors_pages.claims_to_approve_queryset(fund=fund, user=request.user),
        PER_PAGE,
        param="claims",
    )
    claims.object_list = selectors_pages.claims_to_approve(
        fund=fund, user=request.user, claims=claims.object_list
    )
    return render(
        request,
        "funds/todo.html",
        {
            "fund": fund,
            "due": paginate(request, selectors_pages.decisions_due(fund=fund), PER_PAGE),
            "claims": claims,
            "claims_query": other_params(request, "claims"),
            "due_query": other_params(request, "page"),
            "figures": selectors.fund_figures(fund=fund),
            "queries": selectors_queries.open_queries(fund=fund),
        },
    )


def finance_queue(request: HttpRequest, pk: int) -> HttpResponse:
    """The finance officer's queue: grants to start, tranches to release, claims to pay."""
    fund = _fund(pk)
    ensure_powers(request.user, fund.neighbourhood, perms.FINANCE, action="pay grants")
    user = request.user
    claims = paginate(
        request,
        selectors_pages.claims_to_pay_queryset(fund=fund, user=user),
        PER_PAGE,
        param="claims",
    )
    claims.object_list = selectors_pages.claims_to_pay(
        fund=fund, user=user, claims=claims.object_list
    )
    return render(
        request,
        "funds/queue.html",
        {
            "fund": fund,
            "to_start": paginate(
                request, selectors_pages.grants_to_start(fund=fund), PER_PAGE, param="start"
            ),
            "tranches": paginate(
                request,
                selectors_pages.tranches_ready(fund=fund, user=user),
                PER_PAGE,
                param="ready",
            ),
            "waiting": paginate(
                request, selectors_pages.tranches_waiting(fund=fund), PER_PAGE, param="waiting"
            ),
            "claims": claims,
            "query": {
                name: other_params(request, name)
                for name in ("claims", "start", "ready", "waiting")
            },
            "receivable": [t for t in fund.tranches.all() if t.received_at is None],
            "figures": selectors.fund_figures(fund=fund),
        },
    )


@require_POST
def fund_tranche_receive(request: HttpRequest, pk: int, tranche_pk: int) -> HttpResponse:
    fund = _fund(pk)
    tranche = get_object_or_404(fund.tranches, pk=tranche_pk)
    try:
        services.fund_tranche_receive(actor=request.user, tranche=tranche)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The funder's payment is recorded as received.")
    return redirect("funds:queue", pk=fund.pk)


def _decision_context(fund: Fund, proposal: Proposal):
    trustees = current_trustee_ids(fund.neighbourhood)
    conflicts = conflicts_for(
        trustee_ids=trustees, proposal=proposal, payee_user_ids=[proposal.proposer_id]
    )
    from django.contrib.auth import get_user_model

    people = {u.pk: u for u in get_user_model().objects.filter(pk__in=trustees)}
    ordered = sorted(people.values(), key=lambda u: (u.public_name.lower(), u.pk))
    eligible = [u for u in ordered if u.pk not in conflicts]
    conflicted = [
        (u, DecisionExclusion.Reason(conflicts[u.pk]).label) for u in ordered if u.pk in conflicts
    ]
    return eligible, conflicted, conflicts


def decision_new(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    """Record a meeting's decision on a selected proposal and, when it passes, the grant.

    The meeting, the decision and the grant are written in one transaction: when any part is
    refused (no quorum, not enough money, a conflicted recorder), nothing is stored.
    """
    fund = _fund(pk)
    ensure_powers(request.user, fund.neighbourhood, TRUSTEE_ROLES, action="record decisions")
    proposal = get_object_or_404(
        Proposal.objects.select_related("proposer"),
        pk=proposal_pk,
        neighbourhood=fund.neighbourhood,
    )
    if not proposal_waiting_for_decision(fund=fund, proposal=proposal):
        raise NotFoundError("This proposal is not waiting for a decision.")
    eligible, conflicted, conflicts = _decision_context(fund, proposal)
    form = DecisionForm(
        request.POST or None,
        proposal=proposal,
        eligible=eligible,
        conflicted=conflicted,
        organisations=organisations_for_grants(),
    )
    recorder_conflicted = request.user.pk in conflicts
    if request.method == "POST" and form.is_valid() and not recorder_conflicted:
        data = form.cleaned_data
        try:
            decision = services.grant_decision_record(
                actor=request.user,
                fund=fund,
                proposal=proposal,
                held_on=data["held_on"],
                attendees=data["attendees"],
                apologies=data["apologies"],
                motion=data["motion"],
                votes=data["votes"],
                amount_pence=data["amount"],
                title=data["title"],
                recipient_organisation=data["recipient_organisation"],
                recipient_user=data["recipient_user"],
                conditions=data["conditions"],
                payment_mode=data["payment_mode"],
                tranche_amounts=data["tranches"],
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if decision.passed:
                messages.success(request, "The decision is recorded and the grant approved.")
            else:
                messages.success(request, "The decision is recorded: the motion did not pass.")
            return redirect("funds:minutes", pk=decision.pk)
    return render(
        request,
        "funds/decision_form.html",
        {
            "fund": fund,
            "proposal": proposal,
            "form": form,
            "recorder_conflicted": recorder_conflicted,
            "available": selectors.fund_available_pence(fund=fund),
        },
    )


def _viewable_decision(request: HttpRequest, pk: int) -> Decision:
    try:
        decision = selectors_pages.decision_get(pk=pk)
    except Decision.DoesNotExist as exc:
        raise NotFoundError("There is no such decision.") from exc
    if not perms.can_view_fund(request.user, decision.fund):
        raise ForbiddenError("Only the partnership and the funder's auditors see the minutes.")
    return decision


def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """Minutes generated from the record: who came, who was excluded and why, the vote."""
    decision = _viewable_decision(request, pk)
    context = minutes_pdf.minutes_context(decision)
    context["can_make_grant"] = _grant_pending(decision) and perms.can_approve_grant(
        request.user, decision.fund
    )
    return render(request, "funds/minutes.html", context)


def _grant_pending(decision: Decision) -> bool:
    """A passed grant decision whose grant was not approved with it (e.g. recorded elsewhere)."""
    return (
        decision.subject == Decision.Subject.GRANT
        and decision.passed
        and not Grant.objects.filter(decision=decision).exists()
    )


def grant_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A trustee without a conflict turns a passed decision that has no grant yet into one
    (this commits the money). Decisions made on the decision form get their grant there."""
    decision = _viewable_decision(request, pk)
    ensure_powers(request.user, decision.fund.neighbourhood, TRUSTEE_ROLES, action="approve grants")
    if not _grant_pending(decision):
        raise NotFoundError("This decision is not waiting for a grant.")
    initial = {"title": decision.proposal.title if decision.proposal else ""}
    form = GrantApproveForm(
        request.POST or None, organisations=organisations_for_grants(), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        from django.contrib.auth import get_user_model

        contact = get_user_model().objects.filter(email__iexact=data["contact_email"]).first()
        if contact is None:
            form.add_error("contact_email", "Nobody has an account with that email address.")
        else:
            try:
                grant = services.grant_from_decision(
                    actor=request.user,
                    decision=decision,
                    title=data["title"],
                    recipient_organisation=data["recipient_organisation"],
                    contact=contact,
                    payment_mode=data["payment_mode"],
                    tranche_count=data["tranches"],
                    conditions=data["conditions"],
                )
            except ForbiddenError:
                raise
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


def minutes_download(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _viewable_decision(request, pk)
    response = HttpResponse(minutes_pdf.minutes_pdf(decision), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="minutes-decision-{decision.pk}.pdf"'
    return response
