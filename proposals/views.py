"""Proposal pages. Each view parses input, calls one service or selector, and renders.

Everything works without JavaScript: every action is a plain form post that redirects.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import owns_authenticator
from accounts.second_factor import second_factor_url
from communities.models import Neighbourhood
from communities.permissions import TRUSTEE_ROLES, MfaRequiredError, ensure_powers
from communities.selectors import neighbourhood_get
from config.errors import ApplicationError, NotFoundError

from . import permissions as perms
from . import selectors, services
from .forms import (
    CommentForm,
    CostLineFormSet,
    FilterForm,
    ImageForm,
    MilestoneForm,
    OptionalReasonForm,
    ProposalForm,
    ReasonForm,
    ReportChoiceForm,
    ScreeningForm,
    cost_lines_from,
)
from .models import Comment, Proposal, ProposalImage, Report

PAGE_SIZE = 20


def _domain_errors(view):
    """Missing two-factor goes to its setup page; other refusals are 403 / 404 pages."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except MfaRequiredError as exc:
            messages.error(request, exc.message)
            if owns_authenticator(request.user):  # a password-only session: confirm the code
                return redirect(second_factor_url(request, request.get_full_path()))
            return redirect("mfa_index")
        except NotFoundError as exc:
            raise Http404(exc.message) from exc

    return wrapper


def _neighbourhood(request, slug: str) -> Neighbourhood:
    """Only neighbourhoods the user may see: a draft's or a rejection's name must not leak."""
    return neighbourhood_get(user=request.user, slug=slug)


def _proposal(request, slug: str, pk: int) -> Proposal:
    return selectors.proposal_get(neighbourhood_slug=slug, pk=pk, user=request.user)


def _form_error(form, exc: ApplicationError) -> None:
    fields = exc.extra.get("fields") or {}
    placed = False
    for name, errors in fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _back(proposal: Proposal, anchor: str = ""):
    response = redirect("proposals:detail", slug=proposal.neighbourhood.slug, pk=proposal.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@_domain_errors
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    neighbourhood = _neighbourhood(request, slug)
    form = FilterForm(request.GET or None)
    qs = selectors.proposal_list(
        neighbourhood=neighbourhood, user=request.user, filters=form.filters()
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "proposals/list.html",
        {
            "neighbourhood": neighbourhood,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_propose": perms.can_create_proposal(request.user, neighbourhood),
            "can_moderate": perms.can_moderate_in(request.user, neighbourhood),
        },
    )


def _proposal_kwargs(form, formset) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "summary": data["summary"],
        "description": data["description"],
        "theme": data["theme"],
        "location": data["location"],
        "organisation": data["organisation"],
        "trustee_links": data["trustee_links"],
        "linked_trustees": list(data["linked_trustees"]),
        "cost_lines": cost_lines_from(formset),
    }


@login_required
@_domain_errors
def proposal_create(request: HttpRequest, slug: str) -> HttpResponse:
    neighbourhood = _neighbourhood(request, slug)
    if not perms.can_create_proposal(request.user, neighbourhood):
        raise PermissionDenied("Only verified residents can propose.")
    form = ProposalForm(request.POST or None, neighbourhood=neighbourhood)
    formset = CostLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            proposal = services.proposal_create(
                neighbourhood=neighbourhood,
                proposer=request.user,
                **_proposal_kwargs(form, formset),
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, "Your draft is saved. Add photos if you like, then submit it."
            )
            return _back(proposal)
    return render(
        request,
        "proposals/form.html",
        {"neighbourhood": neighbourhood, "form": form, "formset": formset, "proposal": None},
    )


