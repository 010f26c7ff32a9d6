"""The partnership health rule at every decision, and platform admins' recorded exceptions.

A neighbourhood's partnership must have at least its minimum number of trustees (8 by
default), of whom at least its minimum share (51% by default) live there (RULINGS). The
rule is checked when the neighbourhood becomes active and again at every decision that
acts for the residents: each certification of a vote, each grant decision. When it fails,
the decision is refused with a message naming what is missing, unless a platform admin has
recorded an exception, with a reason, that is still in force.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import Neighbourhood, PartnershipException
from ..selectors import partnership_exception_current, partnership_health

# An exception is a stop-gap while the partnership recruits, not a new rule.
MAX_EXCEPTION_DAYS = 90


class PartnershipUnhealthyError(StateError):
    """A decision was refused because the partnership is below the health rule."""


def ensure_partnership_healthy(
    neighbourhood: Neighbourhood, *, action: str = "decide this"
) -> PartnershipException | None:
    """Raise PartnershipUnhealthyError unless the partnership meets the health rule now.

    Returns None when healthy, or the platform admin's exception in force when it is not
    (the caller names it in its audit event). `action` completes "You cannot ... ": for
    example "certify a vote" or "decide a grant".
    """
    health = partnership_health(neighbourhood)
    if health.healthy:
        return None
    exception = partnership_exception_current(neighbourhood)
    if exception is not None:
        return exception
    raise PartnershipUnhealthyError(
        f"You cannot {action} while the partnership of {neighbourhood.name} is below the "
        f"minimum: {'; '.join(health.problems)}. Appoint trustees (residents first), or ask "
        "a platform admin to record an exception.",
        extra={"health": health.as_dict(), "problems": health.problems},
    )


@transaction.atomic
def partnership_exception_record(
    *, actor, neighbourhood: Neighbourhood, reason: str, days: int = 30
) -> PartnershipException:
    """A platform admin (with two-factor) lets decisions go ahead for `days` days although
    the partnership is below the rule, saying why. Audited, with the health at the time."""
    neighbourhood = Neighbourhood.objects.select_for_update().get(pk=neighbourhood.pk)
    perms.ensure_admin_mfa(actor)
    if not perms.can_record_partnership_exception(actor, neighbourhood):
        raise ForbiddenError("Only a platform admin can record an exception to the rule.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the exception is needed.", extra={"field": "reason"})
    if not 1 <= int(days) <= MAX_EXCEPTION_DAYS:
        raise ApplicationError(
            f"An exception lasts between 1 and {MAX_EXCEPTION_DAYS} days.",
            extra={"field": "days"},
        )
    health = partnership_health(neighbourhood)
    if health.healthy:
        raise StateError("The partnership meets the rule: no exception is needed.")
    now = timezone.now()
    exception = PartnershipException(
        neighbourhood=neighbourhood,
        reason=reason[:2000],
        recorded_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=int(days)),
        health=health.as_dict(),
    )
    exception.full_clean()
    exception.save()
    audit_record(
        action="communities.partnership_exception_recorded",
        actor=actor,
        actor_role="platform_admin",
        obj=exception,
        changes={
            "neighbourhood": neighbourhood.slug,
            "reason": exception.reason,
            "expires_at": exception.expires_at,
            "health": health.as_dict(),
            "problems": health.problems,
        },
    )
    return exception


@transaction.atomic
def partnership_exception_withdraw(
    *, actor, exception: PartnershipException
) -> PartnershipException:
    """A platform admin ends an exception early (the partnership recovered, or it was wrong)."""
    exception = (
        PartnershipException.objects.select_for_update(of=("self",))
        .select_related("neighbourhood")
        .get(pk=exception.pk)
    )
    perms.ensure_admin_mfa(actor)
    if not perms.can_record_partnership_exception(actor, exception.neighbourhood):
        raise ForbiddenError("Only a platform admin can withdraw an exception to the rule.")
    if not exception.is_current():
        raise StateError("That exception is no longer in force.")
    exception.withdrawn_at = timezone.now()
    exception.withdrawn_by = actor
    exception.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        action="communities.partnership_exception_withdrawn",
        actor=actor,
        actor_role="platform_admin",
        obj=exception,
    )
    return exception
