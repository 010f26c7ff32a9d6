"""Pages for joining a neighbourhood, proving it, renewing and leaving."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError, ForbiddenError, NotFoundError

from .. import permissions as perms
from .. import selectors, services
from ..forms import (
    AccessCodeForm,
    JoinForm,
    PostcodeCorrectForm,
    PrivateDetailsForm,
)
from ..models import Membership
from ._common import _detail, _form_error

MAX_CODE_ATTEMPTS = 10  # wrong access codes per person per hour


@login_required
def join(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    membership = selectors.membership_for(user=request.user, neighbourhood=nb)
    if membership is not None and membership.status == Membership.Status.PENDING:
        return redirect("communities:join_verify", slug=nb.slug)
    if membership is not None and membership.is_active:
        messages.info(request, f"You are already a member of {nb.name}.")
        return _detail(nb)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_request(actor=request.user, neighbourhood=nb, **form.cleaned_data)
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            return redirect("communities:join_verify", slug=nb.slug)
    return render(
        request,
        "communities/form_page.html",
        {
            "form": form,
            "title": f"Ask to join {nb.name}",
            "submit": "Continue",
            "nb": nb,
            "intro": "Anyone who lives, works, studies or volunteers here can join. "
            "Next you will show that you belong here.",
        },
    )


@login_required
def join_verify(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    membership = selectors.membership_for(user=request.user, neighbourhood=nb)
    if membership is None or membership.status != Membership.Status.PENDING:
        return _detail(nb)
    method = request.POST.get("method")
    code_form = AccessCodeForm(request.POST if method == "code" else None)
    correct_form = PostcodeCorrectForm(request.POST if method == "correct" else None)
    if method == "correct" and correct_form.is_valid():
        try:
            services.membership_postcode_correct(
                actor=request.user,
                membership=membership,
                postcode=correct_form.cleaned_data["postcode"],
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(correct_form, exc)
        else:
            messages.success(request, "Your postcode is corrected. Now check it below.")
            return redirect("communities:join_verify", slug=nb.slug)
    postcode_error = ""
    attempts_key = f"cp:access-code-attempts:{request.user.pk}"
    if request.method == "POST" and (method == "postcode" or code_form.is_valid()):
        try:
            if method == "postcode":
                services.membership_verify_postcode(actor=request.user, membership=membership)
            else:
                # Codes cannot be guessed (27^10), but there is no reason to let anyone try.
                if cache.get(attempts_key, 0) >= MAX_CODE_ATTEMPTS:
                    raise ApplicationError(
                        "Too many wrong codes. Wait an hour, or ask a trustee to confirm you "
                        "in person.",
                        extra={"field": "code"},
                    )
                services.membership_verify_access_code(
                    actor=request.user, membership=membership, code=code_form.cleaned_data["code"]
                )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            if method == "postcode":
                postcode_error = exc.message
            else:
                cache.add(attempts_key, 0, timeout=3600)
                cache.incr(attempts_key)
                _form_error(code_form, exc)
        else:
            messages.success(
                request,
                f"You are now a verified member of {nb.name}. Here is what you can do now.",
            )
            # Straight to what a new member can do: the open vote, the ideas to support.
            return redirect(reverse("communities:detail", args=[nb.slug]) + "#now")
    return render(
        request,
        "communities/join_verify.html",
        {
            "nb": nb,
            "membership": membership,
            "postcode": services.format_postcode(membership.postcode),
            "form": code_form,
            "correct_form": correct_form,
            "postcode_error": postcode_error,
        },
    )


@require_POST
@login_required
def membership_renew(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    membership = selectors.membership_for(user=request.user, neighbourhood=nb)
    if membership is None:
        raise NotFoundError("You are not a member here.")
    services.membership_renew(actor=request.user, membership=membership)
    messages.success(request, "Your membership is renewed.")
    return _detail(nb)


@login_required
def membership_leave(request: HttpRequest, slug: str) -> HttpResponse:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    membership = selectors.membership_for(user=request.user, neighbourhood=nb)
    if membership is None or not perms.can_leave_membership(request.user, membership):
        raise NotFoundError("You are not a member here.")
    if request.method == "POST":
        services.membership_leave(actor=request.user, membership=membership)
        messages.success(request, f"You have left {nb.name}.")
        return _detail(nb)
    return render(request, "communities/leave.html", {"nb": nb})


@login_required
def membership_private(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's private name and address: theirs to correct, seen by trustees only."""
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    membership = selectors.membership_for(user=request.user, neighbourhood=nb)
    if membership is None:
        raise NotFoundError("You are not a member here.")
    form = PrivateDetailsForm(
        request.POST or None,
        initial={
            "private_name": membership.private_name,
            "private_house": membership.private_house,
            "private_postcode": membership.private_postcode,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_private_update(
                actor=request.user, membership=membership, **form.cleaned_data
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Your private name and address are saved.")
            return _detail(nb)
    return render(
        request,
        "communities/form_page.html",
        {
            "form": form,
            "title": "Your private name and address",
            "submit": "Save",
            "nb": nb,
            "intro": f"Only {nb.name}'s trustees see these, to confirm you and to make sure "
            "nobody votes twice. They are never shown in public.",
        },
    )
