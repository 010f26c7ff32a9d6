"""The account page's API token section: list, create (shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.errors import ApplicationError, ForbiddenError

from . import services
from .models import ApiToken
from .permissions import can_create_api_token


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. 'my script'.")
    days = forms.IntegerField(
        min_value=1, max_value=services.MAX_TOKEN_DAYS, initial=90, label="Valid for (days)"
    )


@never_cache  # the page that shows a new token: no browser or proxy keeps a copy
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "account/api_tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": tokens,
            "may_create": can_create_api_token(request.user),
        },
        status=200,
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.api_token_revoke(user=request.user, token_id=pk)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The token is revoked: it no longer works.")
    return redirect("api_tokens")
