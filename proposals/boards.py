"""Proposals' sections on the "now" and trustee to-do pages (registered in communities.boards)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count
from django.urls import reverse

from communities.boards import SHOWN, Item, Section

from .models import Proposal

S = Proposal.Status
# Ideas residents can still back before the ballot (permissions.SUPPORTABLE less "on the
# ballot", where the vote itself is what counts).
WAITING_FOR_SUPPORT = (S.SUBMITTED, S.SCREENING, S.SHORTLISTED)


def proposals_waiting_for_support(neighbourhoods: Sequence, user) -> list[Section]:
    many = len(neighbourhoods) > 1
    rows = list(
        Proposal.objects.filter(
            neighbourhood__in=neighbourhoods, status__in=WAITING_FOR_SUPPORT, is_hidden=False
        )
        .select_related("neighbourhood")
        .annotate(supporters=Count("supports"))
        .order_by("-submitted_at", "-pk")[:SHOWN]
    )
    items = [
        Item(
            title=p.title,
            url=reverse("proposals:detail", args=[p.neighbourhood.slug, p.pk]),
            action="Read it and support it",
            note=(f"{p.neighbourhood.name}: " if many else "")
            + f"{p.supporters} supporter{'' if p.supporters == 1 else 's'} so far",
        )
        for p in rows
    ]
    return [
        Section(
            key="support",
            title="Ideas waiting for support",
            hint="Residents can back the ideas they like before the vote.",
            items=items,
            order=20,
        )
    ]


def proposals_to_screen(neighbourhood, user) -> list[Section]:
    waiting = Proposal.objects.filter(
        neighbourhood=neighbourhood, status__in=(S.SUBMITTED, S.SCREENING)
    )
    rows = list(waiting.order_by("submitted_at", "pk")[:SHOWN])
    return [
        Section(
            key="screen",
            title="Proposals to screen",
            hint="Check each one is eligible: shortlist it, or say why it is not eligible.",
            items=[
                Item(
                    title=p.title,
                    url=reverse("proposals:screen", args=[neighbourhood.slug, p.pk]),
                    action="Screen it",
                    note=f"submitted {p.submitted_at:%-d %b %Y}" if p.submitted_at else "",
                )
                for p in rows
            ],
            total=waiting.count(),
            order=10,
            empty="No proposal is waiting to be screened.",
            more_url=reverse("proposals:list", args=[neighbourhood.slug]),
            more_label="All proposals",
        )
    ]
