"""Site-wide pages: home, about, health check, notification preferences."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from communities.models import Neighbourhood


def home(request: HttpRequest) -> HttpResponse:
    neighbourhoods = Neighbourhood.objects.filter(status=Neighbourhood.Status.ACTIVE).order_by(
        "name"
    )[:50]
    return render(request, "home.html", {"neighbourhoods": neighbourhoods})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


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
            for name in fields:
                setattr(user, name, form.cleaned_data[name])
            user.save(update_fields=fields)
            messages.success(request, "Your preferences are saved.")
            return redirect("preferences")
    else:
        form = PreferencesForm(initial={name: getattr(user, name) for name in fields})
    return render(request, "account/preferences.html", {"form": form})
