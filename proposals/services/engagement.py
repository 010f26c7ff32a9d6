"""Supports, comments, reports and moderation (hide or restore with a reason)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from communities.permissions import TRUSTEE_ROLES, ensure_powers, has_conflict
from config.errors import ApplicationError, ForbiddenError, StateError
from outbox.services import outbox_enqueue

from .. import permissions as perms
from ..models import Comment, Proposal, Report, Support
from ._common import clean, lock, role_of

MAX_COMMENT_CHARS = 2000
MAX_REASON_CHARS = 1000


def _recount(proposal: Proposal) -> int:
    proposal.support_count = Support.objects.filter(proposal=proposal).count()
    proposal.save(update_fields=["support_count"])
    return proposal.support_count


@transaction.atomic
def support_add(*, proposal: Proposal, user) -> Proposal:
    """One support per resident. The count is recomputed under the proposal's row lock, so
    concurrent supports cannot lose an update."""
    proposal = lock(proposal)
    if proposal.proposer_id == user.pk:
        raise ForbiddenError(
            "You cannot support your own proposal: support shows that other residents want it."
        )
    if not perms.can_support_proposal(user, proposal):
        raise ForbiddenError("Only residents can support a proposal, before the vote ends.")
    try:
        with transaction.atomic():
            Support.objects.create(proposal=proposal, user=user)
    except IntegrityError as exc:
        raise StateError("You already support this proposal.") from exc
    count = _recount(proposal)
    audit_record(
        action="proposals.supported",
        actor=user,
        actor_role="resident",
        obj=proposal,
        changes={"support_count": count},
    )
    return proposal


@transaction.atomic
def support_withdraw(*, proposal: Proposal, user) -> Proposal:
    proposal = lock(proposal)
    deleted, _ = Support.objects.filter(proposal=proposal, user=user).delete()
    if not deleted:
        raise StateError("You do not support this proposal.")
    count = _recount(proposal)
    audit_record(
        action="proposals.support_withdrawn",
        actor=user,
        actor_role="resident",
        obj=proposal,
        changes={"support_count": count},
    )
    return proposal


@transaction.atomic
def comment_create(
    *, proposal: Proposal, author, body: str, parent: Comment | None = None
) -> Comment:
    """Plain text, threaded one level: a reply goes under the top-level comment."""
    proposal = lock(proposal)
    if not perms.can_comment_on_proposal(author, proposal):
        raise ForbiddenError("Only residents can comment on this proposal.")
    body = (body or "").strip()
    if not body:
        raise ApplicationError("Write a comment first.")
    if len(body) > MAX_COMMENT_CHARS:
        raise ApplicationError(f"Comments can be at most {MAX_COMMENT_CHARS:,} characters.")
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise ApplicationError("You can only reply to a comment on the same proposal.")
        if parent.parent_id is not None:
            parent = parent.parent  # one level: replies to replies join the thread
    comment = Comment(proposal=proposal, author=author, body=body, parent=parent)
    clean(comment)
    comment.save()
    audit_record(
        action="proposals.commented",
        actor=author,
        actor_role=role_of(author, proposal),
        obj=comment,
        changes={"proposal_id": proposal.pk, "parent_id": parent.pk if parent else None},
    )
    if author.pk != proposal.proposer_id:
        from ..tasks import comment_email_task

        outbox_enqueue(comment_email_task, comment.pk)
    return comment


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(f"Give a reason {what}.")
    if len(reason) > MAX_REASON_CHARS:
        raise ApplicationError(f"Keep the reason under {MAX_REASON_CHARS:,} characters.")
    return reason


@transaction.atomic
def report_create(
    *, reporter, reason: str, proposal: Proposal | None = None, comment: Comment | None = None
) -> Report:
    """Anyone signed in reports a proposal or a comment; trustees see it in their queue."""
    if (proposal is None) == (comment is None):
        raise ApplicationError("Report either a proposal or a comment.")
    target = proposal or comment
    if not perms.can_report_content(reporter, target):
        raise ForbiddenError("Sign in to report something, unless it is already hidden.")
    reason = _reason(reason, "for your report")
    owner = proposal or comment.proposal
    if owner.status == Proposal.Status.DRAFT:
        raise ForbiddenError("Drafts cannot be reported.")
    report = Report(
        reporter=reporter,
        neighbourhood_id=owner.neighbourhood_id,
        proposal=proposal,
        comment=comment,
        reason=reason,
    )
    clean(report)
    report.save()
    audit_record(
        action="proposals.reported",
        actor=reporter,
        obj=report,
        changes={
            "proposal_id": proposal.pk if proposal else None,
            "comment_id": comment.pk if comment else None,
        },
    )
    return report


def _resolve_reports(actor, **target) -> int:
    return Report.objects.filter(resolved_at__isnull=True, **target).update(
        resolved_at=timezone.now(), resolved_by=actor
    )


def _moderate(obj, *, actor, hide: bool, reason: str, action: str, extra: dict):
    if obj.is_hidden == hide:
        raise StateError("It is already hidden." if hide else "It is not hidden.")
    obj.is_hidden = hide
    obj.hidden_reason = reason
    obj.hidden_at = timezone.now() if hide else None
    obj.save(update_fields=["is_hidden", "hidden_reason", "hidden_at"])
    audit_record(
        action=action,
        actor=actor,
        actor_role="trustee",
        obj=obj,
        changes={"reason": reason, **extra},
    )
    from ..tasks import moderation_email_task

    kind = obj._meta.model_name
    outbox_enqueue(moderation_email_task, kind, obj.pk, "hidden" if hide else "restored")
    return obj


def _proposal_moderator(actor, proposal: Proposal) -> None:
    ensure_powers(actor, proposal.neighbourhood, TRUSTEE_ROLES, action="moderate")
    if has_conflict(actor, proposal):
        raise ForbiddenError("You are conflicted on this proposal: another trustee must decide.")
    if proposal.status == Proposal.Status.DRAFT:
        raise StateError("Drafts are private and cannot be moderated.")


@transaction.atomic
def proposal_hide(*, proposal: Proposal, actor, reason: str) -> Proposal:
    """Trustees hide a proposal's text behind a notice with the reason; the proposer is told."""
    reason = _reason(reason, "for hiding it")
    proposal = lock(proposal)
    _proposal_moderator(actor, proposal)
    _moderate(
        proposal,
        actor=actor,
        hide=True,
        reason=reason,
        action="proposals.hidden",
        extra={},
    )
    _resolve_reports(actor, proposal=proposal)
    return proposal


