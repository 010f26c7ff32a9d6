"""Appoint and stand down role holders: trustees, chair, finance officers, funder auditors."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.permissions import is_verified
from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import Neighbourhood, Role, RoleAssignment
from ._common import clean
from .neighbourhoods import neighbourhood_activate_if_ready

STAFF_ROLES = (Role.FINANCE_OFFICER, Role.FUNDER_AUDITOR)
# A finance officer or funder auditor checks the trustees' decisions, so nobody holds a
# staff role and a trustee role in the same neighbourhood.
INCOMPATIBLE = {
    **dict.fromkeys(STAFF_ROLES, perms.TRUSTEE_ROLES),
    **dict.fromkeys(perms.TRUSTEE_ROLES, STAFF_ROLES),
}


def _actor_role(actor, neighbourhood: Neighbourhood) -> str:
    return "platform_admin" if perms.is_platform_admin(actor) else "chair"


def _check_appointer(actor, neighbourhood: Neighbourhood, role: str) -> None:
    perms.ensure_admin_mfa(actor)
    if role == Role.CHAIR:
        if not perms.can_appoint_chair(actor, neighbourhood):
            raise ForbiddenError("Only a platform admin can appoint a chair.")
        return
    if perms.is_platform_admin(actor):
        if not perms.can_appoint_roles(actor, neighbourhood):
            raise StateError(f"{neighbourhood.name} is not verified yet.")
        return
    perms.ensure_powers(actor, neighbourhood, Role.CHAIR, action="appoint role holders")
    if not perms.can_appoint_roles(actor, neighbourhood):
        raise StateError(f"{neighbourhood.name} is not verified yet.")


def _forget_cached(user) -> None:
    for key in ("_cp_roles",):
        user.__dict__.pop(key, None)


@transaction.atomic
def role_appoint(
    *, actor, neighbourhood: Neighbourhood, user, role: str, organisation: str = ""
) -> RoleAssignment:
    """The chair or a platform admin appoints someone (a verified account) to a role.

    A new chair replaces the old one and is a trustee too. Staff roles name their
    organisation (the funder, or the fund-holding organisation).
    """
    neighbourhood = Neighbourhood.objects.select_for_update().get(pk=neighbourhood.pk)
    if role not in Role.values:
        raise ApplicationError("Choose a role.", extra={"field": "role"})
    _check_appointer(actor, neighbourhood, role)
    if user.pk == actor.pk:
        raise ApplicationError(
            "You cannot appoint yourself: ask another platform admin or the chair.",
            extra={"field": "email"},
        )
    if not is_verified(user):
        raise ApplicationError(
            "That person has not confirmed their email address yet.", extra={"field": "email"}
        )
    organisation = (organisation or "").strip()
    if role in STAFF_ROLES and not organisation:
        raise ApplicationError(
            "Name the organisation this person works for.", extra={"field": "organisation"}
        )
    if (
        RoleAssignment.objects.current()
        .filter(user=user, neighbourhood=neighbourhood, role=role)
        .exists()
    ):
        raise StateError(f"{user.public_name} is already {Role(role).label.lower()} here.")
    clash = (
        RoleAssignment.objects.current()
        .filter(user=user, neighbourhood=neighbourhood, role__in=INCOMPATIBLE[role])
        .first()
        if role in INCOMPATIBLE
        else None
    )
    if clash is not None:
        raise StateError(
            f"{user.public_name} is {Role(clash.role).label.lower()} here, so cannot also be "
            f"{Role(role).label.lower()}: a finance officer or funder auditor cannot be a "
            "trustee or the chair in the same neighbourhood.",
            extra={"field": "role"},
        )
    now = timezone.now()
    if role == Role.CHAIR:
        for old in RoleAssignment.objects.current().filter(
            neighbourhood=neighbourhood, role=Role.CHAIR
        ):
            old.ended_at = now
            old.save(update_fields=["ended_at"])
            audit_record(
                action="communities.role_ended",
                actor=actor,
                actor_role=_actor_role(actor, neighbourhood),
                obj=old,
                changes={"role": old.role, "user_id": old.user_id, "replaced": True},
            )
        if (
            not RoleAssignment.objects.current()
            .filter(user=user, neighbourhood=neighbourhood, role=Role.TRUSTEE)
            .exists()
        ):
            role_appoint(actor=actor, neighbourhood=neighbourhood, user=user, role=Role.TRUSTEE)
    assignment = RoleAssignment(
        user=user,
        neighbourhood=neighbourhood,
        role=role,
        organisation=organisation,
        appointed_by=actor,
        started_at=now,
    )
    clean(assignment)
    assignment.save()
    _forget_cached(user)
    audit_record(
        action="communities.role_appointed",
        actor=actor,
        actor_role=_actor_role(actor, neighbourhood),
        obj=assignment,
        changes={"role": role, "user_id": user.pk, "organisation": organisation},
    )
    neighbourhood_activate_if_ready(neighbourhood=neighbourhood, actor=actor)
    return assignment


@transaction.atomic
def role_end(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    """The chair or a platform admin stands someone down (a chair only by a platform admin).

    A chair cannot stand themselves down as trustee while still chair.
    """
    assignment = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("neighbourhood", "user")
        .get(pk=assignment.pk)
    )
    if assignment.ended_at is not None:
        raise StateError("That role has already ended.")
    _check_appointer(actor, assignment.neighbourhood, assignment.role)
    if (
        assignment.role == Role.TRUSTEE
        and RoleAssignment.objects.current()
        .filter(user=assignment.user, neighbourhood=assignment.neighbourhood, role=Role.CHAIR)
        .exists()
    ):
        raise StateError("The chair must stay a trustee. Appoint a new chair first.")
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    _forget_cached(assignment.user)
    audit_record(
        action="communities.role_ended",
        actor=actor,
        actor_role=_actor_role(actor, assignment.neighbourhood),
        obj=assignment,
        changes={"role": assignment.role, "user_id": assignment.user_id},
    )
    return assignment
