"""Voting's sections on the "now" and trustee to-do pages (registered in communities.boards)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from communities.boards import SHOWN, Item, Section

from .models import PaperBatch, Pot, VoteRound

R = VoteRound.Status
# How long published results stay in "what is happening now".
RECENT_RESULTS = datetime.timedelta(days=30)


def _vote_url(round: VoteRound) -> str:
    """Straight to the ballot when the round has one pot; else the round's page lists them."""
    pots = list(round.pots.all())
    if len(pots) == 1:
        return reverse("voting:ballot", args=[pots[0].pk])
    return reverse("voting:round_detail", args=[round.pk])


def votes_now(neighbourhoods: Sequence, user) -> list[Section]:
    """Open votes (also one whose opening time has come before the scheduler has run), and
    results published in the last 30 days."""
    now = timezone.now()
    many = len(neighbourhoods) > 1
    prefix = (lambda r: f"{r.neighbourhood.name}: ") if many else (lambda r: "")
    open_rounds = list(
        VoteRound.objects.filter(neighbourhood__in=neighbourhoods, closes_at__gt=now)
        .filter(Q(status=R.OPEN) | Q(status=R.PUBLISHED, opens_at__lte=now))
        .select_related("neighbourhood")
        .prefetch_related(Prefetch("pots", queryset=Pot.objects.only("pk", "round_id")))
        .order_by("closes_at", "pk")[:SHOWN]
    )
    results = list(
        VoteRound.objects.filter(
            neighbourhood__in=neighbourhoods,
            status=R.RESULTS_PUBLISHED,
            results_published_at__gte=now - RECENT_RESULTS,
        )
        .select_related("neighbourhood")
        .order_by("-results_published_at", "-pk")[:SHOWN]
    )
    return [
        Section(
            key="vote",
            title="Open votes",
            hint="Residents choose which ideas get the money. It takes a few minutes.",
            items=[
                Item(
                    title=r.title,
                    url=_vote_url(r),
                    action="Vote now",
                    note=prefix(r) + f"open until {timezone.localtime(r.closes_at):%-d %B, %H:%M}",
                )
                for r in open_rounds
            ],
            order=10,
        ),
        Section(
            key="results",
            title="Results just published",
            hint="See which ideas residents chose.",
            items=[
                Item(
                    title=r.title,
                    url=reverse("voting:results", args=[r.pk]),
                    action="See the results",
                    note=prefix(r)
                    + f"published {timezone.localtime(r.results_published_at):%-d %B %Y}",
                )
                for r in results
            ],
            order=30,
        ),
    ]


def _round_section(rounds, *, key, title, hint, action, empty, order) -> Section:
    return Section(
        key=key,
        title=title,
        hint=hint,
        items=[
            Item(
                title=r.title,
                url=reverse("voting:round_detail", args=[r.pk]),
                action=action,
                note=f"closed {timezone.localtime(r.closes_at):%-d %b %Y}",
            )
            for r in rounds
        ],
        order=order,
        empty=empty,
    )


def voting_todo(neighbourhood, user) -> list[Section]:
    """Paper batches to key a second time (or whose entries differ), votes to count, counts
    to certify, results to publish: two queries whatever the number of items."""
    waiting = PaperBatch.objects.filter(
        round__neighbourhood=neighbourhood,
        status__in=(PaperBatch.Status.AWAITING_SECOND, PaperBatch.Status.MISMATCH),
        round__status__in=(R.OPEN, R.CLOSED),
    )
    batches = list(waiting.select_related("round").order_by("created_at", "pk")[:SHOWN])
    rounds = list(
        VoteRound.objects.filter(
            neighbourhood=neighbourhood, status__in=(R.CLOSED, R.COUNTED, R.CERTIFIED)
        ).order_by("closes_at", "pk")
    )
    by_status = {
        s: [r for r in rounds if r.status == s] for s in (R.CLOSED, R.COUNTED, R.CERTIFIED)
    }
    return [
        Section(
            key="paper",
            title="Paper ballots waiting for a second keying",
            hint="Another trustee or volunteer types each batch again; you cannot check your own.",
            items=[
                Item(
                    title=f"{b.event} ({b.declared_count} papers)",
                    url=reverse("voting:batch", args=[b.pk]),
                    action="Key it again"
                    if b.status == PaperBatch.Status.AWAITING_SECOND
                    else "Look at the differences",
                    note=f"{b.round.title}: {b.get_status_display().lower()}",
                )
                for b in batches
            ],
            total=waiting.count(),
            order=20,
            empty="No paper batch is waiting.",
        ),
        _round_section(
            by_status[R.CLOSED],
            key="count",
            title="Votes to count",
            hint="The vote has closed: count it.",
            action="Count the vote",
            empty="No vote is waiting to be counted.",
            order=25,
        ),
        _round_section(
            by_status[R.COUNTED],
            key="certify",
            title="Counts to certify",
            hint="Two trustees who have no conflict check and certify each count.",
            action="Check and certify",
            empty="No count is waiting for certification.",
            order=30,
        ),
        _round_section(
            by_status[R.CERTIFIED],
            key="publish",
            title="Results to publish",
            hint="The count is certified: publish the results for residents.",
            action="Publish the results",
            empty="No results are waiting to be published.",
            order=35,
        ),
    ]
