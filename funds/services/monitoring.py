"""Monitoring reports, variations and recoveries: each a small state machine.

- A report: submitted -> accepted | returned. An accepted report can unlock a tranche.
- A variation (moving money between budget lines): requested -> approved | rejected. Up to
  the threshold (COMMONPURSE "VARIATION_THRESHOLD_PERCENT" of the grant, default 10) a
  trustee or the finance officer approves it; beyond, only a decision of the trustees does.
- A recovery (clawback or returned underspend): proposed -> approved (by a decision) ->
  received, posted as an entry that reverses the grant's latest payment; or cancelled.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..models import Account, Grant, JournalEntry, MonitoringReport, Recovery, Variation
from ..selectors import grant_figures
from ._common import audit, relock, require, require_amount
from .grants import _lock_grant
from .ledger import ledger_post

DEFAULT_VARIATION_THRESHOLD_PERCENT = 10


@transaction.atomic
def monitoring_report_submit(
    *,
    actor,
    grant: Grant,
    body: str,
    kind: str = MonitoringReport.Kind.PROGRESS,
    spend_pence: int = 0,
) -> MonitoringReport:
    require(perms.can_submit_claim(actor, grant), "Only the grant's contacts report on it.")
    if not body.strip():
        raise ApplicationError("Write the report before submitting it.")
    if spend_pence < 0:
        raise ApplicationError("Spend cannot be negative.")
    report = MonitoringReport.objects.create(
        grant=grant, kind=kind, body=body.strip(), spend_pence=spend_pence, submitted_by=actor
    )
    audit("funds.report_submitted", actor=actor, obj=report, kind=kind, spend_pence=spend_pence)
    return report


@transaction.atomic
def monitoring_report_review(
    *, actor, report: MonitoringReport, accept: bool, note: str = ""
) -> MonitoringReport:
    report = relock(report)
    require(
        perms.can_review_report(actor, report.grant),
        "Only a trustee or the finance officer without a conflict can review this report.",
    )
    if actor.pk == report.submitted_by_id:
        raise ForbiddenError("You cannot review your own report.")
    if report.status != MonitoringReport.Status.SUBMITTED:
        raise StateError("This report has already been reviewed.")
    if not accept and not note.strip():
        raise ApplicationError("Say what needs changing.")
    report.status = MonitoringReport.Status.ACCEPTED if accept else MonitoringReport.Status.RETURNED
    report.reviewed_by, report.reviewed_at, report.review_note = actor, timezone.now(), note
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit("funds.report_reviewed", actor=actor, obj=report, status=report.status)
    return report


def variation_needs_decision(variation: Variation) -> bool:
    percent = int(
        getattr(settings, "COMMONPURSE", {}).get(
            "VARIATION_THRESHOLD_PERCENT", DEFAULT_VARIATION_THRESHOLD_PERCENT
        )
    )
    return variation.moved_pence * 100 > variation.grant.amount_pence * percent


@transaction.atomic
def variation_request(*, actor, grant: Grant, description: str, moved_pence: int) -> Variation:
    require(perms.can_submit_claim(actor, grant), "Only the grant's contacts can ask for a change.")
    require_amount(moved_pence, what="The amount moved")
    if not description.strip():
        raise ApplicationError("Describe the change to the budget.")
    if moved_pence > grant.amount_pence:
        raise ApplicationError("A variation cannot move more than the whole grant.")
    variation = Variation.objects.create(
        grant=grant, description=description.strip(), moved_pence=moved_pence, requested_by=actor
    )
    audit("funds.variation_requested", actor=actor, obj=variation, moved_pence=moved_pence)
    return variation


@transaction.atomic
def variation_approve_minor(*, actor, variation: Variation) -> Variation:
    """Within the threshold a trustee or the finance officer approves; beyond it, a decision."""
    variation = relock(variation)
    require(
        perms.can_review_report(actor, variation.grant),
        "Only a trustee or the finance officer without a conflict can approve a variation.",
    )
    if variation.status != Variation.Status.REQUESTED:
        raise StateError("This variation has already been decided.")
    if variation_needs_decision(variation):
        raise ApplicationError(
            "This change is beyond the threshold, so the trustees must decide it at a meeting."
        )
    variation.status, variation.decided_at = Variation.Status.APPROVED, timezone.now()
    variation.save(update_fields=["status", "decided_at"])
    audit("funds.variation_approved", actor=actor, obj=variation)
    return variation


@transaction.atomic
def recovery_propose(*, actor, grant: Grant, kind: str, amount_pence: int, reason: str) -> Recovery:
    """A trustee or the finance officer proposes recovering money; the trustees decide."""
    require(
        perms.can_review_report(actor, grant),
        "Only a trustee or the finance officer without a conflict can propose a recovery.",
    )
    require_amount(amount_pence, what="The amount to recover")
    if not reason.strip():
        raise ApplicationError("Say why the money is being recovered.")
    figures = grant_figures(grant=grant)
    if amount_pence > figures["paid"] - figures["recovered"]:
        raise ApplicationError("That is more than this grant has been paid.")
    recovery = Recovery.objects.create(
        grant=grant, kind=kind, amount_pence=amount_pence, reason=reason.strip(), proposed_by=actor
    )
    audit("funds.recovery_proposed", actor=actor, obj=recovery, amount_pence=amount_pence)
    return recovery


@transaction.atomic
def recovery_receive(*, actor, recovery: Recovery) -> Recovery:
    """The money is back: post cash in / recovered, reversing the grant's latest payment."""
    fund, grant = _lock_grant(recovery.grant)
    recovery = relock(recovery)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer records money received.")
    if recovery.status == Recovery.Status.RECEIVED:
        return recovery
    if recovery.status != Recovery.Status.APPROVED:
        raise StateError("A recovery is received only after the trustees approved it.")
    figures = grant_figures(grant=grant)
    if recovery.amount_pence > figures["paid"] - figures["recovered"]:
        raise ApplicationError("That is more than this grant has been paid.")
    payment = (
        grant.entries.filter(
            kind__in=(JournalEntry.Kind.TRANCHE_PAID, JournalEntry.Kind.CLAIM_PAID)
        )
        .order_by("-seq")
        .first()
    )
    entry = ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.RECOVERY,
        legs=[(Account.CASH, recovery.amount_pence), (Account.RECOVERED, -recovery.amount_pence)],
        idempotency_key=f"recovery-{recovery.pk}-received",
        memo=f"{recovery.get_kind_display()} received: {grant.title}",
        grant=grant,
        reverses=payment,
        actor=actor,
    )
    recovery.status, recovery.received_at, recovery.entry = (
        Recovery.Status.RECEIVED,
        entry.posted_at,
        entry,
    )
    recovery.save(update_fields=["status", "received_at", "entry"])
    audit("funds.recovery_received", actor=actor, obj=recovery, amount_pence=recovery.amount_pence)
    return recovery
