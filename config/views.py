"""Site-wide pages: about, health check, notification preferences (the home page is in home/)."""

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.services import user_preferences_update
from config.errors import ApplicationError


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down"
    return "up"


def _broker_state() -> str:
    """The broker: up, down, or inline (the embedded default runs tasks in the web process)."""
    from config.celery import app

    if app.conf.task_always_eager:
        return "inline"
    try:
        with app.connection_for_write() as conn:
            # One attempt, bounded by the broker's connect timeout (settings: 0.5 s).
            conn.ensure_connection(max_retries=0, interval_start=0, interval_step=0)
    except Exception:  # kombu raises OperationalError, or the transport's own socket errors
        return "down"
    return "up"


def _outbox_pending() -> int | None:
    """Queued work not yet done, when the outbox app is installed (config imports no app)."""
    try:
        model = apps.get_model("outbox", "OutboxMessage")
        return model.objects.filter(done_at__isnull=True).count()
    except (LookupError, DatabaseError):
        return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker, reported separately: 503 only when the database is down.

    With the broker down the site still works (work waits in the outbox), so it answers 200
    with the broker flagged "down" for monitoring.
    """
    database = _database_state()
    body = {
        "status": "ok" if database == "up" else "down",
        "database": database,
        "broker": _broker_state(),
    }
    if database == "up":
        body["outbox_pending"] = _outbox_pending()
    if body["broker"] == "down":
        body["status"] = "degraded" if database == "up" else "down"
    return JsonResponse(body, status=200 if database == "up" else 503)


class PreferencesForm(forms.Form):
    display_name = forms.CharField(
        max_length=80, required=False, help_text="Shown next to what you write."
    )
    notify_proposal_status = forms.BooleanField(
        required=False, label="Email me when my proposal's status changes"
    )
    notify_comments = forms.BooleanField(
        required=False, label="Email me about new comments on my proposals"
    )
    notify_submissions = forms.BooleanField(
        required=False, label="Email me when a proposal is submitted (trustees)"
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    fields = list(PreferencesForm.base_fields)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                user_preferences_update(user=user, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(exc.extra.get("field"), exc.message)
            else:
                messages.success(request, "Your preferences are saved.")
                return redirect("preferences")
    else:
        form = PreferencesForm(initial={name: getattr(user, name) for name in fields})
    return render(request, "account/preferences.html", {"form": form})
