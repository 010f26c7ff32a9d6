"""The home page leads with what is happening now in the visitor's neighbourhoods."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from communities import boards
from communities.models import Membership, Neighbourhood

# Neighbourhoods whose "now" the home page shows for a visitor who is nobody's member yet.
SHOWN_NEIGHBOURHOODS = 50


def home(request: HttpRequest) -> HttpResponse:
    """A member sees their own neighbourhoods' open votes, ideas and results; anyone else
    sees those of every active neighbourhood, and the way to find their own."""
    active = Neighbourhood.objects.filter(status=Neighbourhood.Status.ACTIVE).order_by("name")
    mine: list[Neighbourhood] = []
    if request.user.is_authenticated:
        mine = list(
            Neighbourhood.objects.filter(
                memberships__in=Membership.objects.active().filter(user=request.user)
            ).order_by("name")
        )
    neighbourhoods = list(active[:SHOWN_NEIGHBOURHOODS])
    return render(
        request,
        "home.html",
        {
            "neighbourhoods": neighbourhoods,
            "mine": mine,
            "now": boards.now_sections(mine or neighbourhoods, request.user),
        },
    )
