"""Pure predicates about people in neighbourhoods: membership, roles, conflicts of interest.

Other apps build their own predicates on these. Powers (trustee, chair, finance officer,
funder auditor) need a verified email and two-factor authentication as well as the role.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from accounts.permissions import has_mfa, is_verified, remember_verified
from accounts.request_scope import current_scope
from config.errors import ForbiddenError

from .models import ConflictDeclaration, Membership, Neighbourhood, Role, RoleAssignment

TRUSTEE_ROLES = (Role.TRUSTEE, Role.CHAIR)
DECISION_ROLES = (Role.TRUSTEE, Role.CHAIR, Role.FINANCE_OFFICER)


class MfaRequiredError(ForbiddenError):
    """The user holds the role but has not set up two-factor authentication yet."""


def is_platform_admin(user) -> bool:
    """Who the user is (sees drafts); acting as admin needs can_use_admin_powers too."""
    return is_verified(user) and bool(getattr(user, "is_platform_admin", False))


def can_use_admin_powers(user) -> bool:
    """A platform admin with two-factor authentication, like every other power."""
    return is_platform_admin(user) and has_mfa(user)


def ensure_admin_mfa(user) -> None:
    """Raise MfaRequiredError for a platform admin without two-factor (so they get the
    prompt); do nothing for anyone else (their own checks refuse them)."""
    if is_platform_admin(user) and not has_mfa(user):
        raise MfaRequiredError("Set up two-factor authentication before using admin powers.")


def active_membership(user, neighbourhood: Neighbourhood) -> Membership | None:
    """The user's verified, unexpired membership of this neighbourhood, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    cache = user.__dict__.setdefault("_cp_memberships", {})
    if neighbourhood.pk not in cache:
        cache[neighbourhood.pk] = (
            Membership.objects.active().filter(user=user, neighbourhood=neighbourhood).first()
        )
    return cache[neighbourhood.pk]


# What `member_standing` reads, besides the membership's own columns: the verified email
# (is_verified) and the site header's three flags (communities.context_processors.nav).
NAV_FLAGS = ("has_any_role", "is_trustee", "has_authenticator")
_standing: dict[str, tuple] = {}


def _standing_query() -> tuple[str, list]:
    """The statement and the converters of the membership's columns, made once per process
    from the models' tables and fields. Plain SQL because building it with the ORM (four
    subqueries and a join), or with `raw()`, cost more CPU per request than the database
    spends answering it (issue 17's cast profile)."""
    if connection.alias not in _standing:
        from allauth.account.models import EmailAddress
        from allauth.mfa.models import Authenticator

        qn = connection.ops.quote_name
        roles = qn(RoleAssignment._meta.db_table)
        trustee = ", ".join(["%s"] * len(TRUSTEE_ROLES))
        fields = Membership._meta.concrete_fields
        columns = ", ".join(f"m.{qn(f.column)}" for f in fields)
        sql = (
            "SELECT "
            f"EXISTS(SELECT 1 FROM {qn(EmailAddress._meta.db_table)} e"
            " WHERE e.user_id = %s AND e.verified), "
            f"EXISTS(SELECT 1 FROM {roles} r WHERE r.user_id = %s AND r.ended_at IS NULL), "
            f"EXISTS(SELECT 1 FROM {roles} r WHERE r.user_id = %s AND r.ended_at IS NULL"
            f" AND r.role IN ({trustee})), "
            f"EXISTS(SELECT 1 FROM {qn(Authenticator._meta.db_table)} a WHERE a.user_id = %s), "
            f"{columns} "
            f"FROM (SELECT 1 AS one) AS q LEFT JOIN {qn(Membership._meta.db_table)} m"
            " ON m.user_id = %s AND m.neighbourhood_id = %s AND m.status = %s"
            " AND (m.expires_at IS NULL OR m.expires_at > %s)"
        )
        converters = []  # what the ORM applies to each column it reads (dates on SQLite...)
        for index, field in enumerate(fields):
            column = field.get_col(Membership._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found, column))
        _standing[connection.alias] = (sql, converters)
    return _standing[connection.alias]


