"""Claims: spend with receipts. draft -> submitted <-> incomplete -> approved -> paid; rejected.

Grantee contacts (or the fund holder's staff, for running costs) write and submit claims;
a trustee approves (never their own claim, never when conflicted); the finance officer pays
(never the approver or the submitter). In "reimbursement" grants approved claims are paid;
in "advance" grants an approved claim is accepted spend against money already paid, and is
not paid again. Editing an approved claim sends it back to submitted. Receipts are checked
by content before anything is stored; a refused receipt stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import Account, Claim, ClaimItem, Fund, Grant, JournalEntry
from ..receipts import ReceiptRejected, check_receipt, read_capped
from ..selectors import grant_figures
from ._common import audit, relock, require, require_amount
from .grants import PAYING_FUND_STATES, _lock_grant
from .ledger import ledger_post

C = Claim.Status
EDITABLE = {C.DRAFT, C.SUBMITTED, C.INCOMPLETE, C.APPROVED}
OPEN_GRANT = {Grant.Status.ACTIVE, Grant.Status.AGREEMENT_ISSUED}


@dataclass(frozen=True)
class ItemInput:
    description: str
    amount_pence: int
    receipt: object = None  # an uploaded file (anything with read()), or None


def _checked_items(items: list[ItemInput]) -> list[tuple[ItemInput, bytes | None, object]]:
    """Validate every line and every receipt before anything is written."""
    checked = []
    for item in items:
        if not item.description.strip():
            raise ApplicationError("Say what each item of the claim was for.")
        require_amount(item.amount_pence, what="Each item")
        data, info = None, None
        if item.receipt is not None:
            try:
                data = read_capped(item.receipt, size=getattr(item.receipt, "size", None))
                info = check_receipt(data)
            except ReceiptRejected as exc:
                raise ApplicationError(str(exc)) from exc
        checked.append((item, data, info))
    return checked


def _store_items(claim: Claim, checked) -> list[ClaimItem]:
    """Write the rows and files, after every check has passed; a failure part-way removes
    the files already written (the rows roll back with the transaction)."""
    saved: list[ClaimItem] = []
    try:
        for item, data, info in checked:
            row = ClaimItem(
                claim=claim,
                description=item.description.strip()[:200],
                amount_pence=item.amount_pence,
                receipt_kind=info.kind if info else "",
                receipt_sha256=info.sha256 if info else "",
            )
            if data is not None:
                row.receipt.save(f"receipt.{info.kind}", ContentFile(data), save=False)
            row.save()
            saved.append(row)
    except Exception:
        for row in saved:
            if row.receipt:
                row.receipt.delete(save=False)
        raise
    return saved


def _claim_total(claim: Claim) -> int:
    return int(claim.items.aggregate(total=Sum("amount_pence"))["total"] or 0)


def _lock_claim(claim: Claim) -> tuple[Fund, Grant, Claim]:
    fund, grant = _lock_grant(claim.grant)
    claim = relock(claim)
    claim.grant = grant
    return fund, grant, claim


def _remaining(grant: Grant) -> int:
    """What may still be claimed: the grant less what is paid or approved and awaiting payment."""
    figures = grant_figures(grant=grant)
    if grant.payment_mode == Grant.PaymentMode.REIMBURSEMENT:
        approved_unpaid = (
            ClaimItem.objects.filter(claim__grant=grant, claim__status=C.APPROVED).aggregate(
                total=Sum("amount_pence")
            )["total"]
            or 0
        )
        return grant.amount_pence - figures["paid"] - int(approved_unpaid)
    accepted = (
        ClaimItem.objects.filter(claim__grant=grant, claim__status=C.APPROVED).aggregate(
            total=Sum("amount_pence")
        )["total"]
        or 0
    )
    return grant.amount_pence - int(accepted)


@transaction.atomic
def claim_create(*, actor, grant: Grant, items: list[ItemInput]) -> Claim:
    """A grantee contact starts a claim (a draft) with its items and receipts."""
    fund, grant = _lock_grant(grant)
    require(perms.can_submit_claim(actor, grant), "Only the grant's contacts can claim on it.")
    if grant.status not in OPEN_GRANT:
        raise StateError(f"The grant is “{grant.get_status_display()}”: it takes no claims.")
    checked = _checked_items(items)
    claim = Claim.objects.create(grant=grant, submitted_by=actor)
    _store_items(claim, checked)
    audit("funds.claim_created", actor=actor, obj=claim, items=len(checked))
    return claim


@transaction.atomic
def claim_item_add(*, actor, claim: Claim, item: ItemInput) -> ClaimItem:
    """Add a line. Editing an approved claim sends it back to submitted for a fresh approval."""
    fund, grant, claim = _lock_claim(claim)
    require(actor.pk == claim.submitted_by_id, "Only whoever started the claim can edit it.")
    if claim.status not in EDITABLE:
        raise StateError(f"A claim that is “{claim.get_status_display()}” cannot be changed.")
    checked = _checked_items([item])
    (row,) = _store_items(claim, checked)
    _back_to_submitted(claim, actor=actor)
    audit("funds.claim_item_added", actor=actor, obj=claim, amount_pence=item.amount_pence)
    return row


@transaction.atomic
def claim_item_remove(*, actor, claim: Claim, item: ClaimItem) -> Claim:
    fund, grant, claim = _lock_claim(claim)
    require(actor.pk == claim.submitted_by_id, "Only whoever started the claim can edit it.")
    if claim.status not in EDITABLE:
        raise StateError(f"A claim that is “{claim.get_status_display()}” cannot be changed.")
    if item.claim_id != claim.pk:
        raise ApplicationError("That item is not part of this claim.")
    name = item.receipt.name if item.receipt else ""
    item.delete()
    if name:
        storage = ClaimItem._meta.get_field("receipt").storage
        transaction.on_commit(lambda: storage.delete(name))
    _back_to_submitted(claim, actor=actor)
    audit("funds.claim_item_removed", actor=actor, obj=claim)
    return claim


def _back_to_submitted(claim: Claim, *, actor) -> None:
    if claim.status == C.APPROVED:
        claim.status = C.SUBMITTED
        claim.approved_by = None
        claim.approved_at = None
        claim.submitted_at = timezone.now()
        claim.save(update_fields=["status", "approved_by", "approved_at", "submitted_at"])
        audit("funds.claim_reopened", actor=actor, obj=claim)


@transaction.atomic
def claim_submit(*, actor, claim: Claim) -> Claim:
    fund, grant, claim = _lock_claim(claim)
    require(actor.pk == claim.submitted_by_id, "Only whoever started the claim can submit it.")
    if claim.status not in (C.DRAFT, C.INCOMPLETE):
        raise StateError(f"A claim that is “{claim.get_status_display()}” cannot be submitted.")
    items = list(claim.items.all())
    if not items:
        raise ApplicationError("Add at least one item before submitting the claim.")
    if any(not item.receipt for item in items):
        raise ApplicationError("Every item needs its receipt.")
    total = sum(item.amount_pence for item in items)
    if total > _remaining(grant):
        raise ApplicationError("This claim is for more than is left of the grant.")
    claim.status, claim.submitted_at, claim.status_reason = C.SUBMITTED, timezone.now(), ""
    claim.save(update_fields=["status", "submitted_at", "status_reason"])
    audit("funds.claim_submitted", actor=actor, obj=claim, total_pence=total)
    return claim


@transaction.atomic
def claim_file(*, actor, grant: Grant, items: list[ItemInput]) -> Claim:
    """A claim with its items and receipts, created and submitted in one go: nothing is
    stored when a receipt, an amount or the grant's state refuses it."""
    claim = claim_create(actor=actor, grant=grant, items=items)
    return claim_submit(actor=actor, claim=claim)


