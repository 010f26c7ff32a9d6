"""The proposal lifecycle: the allowed-transitions map and one service per transition.

Each service locks the proposal row, refuses a wrong current state with StateError, checks
who may do it, stamps `<state>_at`, writes a StatusChange (the history on the proposal page)
and an audit event, and emails the proposer after commit. `actor=None` means the system
(a scheduled task of the voting app).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from communities.permissions import TRUSTEE_ROLES, ensure_powers, has_conflict
from config.errors import ApplicationError, ForbiddenError, StateError
from outbox.services import outbox_enqueue

from .. import permissions as perms
from ..limits import cost_ceiling_pence
from ..models import Proposal, StatusChange
from ._common import lock, role_of

S = Proposal.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.SCREENING, S.WITHDRAWN},
    S.SCREENING: {S.SHORTLISTED, S.INELIGIBLE, S.WITHDRAWN},
    S.SHORTLISTED: {S.ON_BALLOT, S.WITHDRAWN},
    S.INELIGIBLE: {S.WITHDRAWN},
    # Back to the shortlist when a round is annulled or the proposal leaves a draft round.
    S.ON_BALLOT: {S.SELECTED, S.NOT_SELECTED, S.SHORTLISTED},
    S.SELECTED: {S.GRANTED},
    S.NOT_SELECTED: set(),
    S.GRANTED: {S.IN_DELIVERY},
    S.IN_DELIVERY: {S.COMPLETED},
    S.COMPLETED: set(),
    S.WITHDRAWN: set(),
}

# Actions named after the event, e.g. "proposals.shortlisted".
ACTIONS = {
    S.SUBMITTED: "proposals.submitted",
    S.SCREENING: "proposals.screening_started",
    S.SHORTLISTED: "proposals.shortlisted",
    S.INELIGIBLE: "proposals.ineligible",
    S.ON_BALLOT: "proposals.put_on_ballot",
    S.SELECTED: "proposals.selected",
    S.NOT_SELECTED: "proposals.not_selected",
    S.GRANTED: "proposals.granted",
    S.IN_DELIVERY: "proposals.delivery_started",
    S.COMPLETED: "proposals.completed",
    S.WITHDRAWN: "proposals.withdrawn",
}


def _transition(
    proposal: Proposal,
    to: str,
    *,
    actor=None,
    reason: str = "",
    changes: dict | None = None,
    actor_role: str | None = None,
) -> Proposal:
    """Move a locked proposal to `to`: stamp, history, audit, notify. Caller holds the lock."""
    current = proposal.status
    if to not in ALLOWED_TRANSITIONS.get(current, set()):
        raise StateError(
            f"A proposal that is “{proposal.get_status_display()}” cannot become “{S(to).label}”."
        )
    now = timezone.now()
    proposal.status = to
    proposal.status_reason = reason
    setattr(proposal, f"{to}_at", now)
    proposal.save(update_fields=["status", "status_reason", f"{to}_at", "updated_at"])
    change = StatusChange.objects.create(
        proposal=proposal,
        from_status=current,
        to_status=to,
        reason=reason,
        actor=actor,
        created_at=now,
    )
    audit_record(
        action=ACTIONS[to],
        actor=actor,
        actor_role=actor_role or role_of(actor, proposal),
        obj=proposal,
        changes={
            "status": [current, to],
            **({"reason": reason} if reason else {}),
            **(changes or {}),
        },
    )
    from ..tasks import proposal_status_email_task

    outbox_enqueue(proposal_status_email_task, change.pk)
    return proposal


@transaction.atomic
def proposal_submit(*, proposal: Proposal, actor) -> Proposal:
    """The proposer submits a draft for screening; the neighbourhood's trustees are told."""
    proposal = lock(proposal)
    if proposal.status != S.DRAFT:
        raise StateError("Only a draft can be submitted.")
    if not perms.can_submit_proposal(actor, proposal):
        raise ForbiddenError("Only the proposer, as a verified resident, can submit this draft.")
    total = proposal.total_pence
    if not proposal.cost_lines.exists() or total <= 0:
        raise ApplicationError("Add at least one cost line before submitting.")
    if total > cost_ceiling_pence(proposal.neighbourhood):
        raise ApplicationError("The total cost is more than this neighbourhood's fund.")
    _transition(proposal, S.SUBMITTED, actor=actor, changes={"total_pence": total})
    from ..tasks import proposal_submitted_email_task

    outbox_enqueue(proposal_submitted_email_task, proposal.pk)
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, actor, reason: str = "") -> Proposal:
    """The proposer withdraws, at any point before the ballot."""
    proposal = lock(proposal)
    if proposal.status not in perms.WITHDRAWABLE:
        raise StateError("A proposal can only be withdrawn before the ballot.")
    if not perms.can_withdraw_proposal(actor, proposal):
        raise ForbiddenError("Only the proposer can withdraw this proposal.")
    return _transition(proposal, S.WITHDRAWN, actor=actor, reason=reason.strip())