def member_standing(user, neighbourhood: Neighbourhood) -> Membership | None:
    """`active_membership`, read together with the rest of what a voter's request asks about
    them, in one statement: whether their email is verified (`is_verified`) and the site
    header's flags (`nav`). A ballot page or a cast otherwise made three reads of it.

    Each answer goes where its own predicate keeps it for the rest of the request, so the
    predicates stay the one place each rule lives; a later call costs nothing.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    cache = user.__dict__.setdefault("_cp_memberships", {})
    if neighbourhood.pk in cache:
        return cache[neighbourhood.pk]
    sql, converters = _standing_query()
    expires = Membership._meta.get_field("expires_at")
    now = expires.get_db_prep_value(timezone.now(), connection)
    params = [user.pk, user.pk, user.pk, *TRUSTEE_ROLES, user.pk]
    params += [user.pk, neighbourhood.pk, Membership.Status.VERIFIED, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    flags, values = [bool(v) for v in row[:4]], list(row[4:])
    remember_verified(user, flags[0])
    scope = current_scope()
    if scope is not None and scope.is_request_user(user):
        scope.cache[("nav", user.pk)] = dict(zip(NAV_FLAGS, flags[1:], strict=True))
    membership = None
    fields = Membership._meta.concrete_fields
    if values[fields.index(Membership._meta.pk)] is not None:  # a membership was found
        for index, found, column in converters:
            for convert in found:
                values[index] = convert(values[index], column, connection)
        membership = Membership.from_db(connection.alias, [f.attname for f in fields], values)
    cache[neighbourhood.pk] = membership
    return membership


def is_resident(user, neighbourhood: Neighbourhood) -> bool:
    """A verified member (lives, works, studies or volunteers there) with a verified email."""
    return is_verified(user) and active_membership(user, neighbourhood) is not None


def current_roles(user, neighbourhood: Neighbourhood) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cache = user.__dict__.setdefault("_cp_roles", {})
    if neighbourhood.pk not in cache:
        cache[neighbourhood.pk] = set(
            RoleAssignment.objects.current()
            .filter(user=user, neighbourhood=neighbourhood)
            .values_list("role", flat=True)
        )
    return cache[neighbourhood.pk]


def has_role(user, neighbourhood: Neighbourhood, roles: str | Iterable[str]) -> bool:
    """Holds one of the roles now (ignores two-factor: use can_use_powers for actions)."""
    wanted = {roles} if isinstance(roles, str) else set(roles)
    return is_verified(user) and bool(current_roles(user, neighbourhood) & wanted)


def can_use_powers(user, neighbourhood: Neighbourhood, roles: str | Iterable[str]) -> bool:
    """Holds the role, has a verified email and has set up two-factor authentication."""
    return has_role(user, neighbourhood, roles) and has_mfa(user)


def ensure_powers(
    user, neighbourhood: Neighbourhood, roles: str | Iterable[str], *, action: str = "do that"
) -> None:
    """Raise ForbiddenError without the role, MfaRequiredError with it but without 2FA."""
    if not has_role(user, neighbourhood, roles):
        raise ForbiddenError(f"You do not have permission to {action} in {neighbourhood}.")
    if not has_mfa(user):
        raise MfaRequiredError("Set up two-factor authentication before using your role's powers.")


def is_trustee(user, neighbourhood: Neighbourhood) -> bool:
    return can_use_powers(user, neighbourhood, TRUSTEE_ROLES)


def has_conflict(user, obj) -> bool:
    """True if the user declared a conflict on obj, or obj names them as conflicted.

    An object from a higher app says who is conflicted by defining `conflicted_user_ids()`
    (for a proposal: the proposer and trustees it declares links to), so this app needs no
    import of those apps. Such people take no part in screening, deciding or paying it.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    conflicted = getattr(obj, "conflicted_user_ids", None)
    if conflicted is not None and user.pk in set(conflicted()):
        return True
    primed = getattr(obj, "_declared_conflicts", None)
    if primed is not None and user.pk in primed:
        return primed[user.pk]
    return ConflictDeclaration.objects.filter(
        user=user, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).exists()


