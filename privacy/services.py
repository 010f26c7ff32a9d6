"""Writes of the privacy app: a person erases their own account.

The user row is never deleted: participations (who voted, not how), decisions, certifications,
claims and audit events point at it, most with PROTECT foreign keys, and deleting it would either
be refused or tear holes in public records. Instead the row becomes a tombstone, "Former member
#<id>", and every personal field the platform holds about the person is blanked or removed
(see docs/privacy.md for the full list, and what old audit events still contain).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import ApiToken, User
from audit.services import audit_record
from communities.models import Membership, RoleAssignment
from config.errors import ApplicationError, StateError
from funds.models import Grant
from notifications.models import (
    DigestItem,
    NotificationPreference,
    SmsSubscription,
    Unsubscription,
)
from proposals.models import Comment, Report
from voting.models import Participation

ERASED_COMMENT = "This comment was removed when its author erased their account."
ERASED_REPORT = "Removed when its author erased their account."
OPEN_GRANT_STATUSES = (
    Grant.Status.APPROVED,
    Grant.Status.AGREEMENT_ISSUED,
    Grant.Status.ACTIVE,
    Grant.Status.SUSPENDED,
)


def tombstone_name(user_id: int) -> str:
    """The name an erased person is shown by: decisions keep them as office-holder,
    pseudonymised."""
    return f"Former member #{user_id}"


def erasure_blockers(*, user: User) -> list[str]:
    """Why `user` cannot erase their account yet, in plain English (empty: they can).

    A role others rely on must be handed over first, by the people who hand it over (the chair
    or a platform admin stands a trustee down, audited), so erasure never ends a role silently
    and never leaves a partnership, a fund or a grant without the person it needs.
    """
    reasons = []
    for role in RoleAssignment.objects.current().filter(user=user).select_related("neighbourhood"):
        reasons.append(
            f"You are {role.get_role_display().lower()} in {role.neighbourhood.name}. Ask the "
            "chair or a platform admin to stand you down and hand your role to someone else first."
        )
    if user.is_platform_admin or user.is_superuser:
        reasons.append(
            "You are a platform admin. Ask another platform admin to remove your admin rights "
            "first."
        )
    sole_contact = (
        Grant.objects.filter(
            status__in=OPEN_GRANT_STATUSES, pk__in=user.grant_contacts.values("pk")
        )
        .annotate(n_contacts=Count("contacts"))
        .filter(n_contacts=1)
    )
    for grant in sole_contact:
        reasons.append(
            f"You are the only contact for the grant '{grant.title}'. Ask the finance officer "
            "to add another contact for it first."
        )
    return reasons


def _check_second_factor(user: User, code: str) -> None:
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        return
    code = (code or "").strip().replace(" ", "")
    if not code:
        raise ApplicationError(
            "Enter the 6-digit code from your authenticator app.", extra={"field": "code"}
        )
    if not TOTP(totp).validate_code(code):
        raise ApplicationError(
            "That code is not right, or was already used. Enter the current code from your "
            "authenticator app.",
            extra={"field": "code"},
        )


@transaction.atomic
def account_erase(*, user: User, password: str, code: str = "") -> User:
    """The person erases their own account, confirming with their password (and their
    two-factor code if they have one).

    Kept: ballots (never linked to anyone), the ledger (it names organisations and grants, not
    people), participation rows (so turnout and "one ballot per member" stay true), proposals
    and decisions (public records: they now show the tombstone name), and audit events. Removed
    or blanked: email addresses, names, private name and address, identity keys, postcodes,
    verification evidence, comment and report texts, notification settings, API tokens and
    two-factor authenticators. Setting an unusable password changes the session hash, so every
    session of the account stops working at once.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at is not None:
        raise StateError("This account is already erased.")
    blockers = erasure_blockers(user=user)
    if blockers:
        raise StateError(" ".join(blockers), extra={"reasons": blockers})
    if not password or not user.check_password(password):
        raise ApplicationError(
            "That password is not right. Enter the password you sign in with.",
            extra={"field": "password"},
        )
    _check_second_factor(user, code)

    now = timezone.now()
    name = tombstone_name(user.pk)
    memberships = Membership.objects.filter(user=user)
    Participation.objects.filter(membership__in=memberships).update(
        in_person_name="", in_person_address=""
    )
    memberships.filter(status__in=[Membership.Status.VERIFIED, Membership.Status.PENDING]).update(
        status=Membership.Status.LEFT, left_at=now
    )
    memberships.update(
        postcode="",
        unit_code="",
        verification_evidence={},
        rejection_reason="",
        private_name="",
        private_house="",
        private_postcode="",
        identity_key="",
    )
    Comment.objects.filter(author=user).update(body=ERASED_COMMENT)
    Report.objects.filter(reporter=user).update(reason=ERASED_REPORT)
    for grant in Grant.objects.filter(contacts=user):
        grant.contacts.remove(user)
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    Unsubscription.objects.filter(user=user).delete()
    DigestItem.objects.filter(user=user).delete()
    SmsSubscription.objects.filter(user=user).delete()  # the phone number and its consent

    user.email = f"erased-{user.pk}@erased.invalid"  # RFC 2606: can never be delivered
    user.first_name = ""
    user.last_name = ""
    user.display_name = name
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.notify_proposal_status = False
    user.notify_comments = False
    user.notify_submissions = False
    user.last_login = None
    user.erased_at = now
    user.save()
    # A new event; earlier ones are not rewritten (the chain hashes them). It names no one.
    audit_record(
        action="accounts.erased",
        actor=user,
        obj=user,
        changes={"tombstone": name},
    )
    return user
