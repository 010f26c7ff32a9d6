"""Funder auditors' queries and the trustees' answers: raise, answer, reply, close, reopen.

Each step appends one FundQueryMessage (never changed, never deleted), writes an audit event
on the neighbourhood's stream and queues a notice to the other side through the outbox, all
in one transaction: a refused step leaves nothing behind.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, neighbourhood_stream
from config.errors import ApplicationError, StateError
from outbox.services import outbox_enqueue

from .. import permissions as perms
from ..models import Claim, Fund, FundQuery, FundQueryMessage, Grant, JournalEntry
from ..models.queries import BODY_MAX, SUBJECT_MAX
from ._common import lock_fund, require

NOTICE_TASK = "funds.tasks.fund_query_notice_task"
Kind = FundQueryMessage.Kind


def _text(value: str, *, what: str, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ApplicationError(f"Write the {what}.", extra={"fields": {what: ["Required."]}})
    if len(text) > limit:
        raise ApplicationError(
            f"The {what} is too long: at most {limit:,} characters ({len(text):,} given).",
            extra={"fields": {what: ["Too long."]}},
        )
    return text


def _step(query: FundQuery, *, actor, kind: str, role: str, body: str) -> FundQueryMessage:
    now = timezone.now()
    message = FundQueryMessage.objects.create(
        query=query, kind=kind, author=actor, author_role=role, body=body, created_at=now
    )
    query.last_message_at = now
    fields = ["last_message_at"]
    if kind == Kind.CLOSED:
        query.status, query.closed_at = FundQuery.Status.CLOSED, now
        fields += ["status", "closed_at"]
    elif kind == Kind.REOPENED:
        query.status, query.closed_at = FundQuery.Status.OPEN, None
        fields += ["status", "closed_at"]
    query.save(update_fields=fields)
    audit_record(
        action=f"funds.query_{kind}",
        actor=actor,
        obj=query,
        actor_role=role,
        changes={"query": query.pk, "message": message.pk, "status": query.status},
        stream=neighbourhood_stream(query.fund.neighbourhood_id),
    )
    outbox_enqueue(NOTICE_TASK, message.pk)
    return message


def _lock_query(query: FundQuery) -> FundQuery:
    lock_fund(query.fund_id)
    return (
        FundQuery.objects.select_for_update(of=("self",))
        .select_related("fund__neighbourhood", "entry__grant", "grant", "claim__grant")
        .get(pk=query.pk)
    )


@transaction.atomic
def fund_query_raise(
    *,
    actor,
    fund: Fund,
    subject: str,
    body: str,
    entry: JournalEntry | None = None,
    grant: Grant | None = None,
    claim: Claim | None = None,
) -> FundQuery:
    """A funder auditor asks about exactly one ledger entry, grant or claim of this fund."""
    require(perms.can_raise_query(actor, fund), "Only the fund's funder auditors raise queries.")
    targets = [t for t in (entry, grant, claim) if t is not None]
    if len(targets) != 1:
        raise ApplicationError("A query is about exactly one ledger entry, grant or claim.")
    if entry is not None:
        target_fund = entry.fund_id
    elif grant is not None:
        target_fund = grant.fund_id
    else:
        target_fund = claim.grant.fund_id
    if target_fund != fund.pk:
        raise ApplicationError("That item is not in this fund's books.")
    # The claim's status as stored now (the caller's copy may predate its submission).
    if claim is not None and (
        Claim.objects.filter(pk=claim.pk).values_list("status", flat=True).first()
        in (None, Claim.Status.DRAFT)
    ):
        raise ApplicationError("A draft claim has not been submitted: there is nothing to ask.")
    subject = _text(subject, what="subject", limit=SUBJECT_MAX)
    body = _text(body, what="question", limit=BODY_MAX)
    fund = lock_fund(fund)
    now = timezone.now()
    query = FundQuery.objects.create(
        fund=fund,
        entry=entry,
        grant=grant,
        claim=claim,
        subject=subject,
        raised_by=actor,
        created_at=now,
        last_message_at=now,
    )
    _step(query, actor=actor, kind=Kind.QUESTION, role="funder_auditor", body=body)
    return query


@transaction.atomic
def fund_query_answer(*, actor, query: FundQuery, body: str) -> FundQueryMessage:
    """A trustee who is not conflicted answers an open query."""
    query = _lock_query(query)
    if query.status != FundQuery.Status.OPEN:
        raise StateError("This query is closed; the auditor can reopen it.")
    require(
        perms.can_answer_query(actor, query),
        "Only a trustee of the neighbourhood who is not conflicted on this item can answer.",
    )
    body = _text(body, what="answer", limit=BODY_MAX)
    return _step(query, actor=actor, kind=Kind.ANSWER, role="trustee", body=body)


@transaction.atomic
def fund_query_reply(*, actor, query: FundQuery, body: str) -> FundQueryMessage:
    """The auditor adds to an open query (a follow-up question)."""
    query = _lock_query(query)
    if query.status != FundQuery.Status.OPEN:
        raise StateError("This query is closed; reopen it to reply.")
    require(perms.can_reply_query(actor, query), "Only the fund's funder auditors reply here.")
    body = _text(body, what="reply", limit=BODY_MAX)
    return _step(query, actor=actor, kind=Kind.REPLY, role="funder_auditor", body=body)


@transaction.atomic
def fund_query_close(*, actor, query: FundQuery, note: str = "") -> FundQueryMessage:
    """The auditor closes an open query, optionally with a note."""
    query = _lock_query(query)
    if query.status != FundQuery.Status.OPEN:
        raise StateError("This query is already closed.")
    require(perms.can_close_query(actor, query), "Only the fund's funder auditors close queries.")
    note = _text(note, what="note", limit=BODY_MAX, required=False)
    return _step(query, actor=actor, kind=Kind.CLOSED, role="funder_auditor", body=note)


@transaction.atomic
def fund_query_reopen(*, actor, query: FundQuery, note: str = "") -> FundQueryMessage:
    """The auditor reopens a closed query; the thread carries on."""
    query = _lock_query(query)
    if query.status != FundQuery.Status.CLOSED:
        raise StateError("This query is already open.")
    require(perms.can_reopen_query(actor, query), "Only the fund's funder auditors reopen queries.")
    note = _text(note, what="note", limit=BODY_MAX, required=False)
    return _step(query, actor=actor, kind=Kind.REOPENED, role="funder_auditor", body=note)
