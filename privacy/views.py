"""The personal data pages: download your data, erase your account. Thin: the rules are in
privacy.services and privacy.selectors."""

from __future__ import annotations

import json

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from config.errors import ApplicationError, StateError

from . import selectors, services
from .forms import EraseAccountForm


@never_cache
@login_required
def data_download(request: HttpRequest) -> HttpResponse:
    """The person's data as a JSON file (their right of access)."""
    data = selectors.personal_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-common-purse-data.json"'
    return response


@never_cache
@login_required
def account_erase(request: HttpRequest) -> HttpResponse:
    user = request.user
    needs_code = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    blockers = services.erasure_blockers(user=user)
    form = EraseAccountForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and not blockers and form.is_valid():
        try:
            services.account_erase(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data.get("code", ""),
            )
        except StateError as exc:
            blockers = exc.extra.get("reasons") or [exc.message]
        except ApplicationError as exc:
            form.add_error(exc.extra.get("field"), exc.message)
        else:
            logout(request)
            messages.success(
                request,
                "Your account is erased. Your votes still count; nothing links them to you.",
            )
            return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "privacy/erase.html",
        {"form": form, "blockers": blockers},
        status=status,
    )
