"""Neighbourhoods, reference geography, memberships, roles, access codes and interests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UnitType(models.TextChoices):
    WARD = "ward", "Electoral ward"
    LSOA = "lsoa", "Lower layer super output area"
    MSOA = "msoa", "Middle layer super output area"
    LAD = "lad", "Local authority district"


class GeographyUnit(models.Model):
    """An ONS geography unit from reference data (IMD decile, "left behind" flag)."""

    code = models.CharField(max_length=9)
    unit_type = models.CharField(max_length=8, choices=UnitType.choices)
    vintage = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    local_authority = models.CharField(max_length=200, blank=True)
    imd_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    left_behind = models.BooleanField(default=False)

    class Meta:
        ordering = ["code", "vintage"]
        constraints = [
            models.UniqueConstraint(fields=["code", "vintage"], name="geounit_code_vintage_uniq"),
            models.CheckConstraint(
                condition=Q(imd_decile__isnull=True) | Q(imd_decile__gte=1, imd_decile__lte=10),
                name="geounit_imd_decile_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.vintage})"


class Postcode(models.Model):
    """A postcode (normalised: upper case, no spaces) and the units it lies in."""

    postcode = models.CharField(max_length=8, unique=True)
    ward_code = models.CharField(max_length=9, blank=True, db_index=True)
    lsoa_code = models.CharField(max_length=9, blank=True)
    msoa_code = models.CharField(max_length=9, blank=True)
    lad_code = models.CharField(max_length=9, blank=True)

    class Meta:
        ordering = ["postcode"]

    def __str__(self) -> str:
        return self.postcode

    def unit_codes(self) -> set[str]:
        return {c for c in (self.ward_code, self.lsoa_code, self.msoa_code, self.lad_code) if c}


class NeighbourhoodQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Verified and later neighbourhoods are public; drafts, submissions and rejections
        are seen only by their registrant and platform admins."""
        public = Q(status__in=["verified", "active", "closing", "closed"])
        if not getattr(user, "is_authenticated", False):
            return self.filter(public)
        if getattr(user, "is_platform_admin", False):
            return self
        return self.filter(public | Q(registrant=user))


class Neighbourhood(models.Model):
    """A neighbourhood whose residents decide how its fund is spent."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for verification"
        VERIFIED = "verified", "Verified"
        ACTIVE = "active", "Active"
        CLOSING = "closing", "Closing"
        CLOSED = "closed", "Closed"
        REJECTED = "rejected", "Rejected"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    boundary = models.JSONField(null=True, blank=True, help_text="GeoJSON Polygon/MultiPolygon")
    population_estimate = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    registrant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registered_neighbourhoods"
    )
    # Denormalised from the reference data of the area's units (refreshed by a service).
    left_behind = models.BooleanField(default=False)
    imd_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    # Partnership rules; defaults from settings.COMMONPURSE.
    min_partnership_members = models.PositiveSmallIntegerField(default=8)
    min_resident_share = models.PositiveSmallIntegerField(default=51, help_text="percent")
    membership_valid_days = models.PositiveIntegerField(default=730)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)

    objects = NeighbourhoodQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_resident_share__lte=100), name="nbhd_resident_share_pct"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AreaUnit(models.Model):
    """One ONS unit that makes up a neighbourhood's area."""

    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(max_length=9)
    unit_type = models.CharField(max_length=8, choices=UnitType.choices)
    vintage = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "code", "vintage"], name="areaunit_nbhd_code_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_unit_type_display()}, {self.vintage})"


class Connection(models.TextChoices):
    LIVES = "lives", "I live here"
    WORKS = "works", "I work here"
    STUDIES = "studies", "I study here"
    VOLUNTEERS = "volunteers", "I volunteer here"


class AgeBand(models.TextChoices):
    """Ordered youngest first: a round's minimum age band compares by position."""

    UNDER_16 = "under_16", "Under 16"
    AGE_16_17 = "16_17", "16 to 17"
    AGE_18_24 = "18_24", "18 to 24"
    AGE_25_34 = "25_34", "25 to 34"
    AGE_35_49 = "35_49", "35 to 49"
    AGE_50_64 = "50_64", "50 to 64"
    AGE_65_PLUS = "65_plus", "65 or over"

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


