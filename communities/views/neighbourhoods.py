"""Pages to find, register, verify and show neighbourhoods."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_mfa
from config.errors import ApplicationError, ForbiddenError

from .. import boards, selectors, services
from .. import permissions as perms
from ..forms import (
    NeighbourhoodForm,
    RejectForm,
)
from ._common import _detail, _form_error
from .trustees import health_context

# Neighbourhoods whose residents propose and vote: their page leads with what is happening now.
PUBLIC_ACTIVITY = {"verified", "active", "closing"}


def neighbourhood_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    flag = request.GET.get("left_behind", "")
    left_behind = {"yes": True, "no": False}.get(flag)
    qs = selectors.neighbourhood_list(user=request.user, query=query, left_behind=left_behind)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    postcode = services.postcode_or_none(query)
    return render(
        request,
        "communities/list.html",
        {
            "page": page,
            "query": query,
            "postcode": services.format_postcode(postcode) if postcode else "",
            "left_behind": flag,
            "can_register": perms.can_register_neighbourhood(request.user),
            "can_review": perms.is_platform_admin(request.user),
        },
    )


def neighbourhood_detail(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    user = request.user
    membership = selectors.membership_for(user=user, neighbourhood=nb)
    roles = perms.current_roles(user, nb) if perms.is_verified(user) else set()
    shows_now = nb.status in PUBLIC_ACTIVITY
    return render(
        request,
        "communities/detail.html",
        {
            "nb": nb,
            "units": nb.units.all(),
            "member_count": selectors.member_count(nb),
            "trustees": selectors.trustee_names(nb),
            **health_context(request, nb),
            "membership": membership,
            "shows_now": shows_now,
            "now": boards.now_sections([nb], user) if shows_now else [],
            "is_trustee": perms.can_manage_members(user, nb),
            "roles": sorted(roles),
            "needs_mfa": bool(roles) and not has_mfa(user),
            "can_join": perms.can_join_neighbourhood(user, nb),
            "can_edit": perms.can_edit_neighbourhood(user, nb),
            "can_review": perms.can_verify_neighbourhood(user, nb),
            "can_manage_members": perms.can_manage_members(user, nb),
            "can_manage_codes": perms.can_manage_access_codes(user, nb),
            "can_appoint": perms.can_appoint_roles(user, nb),
            "can_see_interests": perms.can_view_interests(user, nb)
            or perms.can_declare_interest(user, nb),
            "can_renew": membership is not None
            and perms.can_renew_membership(user, membership)
            and perms.membership_renewal_due(membership),
            "can_leave": membership is not None and perms.can_leave_membership(user, membership),
        },
    )


@login_required
def neighbourhood_register(request: HttpRequest) -> HttpResponse:
    if not perms.can_register_neighbourhood(request.user):
        raise ForbiddenError("Confirm your email address before registering a neighbourhood.")
    form = NeighbourhoodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            nb = services.neighbourhood_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                units=services.parse_area(
                    places=form.cleaned_data["places"], codes=form.cleaned_data["units"]
                ),
                boundary=form.cleaned_data["boundary"],
                population_estimate=form.cleaned_data["population_estimate"],
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, "Your draft is saved. Check it, then submit it for verification."
            )
            return _detail(nb)
    return render(
        request,
        "communities/form_page.html",
        {"form": form, "title": "Register a neighbourhood", "submit": "Save draft"},
    )


@login_required
def neighbourhood_edit(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    if not perms.can_edit_neighbourhood(request.user, nb):
        raise ForbiddenError("Only the person who registered a draft can change it.")
    initial = {
        "name": nb.name,
        "description": nb.description,
        "units": "\n".join(f"{u.code} {u.vintage}" for u in nb.units.all()),
        "population_estimate": nb.population_estimate,
        "boundary": "" if nb.boundary is None else json.dumps(nb.boundary),
    }
    form = NeighbourhoodForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.neighbourhood_update(
                actor=request.user,
                neighbourhood=nb,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                units=services.parse_area(
                    places=form.cleaned_data["places"], codes=form.cleaned_data["units"]
                ),
                boundary=form.cleaned_data["boundary"],
                population_estimate=form.cleaned_data["population_estimate"],
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Your changes are saved.")
            return _detail(nb)
    return render(
        request,
        "communities/form_page.html",
        {"form": form, "title": f"Change {nb.name}", "submit": "Save changes", "nb": nb},
    )


@require_POST
@login_required
def neighbourhood_submit(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    services.neighbourhood_submit(actor=request.user, neighbourhood=nb)
    messages.success(request, "Submitted. A platform admin will check it.")
    return _detail(nb)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    if not perms.is_platform_admin(request.user):
        raise ForbiddenError("Only platform admins verify neighbourhoods.")
    perms.ensure_admin_mfa(request.user)
    return render(
        request,
        "communities/review_list.html",
        {
            "page": Paginator(selectors.neighbourhood_review_list(user=request.user), 20).get_page(
                request.GET.get("page")
            )
        },
    )


@login_required
def neighbourhood_review(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    perms.ensure_admin_mfa(request.user)
    if not perms.can_verify_neighbourhood(request.user, nb):
        raise ForbiddenError("Only a platform admin who did not register it can check it.")
    form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
    if request.method == "POST":
        if request.POST.get("action") == "verify":
            services.neighbourhood_verify(actor=request.user, neighbourhood=nb)
            messages.success(request, f"{nb.name} is verified. The registrant is its chair.")
            return _detail(nb)
        if form.is_valid():
            try:
                services.neighbourhood_reject(
                    actor=request.user, neighbourhood=nb, reason=form.cleaned_data["reason"]
                )
            except ForbiddenError:
                raise
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"{nb.name} is rejected.")
                return redirect("communities:review_list")
    return render(
        request,
        "communities/review.html",
        {"nb": nb, "units": nb.units.all(), "form": form},
    )
