"""Join a neighbourhood and prove the connection: postcode, access code or attestation.

pending -> verified -> expired | left; pending -> rejected | left. Someone who left, expired
or was refused may ask again: the same row goes back to pending (one row per person and
neighbourhood). The raw postcode is kept only while the request is pending.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, neighbourhood_stream
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..identity import identity_key
from ..models import (
    AccessCode,
    AgeBand,
    Connection,
    Membership,
    Neighbourhood,
    Postcode,
    VerificationMethod,
)
from ._common import clean
from .access_codes import normalise_access_code
from .neighbourhoods import neighbourhood_activate_if_ready
from .postcodes import normalise_postcode

Status = Membership.Status

TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {Status.VERIFIED, Status.REJECTED, Status.LEFT},
    Status.VERIFIED: {Status.VERIFIED, Status.EXPIRED, Status.LEFT},  # renew keeps it verified
    Status.EXPIRED: {Status.PENDING},
    Status.LEFT: {Status.PENDING},
    Status.REJECTED: {Status.PENDING},
}


def _locked(membership: Membership) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("neighbourhood", "user")
        .get(pk=membership.pk)
    )


def _expire_if_due(membership: Membership) -> None:
    """A verified membership past expires_at is expired, whether or not the nightly sweep
    (memberships_expire) has run yet: record it now, as the sweep would."""
    if membership.status == Status.VERIFIED and not membership.is_active:
        membership.status = Status.EXPIRED
        membership.save(update_fields=["status"])
        audit_record(
            action="communities.membership_expired",
            object_type="communities.membership",
            object_id=membership.pk,
            stream=neighbourhood_stream(membership.neighbourhood_id),
        )


def _ensure_transition(membership: Membership, target: str) -> None:
    if target not in TRANSITIONS[membership.status]:
        raise StateError(
            f"This membership is {membership.get_status_display().lower()}, "
            f"so it cannot become {Status(target).label.lower()}."
        )


def _forget_cached(user) -> None:
    """Drop the per-request caches that permissions keep on the user object."""
    for key in ("_cp_memberships", "_cp_roles"):
        user.__dict__.pop(key, None)


def _mark_verified(
    membership: Membership, *, method: str, evidence: dict, unit_code: str = "", verified_by=None
) -> None:
    now = timezone.now()
    membership.status = Status.VERIFIED
    membership.verification_method = method
    membership.verification_evidence = evidence
    membership.verified_by = verified_by
    membership.verified_at = now
    membership.expires_at = now + timedelta(days=membership.neighbourhood.membership_valid_days)
    if unit_code:
        membership.unit_code = unit_code
    # Keep only the derived unit: the raw postcode is no longer needed.
    membership.postcode = ""
    clean(membership)
    membership.save()
    _forget_cached(membership.user)


@transaction.atomic
def membership_request(
    *,
    actor,
    neighbourhood: Neighbourhood,
    connection: str,
    age_band: str,
    postcode: str,
    private_name: str = "",
    private_house: str = "",
    private_postcode: str = "",
) -> Membership:
    """Ask to join, stating connection, age band and postcode; it waits for verification.

    The private name and address (kept for trustees and the paper desk, never public) are
    given here too; an empty home postcode means the postcode given for the connection.
    """
    neighbourhood = Neighbourhood.objects.select_for_update().get(pk=neighbourhood.pk)
    if not perms.can_join_neighbourhood(actor, neighbourhood):
        if not perms.is_verified(actor):
            raise ForbiddenError("Confirm your email address before joining a neighbourhood.")
        if neighbourhood.status not in perms.JOINABLE_STATUSES:
            raise StateError(f"{neighbourhood.name} is not taking members yet.")
        raise StateError(f"You have already asked to join {neighbourhood.name}.")
    if connection not in Connection.values:
        raise ApplicationError("Choose how you are connected to the neighbourhood.")
    if age_band not in AgeBand.values:
        raise ApplicationError("Choose your age band.")
    normalised = normalise_postcode(postcode)
    membership = Membership.objects.filter(user=actor, neighbourhood=neighbourhood).first()
    if membership is None:
        membership = Membership(user=actor, neighbourhood=neighbourhood)
    else:
        membership = _locked(membership)
        _expire_if_due(membership)
        _ensure_transition(membership, Status.PENDING)
    membership.status = Status.PENDING
    membership.connection = connection
    membership.age_band = age_band
    membership.postcode = normalised
    membership.unit_code = ""
    membership.verification_method = ""
    membership.verification_evidence = {}
    membership.verified_by = None
    membership.verified_at = membership.expires_at = membership.left_at = None
    membership.rejected_at = None
    membership.rejection_reason = ""
    membership.created_at = timezone.now()
    if private_name or private_house:
        _set_private(membership, private_name, private_house, private_postcode or postcode)
    clean(membership)
    membership.save()
    audit_record(
        action="communities.membership_requested",
        actor=actor,
        obj=membership,
        changes={"neighbourhood": neighbourhood.slug, "connection": connection},
    )
    return membership


@transaction.atomic
def membership_postcode_correct(*, actor, membership: Membership, postcode: str) -> Membership:
    """The member corrects the postcode of their own pending request (a typing slip), without
    withdrawing and asking again. Audited with the postcode district only: the full postcode
    is personal data the trail does not need."""
    membership = _locked(membership)
    if not perms.can_verify_own_membership(actor, membership):
        raise ForbiddenError("You can only correct the postcode on your own request to join.")
    normalised = normalise_postcode(postcode)
    if normalised == membership.postcode:
        raise ApplicationError(
            "That is the postcode you gave already. Check it, or choose another way to show "
            "you belong here.",
            extra={"field": "postcode"},
        )
    before = membership.postcode
    membership.postcode = normalised
    membership.save(update_fields=["postcode"])
    audit_record(
        action="communities.membership_postcode_corrected",
        actor=actor,
        obj=membership,
        changes={"postcode_district": [before[:-3], normalised[:-3]]},
    )
    return membership


@transaction.atomic
def membership_verify_postcode(*, actor, membership: Membership) -> Membership:
    """Verified if the postcode given lies in one of the area's units (any vintage)."""
    membership = _locked(membership)
    if not perms.can_verify_own_membership(actor, membership):
        raise ForbiddenError("You can only check the postcode on your own request to join.")
    _ensure_transition(membership, Status.VERIFIED)
    neighbourhood = membership.neighbourhood
    lookup = Postcode.objects.filter(postcode=membership.postcode).first()
    if lookup is None:
        raise ApplicationError(
            "We could not find your postcode in our list. Use an access code from a letter, "
            "or ask a trustee to confirm you in person."
        )
    area_codes = set(neighbourhood.units.values_list("code", flat=True))
    matched = sorted(lookup.unit_codes() & area_codes)
    if not matched:
        raise ApplicationError(
            f"Your postcode is not inside {neighbourhood.name}'s area. If you work, study or "
            "volunteer there, use an access code or ask a trustee to confirm you in person."
        )
    _mark_verified(
        membership,
        method=VerificationMethod.POSTCODE,
        evidence={"unit_code": matched[0], "postcode_district": membership.postcode[:-3]},
        unit_code=matched[0],
    )
    audit_record(
        action="communities.membership_verified",
        actor=actor,
        obj=membership,
        changes={"method": VerificationMethod.POSTCODE, "unit_code": matched[0]},
    )
    neighbourhood_activate_if_ready(neighbourhood=neighbourhood, actor=actor)
    return membership


