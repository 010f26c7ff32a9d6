"""Writes to a person's own account settings (allauth handles email, password and two-factor)."""

from __future__ import annotations

from django.db import transaction

from config.errors import ApplicationError
from config.text import has_control_characters, spoofing_problem

from .models import User


@transaction.atomic
def user_preferences_update(
    *,
    user: User,
    display_name: str,
    notify_proposal_status: bool | None = None,
    notify_comments: bool | None = None,
    notify_submissions: bool | None = None,
) -> User:
    """Save the public name and notification choices a person makes for themselves.

    The public name is shown next to what they write and on the roles page, so it refuses
    invisible and text-direction characters (a zero-width space or a right-to-left override
    would let "Tariq​Trustee" pass for the real trustee) and control characters. Not audited:
    a person's own preferences are no decision about anyone else.
    """
    display_name = (display_name or "").strip()
    if has_control_characters(display_name):
        raise ApplicationError(
            "Your public name must be a single line of text.", extra={"field": "display_name"}
        )
    problem = spoofing_problem(display_name, "public name")
    if problem:
        raise ApplicationError(problem, extra={"field": "display_name"})
    user.display_name = " ".join(display_name.split())
    fields = ["display_name"]
    for name, value in (
        ("notify_proposal_status", notify_proposal_status),
        ("notify_comments", notify_comments),
        ("notify_submissions", notify_submissions),
    ):
        if value is not None:
            setattr(user, name, value)
            fields.append(name)
    user.full_clean(validate_unique=False, validate_constraints=False)
    user.save(update_fields=fields)
    return user
