"""Writes of the accounts app: a person's own settings and personal API tokens (create, revoke).

allauth handles email, password and two-factor.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, NotFoundError
from config.text import has_control_characters, spoofing_problem

from .models import ApiToken, User
from .permissions import can_create_api_token, has_mfa

TOKEN_PREFIX = "cp_"
MAX_TOKEN_DAYS = 365


def api_token_hash(secret: str) -> str:
    """What is stored: SHA-256 of the token. Tokens carry 256 random bits, so a plain hash is
    enough (no guessing to slow down), and it lets the lookup be one indexed equality."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(*, user: User, name: str, days: int) -> CreatedToken:
    """A signed-in user makes a personal API token valid for `days` days.

    Someone who owns an authenticator must have passed it in this session, so a password alone
    cannot mint a token; the token records whether the session had a second factor and never
    carries more power than that session.
    """
    if not can_create_api_token(user):
        raise ForbiddenError(
            "Pass the two-factor check in this session before creating an API token."
        )
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ApplicationError(
            "Give the token a name of up to 80 characters.", extra={"field": "name"}
        )
    if not 1 <= int(days) <= MAX_TOKEN_DAYS:
        raise ApplicationError(
            f"A token can last from 1 to {MAX_TOKEN_DAYS} days.", extra={"field": "days"}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        key_hash=api_token_hash(secret),
        created_with_mfa=has_mfa(user),
        expires_at=now + datetime.timedelta(days=int(days)),
    )
    audit_record(
        action="accounts.api_token_created",
        actor=user,
        obj=token,
        changes={"name": name, "expires_at": token.expires_at.isoformat()},
    )
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """The owner revokes a token; it stops working at once."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFoundError("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="accounts.api_token_revoked", actor=user, obj=token)
    return token


def display_name_clean(raw: str, *, required: bool = True) -> str:
    """The public name as typed, trimmed and with runs of spaces made one; the one rule for
    sign-up and the preferences page.

    It is shown next to what the person writes, on proposals and on the roles page, so it
    refuses invisible and text-direction characters (a zero-width space or a right-to-left
    override would let "Tariq\u200bTrustee" pass for the real trustee) and control characters.
    An email address is refused too: the name is public, the address is not.
    """
    display_name = (raw or "").strip()
    if has_control_characters(display_name):
        raise ApplicationError(
            "Your public name must be a single line of text.", extra={"field": "display_name"}
        )
    problem = spoofing_problem(display_name, "public name")
    if problem:
        raise ApplicationError(problem, extra={"field": "display_name"})
    display_name = " ".join(display_name.split())
    if required and not display_name:
        raise ApplicationError(
            "Enter the name to show next to what you write, for example Sam or Sam Okoro.",
            extra={"field": "display_name"},
        )
    if len(display_name) > 80:
        raise ApplicationError(
            "Your public name can be up to 80 characters.", extra={"field": "display_name"}
        )
    if "@" in display_name:
        raise ApplicationError(
            "Your public name is shown to everyone, so it cannot be an email address.",
            extra={"field": "display_name"},
        )
    return display_name


@transaction.atomic
def user_preferences_update(
    *,
    user: User,
    display_name: str,
    notify_proposal_status: bool | None = None,
    notify_comments: bool | None = None,
    notify_submissions: bool | None = None,
) -> User:
    """Save the public name (display_name_clean) and notification choices a person makes for
    themselves. Not audited: a person's own preferences are no decision about anyone else."""
    user.display_name = display_name_clean(display_name, required=False)
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
