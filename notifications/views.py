"""Pages of notices: the one-click unsubscribe (no sign-in) and a person's choices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.errors import ApplicationError

from .models import Delivery, Kind
from .services import (
    notification_preferences,
    notification_preferences_update,
    resubscribe,
    unsubscribe,
)


@csrf_exempt  # the signed token in the URL is the credential (RFC 8058 one-click POST too)
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token: str):
    """GET (the click in the email) or a mail client's one-click POST: unsubscribe from the
    token's kind at once. The page offers to undo it (a POST with action=resubscribe)."""
    try:
        if request.method == "POST" and request.POST.get("action") == "resubscribe":
            user, kind = resubscribe(token=token)
            subscribed = True
        else:
            user, kind = unsubscribe(token=token)
            subscribed = False
    except ApplicationError as exc:
        return render(request, "notifications/unsubscribe.html", {"error": exc}, status=400)
    return render(
        request,
        "notifications/unsubscribe.html",
        {"kind_label": Kind(kind).label, "subscribed": subscribed, "token": token},
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences_view(request):
    delivery, kinds = notification_preferences(request.user)
    if request.method == "POST":
        delivery = request.POST.get("delivery", "")
        kinds = request.POST.getlist("kinds")
        try:
            notification_preferences_update(actor=request.user, delivery=delivery, kinds=kinds)
        except ApplicationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your notice choices are saved.")
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "delivery": delivery,
            "kinds": kinds,
            "deliveries": Delivery.choices,
            "all_kinds": Kind.choices,
        },
    )