class VerificationMethod(models.TextChoices):
    POSTCODE = "postcode", "Postcode in the area"
    ACCESS_CODE = "access_code", "One-time access code"
    ATTESTATION = "attestation", "In-person attestation by a trustee"


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Your own memberships, and the register of neighbourhoods where you are a trustee
        or chair with two-factor set up (the only people who manage members)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        from accounts.permissions import has_mfa, is_verified

        if not is_verified(user):
            return self.filter(user=user)
        mine = Q(user=user)
        if has_mfa(user):
            managed = RoleAssignment.objects.current().filter(
                user=user, role__in=["trustee", "chair"]
            )
            mine |= Q(neighbourhood__in=managed.values("neighbourhood"))
        return self.filter(mine)

    def active(self, at=None):
        """Verified and not expired: the people who count as members now."""
        at = at or timezone.now()
        return self.filter(status=Membership.Status.VERIFIED).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class Membership(models.Model):
    """A person's place in a neighbourhood's member register, and how it was verified."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        EXPIRED = "expired", "Expired"
        LEFT = "left", "Left"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    connection = models.CharField(max_length=12, choices=Connection.choices)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices)
    # The raw postcode is kept only until verification; then only the derived unit stays.
    postcode = models.CharField(max_length=8, blank=True)
    unit_code = models.CharField(max_length=9, blank=True)
    verification_method = models.CharField(
        max_length=12, choices=VerificationMethod.choices, blank=True
    )
    verification_evidence = models.JSONField(default=dict, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    # Private name and address (issue 9): seen by the member and the neighbourhood's trustees
    # (for attestation and the paper desk), never public; the display name is separate.
    # identity_key is an HMAC (receipt key) of the normalised name, house and postcode, so the
    # same person is recognised across accounts, cards, kiosk and paper (communities.identity).
    private_name = models.CharField("full name", max_length=200, blank=True)
    private_house = models.CharField("house number or name", max_length=100, blank=True)
    private_postcode = models.CharField("home postcode", max_length=8, blank=True)
    identity_key = models.CharField(max_length=64, blank=True, db_index=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "neighbourhood"], name="membership_user_nbhd_uniq"
            ),
        ]
        indexes = [
            # The member register's order (selectors.member_register): a page of 10,000
            # members is read in index order instead of sorted whole (60 ms -> 5 ms).
            models.Index(
                fields=["neighbourhood", "status", "-created_at", "-id"],
                name="membership_register_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.neighbourhood}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.VERIFIED and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class Role(models.TextChoices):
    TRUSTEE = "trustee", "Trustee"
    CHAIR = "chair", "Chair"
    FINANCE_OFFICER = "finance_officer", "Finance officer"
    FUNDER_AUDITOR = "funder_auditor", "Funder auditor"


class RoleAssignmentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)


class RoleAssignment(models.Model):
    """A decision or money role in one neighbourhood. A chair also holds a trustee role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    organisation = models.CharField(
        max_length=200, blank=True, help_text="Funder or fund-holding organisation, for staff roles"
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A trustee who is not a (qualifying) member sits on the partnership only when the
    # appointer declares them a non-resident and says why (e.g. the organisation they
    # represent); the resident majority rule then limits how many such seats there are.
    non_resident = models.BooleanField(default=False)
    non_resident_reason = models.CharField(max_length=300, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["neighbourhood", "role", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "neighbourhood", "role"],
                condition=Q(ended_at__isnull=True),
                name="role_one_current_per_user",
            ),
            models.CheckConstraint(
                condition=Q(non_resident=False) | ~Q(non_resident_reason=""),
                name="role_non_resident_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} of {self.neighbourhood}"


class PartnershipException(models.Model):
    """A platform admin's recorded exception to the partnership health rule: until it
    expires (or is withdrawn), votes may be certified and grants decided although the
    partnership is below the minimum. The health at the time is kept as evidence."""

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="partnership_exceptions"
    )
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    health = models.JSONField(default=dict, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="partnership_exception_expires_after_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="partnership_exception_reason"),
        ]

    def __str__(self) -> str:
        return f"Partnership exception for {self.neighbourhood} until {self.expires_at:%Y-%m-%d}"

    def is_current(self, at=None) -> bool:
        at = at or timezone.now()
        return self.withdrawn_at is None and self.created_at <= at < self.expires_at


class AccessCodeBatch(models.Model):
    """A batch of one-time codes printed on letters or handed out at an event."""

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="access_code_batches"
    )
    label = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label


class AccessCode(models.Model):
    """One code: works once, until the batch expires."""

    batch = models.ForeignKey(AccessCodeBatch, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=16, unique=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A code is either unused, or used once by someone at a known time.
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, used_by__isnull=True) | Q(used_at__isnull=False),
                name="accesscode_used_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class InterestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Your own entries, and the whole register of neighbourhoods where you are a
        trustee, chair or funder auditor with two-factor set up."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        from accounts.permissions import has_mfa, is_verified

        mine = Q(user=user)
        if is_verified(user) and has_mfa(user):
            readers = RoleAssignment.objects.current().filter(
                user=user, role__in=["trustee", "chair", "funder_auditor"]
            )
            mine |= Q(neighbourhood__in=readers.values("neighbourhood"))
        return self.filter(mine)


class Interest(models.Model):
    """An entry in the register of interests of someone with a decision or money role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests"
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="interests"
    )
    organisation = models.CharField(max_length=200)
    nature = models.CharField(max_length=200, help_text="e.g. trustee, employee, family member")
    since = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ["organisation"]

    def __str__(self) -> str:
        return f"{self.user}: {self.nature} of {self.organisation}"


class ConflictDeclaration(models.Model):
    """A declared conflict on one item (a proposal, a grant, a claim...). Whoever declared
    takes no part in deciding it. The item is named by type label and id so that this app
    needs no import of the apps above it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts"
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="conflicts"
    )
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_type", "object_id"], name="conflict_once_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} conflicted on {self.object_type}:{self.object_id}"
