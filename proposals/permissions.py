"""Who may do what to a proposal: pure predicates, reused by services, views and templates.

They build on communities.permissions. Trustee powers also need two-factor authentication
(can_use_powers); whoever proposed a proposal, or is linked to it, or declared a conflict on
it, takes no part in screening or moderating it.
"""

from __future__ import annotations

from accounts.permissions import is_verified
from communities.models import Neighbourhood
from communities.permissions import TRUSTEE_ROLES, can_use_powers, has_conflict, is_resident

from .models import Comment, Proposal

S = Proposal.Status

# States a proposer may still withdraw from: everything before the ballot.
WITHDRAWABLE = {S.DRAFT, S.SUBMITTED, S.SCREENING, S.SHORTLISTED, S.INELIGIBLE}
SUPPORTABLE = {S.SUBMITTED, S.SCREENING, S.SHORTLISTED, S.ON_BALLOT}
DELIVERY = {S.GRANTED, S.IN_DELIVERY, S.COMPLETED}


def can_create_proposal(user, neighbourhood: Neighbourhood) -> bool:
    """Verified residents of an active neighbourhood may propose."""
    return neighbourhood.status == Neighbourhood.Status.ACTIVE and is_resident(user, neighbourhood)


def can_view_proposal(user, proposal: Proposal) -> bool:
    """Drafts are private to the proposer; the rest is public."""
    if proposal.status == S.DRAFT:
        return getattr(user, "is_authenticated", False) and user.pk == proposal.proposer_id
    return True


def can_edit_proposal(user, proposal: Proposal) -> bool:
    """The proposer edits (and adds photos to) a draft only: what was screened stays put."""
    return proposal.status == S.DRAFT and is_verified(user) and user.pk == proposal.proposer_id


def can_submit_proposal(user, proposal: Proposal) -> bool:
    """The proposer submits a draft while still a resident."""
    return can_edit_proposal(user, proposal) and is_resident(user, proposal.neighbourhood)


def can_withdraw_proposal(user, proposal: Proposal) -> bool:
    return proposal.status in WITHDRAWABLE and is_verified(user) and user.pk == proposal.proposer_id


def is_trustee_without_conflict(user, proposal: Proposal) -> bool:
    return can_use_powers(user, proposal.neighbourhood, TRUSTEE_ROLES) and not has_conflict(
        user, proposal
    )


def can_screen_proposal(user, proposal: Proposal) -> bool:
    """Trustees with two-factor, who did not propose it and have no conflict on it."""
    return proposal.status in {S.SUBMITTED, S.SCREENING} and is_trustee_without_conflict(
        user, proposal
    )


def can_support_proposal(user, proposal: Proposal) -> bool:
    """Residents other than the proposer: support shows that others want it too, so a
    proposer's own support would only inflate the count."""
    return (
        proposal.status in SUPPORTABLE
        and not proposal.is_hidden
        and proposal.proposer_id != getattr(user, "pk", None)
        and is_resident(user, proposal.neighbourhood)
    )


def can_comment_on_proposal(user, proposal: Proposal) -> bool:
    """Residents (trustees are residents too) comment on anything past the draft."""
    return (
        proposal.status not in {S.DRAFT, S.WITHDRAWN}
        and not proposal.is_hidden
        and (
            is_resident(user, proposal.neighbourhood)
            or can_use_powers(user, proposal.neighbourhood, TRUSTEE_ROLES)
        )
    )


def can_report_content(user, obj: Proposal | Comment) -> bool:
    """Anyone signed in may report content that is not already hidden."""
    return getattr(user, "is_authenticated", False) and not obj.is_hidden


def can_moderate_proposal(user, proposal: Proposal) -> bool:
    return proposal.status != S.DRAFT and is_trustee_without_conflict(user, proposal)


def can_moderate_comment(user, comment: Comment) -> bool:
    """Trustees, but not on their own comment nor on a proposal they are conflicted on."""
    return (
        user.pk != comment.author_id
        and can_use_powers(user, comment.proposal.neighbourhood, TRUSTEE_ROLES)
        and not has_conflict(user, comment.proposal)
    )


def can_moderate_in(user, neighbourhood: Neighbourhood) -> bool:
    return can_use_powers(user, neighbourhood, TRUSTEE_ROLES)


def can_post_milestone(user, proposal: Proposal) -> bool:
    """The proposer or a trustee posts progress once a proposal is granted."""
    if proposal.status not in DELIVERY or not is_verified(user):
        return False
    return user.pk == proposal.proposer_id or can_use_powers(
        user, proposal.neighbourhood, TRUSTEE_ROLES
    )