def prime_declared_conflicts(user, objs) -> None:
    """`has_conflict`'s declared part for many objects of one model in one query: afterwards
    has_conflict(user, obj) asks no query for these objects. The answer is kept on each object
    per user id, so an object later checked for someone else still asks the database."""
    objs = [obj for obj in objs if obj is not None and obj.pk is not None]
    if not objs or not getattr(user, "is_authenticated", False):
        return
    declared = set(
        ConflictDeclaration.objects.filter(
            user=user,
            object_type=objs[0]._meta.label_lower,
            object_id__in={str(obj.pk) for obj in objs},
        ).values_list("object_id", flat=True)
    )
    for obj in objs:
        obj.__dict__.setdefault("_declared_conflicts", {})[user.pk] = str(obj.pk) in declared


def declared_conflict_exists(user, model):
    """`has_conflict`'s declared part for many rows at once: an Exists() expression, true for
    a row of `model` (matched by OuterRef("pk")) the user declared a conflict on. A list page
    filters or annotates with it in the same query, instead of asking row by row."""
    from django.db.models import CharField, Exists, OuterRef
    from django.db.models.functions import Cast

    return Exists(
        ConflictDeclaration.objects.filter(
            user=user,
            object_type=model._meta.label_lower,
            object_id=Cast(OuterRef("pk"), CharField()),
        )
    )


# --- Predicates for this app's actions -------------------------------------------------
# Each is pure apart from cached reads of the user's roles and memberships; services call
# them and raise, views and templates call them to decide what to show.

PUBLIC_STATUSES = (
    Neighbourhood.Status.VERIFIED,
    Neighbourhood.Status.ACTIVE,
    Neighbourhood.Status.CLOSING,
    Neighbourhood.Status.CLOSED,
)
JOINABLE_STATUSES = (Neighbourhood.Status.VERIFIED, Neighbourhood.Status.ACTIVE)
INTEREST_ROLES = DECISION_ROLES
INTEREST_READERS = (Role.TRUSTEE, Role.CHAIR, Role.FUNDER_AUDITOR)


def _is_registrant(user, neighbourhood: Neighbourhood) -> bool:
    return getattr(user, "is_authenticated", False) and neighbourhood.registrant_id == user.pk


def can_view_neighbourhood(user, neighbourhood: Neighbourhood) -> bool:
    """Verified and later neighbourhoods are public; drafts only to the registrant and admins."""
    if neighbourhood.status in PUBLIC_STATUSES:
        return True
    return _is_registrant(user, neighbourhood) or is_platform_admin(user)


def can_register_neighbourhood(user, obj=None) -> bool:
    """Anyone signed in with a verified email may draft a neighbourhood."""
    return is_verified(user)


def can_edit_neighbourhood(user, neighbourhood: Neighbourhood) -> bool:
    """The registrant edits their draft until they submit it."""
    return (
        is_verified(user)
        and _is_registrant(user, neighbourhood)
        and neighbourhood.status == Neighbourhood.Status.DRAFT
    )


def can_submit_neighbourhood(user, neighbourhood: Neighbourhood) -> bool:
    return can_edit_neighbourhood(user, neighbourhood)


def can_verify_neighbourhood(user, neighbourhood: Neighbourhood) -> bool:
    """A platform admin (with two-factor) checks a submitted neighbourhood; never one they
    registered."""
    return (
        can_use_admin_powers(user)
        and not _is_registrant(user, neighbourhood)
        and neighbourhood.status == Neighbourhood.Status.SUBMITTED
    )


def can_reject_neighbourhood(user, neighbourhood: Neighbourhood) -> bool:
    return can_verify_neighbourhood(user, neighbourhood)


def can_join_neighbourhood(user, neighbourhood: Neighbourhood) -> bool:
    """A verified user asks to join a verified or active neighbourhood they are not in yet
    (someone who left, expired or was refused may ask again)."""
    if not is_verified(user) or neighbourhood.status not in JOINABLE_STATUSES:
        return False
    pending = Membership.objects.filter(
        user=user, neighbourhood=neighbourhood, status=Membership.Status.PENDING
    )
    return not pending.exists() and active_membership(user, neighbourhood) is None


