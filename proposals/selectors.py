"""Reads: proposal lists (bounded queries), one proposal with everything its page shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from communities.models import Neighbourhood
from config.errors import NotFoundError

from .models import Comment, Milestone, Proposal, ProposalImage, Report, StatusChange, Support

SORTS = {
    "newest": ("-created_at", "-id"),
    "supported": ("-support_count", "-created_at", "-id"),
    "cost_low": ("ballot_cost", "id"),
    "cost_high": ("-ballot_cost", "-id"),
}


@dataclass(frozen=True)
class ProposalFilters:
    theme: str = ""
    status: str = ""
    q: str = ""
    sort: str = "newest"


def proposal_list(
    *, neighbourhood: Neighbourhood, user, filters: ProposalFilters | None = None
) -> QuerySet[Proposal]:
    """The neighbourhood's proposals the user may see, filtered and sorted.

    Totals are annotated, the proposer joined: one query per page whatever the number.
    """
    filters = filters or ProposalFilters()
    qs = (
        Proposal.objects.visible_to(user)
        .filter(neighbourhood=neighbourhood)
        .with_totals()
        .annotate(ballot_cost=Coalesce(F("screened_cost_pence"), F("total_pence_annotated")))
        .select_related("proposer")
    )
    if filters.theme:
        qs = qs.filter(theme=filters.theme)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        # Hidden proposals are not matched on the text that is hidden.
        qs = qs.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q)).filter(
            is_hidden=False
        )
    return qs.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def proposal_list_for_ballot(*, neighbourhood: Neighbourhood) -> QuerySet[Proposal]:
    """Shortlisted, visible proposals: what the voting app may put on a ballot."""
    return (
        Proposal.objects.filter(
            neighbourhood=neighbourhood, status=Proposal.Status.SHORTLISTED, is_hidden=False
        )
        .with_totals()
        .order_by("title", "id")
    )


def proposal_get(*, neighbourhood_slug: str, pk: int, user) -> Proposal:
    """One proposal with its lines, photos, history, comments and milestones prefetched."""
    proposal = (
        Proposal.objects.visible_to(user)
        .filter(neighbourhood__slug=neighbourhood_slug, pk=pk)
        .select_related("neighbourhood", "proposer")
        .prefetch_related(
            "cost_lines",
            "linked_trustees",
            Prefetch(
                "images",
                queryset=ProposalImage.objects.filter(milestone__isnull=True),
                to_attr="gallery",
            ),
            Prefetch("history", queryset=StatusChange.objects.select_related("actor")),
            Prefetch(
                "comments",
                queryset=Comment.objects.filter(parent__isnull=True)
                .select_related("author")
                .prefetch_related(
                    Prefetch("replies", queryset=Comment.objects.select_related("author"))
                ),
                to_attr="threads",
            ),
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related("posted_by").prefetch_related("photos"),
            ),
        )
        .first()
    )
    if proposal is None:
        raise NotFoundError("There is no such proposal.")
    return proposal


def user_supports(*, user, proposal: Proposal) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Support.objects.filter(user=user, proposal=proposal).exists()


def report_list_open(*, neighbourhood: Neighbourhood) -> QuerySet[Report]:
    """The trustees' moderation queue: open reports, oldest first."""
    return (
        Report.objects.filter(neighbourhood=neighbourhood, resolved_at__isnull=True)
        .select_related("reporter", "proposal", "comment__proposal", "comment__author")
        .order_by("created_at", "id")
    )


def screening_queue(*, neighbourhood: Neighbourhood) -> QuerySet[Proposal]:
    """Proposals waiting for trustees: submitted or being screened."""
    return (
        Proposal.objects.filter(
            neighbourhood=neighbourhood,
            status__in=[Proposal.Status.SUBMITTED, Proposal.Status.SCREENING],
        )
        .with_totals()
        .select_related("proposer")
        .order_by("submitted_at", "id")
    )


def status_counts(*, neighbourhood: Neighbourhood, user) -> dict[str, int]:
    rows = (
        Proposal.objects.visible_to(user)
        .filter(neighbourhood=neighbourhood)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}