@transaction.atomic
def claim_return_incomplete(*, actor, claim: Claim, reason: str) -> Claim:
    fund, grant, claim = _lock_claim(claim)
    require(perms.can_approve_claim(actor, claim), "You cannot review this claim.")
    if claim.status != C.SUBMITTED:
        raise StateError("Only a submitted claim can be returned for more information.")
    if not reason.strip():
        raise ApplicationError("Say what is missing.")
    claim.status, claim.status_reason = C.INCOMPLETE, reason.strip()
    claim.save(update_fields=["status", "status_reason"])
    audit("funds.claim_returned", actor=actor, obj=claim, reason=claim.status_reason)
    return claim


@transaction.atomic
def claim_reject(*, actor, claim: Claim, reason: str) -> Claim:
    fund, grant, claim = _lock_claim(claim)
    require(perms.can_approve_claim(actor, claim), "You cannot review this claim.")
    if claim.status not in (C.SUBMITTED, C.INCOMPLETE):
        raise StateError("Only a submitted claim can be rejected.")
    if not reason.strip():
        raise ApplicationError("Say why the claim is rejected.")
    claim.status, claim.status_reason = C.REJECTED, reason.strip()
    claim.save(update_fields=["status", "status_reason"])
    audit("funds.claim_rejected", actor=actor, obj=claim, reason=claim.status_reason)
    return claim


