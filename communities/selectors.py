"""Reads of the communities app: lists for pages, the partnership health check."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from config.errors import NotFoundError

from .models import (
    AccessCode,
    AccessCodeBatch,
    Connection,
    Interest,
    Membership,
    Neighbourhood,
    PartnershipException,
    Postcode,
    Role,
    RoleAssignment,
    VerificationMethod,
)
from .permissions import TRUSTEE_ROLES
from .services.postcodes import postcode_or_none

# Ways of verifying a membership that a person cannot do alone from home: a letter's access
# code (it reaches the address) and a trustee's in-person attestation. A typed postcode is not
# one of them: anyone can type a postcode, so it does not make a trustee a resident.
QUALIFYING_METHODS = (VerificationMethod.ACCESS_CODE, VerificationMethod.ATTESTATION)


@dataclass(frozen=True)
class PartnershipHealth:
    """The partnership (trustees and chair) against the neighbourhood's configured minimum."""

    members: int
    residents: int
    min_members: int
    min_resident_share: int

    @property
    def resident_share(self) -> int:
        """Whole percent, rounded down: 51% must really be reached."""
        return (self.residents * 100) // self.members if self.members else 0

    @property
    def enough_members(self) -> bool:
        return self.members >= self.min_members

    @property
    def enough_residents(self) -> bool:
        # Compare exactly (residents / members >= share / 100) rather than the rounded percent.
        return self.members > 0 and self.residents * 100 >= self.min_resident_share * self.members

    @property
    def healthy(self) -> bool:
        return self.enough_members and self.enough_residents

    @property
    def problems(self) -> list[str]:
        """What is missing, in plain words ("needs 8 trustees, has 6")."""
        missing = []
        if not self.enough_members:
            missing.append(f"needs {self.min_members} trustees, has {self.members}")
        if not self.enough_residents:
            missing.append(
                f"residents are {self.residents} of {self.members}, need {self.min_resident_share}%"
            )
        return missing

    def as_dict(self) -> dict:
        return {
            "members": self.members,
            "residents": self.residents,
            "min_members": self.min_members,
            "min_resident_share": self.min_resident_share,
        }


def qualifying_memberships(neighbourhood: Neighbourhood) -> QuerySet[Membership]:
    """Active memberships verified by more than a typed postcode: an access code from a batch
    someone else made, or a trustee (not the person) confirming them in person."""
    self_issued = AccessCode.objects.filter(
        used_by=OuterRef("user"),
        batch__created_by=OuterRef("user"),
        batch__neighbourhood=OuterRef("neighbourhood"),
    )
    return (
        Membership.objects.active()
        .filter(neighbourhood=neighbourhood, verification_method__in=QUALIFYING_METHODS)
        .exclude(verified_by=F("user"))
        .alias(self_issued=Exists(self_issued))
        .exclude(verification_method=VerificationMethod.ACCESS_CODE, self_issued=True)
    )


def qualifying_membership(user, neighbourhood: Neighbourhood) -> Membership | None:
    """The user's membership if it qualifies them to sit as a member of the partnership."""
    if not getattr(user, "pk", None):
        return None
    return qualifying_memberships(neighbourhood).filter(user=user).first()


def partnership_health(neighbourhood: Neighbourhood) -> PartnershipHealth:
    """Count distinct people holding a trustee or chair role now. A resident is a trustee whose
    qualifying membership (see `qualifying_memberships`) says they live there: not everyone
    with a role, and not someone who only typed a postcode."""
    trustee_ids = (
        RoleAssignment.objects.current()
        .filter(neighbourhood=neighbourhood, role__in=TRUSTEE_ROLES)
        .values("user_id")
    )
    members = (
        RoleAssignment.objects.current()
        .filter(neighbourhood=neighbourhood, role__in=TRUSTEE_ROLES)
        .values("user_id")
        .distinct()
        .count()
    )
    residents = (
        qualifying_memberships(neighbourhood)
        .filter(connection=Connection.LIVES, user_id__in=trustee_ids)
        .count()
    )
    return PartnershipHealth(
        members=members,
        residents=residents,
        min_members=neighbourhood.min_partnership_members,
        min_resident_share=neighbourhood.min_resident_share,
    )


def partnership_exception_current(
    neighbourhood: Neighbourhood, *, at=None
) -> PartnershipException | None:
    """The platform admin's exception to the health rule in force now, if any."""
    at = at or timezone.now()
    return (
        PartnershipException.objects.filter(
            neighbourhood=neighbourhood,
            withdrawn_at__isnull=True,
            created_at__lte=at,
            expires_at__gt=at,
        )
        .select_related("recorded_by")
        .order_by("-expires_at")
        .first()
    )


