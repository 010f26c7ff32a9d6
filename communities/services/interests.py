"""The register of interests, and conflicts declared on one item."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import ConflictDeclaration, Interest, Neighbourhood
from ._common import clean


@transaction.atomic
def interest_declare(
    *, actor, neighbourhood: Neighbourhood, organisation: str, nature: str, since: date
) -> Interest:
    """Trustees, chairs and finance officers record an interest (organisation, nature, since)."""
    perms.ensure_powers(actor, neighbourhood, perms.INTEREST_ROLES, action="declare interests")
    if since > timezone.localdate():
        raise ApplicationError("The start date cannot be in the future.", extra={"field": "since"})
    interest = Interest(
        user=actor,
        neighbourhood=neighbourhood,
        organisation=(organisation or "").strip(),
        nature=(nature or "").strip(),
        since=since,
    )
    clean(interest)
    interest.save()
    audit_record(
        action="communities.interest_declared",
        actor=actor,
        obj=interest,
        changes={"organisation": interest.organisation, "nature": interest.nature},
    )
    return interest


@transaction.atomic
def interest_end(*, actor, interest: Interest, ended_on: date | None = None) -> Interest:
    """The declarer marks their interest as ended; the entry stays in the register."""
    interest = Interest.objects.select_for_update().get(pk=interest.pk)
    if interest.user_id != getattr(actor, "pk", None):
        raise ForbiddenError("You can only end your own entries in the register.")
    if interest.ended_on is not None:
        raise StateError("That interest has already ended.")
    ended_on = ended_on or timezone.localdate()
    if ended_on < interest.since:
        raise ApplicationError("It cannot end before it started.", extra={"field": "ended_on"})
    interest.ended_on = ended_on
    interest.save(update_fields=["ended_on"])
    audit_record(
        action="communities.interest_ended",
        actor=actor,
        obj=interest,
        changes={"ended_on": ended_on},
    )
    return interest


@transaction.atomic
def conflict_declare(
    *, actor, neighbourhood: Neighbourhood, obj: Model, reason: str
) -> ConflictDeclaration:
    """Someone with a decision role declares a conflict on one item (a proposal, a grant...);
    from then on `has_conflict(actor, obj)` is true and they take no part in it."""
    perms.ensure_powers(actor, neighbourhood, perms.INTEREST_ROLES, action="declare a conflict")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say what the conflict is.", extra={"field": "reason"})
    declaration = ConflictDeclaration(
        user=actor,
        neighbourhood=neighbourhood,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        reason=reason,
    )
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError:
        raise StateError("You have already declared a conflict on this.") from None
    audit_record(
        action="communities.conflict_declared",
        actor=actor,
        obj=declaration,
        changes={"object_type": declaration.object_type, "object_id": declaration.object_id},
    )
    return declaration