@transaction.atomic
def proposal_restore(*, proposal: Proposal, actor, reason: str) -> Proposal:
    reason = _reason(reason, "for restoring it")
    proposal = lock(proposal)
    _proposal_moderator(actor, proposal)
    _moderate(
        proposal,
        actor=actor,
        hide=False,
        reason=reason,
        action="proposals.restored",
        extra={},
    )
    return proposal


def _lock_comment(comment: Comment) -> Comment:
    return (
        Comment.objects.select_for_update(of=("self",))
        .select_related("proposal__neighbourhood")
        .get(pk=comment.pk)
    )


def _comment_moderator(actor, comment: Comment) -> None:
    ensure_powers(actor, comment.proposal.neighbourhood, TRUSTEE_ROLES, action="moderate")
    if actor.pk == comment.author_id:
        raise ForbiddenError("Another trustee must moderate your own comment.")
    if has_conflict(actor, comment.proposal):
        raise ForbiddenError("You are conflicted on this proposal: another trustee must decide.")
    if not perms.can_moderate_comment(actor, comment):
        raise ForbiddenError("Another trustee must moderate this comment.")


@transaction.atomic
def comment_hide(*, comment: Comment, actor, reason: str) -> Comment:
    """Trustees hide a comment behind a notice with the reason; its author is told."""
    reason = _reason(reason, "for hiding it")
    comment = _lock_comment(comment)
    _comment_moderator(actor, comment)
    _moderate(
        comment,
        actor=actor,
        hide=True,
        reason=reason,
        action="proposals.comment_hidden",
        extra={"proposal_id": comment.proposal_id},
    )
    _resolve_reports(actor, comment=comment)
    return comment


@transaction.atomic
def comment_restore(*, comment: Comment, actor, reason: str) -> Comment:
    reason = _reason(reason, "for restoring it")
    comment = _lock_comment(comment)
    _comment_moderator(actor, comment)
    _moderate(
        comment,
        actor=actor,
        hide=False,
        reason=reason,
        action="proposals.comment_restored",
        extra={"proposal_id": comment.proposal_id},
    )
    return comment


@transaction.atomic
def report_dismiss(*, report: Report, actor) -> Report:
    """A trustee closes a report without hiding anything."""
    # Lock only the report row: PostgreSQL cannot lock the nullable side of the outer joins.
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("neighbourhood", "proposal", "comment__proposal")
        .get(pk=report.pk)
    )
    ensure_powers(actor, report.neighbourhood, TRUSTEE_ROLES, action="moderate")
    target_proposal = report.proposal or report.comment.proposal
    if has_conflict(actor, target_proposal):
        raise ForbiddenError("You are conflicted on this proposal: another trustee must decide.")
    if report.comment is not None and report.comment.author_id == actor.pk:
        raise ForbiddenError("Another trustee must deal with a report on your own comment.")
    if report.resolved_at is not None:
        raise StateError("This report is already dealt with.")
    report.resolved_at = timezone.now()
    report.resolved_by = actor
    report.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(action="proposals.report_dismissed", actor=actor, actor_role="trustee", obj=report)
    return report
