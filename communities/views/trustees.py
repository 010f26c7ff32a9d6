"""Trustee tools: members, access codes, roles, the register of interests."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError, ForbiddenError, NotFoundError
from config.pagination import other_params, paginate, seek, seek_params

from .. import exports, selectors, services
from .. import permissions as perms
from ..forms import (
    AccessCodeBatchForm,
    AppointForm,
    AttestForm,
    InterestForm,
    PartnershipExceptionForm,
    RejectForm,
)
from ..models import AccessCodeBatch, Interest, Membership, PartnershipException, RoleAssignment
from ._common import _form_error, _trustee_page

MEMBERS_PER_PAGE = 25
PENDING_PER_PAGE = 10


def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The member register, a page at a time (10,000 members made a 1.4 MB page), with the
    requests to join first and a search by name, email or postcode."""
    nb = _trustee_page(request, slug, "manage members")
    query = request.GET.get("q", "").strip()[:100]
    register = selectors.member_register(user=request.user, neighbourhood=nb, query=query)
    pending = register.filter(status=Membership.Status.PENDING)
    others = register.exclude(status=Membership.Status.PENDING)
    return render(
        request,
        "communities/members.html",
        {
            "nb": nb,
            "q": query,
            "pending": paginate(request, pending, PENDING_PER_PAGE, param="waiting"),
            # Seek pages: page 400 costs what page 1 does (config.pagination.seek).
            "others": seek(request, others, MEMBERS_PER_PAGE, group="status"),
            "pending_query": other_params(request, "waiting"),
            "others_query": seek_params(request, "page"),
            "attest_form": AttestForm(),
            "reject_form": RejectForm(),
        },
    )


@require_POST
def member_attest(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    nb = _trustee_page(request, slug, "confirm members")
    membership = get_object_or_404(Membership, pk=pk, neighbourhood=nb)
    form = AttestForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.membership_attest(actor=request.user, membership=membership, note=note)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.public_name} is now a verified member.")
    return redirect("communities:members", slug=nb.slug)


@require_POST
def member_confirm(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    nb = _trustee_page(request, slug, "confirm members")
    membership = get_object_or_404(Membership, pk=pk, neighbourhood=nb)
    try:
        services.membership_confirm_in_person(actor=request.user, membership=membership)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.public_name} is confirmed in person.")
    return redirect("communities:members", slug=nb.slug)


