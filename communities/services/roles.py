"""Appoint and stand down role holders: trustees, chair, finance officers, funder auditors."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.permissions import is_verified
from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import Connection, Membership, Neighbourhood, Role, RoleAssignment, VerificationMethod
from ..selectors import PartnershipHealth, partnership_health, qualifying_membership
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
    for key in ("_cp_roles", "_cp_memberships"):
        user.__dict__.pop(key, None)


def _confirm_in_person(actor, membership: Membership, *, note: str, at_appointment: bool) -> None:
    """Record that a trustee (not the member) confirmed this active membership in person: it
    becomes an attestation by them, audited like any other."""
    earlier = membership.verification_method
    membership.verification_method = VerificationMethod.ATTESTATION
    membership.verified_by = actor
    membership.verification_evidence = {
        "attested_by": actor.pk,
        "note": note.strip()[:500],
        "earlier_method": earlier,
    }
    membership.save(update_fields=["verification_method", "verified_by", "verification_evidence"])
    _forget_cached(membership.user)
    audit_record(
        action="communities.membership_verified",
        actor=actor,
        actor_role="trustee",
        obj=membership,
        changes={
            "method": VerificationMethod.ATTESTATION,
            "earlier_method": earlier,
            "at_appointment": at_appointment,
        },
    )


def _attest_at_appointment(actor, neighbourhood: Neighbourhood, user) -> Membership:
    """The appointing trustee confirms in person a member who joined by postcode alone."""
    if not perms.can_use_powers(actor, neighbourhood, perms.TRUSTEE_ROLES):
        # A form error, not a refusal of the page: the appointer may untick the box.
        raise ApplicationError(
            "Only a trustee who has met them can confirm someone in person. Ask a trustee to "
            "confirm them, or have them join with an access code letter.",
            extra={"field": "attest"},
        )
    membership = (
        Membership.objects.active()
        .select_for_update(of=("self",))
        .filter(user=user, neighbourhood=neighbourhood)
        .first()
    )
    if membership is None:
        raise ApplicationError(
            f"{user.public_name} is not a member of {neighbourhood.name} yet. They ask to join "
            "first; then confirm them on the members page.",
            extra={"field": "attest"},
        )
    _confirm_in_person(
        actor,
        membership,
        note="Confirmed in person when appointed to the partnership.",
        at_appointment=True,
    )
    return membership


@transaction.atomic
def membership_confirm_in_person(*, actor, membership: Membership, note: str = "") -> Membership:
    """A trustee confirms in person a member who joined by typing a postcode (a trustee among
    them, for example the registrant who became the first chair): from then on they count as
    a confirmed member for the partnership. Never for themselves."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("neighbourhood", "user")
        .get(pk=membership.pk)
    )
    if membership.user_id == getattr(actor, "pk", None):
        raise ForbiddenError("Nobody can confirm their own membership. Ask another trustee.")
    perms.ensure_powers(
        actor, membership.neighbourhood, perms.TRUSTEE_ROLES, action="confirm members"
    )
    if not membership.is_active:
        raise StateError("Only a current member can be confirmed in person.")
    if qualifying_membership(membership.user, membership.neighbourhood) is not None:
        raise StateError(f"{membership.user.public_name} is already a confirmed member.")
    _confirm_in_person(actor, membership, note=note or "Confirmed in person.", at_appointment=False)
    return membership


