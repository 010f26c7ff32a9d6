"""Turn domain errors raised by views into pages: 2FA prompt, 403, 404, 409, 400."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.permissions import owns_authenticator
from accounts.second_factor import second_factor_url
from config.errors import ApplicationError, ForbiddenError

from .permissions import MfaRequiredError


class MfaPromptMiddleware:
    """MfaRequiredError -> redirect to confirm with the authenticator (or set one up) with a
    plain-English message;
    ForbiddenError -> a 403 page (or sign-in first, for someone not signed in); any other
    ApplicationError -> a page with its message and status code.

    API views handle their own errors (config.errors.api_exception_handler) and never get here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, ApplicationError):
            return None
        if isinstance(exception, MfaRequiredError):
            if owns_authenticator(request.user):
                # A session signed in by password alone: confirm with the authenticator.
                messages.warning(
                    request,
                    "Your role needs two-factor authentication in this session. Enter the "
                    "code from your authenticator app, then go back to what you were doing.",
                )
            else:
                messages.warning(
                    request,
                    "Your role needs two-factor authentication. Set up an authenticator app "
                    "below, then go back to what you were doing.",
                )
            return redirect(second_factor_url(request, request.get_full_path()))
        user = getattr(request, "user", None)
        if isinstance(exception, ForbiddenError) and not getattr(user, "is_authenticated", False):
            return redirect(f"{reverse('account_login')}?next={quote(request.get_full_path())}")
        return render(
            request,
            "communities/error.html",
            {"message": exception.message, "status": exception.status_code},
            status=exception.status_code,
        )
