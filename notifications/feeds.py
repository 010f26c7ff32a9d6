"""An Atom feed per neighbourhood: new proposals, votes, results and grants (public data only).

notifications sits above the apps it reports on (voting, funds): it reads their public
selectors, and none of them imports it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from communities.models import Neighbourhood
from funds.money import format_pounds
from funds.selectors_audit import public_grants
from proposals.models import Proposal
from voting.models import VoteRound

from .services import site_link

FEED_ITEMS = 50


@dataclass
class Entry:
    title: str
    description: str
    link: str
    when: datetime
    guid: str


def neighbourhood_entries(neighbourhood: Neighbourhood, limit: int = FEED_ITEMS) -> list[Entry]:
    """What a neighbour following the feed sees, newest first: links from SITE_URL."""
    anonymous = AnonymousUser()
    entries: list[Entry] = []
    proposals = (
        Proposal.objects.visible_to(anonymous)
        .filter(neighbourhood=neighbourhood, submitted_at__isnull=False)
        .order_by("-submitted_at")[:limit]
    )
    for p in proposals:
        entries.append(
            Entry(
                title=f"New proposal: {p.title}",
                description=p.summary,
                link=site_link(reverse("proposals:detail", args=[neighbourhood.slug, p.pk])),
                when=p.submitted_at,
                guid=f"proposal-{p.pk}",
            )
        )
    rounds = (
        VoteRound.objects.visible_to(anonymous)
        .filter(neighbourhood=neighbourhood, published_at__isnull=False)
        .order_by("-published_at")[:limit]
    )
    for r in rounds:
        link = site_link(reverse("voting:round_detail", args=[r.pk]))
        entries.append(
            Entry(
                title=f"Vote: {r.title}",
                description=f"Voting runs from {r.opens_at:%d %B %Y %H:%M} "
                f"to {r.closes_at:%d %B %Y %H:%M}.",
                link=link,
                when=r.published_at,
                guid=f"round-{r.pk}",
            )
        )
        if r.results_published_at and r.status == VoteRound.Status.RESULTS_PUBLISHED:
            entries.append(
                Entry(
                    title=f"Results: {r.title}",
                    description=f"The results of “{r.title}” are published.",
                    link=site_link(reverse("voting:results", args=[r.pk])),
                    when=r.results_published_at,
                    guid=f"results-{r.pk}",
                )
            )
    spend = site_link(reverse("funds:public_spend", args=[neighbourhood.slug]))
    for g in public_grants(neighbourhood=neighbourhood)[:limit]:
        entries.append(
            Entry(
                title=f"Grant: {g.title}",
                description=f"{format_pounds(g.amount_pence)} to {g.recipient_public_name} "
                f"({g.get_status_display().lower()}).",
                link=spend,
                when=g.approved_at,
                guid=f"grant-{g.pk}",
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


class NeighbourhoodFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Neighbourhood.objects.visible_to(AnonymousUser()), slug=slug)

    def title(self, obj):
        return f"{obj.name}: Common Purse"

    def link(self, obj):
        return site_link(reverse("communities:detail", args=[obj.slug]))

    def feed_url(self, obj):
        return site_link(reverse("notifications:neighbourhood_feed", args=[obj.slug]))

    def subtitle(self, obj):
        return f"New proposals, votes, results and grants in {obj.name}."

    def items(self, obj):
        return neighbourhood_entries(obj)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.description

    def item_link(self, item):
        return item.link

    def item_guid(self, item):
        return site_link("/") + "#" + item.guid

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.when

    def item_updateddate(self, item):
        return item.when