def _ensure_screener(actor, proposal: Proposal) -> None:
    ensure_powers(actor, proposal.neighbourhood, TRUSTEE_ROLES, action="screen proposals")
    if has_conflict(actor, proposal):
        raise ForbiddenError(
            "You proposed this, are linked to it or declared a conflict: "
            "another trustee must screen it."
        )


@transaction.atomic
def proposal_start_screening(*, proposal: Proposal, actor) -> Proposal:
    """A trustee without a conflict takes a submitted proposal into screening."""
    proposal = lock(proposal)
    if proposal.status != S.SUBMITTED:
        raise StateError("Only a submitted proposal can be taken into screening.")
    _ensure_screener(actor, proposal)
    return _transition(proposal, S.SCREENING, actor=actor, actor_role="trustee")


def _screening_fields(proposal: Proposal, notes: str, revised_cost_pence: int | None) -> dict:
    changes: dict = {}
    if revised_cost_pence is not None:
        if revised_cost_pence <= 0:
            raise ApplicationError("A revised cost must be more than £0.")
        if revised_cost_pence > cost_ceiling_pence(proposal.neighbourhood):
            raise ApplicationError("The revised cost is more than this neighbourhood's fund.")
        changes["screened_cost_pence"] = [proposal.screened_cost_pence, revised_cost_pence]
        proposal.screened_cost_pence = revised_cost_pence
    proposal.screening_notes = notes.strip()
    proposal.save(update_fields=["screened_cost_pence", "screening_notes", "updated_at"])
    if notes.strip():
        changes["notes"] = notes.strip()
    return changes


@transaction.atomic
def proposal_shortlist(
    *, proposal: Proposal, actor, notes: str = "", revised_cost_pence: int | None = None
) -> Proposal:
    """Screening passed: eligible, and the cost checked (revised by trustees if needed)."""
    proposal = lock(proposal)
    if proposal.status != S.SCREENING:
        raise StateError("Only a proposal being screened can be shortlisted.")
    _ensure_screener(actor, proposal)
    changes = _screening_fields(proposal, notes, revised_cost_pence)
    return _transition(proposal, S.SHORTLISTED, actor=actor, actor_role="trustee", changes=changes)


@transaction.atomic
def proposal_mark_ineligible(
    *, proposal: Proposal, actor, reason: str, notes: str = ""
) -> Proposal:
    """Screening failed; the reason is shown to the proposer and on the proposal page."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason the proposal is not eligible.")
    proposal = lock(proposal)
    if proposal.status != S.SCREENING:
        raise StateError("Only a proposal being screened can be found ineligible.")
    _ensure_screener(actor, proposal)
    changes = _screening_fields(proposal, notes, None)
    return _transition(
        proposal, S.INELIGIBLE, actor=actor, actor_role="trustee", reason=reason, changes=changes
    )


# Called by the voting app (actor=None: the scheduled task) -------------------------------


@transaction.atomic
def proposal_put_on_ballot(*, proposal: Proposal, actor=None) -> Proposal:
    """shortlisted -> on_ballot, when a vote round including it is published."""
    return _transition(lock(proposal), S.ON_BALLOT, actor=actor)


@transaction.atomic
def proposal_select(*, proposal: Proposal, actor=None) -> Proposal:
    """on_ballot -> selected, when certified results include it."""
    return _transition(lock(proposal), S.SELECTED, actor=actor)


@transaction.atomic
def proposal_not_select(*, proposal: Proposal, actor=None) -> Proposal:
    """on_ballot -> not_selected, when certified results leave it out."""
    return _transition(lock(proposal), S.NOT_SELECTED, actor=actor)


@transaction.atomic
def proposal_return_to_shortlist(*, proposal: Proposal, actor=None, reason: str) -> Proposal:
    """on_ballot -> shortlisted, when a round is annulled or it leaves a draft round."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason the proposal goes back to the shortlist.")
    return _transition(lock(proposal), S.SHORTLISTED, actor=actor, reason=reason)


# Called by the funds app ------------------------------------------------------------------


@transaction.atomic
def proposal_grant(*, proposal: Proposal, actor=None, reason: str = "") -> Proposal:
    """selected -> granted, when trustees decide the grant."""
    return _transition(lock(proposal), S.GRANTED, actor=actor, reason=reason)


@transaction.atomic
def proposal_start_delivery(*, proposal: Proposal, actor=None) -> Proposal:
    """granted -> in_delivery, when the grant agreement is active."""
    return _transition(lock(proposal), S.IN_DELIVERY, actor=actor)


@transaction.atomic
def proposal_complete(*, proposal: Proposal, actor=None, reason: str = "") -> Proposal:
    """in_delivery -> completed."""
    return _transition(lock(proposal), S.COMPLETED, actor=actor, reason=reason)
