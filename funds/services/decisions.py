"""Trustee meetings and their decisions on grants, variations and recoveries.

A decision counts only the trustees who are not conflicted on the item (declared a
conflict, proposed it, would be paid by it, or are linked to its proposer): they are
excluded from the vote and from the quorum, and the record says why. The quorum is a
majority of the non-conflicted trustees and at least three (COMMONPURSE
"DECISION_QUORUM_MIN"). A meeting without quorum, a conflicted trustee voting, or a
partnership below its required make-up is refused outright: nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from communities.models import ConflictDeclaration, Neighbourhood, RoleAssignment
from communities.permissions import TRUSTEE_ROLES
from communities.services import ensure_partnership_healthy
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import Decision, DecisionExclusion, DecisionVote, Fund, Meeting, Recovery, Variation
from ._common import audit, clean, relock, require

DEFAULT_QUORUM_MIN = 3
R = DecisionExclusion.Reason


def quorum_for(eligible: int) -> int:
    """A majority of the non-conflicted trustees, and never fewer than the configured minimum."""
    minimum = int(
        getattr(settings, "COMMONPURSE", {}).get("DECISION_QUORUM_MIN", DEFAULT_QUORUM_MIN)
    )
    return max(minimum, eligible // 2 + 1)


def current_trustee_ids(neighbourhood: Neighbourhood) -> set[int]:
    return set(
        RoleAssignment.objects.current()
        .filter(neighbourhood=neighbourhood, role__in=TRUSTEE_ROLES)
        .values_list("user_id", flat=True)
    )


def _declared(user_ids: set[int], objects: Iterable) -> set[int]:
    found: set[int] = set()
    for obj in objects:
        if obj is None:
            continue
        found.update(
            ConflictDeclaration.objects.filter(
                user_id__in=user_ids, object_type=obj._meta.label_lower, object_id=str(obj.pk)
            ).values_list("user_id", flat=True)
        )
    return found


def conflicts_for(
    *, trustee_ids: set[int], proposal=None, grant=None, payee_user_ids: Iterable[int] = ()
) -> dict[int, str]:
    """Which trustees are conflicted on the item, and the first reason that applies."""
    if grant is not None and proposal is None:
        proposal = grant.proposal
    reasons: dict[int, str] = {}
    payees = set(payee_user_ids) | (grant.payee_user_ids() if grant is not None else set())
    linked = set(proposal.linked_trustees.values_list("pk", flat=True)) if proposal else set()
    declared = _declared(trustee_ids, [proposal, grant])
    for pk in trustee_ids:
        if proposal is not None and pk == proposal.proposer_id:
            reasons[pk] = R.PROPOSER
        elif pk in payees:
            reasons[pk] = R.PAYEE
        elif pk in declared:
            reasons[pk] = R.DECLARED
        elif pk in linked:
            reasons[pk] = R.LINKED
    return reasons


@transaction.atomic
def meeting_record(
    *,
    actor,
    neighbourhood: Neighbourhood,
    held_on: dt.date,
    attendees: Iterable,
    apologies: Iterable = (),
) -> Meeting:
    """Record that a meeting took place: who attended and who sent apologies."""
    from communities.permissions import can_use_powers

    require(
        can_use_powers(actor, neighbourhood, TRUSTEE_ROLES),
        "Only a trustee can record a meeting of the partnership.",
    )
    attendees, apologies = list(attendees), list(apologies)
    if {u.pk for u in attendees} & {u.pk for u in apologies}:
        raise ApplicationError("Someone cannot both attend and send apologies.")
    if not attendees:
        raise ApplicationError("List who attended the meeting.")
    meeting = Meeting(neighbourhood=neighbourhood, held_on=held_on, convened_by=actor)
    clean(meeting)
    meeting.save()
    meeting.attendees.set(attendees)
    meeting.apologies.set(apologies)
    audit(
        "funds.meeting_recorded",
        actor=actor,
        obj=meeting,
        held_on=held_on,
        attendees=len(attendees),
        apologies=len(apologies),
    )
    return meeting


@transaction.atomic
def decision_record(
    *,
    actor,
    meeting: Meeting,
    fund: Fund,
    subject: str,
    motion: str,
    votes: Mapping,
    amount_pence: int = 0,
    proposal=None,
    grant=None,
    variation: Variation | None = None,
    recovery: Recovery | None = None,
    payee_user_ids: Iterable[int] = (),
) -> Decision:
    """Record the vote on one item. `votes` maps each attending, non-conflicted trustee (user
    or id) to "for", "against" or "abstain". Passes when quorate and for > against."""
    require(
        perms.can_record_decision(actor, fund),
        "Only a trustee of this neighbourhood can record a decision.",
    )
    if meeting.neighbourhood_id != fund.neighbourhood_id:
        raise ApplicationError("The meeting and the fund belong to different neighbourhoods.")
    if not motion.strip():
        raise ApplicationError("Write down the motion the meeting voted on.")
    if subject == Decision.Subject.GRANT and amount_pence <= 0:
        raise ApplicationError("A grant decision must say how much, more than £0.")
    if subject == Decision.Subject.VARIATION and variation is None:
        raise ApplicationError("Say which variation this decision is on.")
    if subject == Decision.Subject.RECOVERY and recovery is None:
        raise ApplicationError("Say which recovery this decision is on.")
    if variation is not None:
        variation = relock(variation)
        grant = variation.grant
        if variation.status != Variation.Status.REQUESTED:
            raise StateError("This variation has already been decided.")
    if recovery is not None:
        recovery = relock(recovery)
        grant = recovery.grant
        amount_pence = recovery.amount_pence
        if recovery.status != Recovery.Status.PROPOSED:
            raise StateError("This recovery has already been decided.")

    # RULINGS: the health rule at every grant decision; a platform admin's exception in force
    # lets it go ahead (named in the audit event).
    exception = ensure_partnership_healthy(fund.neighbourhood, action="decide a grant")

    trustees = current_trustee_ids(fund.neighbourhood)
    conflicts = conflicts_for(
        trustee_ids=trustees, proposal=proposal, grant=grant, payee_user_ids=payee_user_ids
    )
    eligible = trustees - set(conflicts)
    quorum = quorum_for(len(eligible))
    attending = set(meeting.attendees.values_list("pk", flat=True))
    present = attending & eligible
    if len(present) < quorum:
        raise ApplicationError(
            f"The meeting is not quorate for this item: {len(present)} of the "
            f"{len(eligible)} trustees without a conflict attended, and it needs {quorum}. "
            "Nothing was recorded."
        )

    cast: dict[int, str] = {}
    User = get_user_model()
    for who, choice in votes.items():
        pk = who.pk if hasattr(who, "pk") else int(who)
        if pk in conflicts:
            name = User.objects.filter(pk=pk).values_list("display_name", flat=True).first()
            raise ApplicationError(
                f"{name or 'This trustee'} has a conflict of interest on this item "
                f"({R(conflicts[pk]).label.lower()}) and cannot vote on it."
            )
        if pk not in trustees:
            raise ApplicationError("Only trustees vote on decisions.")
        if pk not in attending:
            raise ApplicationError("Only trustees who attended the meeting can vote.")
        if choice not in DecisionVote.Choice.values:
            raise ApplicationError("Each vote is for, against or abstain.")
        cast[pk] = choice
    missing = present - set(cast)
    if missing:
        raise ApplicationError("Record a vote (for, against or abstain) for every trustee present.")

    counts = {c: sum(1 for v in cast.values() if v == c) for c in DecisionVote.Choice.values}
    passed = counts["for"] > counts["against"]
    decision = Decision(
        meeting=meeting,
        fund=fund,
        subject=subject,
        proposal=proposal,
        grant=grant,
        variation=variation,
        recovery=recovery,
        motion=motion.strip(),
        amount_pence=amount_pence,
        outcome=Decision.Outcome.PASSED if passed else Decision.Outcome.REJECTED,
        eligible_count=len(eligible),
        quorum=quorum,
        votes_for=counts["for"],
        votes_against=counts["against"],
        abstentions=counts["abstain"],
        recorded_by=actor,
    )
    clean(decision)
    decision.save()
    DecisionVote.objects.bulk_create(
        DecisionVote(decision=decision, trustee_id=pk, choice=choice) for pk, choice in cast.items()
    )
    DecisionExclusion.objects.bulk_create(
        DecisionExclusion(decision=decision, trustee_id=pk, reason=reason)
        for pk, reason in conflicts.items()
    )
    if variation is not None:
        variation.status = Variation.Status.APPROVED if passed else Variation.Status.REJECTED
        variation.decided_at = decision.decided_at
        variation.save(update_fields=["status", "decided_at"])
    if recovery is not None:
        recovery.status = Recovery.Status.APPROVED if passed else Recovery.Status.CANCELLED
        recovery.save(update_fields=["status"])
    audit(
        "funds.decision_recorded",
        actor=actor,
        obj=decision,
        subject=subject,
        outcome=decision.outcome,
        amount_pence=amount_pence,
        eligible=len(eligible),
        quorum=quorum,
        votes=counts,
        excluded={str(pk): reason for pk, reason in conflicts.items()},
        **({"partnership_exception_id": exception.pk} if exception is not None else {}),
    )
    return decision


def proposal_waiting_for_decision(*, fund: Fund, proposal) -> bool:
    """A proposal residents selected in the fund's neighbourhood that has no grant yet."""
    from proposals.models import Proposal

    from ..models import Grant

    return (
        proposal.neighbourhood_id == fund.neighbourhood_id
        and proposal.status == Proposal.Status.SELECTED
        and not Grant.objects.filter(proposal=proposal).exists()
    )