@login_required
@_domain_errors
def proposal_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    if not perms.can_edit_proposal(request.user, proposal):
        raise PermissionDenied("Only the proposer can change a draft.")
    initial = {
        "title": proposal.title,
        "summary": proposal.summary,
        "description": proposal.description,
        "theme": proposal.theme,
        "location": proposal.location,
        "organisation": proposal.organisation,
        "trustee_links": proposal.trustee_links,
        "linked_trustees": list(proposal.linked_trustees.all()),
    }
    lines = [
        {"description": line.description, "amount": f"{line.amount_pence / 100:.2f}"}
        for line in proposal.cost_lines.all()
    ]
    form = ProposalForm(request.POST or None, neighbourhood=proposal.neighbourhood, initial=initial)
    formset = CostLineFormSet(request.POST or None, prefix="lines", initial=lines)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.proposal_update(
                proposal=proposal, actor=request.user, **_proposal_kwargs(form, formset)
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Your draft is saved.")
            return _back(proposal)
    return render(
        request,
        "proposals/form.html",
        {
            "neighbourhood": proposal.neighbourhood,
            "form": form,
            "formset": formset,
            "proposal": proposal,
        },
    )


@_domain_errors
def proposal_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    user = request.user
    return render(
        request,
        "proposals/detail.html",
        {
            "proposal": proposal,
            "neighbourhood": proposal.neighbourhood,
            "supports": selectors.user_supports(user=user, proposal=proposal),
            "can_edit": perms.can_edit_proposal(user, proposal),
            "can_submit": perms.can_submit_proposal(user, proposal),
            "can_withdraw": perms.can_withdraw_proposal(user, proposal),
            "can_screen": perms.can_screen_proposal(user, proposal),
            "can_support": perms.can_support_proposal(user, proposal),
            "can_comment": perms.can_comment_on_proposal(user, proposal),
            "can_moderate": perms.can_moderate_in(user, proposal.neighbourhood),
            "can_post_milestone": perms.can_post_milestone(user, proposal),
            "comment_form": CommentForm(),
        },
    )


@login_required
@_domain_errors
def proposal_images(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    if not perms.can_edit_proposal(request.user, proposal):
        raise PermissionDenied("Only the proposer can add photos to a draft.")
    form = ImageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_image_add(
                proposal=proposal,
                actor=request.user,
                file=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Photo added.")
            return redirect("proposals:images", slug=slug, pk=pk)
    return render(
        request,
        "proposals/images.html",
        {"proposal": proposal, "neighbourhood": proposal.neighbourhood, "form": form},
    )


@login_required
@require_POST
@_domain_errors
def proposal_image_remove(request: HttpRequest, slug: str, pk: int, image_id: int):
    proposal = _proposal(request, slug, pk)
    image = get_object_or_404(ProposalImage, pk=image_id, proposal=proposal)
    try:
        services.proposal_image_remove(image=image, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Photo removed.")
    return redirect("proposals:images", slug=slug, pk=pk)


@login_required
@require_POST
@_domain_errors
def proposal_submit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    try:
        services.proposal_submit(proposal=proposal, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Submitted. The trustees will screen it and tell you.")
    return _back(proposal)


@login_required
@_domain_errors
def proposal_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    if not perms.can_withdraw_proposal(request.user, proposal):
        raise PermissionDenied("Only the proposer can withdraw, before the ballot.")
    form = OptionalReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_withdraw(
                proposal=proposal, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Your proposal is withdrawn.")
            return _back(proposal)
    return render(
        request,
        "proposals/confirm.html",
        {
            "proposal": proposal,
            "neighbourhood": proposal.neighbourhood,
            "form": form,
            "heading": "Withdraw your proposal",
            "intro": "It stays visible with its history, marked as withdrawn. "
            "You cannot undo this.",
            "button": "Withdraw it",
            "warning": True,
        },
    )


@login_required
@_domain_errors
def proposal_screen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    ensure_powers(request.user, proposal.neighbourhood, TRUSTEE_ROLES, action="screen proposals")
    if not perms.can_screen_proposal(request.user, proposal):
        raise PermissionDenied("You cannot screen this proposal.")
    form = ScreeningForm(request.POST or None) if proposal.status == "screening" else None
    if request.method == "POST":
        try:
            if proposal.status == Proposal.Status.SUBMITTED:
                services.proposal_start_screening(proposal=proposal, actor=request.user)
                messages.success(request, "Screening started.")
                return redirect("proposals:screen", slug=slug, pk=pk)
            if form.is_valid():
                data = form.cleaned_data
                if data["decision"] == "shortlist":
                    services.proposal_shortlist(
                        proposal=proposal,
                        actor=request.user,
                        notes=data["notes"],
                        revised_cost_pence=data["revised_cost"],
                    )
                    messages.success(request, "Shortlisted. The proposer has been told.")
                else:
                    services.proposal_mark_ineligible(
                        proposal=proposal,
                        actor=request.user,
                        reason=data["reason"],
                        notes=data["notes"],
                    )
                    messages.success(request, "Marked not eligible. The proposer has been told.")
                return _back(proposal)
        except ApplicationError as exc:
            if form is None:
                messages.error(request, exc.message)
                return _back(proposal)
            _form_error(form, exc)
    return render(
        request,
        "proposals/screen.html",
        {
            "proposal": proposal,
            "neighbourhood": proposal.neighbourhood,
            "form": form,
            # The trustee sees what they are screening: a thumbnail of the first ready photo.
            "photo": next(
                (i for i in proposal.gallery if i.status == "ready" and i.display_320), None
            ),
        },
    )


@login_required
@require_POST
@_domain_errors
def proposal_support(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    try:
        if request.POST.get("action") == "withdraw":
            services.support_withdraw(proposal=proposal, user=request.user)
            messages.success(request, "You no longer support this proposal.")
        else:
            services.support_add(proposal=proposal, user=request.user)
            messages.success(request, "Thank you: you support this proposal.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(proposal, "support")


@login_required
@require_POST
@_domain_errors
def comment_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent = None
        if form.cleaned_data.get("parent"):
            parent = Comment.objects.filter(
                pk=form.cleaned_data["parent"], proposal=proposal
            ).first()
        try:
            services.comment_create(
                proposal=proposal,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=parent,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your comment is posted.")
    else:
        messages.error(request, "Write a comment of at most 2,000 characters.")
    return _back(proposal, "comments")


@login_required
@_domain_errors
def report(request: HttpRequest, slug: str, pk: int, comment_id: int | None = None):
    proposal = _proposal(request, slug, pk)
    comment = get_object_or_404(Comment, pk=comment_id, proposal=proposal) if comment_id else None
    target = comment or proposal
    if target.is_hidden or not perms.can_report_content(request.user, target):
        # Hidden content is already dealt with; never quote it back.
        raise Http404("There is nothing here to report.")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                proposal=None if comment else proposal,
                comment=comment,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Thank you. The trustees will look at your report.")
            return _back(proposal)
    what = "this comment" if comment else "this proposal"
    return render(
        request,
        "proposals/confirm.html",
        {
            "proposal": proposal,
            "neighbourhood": proposal.neighbourhood,
            "form": form,
            "heading": f"Report {what}",
            "intro": f"Tell the trustees what is wrong with {what}. They decide whether "
            "to hide it. Your name is not shown to the author.",
            "quote": comment.body if comment else proposal.summary,
            "button": "Send the report",
        },
    )


@login_required
@_domain_errors
def moderate(request: HttpRequest, slug: str, pk: int, comment_id: int | None = None):
    proposal = _proposal(request, slug, pk)
    ensure_powers(request.user, proposal.neighbourhood, TRUSTEE_ROLES, action="moderate")
    comment = get_object_or_404(Comment, pk=comment_id, proposal=proposal) if comment_id else None
    target = comment or proposal
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if comment is not None:
                fn = services.comment_restore if comment.is_hidden else services.comment_hide
                fn(comment=comment, actor=request.user, reason=reason)
            else:
                fn = services.proposal_restore if proposal.is_hidden else services.proposal_hide
                fn(proposal=proposal, actor=request.user, reason=reason)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Done. The author has been told.")
            return _back(proposal)
    verb = "Restore" if target.is_hidden else "Hide"
    what = "this comment" if comment else "this proposal"
    return render(
        request,
        "proposals/confirm.html",
        {
            "proposal": proposal,
            "neighbourhood": proposal.neighbourhood,
            "form": form,
            "heading": f"{verb} {what}",
            "intro": (
                "Hidden content is replaced by a notice with your reason; it is not deleted. "
                if verb == "Hide"
                else "It will be shown again. "
            )
            + "The author is told, with your reason.",
            "quote": comment.body if comment else proposal.summary,
            "button": f"{verb} it",
            "warning": verb == "Hide",
        },
    )


@login_required
@_domain_errors
def reports_queue(request: HttpRequest, slug: str) -> HttpResponse:
    neighbourhood = _neighbourhood(request, slug)
    ensure_powers(request.user, neighbourhood, TRUSTEE_ROLES, action="moderate")
    if request.method == "POST":
        form = ReportChoiceForm(request.POST)
        report_obj = (
            Report.objects.filter(
                pk=form.cleaned_data["report"], neighbourhood=neighbourhood
            ).first()
            if form.is_valid()
            else None
        )
        if report_obj is None:
            messages.error(request, "That report could not be found. Choose one from the list.")
            return redirect("proposals:reports", slug=slug)
        try:
            services.report_dismiss(report=report_obj, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Report dismissed.")
        return redirect("proposals:reports", slug=slug)
    return render(
        request,
        "proposals/reports.html",
        {
            "neighbourhood": neighbourhood,
            "reports": selectors.report_list_open(neighbourhood=neighbourhood),
            "queue": selectors.screening_queue(neighbourhood=neighbourhood),
        },
    )


@login_required
@_domain_errors
def milestone_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _proposal(request, slug, pk)
    if not perms.can_post_milestone(request.user, proposal):
        raise PermissionDenied("Only the proposer or a trustee can post progress.")
    form = MilestoneForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photos = [(data["photo"], data["photo_alt"])] if data.get("photo") else []
        try:
            services.milestone_add(
                proposal=proposal,
                actor=request.user,
                happened_on=data["happened_on"],
                update=data["update"],
                progress_percent=data["progress_percent"],
                photos=photos,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Progress posted.")
            return _back(proposal, "progress")
    return render(
        request,
        "proposals/milestone_form.html",
        {"proposal": proposal, "neighbourhood": proposal.neighbourhood, "form": form},
    )
