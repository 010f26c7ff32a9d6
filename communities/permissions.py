"""Pure predicates about people in neighbourhoods: membership, roles, conflicts of interest.

Other apps build their own predicates on these. Powers (trustee, chair, finance officer,
funder auditor) need a verified email and two-factor authentication as well as the role.
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.permissions import has_mfa, is_verified
from config.errors import ForbiddenError

from .models import ConflictDeclaration, Membership, Neighbourhood, Role, RoleAssignment

TRUSTEE_ROLES = (Role.TRUSTEE, Role.CHAIR)
DECISION_ROLES = (Role.TRUSTEE, Role.CHAIR, Role.FINANCE_OFFICER)


class MfaRequiredError(ForbiddenError):
    """The user holds the role but has not set up two-factor authentication yet."""


def is_platform_admin(user) -> bool:
    return is_verified(user) and bool(getattr(user, "is_platform_admin", False))


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
    return ConflictDeclaration.objects.filter(
        user=user, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).exists()