@transaction.atomic
def grant_decision_record(
    *,
    actor,
    fund: Fund,
    proposal,
    held_on: dt.date,
    attendees: Iterable,
    apologies: Iterable = (),
    motion: str,
    votes: Mapping,
    amount_pence: int,
    title: str,
    recipient_organisation=None,
    recipient_user=None,
    conditions: str = "",
    payment_mode: str,
    tranche_amounts: Iterable[int] = (),
) -> Decision:
    """A meeting's decision on a selected proposal and, when it passes, the grant: one
    transaction, so a refusal of any part (no quorum, not enough money, a conflicted
    recorder) stores nothing. Conflicted trustees are excluded from the vote and the quorum
    (decision_record says who and why); a conflicted trustee cannot record it either."""
    from ..models import Grant
    from .grants import TrancheSpec, grant_approve, tranche_precondition

    if not proposal_waiting_for_decision(fund=fund, proposal=proposal):
        raise StateError("This proposal is not waiting for a decision.")
    conflicts = conflicts_for(
        trustee_ids=current_trustee_ids(fund.neighbourhood),
        proposal=proposal,
        payee_user_ids=[proposal.proposer_id],
    )
    if getattr(actor, "pk", None) in conflicts:
        raise ForbiddenError(
            "You have a conflict of interest on this proposal, so another trustee must record "
            "the decision."
        )
    meeting = meeting_record(
        actor=actor,
        neighbourhood=fund.neighbourhood,
        held_on=held_on,
        attendees=attendees,
        apologies=apologies,
    )
    decision = decision_record(
        actor=actor,
        meeting=meeting,
        fund=fund,
        subject=Decision.Subject.GRANT,
        motion=motion,
        votes=votes,
        amount_pence=amount_pence,
        proposal=proposal,
        payee_user_ids=[proposal.proposer_id],
    )
    if decision.passed:
        tranches = [
            TrancheSpec(amount_pence=amount, precondition=tranche_precondition(n))
            for n, amount in enumerate(tranche_amounts, start=1)
        ]
        grant_approve(
            actor=actor,
            decision=decision,
            title=title,
            recipient_organisation=recipient_organisation,
            recipient_user=recipient_user,
            contacts=[proposal.proposer],
            conditions=conditions,
            payment_mode=payment_mode,
            tranches=tranches if payment_mode == Grant.PaymentMode.ADVANCE else [],
        )
    return decision