@transaction.atomic
def membership_verify_access_code(*, actor, membership: Membership, code: str) -> Membership:
    """Verified by a one-time code of this neighbourhood: each code works once, until expiry.

    The code is claimed by a conditional UPDATE (used_at IS NULL), so two people typing the
    same code at once cannot both succeed.
    """
    membership = _locked(membership)
    if not perms.can_verify_own_membership(actor, membership):
        raise ForbiddenError("You can only use an access code on your own request to join.")
    _ensure_transition(membership, Status.VERIFIED)
    value = normalise_access_code(code)
    access = (
        AccessCode.objects.select_related("batch")
        .filter(code=value, batch__neighbourhood=membership.neighbourhood)
        .first()
    )
    if access is None:
        raise ApplicationError(
            "That access code is not right for this neighbourhood. Check it and try again.",
            extra={"field": "code"},
        )
    now = timezone.now()
    if access.batch.expires_at <= now:
        raise ApplicationError(
            "That access code has expired. Ask a trustee for a new one.", extra={"field": "code"}
        )
    claimed = AccessCode.objects.filter(pk=access.pk, used_at__isnull=True).update(
        used_at=now, used_by=actor
    )
    if claimed != 1:
        raise ApplicationError(
            "That access code has already been used. Each code works once.",
            extra={"field": "code"},
        )
    _mark_verified(
        membership,
        method=VerificationMethod.ACCESS_CODE,
        evidence={"access_code_id": access.pk, "batch_id": access.batch_id},
    )
    audit_record(
        action="communities.membership_verified",
        actor=actor,
        obj=membership,
        changes={"method": VerificationMethod.ACCESS_CODE, "access_code_id": access.pk},
    )
    neighbourhood_activate_if_ready(neighbourhood=membership.neighbourhood, actor=actor)
    return membership


