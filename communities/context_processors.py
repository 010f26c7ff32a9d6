"""What the site header needs to know about the signed-in person, in one lazy query."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.request_scope import current_scope

from .models import RoleAssignment
from .permissions import TRUSTEE_ROLES


def _nav(user) -> dict[str, bool]:
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    scope = current_scope()
    # Read already, with the membership, by a ballot page or a cast (permissions.member_standing).
    row = scope.cache.get(("nav", user.pk)) if scope is not None else None
    if row is not None:
        return _nav_links(user, row)
    roles = RoleAssignment.objects.current().filter(user=OuterRef("pk"))
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            has_any_role=Exists(roles),
            is_trustee=Exists(roles.filter(role__in=TRUSTEE_ROLES)),
            has_authenticator=Exists(Authenticator.objects.filter(user=OuterRef("pk"))),
        )
        .values("has_any_role", "is_trustee", "has_authenticator")
        .first()
    ) or {"has_any_role": False, "is_trustee": False, "has_authenticator": False}
    return _nav_links(user, row)


def _nav_links(user, row: dict[str, bool]) -> dict[str, bool]:
    return {
        # The to-do page is for trustees and chairs.
        "todo": row["is_trustee"],
        # Two-factor is for those whose role needs it (and the platform admin), and for
        # anyone who already has it, to manage it; residents are not asked about it.
        "two_factor": row["has_any_role"] or row["has_authenticator"] or user.is_platform_admin,
    }


def nav(request: HttpRequest) -> dict:
    """`nav.todo` and `nav.two_factor` for the header; evaluated only when a template reads
    them (signed-in pages), in one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"todo": False, "two_factor": False}}
    return {"nav": SimpleLazyObject(lambda: _nav(user))}
