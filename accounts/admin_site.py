"""The Django admin behind allauth's login, its rate limits and its second factor.

Django's own admin login takes a password alone; allauth's `secure_admin_login` sends anyone
not signed in to allauth's login instead (throttled, with the MFA stage). Signed-in staff
reach the admin only when this session passed a second factor (RULINGS: "The admin stays
usable: a platform admin reaches /admin/ after a second factor").
"""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .permissions import has_mfa
from .second_factor import second_factor_url


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class SecureAdminSite(admin.AdminSite):
    """The default admin site, reachable only after a second factor in this session."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and has_mfa(request.user)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return _admin_login(request, site=self)


@secure_admin_login
def _admin_login(request: HttpRequest, *, site: SecureAdminSite) -> HttpResponse:
    # Reached only by signed-in active staff (the decorator sends everyone else to allauth's
    # login or refuses them). Django's password form is never shown.
    next_url = _safe_next(request, reverse("admin:index", current_app=site.name))
    if site.has_permission(request):
        return HttpResponseRedirect(next_url)
    messages.warning(request, "The admin needs two-factor authentication in this session.")
    return HttpResponseRedirect(second_factor_url(request, next_url))