def can_verify_own_membership(user, membership: Membership) -> bool:
    """Postcode and access-code checks are done by the member on their own pending request:
    the evidence (the postcode's unit, the code) does the verifying, not the member."""
    return (
        is_verified(user)
        and membership.user_id == user.pk
        and membership.status == Membership.Status.PENDING
        and membership.neighbourhood.status in JOINABLE_STATUSES
    )


def can_manage_members(user, neighbourhood: Neighbourhood) -> bool:
    """Trustees (with two-factor) see the member register and act on requests."""
    return can_use_powers(user, neighbourhood, TRUSTEE_ROLES)


def can_attest_membership(user, membership: Membership) -> bool:
    """A trustee vouches in person for someone else's pending request; never their own."""
    return (
        membership.user_id != getattr(user, "pk", None)
        and membership.status == Membership.Status.PENDING
        and can_manage_members(user, membership.neighbourhood)
    )


def can_reject_membership(user, membership: Membership) -> bool:
    return can_attest_membership(user, membership)


def can_renew_membership(user, membership: Membership) -> bool:
    """A member renews their own membership before it runs out; after that they join again
    with fresh proof (so a register never keeps people who have moved away)."""
    return is_verified(user) and membership.user_id == user.pk and membership.is_active


# How long before expiry a member is invited to renew (shown on the neighbourhood page).
RENEWAL_NOTICE = datetime.timedelta(days=60)


def membership_renewal_due(membership: Membership, at: datetime.datetime | None = None) -> bool:
    """Renewing is offered from 60 days before the membership runs out: earlier, the button
    would only puzzle people with nothing to do (renewal itself stays allowed)."""
    if membership.expires_at is None:
        return False
    return membership.expires_at - (at or timezone.now()) <= RENEWAL_NOTICE


def can_leave_membership(user, membership: Membership) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and membership.user_id == user.pk
        and membership.status in (Membership.Status.PENDING, Membership.Status.VERIFIED)
    )


def can_manage_access_codes(user, neighbourhood: Neighbourhood) -> bool:
    """Trustees generate and download one-time access codes."""
    return neighbourhood.status in JOINABLE_STATUSES and can_manage_members(user, neighbourhood)


def can_appoint_roles(user, neighbourhood: Neighbourhood) -> bool:
    """The chair or a platform admin (each with two-factor) appoints trustees and staff roles."""
    if neighbourhood.status not in JOINABLE_STATUSES:
        return False
    return can_use_admin_powers(user) or can_use_powers(user, neighbourhood, Role.CHAIR)


def can_appoint_chair(user, neighbourhood: Neighbourhood) -> bool:
    """Only a platform admin (with two-factor) appoints or replaces a chair."""
    return neighbourhood.status in JOINABLE_STATUSES and can_use_admin_powers(user)


def can_view_interests(user, neighbourhood: Neighbourhood) -> bool:
    """The register of interests is for trustees and the neighbourhood's funder auditors."""
    return can_use_powers(user, neighbourhood, INTEREST_READERS)


def can_declare_interest(user, neighbourhood: Neighbourhood) -> bool:
    """Trustees, chairs and finance officers keep their entries in the register up to date."""
    return can_use_powers(user, neighbourhood, INTEREST_ROLES)


def can_declare_conflict(user, neighbourhood: Neighbourhood) -> bool:
    return can_use_powers(user, neighbourhood, INTEREST_ROLES)


def can_record_partnership_exception(user, neighbourhood: Neighbourhood) -> bool:
    """A platform admin (with two-factor) may record an exception to the partnership health
    rule for a neighbourhood that decides things (verified, active or closing)."""
    return neighbourhood.status in (
        Neighbourhood.Status.VERIFIED,
        Neighbourhood.Status.ACTIVE,
        Neighbourhood.Status.CLOSING,
    ) and can_use_admin_powers(user)