@transaction.atomic
def membership_attest(*, actor, membership: Membership, note: str = "") -> Membership:
    """A trustee confirms in person that someone lives, works, studies or volunteers there.

    Never for themselves: verification needs a second person.
    """
    membership = _locked(membership)
    if membership.user_id == getattr(actor, "pk", None):
        raise ForbiddenError("Nobody can confirm their own membership. Ask another trustee.")
    perms.ensure_powers(
        actor, membership.neighbourhood, perms.TRUSTEE_ROLES, action="confirm members"
    )
    _ensure_transition(membership, Status.VERIFIED)
    if not perms.can_attest_membership(actor, membership):
        raise ForbiddenError("You cannot confirm this membership.")
    unit_code = ""
    if membership.postcode:
        lookup = Postcode.objects.filter(postcode=membership.postcode).first()
        area = set(membership.neighbourhood.units.values_list("code", flat=True))
        if lookup and (lookup.unit_codes() & area):
            unit_code = sorted(lookup.unit_codes() & area)[0]
    _mark_verified(
        membership,
        method=VerificationMethod.ATTESTATION,
        evidence={"attested_by": actor.pk, "note": note.strip()[:500]},
        unit_code=unit_code,
        verified_by=actor,
    )
    audit_record(
        action="communities.membership_verified",
        actor=actor,
        actor_role="trustee",
        obj=membership,
        changes={"method": VerificationMethod.ATTESTATION},
    )
    neighbourhood_activate_if_ready(neighbourhood=membership.neighbourhood, actor=actor)
    return membership


@transaction.atomic
def membership_reject(*, actor, membership: Membership, reason: str) -> Membership:
    """A trustee refuses a pending request, saying why; the postcode is forgotten."""
    membership = _locked(membership)
    perms.ensure_powers(
        actor, membership.neighbourhood, perms.TRUSTEE_ROLES, action="refuse members"
    )
    _ensure_transition(membership, Status.REJECTED)
    if not perms.can_reject_membership(actor, membership):
        raise ForbiddenError("You cannot refuse your own request.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the request is refused.", extra={"field": "reason"})
    membership.status = Status.REJECTED
    membership.rejected_at = timezone.now()
    membership.rejection_reason = reason
    membership.postcode = ""
    membership.save(update_fields=["status", "rejected_at", "rejection_reason", "postcode"])
    audit_record(
        action="communities.membership_rejected",
        actor=actor,
        actor_role="trustee",
        obj=membership,
        changes={"reason": reason},
    )
    return membership