@transaction.atomic
def claim_approve(*, actor, claim: Claim) -> Claim:
    """A trustee approves: never their own claim, never when conflicted on the grant."""
    fund, grant, claim = _lock_claim(claim)
    if actor.pk == claim.submitted_by_id:
        raise ForbiddenError("You cannot approve your own claim.")
    require(
        perms.can_approve_claim(actor, claim),
        "Only a trustee without a conflict on this grant can approve its claims.",
    )
    if claim.status != C.SUBMITTED:
        raise StateError(f"A claim that is “{claim.get_status_display()}” cannot be approved.")
    total = _claim_total(claim)
    if total > _remaining(grant):
        raise ApplicationError("Approving this claim would take the grant beyond its amount.")
    claim.status, claim.approved_by, claim.approved_at = C.APPROVED, actor, timezone.now()
    claim.save(update_fields=["status", "approved_by", "approved_at"])
    audit("funds.claim_approved", actor=actor, obj=claim, total_pence=total)
    return claim


@transaction.atomic
def claim_pay(*, actor, claim: Claim) -> Claim:
    """The finance officer pays an approved claim of a reimbursement grant, once."""
    fund, grant, claim = _lock_claim(claim)
    if actor.pk in (claim.approved_by_id, claim.submitted_by_id):
        raise ForbiddenError("You approved or submitted this claim, so someone else must pay it.")
    require(
        perms.can_pay_claim(actor, claim),
        "Only the finance officer, without a conflict on this grant, can pay its claims.",
    )
    if claim.status == C.PAID:
        return claim
    if claim.status != C.APPROVED:
        raise StateError("Only an approved claim can be paid.")
    if grant.payment_mode != Grant.PaymentMode.REIMBURSEMENT:
        raise StateError(
            "This grant was paid in advance: its approved claims report spend and are not paid."
        )
    if fund.status not in PAYING_FUND_STATES:
        raise StateError(f"The fund is “{fund.get_status_display()}”, so it pays nothing.")
    if grant.status != Grant.Status.ACTIVE:
        raise StateError(
            f"The grant is “{grant.get_status_display()}”: only an active grant is paid."
        )
    total = _claim_total(claim)
    if grant_figures(grant=grant)["paid"] + total > grant.amount_pence:
        raise ApplicationError(
            "Paying this claim would take the grant's payments beyond the grant."
        )
    account = (
        Account.RUNNING_COSTS if grant.purpose == Grant.Purpose.RUNNING_COSTS else Account.PAID
    )
    entry = ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.CLAIM_PAID,
        legs=[(account, total), (Account.COMMITTED, -total)],
        idempotency_key=f"claim-{claim.pk}-pay",
        memo=f"Claim {claim.pk} paid: {grant.title}",
        grant=grant,
        actor=actor,
    )
    claim.status, claim.paid_by, claim.paid_at, claim.entry = C.PAID, actor, entry.posted_at, entry
    claim.save(update_fields=["status", "paid_by", "paid_at", "entry"])
    audit("funds.claim_paid", actor=actor, obj=claim, total_pence=total, entry_seq=entry.seq)
    return claim
