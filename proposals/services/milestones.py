"""Implementation tracking: milestones with a date, an update, progress and photos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError

from .. import permissions as perms
from ..models import Milestone, Proposal
from ._common import clean, lock, role_of
from .images import milestone_photo_add


@transaction.atomic
def milestone_add(
    *,
    proposal: Proposal,
    actor,
    happened_on: dt.date,
    update: str,
    progress_percent: int,
    photos: Sequence[tuple[object, str]] = (),
) -> Milestone:
    """The proposer or a trustee posts progress on a granted proposal; shown publicly.

    photos is a list of (uploaded file, alt text); if any is refused, nothing is stored.
    """
    proposal = lock(proposal)
    if not perms.can_post_milestone(actor, proposal):
        raise ForbiddenError(
            "Only the proposer or a trustee can post progress, once a proposal is granted."
        )
    if not 0 <= int(progress_percent) <= 100:
        raise ApplicationError("Progress must be between 0 and 100 percent.")
    if happened_on > timezone.localdate() + dt.timedelta(days=1):
        raise ApplicationError("A milestone's date cannot be in the future.")
    milestone = Milestone(
        proposal=proposal,
        posted_by=actor,
        happened_on=happened_on,
        update=(update or "").strip(),
        progress_percent=int(progress_percent),
    )
    clean(milestone)
    milestone.save()
    for file, alt_text in photos:
        milestone_photo_add(
            milestone=milestone, proposal=proposal, actor=actor, file=file, alt_text=alt_text
        )
    audit_record(
        action="proposals.milestone_added",
        actor=actor,
        actor_role=role_of(actor, proposal),
        obj=milestone,
        changes={
            "proposal_id": proposal.pk,
            "progress_percent": milestone.progress_percent,
            "photos": len(photos),
        },
    )
    return milestone