@transaction.atomic
def membership_renew(*, actor, membership: Membership) -> Membership:
    """A member renews before expiry: a new full period from today. Once expired, they
    join again with fresh proof."""
    membership = _locked(membership)
    if not perms.can_renew_membership(actor, membership):
        raise ForbiddenError("You can only renew your own membership before it runs out.")
    now = timezone.now()
    membership.expires_at = now + timedelta(days=membership.neighbourhood.membership_valid_days)
    membership.renewed_at = now
    membership.save(update_fields=["expires_at", "renewed_at"])
    _forget_cached(membership.user)
    audit_record(
        action="communities.membership_renewed",
        actor=actor,
        obj=membership,
        changes={"expires_at": membership.expires_at},
    )
    return membership


@transaction.atomic
def membership_leave(*, actor, membership: Membership) -> Membership:
    """A member leaves (or withdraws a request). Any roles they hold are unaffected: staff
    roles do not need membership, and a trustee who leaves should also be stood down."""
    membership = _locked(membership)
    if not perms.can_leave_membership(actor, membership):
        raise ForbiddenError("You can only leave a neighbourhood you belong to.")
    _ensure_transition(membership, Status.LEFT)
    previous = membership.status
    membership.status = Status.LEFT
    membership.left_at = timezone.now()
    membership.postcode = ""
    membership.save(update_fields=["status", "left_at", "postcode"])
    _forget_cached(membership.user)
    audit_record(
        action="communities.membership_left",
        actor=actor,
        obj=membership,
        changes={"from": previous},
    )
    return membership


@transaction.atomic
def memberships_expire(*, at=None) -> int:
    """Mark verified memberships past their expiry as expired; a re-run is a no-op.

    (Expired ones already stop counting at expires_at: `Membership.objects.active()`.)
    """
    at = at or timezone.now()
    due = list(
        Membership.objects.select_for_update()
        .filter(status=Status.VERIFIED, expires_at__lte=at)
        .values_list("pk", "neighbourhood_id")
    )
    for pk, neighbourhood_id in due:
        Membership.objects.filter(pk=pk).update(status=Status.EXPIRED)
        audit_record(
            action="communities.membership_expired",
            object_type="communities.membership",
            object_id=pk,
            stream=neighbourhood_stream(neighbourhood_id),
        )
    return len(due)


def _set_private(membership: Membership, name: str, house: str, postcode: str) -> None:
    name, house = " ".join((name or "").split()), " ".join((house or "").split())
    if not name or not house or not (postcode or "").strip():
        raise ApplicationError(
            "Enter your full name, your house number or name, and your home postcode."
        )
    membership.private_name = name[:200]
    membership.private_house = house[:100]
    membership.private_postcode = normalise_postcode(postcode)
    membership.identity_key = identity_key(
        name=membership.private_name,
        house=membership.private_house,
        postcode=membership.private_postcode,
    )


@transaction.atomic
def membership_private_update(
    *, actor, membership: Membership, private_name: str, private_house: str, private_postcode: str
) -> Membership:
    """The member corrects their private name and address (trustees see it, nobody else)."""
    membership = _locked(membership)
    if membership.user_id != getattr(actor, "pk", None):
        raise ForbiddenError("Only the member can change their private name and address.")
    _set_private(membership, private_name, private_house, private_postcode)
    clean(membership)
    membership.save(
        update_fields=["private_name", "private_house", "private_postcode", "identity_key"]
    )
    # The audit trail is public to trustees: say that it changed, not what it says.
    audit_record(
        action="communities.membership_private_updated",
        actor=actor,
        obj=membership,
        changes={"fields": ["private_name", "private_house", "private_postcode"]},
    )
    return membership
