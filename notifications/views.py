"""Pages of notices: the one-click unsubscribe (no sign-in), a person's choices (emails and
texts), and the providers' inbound-text webhooks (STOP)."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
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
from .texts import sms_inbound_receive, sms_opt_out, sms_subscribe, sms_subscription_get


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
    sms_error = ""
    phone = ""
    if request.method == "POST" and request.POST.get("form") == "texts":
        phone = request.POST.get("phone", "")
        try:
            if request.POST.get("action") == "stop":
                sms_opt_out(actor=request.user)
                messages.success(request, "We will send you no more texts.")
            else:
                sms_subscribe(
                    actor=request.user, phone=phone, consent=request.POST.get("consent") == "yes"
                )
                messages.success(request, "Texts are on: we will text you about votes.")
        except ApplicationError as exc:
            sms_error = str(exc)
        else:
            return redirect("notifications:preferences")
    elif request.method == "POST":
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
            "sms": sms_subscription_get(request.user),
            "sms_error": sms_error,
            "phone": phone,
            "retention_days": settings.RETENTION_DAYS,
        },
        status=400 if sms_error else 200,
    )


# --- inbound texts (STOP) ---------------------------------------------------------------------


def _inbound(request, *, from_key: str, text_key: str) -> JsonResponse:
    try:
        data = json.loads(request.body or b"{}")
        from_number, text = str(data[from_key]), str(data[text_key])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": f"Send JSON with “{from_key}” and “{text_key}”."}, status=400)
    return JsonResponse({"result": sms_inbound_receive(from_number=from_number, text=text)})


@csrf_exempt  # a provider's server calls this; the shared secret is the credential
@require_http_methods(["POST"])
def sms_inbound_notify_view(request):
    """GOV.UK Notify's inbound text callback: JSON with `source_number` and `message`, sent with
    `Authorization: Bearer <NOTIFY_INBOUND_TOKEN>` (the token set in Notify's callback page)."""
    expected = settings.NOTIFY_INBOUND_TOKEN
    given = request.headers.get("Authorization", "")
    if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return JsonResponse({"error": "Not authorised."}, status=403)
    return _inbound(request, from_key="source_number", text_key="message")


@csrf_exempt  # a provider's server calls this; the body's signature is the credential
@require_http_methods(["POST"])
def sms_inbound_http_view(request):
    """The generic gateway's inbound webhook: JSON `{"from", "message"}` with `X-Signature`, the
    hex HMAC-SHA256 of the raw body under SMS_HTTP_INBOUND_SECRET."""
    secret = settings.SMS_HTTP_INBOUND_SECRET
    given = request.headers.get("X-Signature", "")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not secret or not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"error": "Not authorised."}, status=403)
    return _inbound(request, from_key="from", text_key="message")
