"""Celery tasks: image processing and emails. Thin: take ids, load, call a service or send.

Enqueued only via the outbox (outbox_enqueue), which runs each queued task once, after commit.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from communities.models import RoleAssignment
from communities.permissions import TRUSTEE_ROLES

from .models import Comment, Proposal, StatusChange
from .services.images import proposal_image_process
from .text import single_line


def _link(proposal: Proposal) -> str:
    path = reverse(
        "proposals:detail", kwargs={"slug": proposal.neighbourhood.slug, "pk": proposal.pk}
    )
    return f"{getattr(settings, 'SITE_URL', '')}{path}"


def _mailable(user) -> bool:
    """An erased or deactivated account gets no email: an erased one's address is a
    tombstone (`.invalid`), so the mail would only bounce."""
    return bool(user.is_active and user.erased_at is None and user.email)


def _send(subject: str, body: str, to: list[str]) -> int:
    if not to:
        return 0
    # Titles written before control characters were refused could still hold a newline,
    # which Django refuses in a header (BadHeaderError): subjects are always one line.
    return send_mail(single_line(subject)[:150], body, None, to, fail_silently=False)


@shared_task(time_limit=120, soft_time_limit=100)
def proposal_image_process_task(image_id: int) -> None:
    proposal_image_process(image_id=image_id)


@shared_task(time_limit=60, soft_time_limit=50)
def proposal_status_email_task(status_change_id: int) -> int:
    """Tell the proposer the status changed (unless they switched this off)."""
    change = (
        StatusChange.objects.select_related("proposal__proposer", "proposal__neighbourhood")
        .filter(pk=status_change_id)
        .first()
    )
    if change is None or not change.proposal.proposer.notify_proposal_status:
        return 0
    if not _mailable(change.proposal.proposer):
        return 0
    proposal = change.proposal
    status = Proposal.Status(change.to_status).label
    lines = [
        f"Your proposal “{proposal.title}” is now: {status}.",
        "",
    ]
    if change.reason:
        lines += ["The reason given:", change.reason, ""]
    lines += [
        f"See it here: {_link(proposal)}",
        "",
        "You can switch these emails off in your account.",
    ]
    return _send(f"Your proposal is now: {status}", "\n".join(lines), [proposal.proposer.email])


@shared_task(time_limit=60, soft_time_limit=50)
def proposal_submitted_email_task(proposal_id: int) -> int:
    """Tell the neighbourhood's trustees a proposal is waiting for screening."""
    proposal = Proposal.objects.select_related("neighbourhood").filter(pk=proposal_id).first()
    if proposal is None:
        return 0
    emails = sorted(
        set(
            RoleAssignment.objects.current()
            .filter(
                neighbourhood=proposal.neighbourhood,
                role__in=TRUSTEE_ROLES,
                user__notify_submissions=True,
                user__is_active=True,
                user__erased_at=None,
            )
            .exclude(user_id=proposal.proposer_id)
            .values_list("user__email", flat=True)
        )
    )
    body = (
        f"A new proposal was submitted in {proposal.neighbourhood}: “{proposal.title}”.\n\n"
        f"It is waiting for screening: {_link(proposal)}\n\n"
        "You can switch these emails off in your account."
    )
    return _send("A proposal is waiting for screening", body, emails)


@shared_task(time_limit=60, soft_time_limit=50)
def comment_email_task(comment_id: int) -> int:
    """Tell the proposer about a new comment (unless they switched this off)."""
    comment = (
        Comment.objects.select_related("proposal__proposer", "proposal__neighbourhood", "author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or not comment.proposal.proposer.notify_comments:
        return 0
    if not _mailable(comment.proposal.proposer):
        return 0
    proposal = comment.proposal
    body = (
        f"{comment.author.public_name} commented on your proposal “{proposal.title}”:\n\n"
        f"{comment.body}\n\nReply here: {_link(proposal)}\n\n"
        "You can switch these emails off in your account."
    )
    return _send("A new comment on your proposal", body, [proposal.proposer.email])


@shared_task(time_limit=60, soft_time_limit=50)
def moderation_email_task(kind: str, obj_id: int, action: str) -> int:
    """Tell the author their proposal or comment was hidden or restored, and why."""
    if kind == "proposal":
        obj = Proposal.objects.select_related("proposer", "neighbourhood").filter(pk=obj_id).first()
        if obj is None:
            return 0
        proposal, author, what = obj, obj.proposer, f"your proposal “{obj.title}”"
    else:
        obj = (
            Comment.objects.select_related("author", "proposal__neighbourhood")
            .filter(pk=obj_id)
            .first()
        )
        if obj is None:
            return 0
        proposal, author, what = obj.proposal, obj.author, "your comment"
    if not _mailable(author):
        return 0
    body = (
        f"The trustees have {action} {what}.\n\nThe reason given:\n{obj.hidden_reason}\n\n"
        f"{_link(proposal)}\n\nIf you disagree, reply to the trustees of {proposal.neighbourhood}."
    )
    return _send(f"Trustees have {action} {what}"[:120], body, [author.email])