def _check_partnership_seat(
    actor, neighbourhood: Neighbourhood, user, *, non_resident_reason: str, attest: bool
) -> bool:
    """Trustees are people of the neighbourhood: a member confirmed by more than a typed
    postcode (an access code letter, or a trustee in person), or a declared non-resident with
    the reason. Someone who will not count as a resident is refused when they would take the
    resident share below the rule. Returns whether the seat is a declared non-resident one."""
    membership = qualifying_membership(user, neighbourhood)
    if membership is None and attest:
        membership = _attest_at_appointment(actor, neighbourhood, user)
    name = user.public_name
    if membership is None and not non_resident_reason:
        joined = Membership.objects.active().filter(user=user, neighbourhood=neighbourhood)
        if joined.exists():
            raise ApplicationError(
                f"{name} joined by typing a postcode, which anyone can do. A trustee must be a "
                "member confirmed in person or with an access code letter: a trustee who has "
                "met them ticks the box to confirm them now (or uses the members page); "
                "otherwise appoint them as a non-resident and say why.",
                extra={"field": "attest"},
            )
        raise ApplicationError(
            f"{name} is not a verified member of {neighbourhood.name}. Trustees are members "
            "confirmed in person or with an access code letter; anyone else sits only as a "
            "non-resident, with the reason given.",
            extra={"field": "non_resident_reason"},
        )
    resident = membership is not None and membership.connection == Connection.LIVES
    if resident and non_resident_reason:
        raise ApplicationError(
            f"{name} is a confirmed resident of {neighbourhood.name}: appoint them as a "
            "resident, without a non-resident reason.",
            extra={"field": "non_resident_reason"},
        )
    if not resident:
        now = partnership_health(neighbourhood)
        after = PartnershipHealth(
            members=now.members + 1,
            residents=now.residents,
            min_members=now.min_members,
            min_resident_share=now.min_resident_share,
        )
        if not after.enough_residents:
            raise StateError(
                f"{name} does not live in {neighbourhood.name} (as far as the register "
                f"shows), and appointing them would leave residents at {after.residents} of "
                f"{after.members} trustees, below the {after.min_resident_share}% the rules "
                "need. Appoint resident trustees first.",
                extra={"field": "non_resident_reason"},
            )
    return membership is None


@transaction.atomic
def role_appoint(
    *,
    actor,
    neighbourhood: Neighbourhood,
    user,
    role: str,
    organisation: str = "",
    non_resident_reason: str = "",
    attest: bool = False,
) -> RoleAssignment:
    """The chair or a platform admin appoints someone (a verified account) to a role.

    A new chair replaces the old one and is a trustee too. Staff roles name their
    organisation (the funder, or the fund-holding organisation). A trustee or chair must be
    a member confirmed by more than a typed postcode, or a declared non-resident (with
    `non_resident_reason`) within the resident majority rule; `attest=True` records that the
    appointing trustee has confirmed a postcode-only member in person (`_check_partnership_seat`).
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
    non_resident_reason = (non_resident_reason or "").strip()[:300]
    non_resident = False
    if role in perms.TRUSTEE_ROLES:
        already_trustee = (
            RoleAssignment.objects.current()
            .filter(user=user, neighbourhood=neighbourhood, role=Role.TRUSTEE)
            .first()
        )
        if already_trustee is not None:
            # A trustee made chair keeps the seat they were appointed to.
            non_resident = already_trustee.non_resident
            non_resident_reason = already_trustee.non_resident_reason
        else:
            non_resident = _check_partnership_seat(
                actor,
                neighbourhood,
                user,
                non_resident_reason=non_resident_reason,
                attest=attest,
            )
    elif non_resident_reason or attest:
        raise ApplicationError(
            "Only trustees and the chair sit as residents or non-residents.",
            extra={"field": "role"},
        )
    if not non_resident:
        non_resident_reason = ""
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
            role_appoint(
                actor=actor,
                neighbourhood=neighbourhood,
                user=user,
                role=Role.TRUSTEE,
                non_resident_reason=non_resident_reason,
            )
    assignment = RoleAssignment(
        user=user,
        neighbourhood=neighbourhood,
        role=role,
        organisation=organisation,
        appointed_by=actor,
        started_at=now,
        non_resident=non_resident,
        non_resident_reason=non_resident_reason,
    )
    clean(assignment)
    assignment.save()
    _forget_cached(user)
    audit_record(
        action="communities.role_appointed",
        actor=actor,
        actor_role=_actor_role(actor, neighbourhood),
        obj=assignment,
        changes={
            "role": role,
            "user_id": user.pk,
            "organisation": organisation,
            "non_resident": non_resident,
            "non_resident_reason": non_resident_reason,
        },
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