@require_POST
def member_reject(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    nb = _trustee_page(request, slug, "refuse members")
    membership = get_object_or_404(Membership, pk=pk, neighbourhood=nb)
    try:
        services.membership_reject(
            actor=request.user, membership=membership, reason=request.POST.get("reason", "")
        )
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The request from {membership.user.public_name} is refused.")
    return redirect("communities:members", slug=nb.slug)


def access_codes(request: HttpRequest, slug: str) -> HttpResponse:
    nb = _trustee_page(request, slug, "make access codes")
    form = AccessCodeBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.access_code_batch_create(
                actor=request.user, neighbourhood=nb, **form.cleaned_data
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['count']} codes made: {batch.label}.")
            return redirect("communities:access_codes", slug=nb.slug)
    return render(
        request,
        "communities/access_codes.html",
        {"nb": nb, "form": form, "batches": selectors.access_code_batches(neighbourhood=nb)},
    )


def _batch_download(request: HttpRequest, slug: str, pk: int, kind: str) -> AccessCodeBatch:
    from audit.services import audit_record

    nb = _trustee_page(request, slug, "download access codes")
    batch = get_object_or_404(AccessCodeBatch.objects.select_related("neighbourhood"), pk=pk)
    if batch.neighbourhood_id != nb.pk:
        raise NotFoundError("There is no such batch here.")
    # The codes are secrets: record who downloaded them.
    audit_record(
        action="communities.access_codes_downloaded",
        actor=request.user,
        actor_role="trustee",
        obj=batch,
        changes={"format": kind},
    )
    return batch


def access_codes_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    batch = _batch_download(request, slug, pk, "pdf")
    join_url = request.build_absolute_uri(reverse("communities:join", args=[slug]))
    response = HttpResponse(
        exports.access_codes_pdf(batch=batch, join_url=join_url), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="access-codes-{slug}-{pk}.pdf"'
    return response


def access_codes_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    batch = _batch_download(request, slug, pk, "csv")
    response = HttpResponse(exports.access_codes_csv(batch=batch), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="access-codes-{slug}-{pk}.csv"'
    return response


def roles(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    if perms.is_platform_admin(request.user):
        perms.ensure_admin_mfa(request.user)
    else:
        perms.ensure_powers(request.user, nb, perms.Role.CHAIR, action="appoint role holders")
    if not perms.can_appoint_roles(request.user, nb):
        raise ForbiddenError(f"{nb.name} is not verified yet.")
    allow_chair = perms.can_appoint_chair(request.user, nb)
    form = AppointForm(request.POST or None, allow_chair=allow_chair)
    if not perms.can_use_powers(request.user, nb, perms.TRUSTEE_ROLES):
        del form.fields["attest"]  # only a trustee who met them confirms someone in person
    if request.method == "POST" and form.is_valid():
        try:
            services.role_appoint(
                actor=request.user,
                neighbourhood=nb,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                organisation=form.cleaned_data["organisation"],
                non_resident_reason=form.cleaned_data["non_resident_reason"],
                attest=form.cleaned_data.get("attest", False),
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Appointed.")
            return redirect("communities:roles", slug=nb.slug)
    return render(
        request,
        "communities/roles.html",
        {
            "nb": nb,
            "form": form,
            "holders": selectors.role_holders(nb),
            **health_context(request, nb),
        },
    )


def health_context(request: HttpRequest, nb) -> dict:
    """The partnership health panel, with the exception in force and, for platform admins
    with two-factor, the form to record one."""
    health = selectors.partnership_health(nb)
    can_except = perms.can_record_partnership_exception(request.user, nb)
    return {
        "health": health,
        "health_exception": selectors.partnership_exception_current(nb),
        "exception_form": PartnershipExceptionForm() if can_except and not health.healthy else None,
        "can_withdraw_exception": can_except,
    }


@require_POST
def partnership_exception(request: HttpRequest, slug: str) -> HttpResponse:
    """A platform admin records (or withdraws) an exception to the partnership health rule."""
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    perms.ensure_admin_mfa(request.user)
    if not perms.can_record_partnership_exception(request.user, nb):
        raise ForbiddenError("Only a platform admin can record an exception to the rule.")
    try:
        if request.POST.get("withdraw"):
            exception = get_object_or_404(
                PartnershipException, pk=request.POST["withdraw"], neighbourhood=nb
            )
            services.partnership_exception_withdraw(actor=request.user, exception=exception)
            messages.success(request, "The exception is withdrawn.")
        else:
            form = PartnershipExceptionForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Say why the exception is needed, and for how many days.")
            services.partnership_exception_record(
                actor=request.user, neighbourhood=nb, **form.cleaned_data
            )
            messages.success(request, "The exception is recorded.")
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("communities:detail", slug=nb.slug)


@require_POST
def role_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    assignment = get_object_or_404(RoleAssignment, pk=pk, neighbourhood=nb)
    try:
        services.role_end(actor=request.user, assignment=assignment)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Stood down.")
    return redirect("communities:roles", slug=nb.slug)


def interests(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    can_read = perms.can_view_interests(request.user, nb)
    can_declare = perms.can_declare_interest(request.user, nb)
    if not (can_read or can_declare):
        perms.ensure_powers(
            request.user,
            nb,
            (*perms.INTEREST_ROLES, *perms.INTEREST_READERS),
            action="see the register of interests",
        )
    form = InterestForm(request.POST or None) if can_declare else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.interest_declare(actor=request.user, neighbourhood=nb, **form.cleaned_data)
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Your interest is added to the register.")
            return redirect("communities:interests", slug=nb.slug)
    return render(
        request,
        "communities/interests.html",
        {
            "nb": nb,
            "form": form,
            "entries": paginate(
                request, selectors.interest_register(user=request.user, neighbourhood=nb), 50
            ),
            "query": other_params(request),
            "whole_register": can_read,
        },
    )


@require_POST
def interest_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    interest = get_object_or_404(Interest, pk=pk, neighbourhood=nb)
    try:
        services.interest_end(actor=request.user, interest=interest)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Marked as ended.")
    return redirect("communities:interests", slug=nb.slug)