def postcode_get(raw: str) -> Postcode | None:
    """The reference row of a typed postcode (any case or spacing), or None when the text is
    not a postcode or the postcode is not in the reference list."""
    normalised = postcode_or_none(raw)
    if normalised is None:
        return None
    return Postcode.objects.filter(postcode=normalised).first()


def neighbourhood_list(
    *, user, query: str = "", left_behind: bool | None = None
) -> QuerySet[Neighbourhood]:
    """Neighbourhoods the user may see, searched by postcode, name, description or unit code.

    A query that is a postcode finds the neighbourhoods whose area holds one of the ONS units
    the postcode lies in (ward, LSOA, MSOA or district, from the postcode reference data);
    a postcode not in the reference list finds nothing.
    """
    qs = Neighbourhood.objects.visible_to(user)
    query = (query or "").strip()
    if query and postcode_or_none(query):
        found = postcode_get(query)
        codes = sorted(found.unit_codes()) if found else []
        qs = qs.filter(units__code__in=codes).distinct()
    elif query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(description__icontains=query)
            | Q(units__code__iexact=query)
        ).distinct()
    if left_behind is not None:
        qs = qs.filter(left_behind=left_behind)
    now = timezone.now()
    return qs.annotate(
        member_count=Count(
            "memberships",
            filter=Q(memberships__status=Membership.Status.VERIFIED)
            & (Q(memberships__expires_at__isnull=True) | Q(memberships__expires_at__gt=now)),
            distinct=True,
        )
    ).order_by("name")


def neighbourhood_get(*, user, slug: str) -> Neighbourhood:
    nb = Neighbourhood.objects.visible_to(user).filter(slug=slug).first()
    if nb is None:
        raise NotFoundError("There is no neighbourhood at this address.")
    return nb


def neighbourhood_review_list(*, user) -> QuerySet[Neighbourhood]:
    """Submissions waiting for a platform admin."""
    return (
        Neighbourhood.objects.visible_to(user)
        .filter(status=Neighbourhood.Status.SUBMITTED)
        .select_related("registrant")
        .order_by("submitted_at")
    )


def member_count(neighbourhood: Neighbourhood) -> int:
    return Membership.objects.active().filter(neighbourhood=neighbourhood).count()


def role_holders(neighbourhood: Neighbourhood) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.current()
        .filter(neighbourhood=neighbourhood)
        .select_related("user")
        .order_by("role", "user__display_name", "user__email")
    )


def trustee_names(neighbourhood: Neighbourhood) -> list[str]:
    """Public names of the partnership, chair first."""
    rows = role_holders(neighbourhood).filter(role__in=TRUSTEE_ROLES)
    chairs = {r.user_id for r in rows if r.role == Role.CHAIR}
    seen: dict[int, str] = {}
    for r in rows:
        seen.setdefault(r.user_id, r.user.public_name)
    return [
        f"{name} (chair)" if uid in chairs else name
        for uid, name in sorted(seen.items(), key=lambda kv: (kv[0] not in chairs, kv[1]))
    ]


def trustee_neighbourhoods(*, user) -> list[Neighbourhood]:
    """Neighbourhoods where the user is a trustee or chair now, by name."""
    if not getattr(user, "is_authenticated", False):
        return []
    held = RoleAssignment.objects.current().filter(user=user, role__in=TRUSTEE_ROLES)
    return list(Neighbourhood.objects.filter(pk__in=held.values("neighbourhood")).order_by("name"))


def membership_for(*, user, neighbourhood: Neighbourhood) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, neighbourhood=neighbourhood).first()


def member_register(*, user, neighbourhood: Neighbourhood, query: str = "") -> QuerySet[Membership]:
    """The register as this user may see it, newest first within each status; `query`
    matches the public or private name, the email or the private postcode."""
    qs = Membership.objects.visible_to(user).filter(neighbourhood=neighbourhood)
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(user__display_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(private_name__icontains=query)
            | Q(private_postcode__icontains=query)
        )
    return qs.select_related("user", "verified_by").order_by("status", "-created_at", "-pk")


def access_code_batches(*, neighbourhood: Neighbourhood) -> QuerySet[AccessCodeBatch]:
    return (
        AccessCodeBatch.objects.filter(neighbourhood=neighbourhood)
        .select_related("created_by")
        .annotate(
            total=Count("codes"),
            used=Count("codes", filter=Q(codes__used_at__isnull=False)),
        )
    )


def interest_register(*, user, neighbourhood: Neighbourhood) -> QuerySet[Interest]:
    return (
        Interest.objects.visible_to(user)
        .filter(neighbourhood=neighbourhood)
        .select_related("user")
        .order_by("user__display_name", "organisation")
    )
