"""Reads of the privacy app: everything the platform holds about one person, as JSON.

This app sits above every domain app (accounts <- communities <- proposals <- voting, funds),
because a person's data is spread over all of them and a lower app may not import a higher one.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import ApiToken, User
from communities.models import ConflictDeclaration, Interest, Membership, RoleAssignment
from funds.models import Grant
from notifications.models import NotificationPreference, Unsubscription
from proposals.models import Comment, Proposal, Report, Support
from prospects.models import SurveyParticipation
from voting.models import Participation

EXPORT_FORMAT = "commonpurse-personal-data/1"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def personal_data_export(*, user: User) -> dict[str, Any]:
    """What the platform holds about `user`, for them to download (their right of access).

    It says in which rounds and pots they took part, never which ballot they cast: ballots carry
    no link to the voter (only the receipt code the voter holds leads to one), so the server
    cannot say, and this file must not either. Token secrets are never stored, so only their
    metadata is listed; the TOTP secret and recovery codes are not exported (they are keys,
    not information about the person).
    """
    memberships = list(
        Membership.objects.filter(user=user).select_related("neighbourhood").order_by("id")
    )
    participations = (
        Participation.objects.filter(membership__user=user)
        .select_related("round", "pot")
        .order_by("voted_at", "id")
    )
    preference = NotificationPreference.objects.filter(user=user).first()
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "is_platform_admin": user.is_platform_admin,
            "email_addresses": [
                {"email": e.email, "primary": e.primary, "verified": e.verified}
                for e in EmailAddress.objects.filter(user=user).order_by("id")
            ],
            "two_factor": sorted(
                {a.type for a in Authenticator.objects.filter(user=user).only("type")}
            ),
        },
        "preferences": {
            "notify_proposal_status": user.notify_proposal_status,
            "notify_comments": user.notify_comments,
            "notify_submissions": user.notify_submissions,
            "delivery": preference.delivery if preference else "immediate",
            "unsubscribed_from": sorted(
                Unsubscription.objects.filter(user=user).values_list("kind", flat=True)
            ),
        },
        "memberships": [
            {
                "neighbourhood": m.neighbourhood.name,
                "status": m.status,
                "connection": m.connection,
                "age_band": m.age_band,
                "postcode": m.postcode,
                "unit_code": m.unit_code,
                "verification_method": m.verification_method,
                "private_name": m.private_name,
                "private_house": m.private_house,
                "private_postcode": m.private_postcode,
                "created_at": _iso(m.created_at),
                "verified_at": _iso(m.verified_at),
                "expires_at": _iso(m.expires_at),
                "left_at": _iso(m.left_at),
            }
            for m in memberships
        ],
        "roles": [
            {
                "neighbourhood": r.neighbourhood.name,
                "role": r.role,
                "organisation": r.organisation,
                "started_at": _iso(r.started_at),
                "ended_at": _iso(r.ended_at),
            }
            for r in RoleAssignment.objects.filter(user=user)
            .select_related("neighbourhood")
            .order_by("id")
        ],
        # Only that they took part: which ballot is theirs is not known to the server.
        "vote_participations": [
            {
                "round": p.round.title,
                "pot": p.pot.name,
                "channel": p.channel,
                "voted_at": _iso(p.voted_at),
            }
            for p in participations
        ],
        "proposals": [
            {
                "id": p.pk,
                "title": p.title,
                "summary": p.summary,
                "description": p.description,
                "status": p.status,
                "created_at": _iso(p.created_at),
            }
            for p in Proposal.objects.filter(proposer=user).order_by("id")
        ],
        "comments": [
            {
                "proposal_id": c.proposal_id,
                "body": c.body,
                "created_at": _iso(c.created_at),
                "hidden": c.is_hidden,
            }
            for c in Comment.objects.filter(author=user).order_by("id")
        ],
        "supports": [
            {"proposal_id": s.proposal_id, "created_at": _iso(s.created_at)}
            for s in Support.objects.filter(user=user).order_by("id")
        ],
        "reports": [
            {
                "proposal_id": r.proposal_id,
                "comment_id": r.comment_id,
                "reason": r.reason,
                "created_at": _iso(r.created_at),
            }
            for r in Report.objects.filter(reporter=user).order_by("id")
        ],
        "interests": [
            {
                "organisation": i.organisation,
                "nature": i.nature,
                "since": _iso(i.since),
                "ended_on": _iso(i.ended_on),
            }
            for i in Interest.objects.filter(user=user).order_by("id")
        ],
        "conflicts_declared": [
            {"object_type": c.object_type, "object_id": c.object_id, "reason": c.reason}
            for c in ConflictDeclaration.objects.filter(user=user).order_by("id")
        ],
        "grant_contact_for": [
            {"grant_id": g.pk, "title": g.title, "status": g.status}
            for g in Grant.objects.filter(contacts=user).order_by("id")
        ],
        "survey_waves_answered": [
            {"wave_id": s.wave_id, "channel": s.channel, "at": _iso(s.created_at)}
            for s in SurveyParticipation.objects.filter(user=user).order_by("id")
        ],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "revoked_at": _iso(t.revoked_at),
                "last_used_at": _iso(t.last_used_at),
            }
            for t in ApiToken.objects.filter(user=user)
        ],
    }
