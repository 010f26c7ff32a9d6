"""Grants: approval (which commits money), the grant's lifecycle, tranche payments and holds.

Grant states (DESIGN.md): approved -> agreement_issued -> active <-> suspended -> completed |
closed_early | withdrawn. Approving commits money under the fund's row lock and is refused
when the fund's available balance would go below zero, however many approvals race.
Releasing a tranche is idempotent (one ledger key per tranche): a retry pays once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from communities.permissions import has_conflict
from config.errors import ApplicationError, ForbiddenError, StateError
from proposals.models import Proposal
from proposals.services import proposal_complete, proposal_grant, proposal_start_delivery

from .. import permissions as perms
from ..models import (
    Account,
    Decision,
    Fund,
    Grant,
    GrantTranche,
    JournalEntry,
    MonitoringReport,
    Organisation,
)
from ..selectors import fund_available_pence, grant_figures
from ._common import audit, clean, lock_fund, relock, require, require_amount
from .ledger import ledger_post

G = Grant.Status
# A closing fund still pays what it committed (so it can close); a suspended one pays nothing.
PAYING_FUND_STATES = (Fund.Status.ACTIVE, Fund.Status.CLOSING)

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    G.APPROVED: {G.AGREEMENT_ISSUED, G.WITHDRAWN},
    G.AGREEMENT_ISSUED: {G.ACTIVE, G.WITHDRAWN},
    G.ACTIVE: {G.SUSPENDED, G.COMPLETED, G.CLOSED_EARLY},
    G.SUSPENDED: {G.ACTIVE, G.CLOSED_EARLY},
    G.COMPLETED: set(),
    G.CLOSED_EARLY: set(),
    G.WITHDRAWN: set(),
}


@dataclass(frozen=True)
class TrancheSpec:
    amount_pence: int
    due_on: dt.date | None = None
    precondition: str = GrantTranche.Precondition.NONE


def tranche_precondition(number: int) -> str:
    """The first tranche is paid on the agreement; each later one waits for an accepted spend
    report (the pages and the API both make tranches this way)."""
    P = GrantTranche.Precondition
    return P.NONE if number == 1 else P.SPEND_REPORT_ACCEPTED


def tranche_split(amount_pence: int, count: int) -> list[TrancheSpec]:
    """`count` equal tranches of the grant; the first takes the odd pence."""
    shares = [amount_pence // count] * count
    shares[0] += amount_pence - sum(shares)
    return [
        TrancheSpec(amount_pence=share, precondition=tranche_precondition(n))
        for n, share in enumerate(shares, start=1)
    ]


@transaction.atomic
def grant_from_decision(
    *,
    actor,
    decision: Decision,
    title: str,
    recipient_organisation: Organisation,
    contact,
    payment_mode: str,
    tranche_count: int,
    conditions: str = "",
) -> Grant:
    """A trustee turns a passed decision that has no grant yet into one: advance grants are
    split into equal tranches; a decision without a proposal is for running costs."""
    tranches = (
        tranche_split(decision.amount_pence, tranche_count)
        if payment_mode == Grant.PaymentMode.ADVANCE
        else []
    )
    return grant_approve(
        actor=actor,
        decision=decision,
        title=title,
        recipient_organisation=recipient_organisation,
        contacts=[contact],
        conditions=conditions,
        payment_mode=payment_mode,
        tranches=tranches,
        purpose=Grant.Purpose.PROJECT if decision.proposal_id else Grant.Purpose.RUNNING_COSTS,
    )


def _paid_account(grant: Grant) -> str:
    return Account.RUNNING_COSTS if grant.purpose == Grant.Purpose.RUNNING_COSTS else Account.PAID


def _conflicted(user, grant: Grant) -> bool:
    return user.pk in grant.conflicted_user_ids() or has_conflict(user, grant)


@transaction.atomic
def grant_approve(
    *,
    actor,
    decision: Decision,
    title: str,
    recipient_organisation: Organisation | None = None,
    recipient_user=None,
    contacts: Iterable = (),
    conditions: str = "",
    planned_start: dt.date | None = None,
    planned_end: dt.date | None = None,
    payment_mode: str = Grant.PaymentMode.ADVANCE,
    tranches: Iterable[TrancheSpec] = (),
    purpose: str = Grant.Purpose.PROJECT,
) -> Grant:
    """Turn a passed grant decision into a grant and commit its money.

    The fund row is locked before the available balance is read, so concurrent approvals
    queue and the balance never goes below zero. A project grant moves its proposal to
    "granted" through the proposals service.
    """
    fund = lock_fund(decision.fund_id)
    require(
        perms.can_approve_grant(actor, fund),
        "Only a trustee of this neighbourhood can approve a grant.",
    )
    decision = Decision.objects.select_related("proposal").get(pk=decision.pk)
    if decision.subject != Decision.Subject.GRANT or not decision.passed:
        raise StateError("A grant needs a decision of the trustees that passed.")
    if Grant.objects.filter(decision=decision).exists():
        raise StateError("This decision has already been turned into a grant.")
    if fund.status != Fund.Status.ACTIVE:
        raise StateError(
            f"The fund is “{fund.get_status_display()}”: it can commit money only when active."
        )
    amount = decision.amount_pence
    require_amount(amount, what="The grant")
    proposal: Proposal | None = decision.proposal
    if purpose == Grant.Purpose.PROJECT and proposal is None:
        raise ApplicationError("A project grant must be for a proposal residents selected.")
    if proposal is not None and proposal.status != Proposal.Status.SELECTED:
        raise StateError("Only a proposal residents selected can be granted.")
    if (recipient_organisation is None) == (recipient_user is None):
        raise ApplicationError("A grant goes to one organisation or one individual.")
    if (
        recipient_organisation is not None
        and recipient_organisation.due_diligence_status != Organisation.DueDiligence.PASSED
    ):
        raise ApplicationError(
            f"{recipient_organisation} has not passed due diligence, so it cannot be granted money."
        )
    contacts = list(contacts)
    if recipient_user is not None and recipient_user not in contacts:
        contacts.append(recipient_user)
    if not contacts:
        raise ApplicationError("Name at least one grantee contact who will report on the grant.")
    tranches = list(tranches)
    if payment_mode == Grant.PaymentMode.ADVANCE:
        if not tranches:
            raise ApplicationError("A grant paid in advance needs its payment tranches.")
        for spec in tranches:
            require_amount(spec.amount_pence, what="Each tranche")
        if sum(spec.amount_pence for spec in tranches) != amount:
            raise ApplicationError("The tranches must add up to the grant.")
    elif tranches:
        raise ApplicationError("A reimbursement grant pays its approved claims, not tranches.")

    grant = Grant(
        fund=fund,
        decision=decision,
        purpose=purpose,
        proposal=proposal,
        recipient_organisation=recipient_organisation,
        recipient_user=recipient_user,
        title=title.strip(),
        amount_pence=amount,
        conditions=conditions,
        planned_start=planned_start,
        planned_end=planned_end,
        payment_mode=payment_mode,
        approved_by=actor,
    )
    clean(grant, exclude=["decision"])
    payees = {u.pk for u in contacts}
    if actor.pk in payees or (proposal is not None and actor.pk in proposal.conflicted_user_ids()):
        raise ForbiddenError(
            "You are conflicted on this grant, so another trustee must approve it."
        )
    if proposal is not None and has_conflict(actor, proposal):
        raise ForbiddenError("You declared a conflict on this proposal, so you cannot approve it.")

    available = fund_available_pence(fund=fund)
    if amount > available:
        raise ApplicationError(
            f"This grant of £{amount / 100:,.2f} would take the fund's available balance below "
            f"zero (£{available / 100:,.2f} is available). Nothing was committed."
        )
    grant.save()
    grant.contacts.set(contacts)
    GrantTranche.objects.bulk_create(
        GrantTranche(
            grant=grant,
            number=number,
            amount_pence=spec.amount_pence,
            due_on=spec.due_on,
            precondition=spec.precondition,
        )
        for number, spec in enumerate(tranches, start=1)
    )
    ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.GRANT_COMMITTED,
        legs=[(Account.COMMITTED, amount), (Account.CASH, -amount)],
        idempotency_key=f"grant-{grant.pk}-commit",
        memo=f"Grant committed: {grant.title}",
        grant=grant,
        actor=actor,
    )
    if proposal is not None:
        proposal_grant(proposal=proposal, actor=actor, reason=f"Grant of £{amount / 100:,.2f}")
    audit(
        "funds.grant_approved",
        actor=actor,
        obj=grant,
        decision=decision.pk,
        amount_pence=amount,
        payment_mode=payment_mode,
        purpose=purpose,
    )
    return grant


def _lock_grant(grant: Grant) -> tuple[Fund, Grant]:
    fund_id = Grant.objects.values_list("fund_id", flat=True).get(pk=grant.pk)
    fund = lock_fund(fund_id)
    grant = (
        Grant.objects.select_for_update(of=("self",)).select_related("proposal").get(pk=grant.pk)
    )
    grant.fund = fund
    return fund, grant


def _release_commitment(*, grant: Grant, fund: Fund, actor, why: str) -> None:
    """Give the unpaid part of a finished grant back to the fund's available money."""
    outstanding = grant_figures(grant=grant)["outstanding"]
    if outstanding > 0:
        ledger_post(
            fund=fund,
            kind=JournalEntry.Kind.GRANT_DECOMMITTED,
            legs=[(Account.CASH, outstanding), (Account.COMMITTED, -outstanding)],
            idempotency_key=f"grant-{grant.pk}-decommit",
            memo=f"Unpaid commitment released ({why}): {grant.title}",
            grant=grant,
            reverses=grant.entries.filter(kind=JournalEntry.Kind.GRANT_COMMITTED).first(),
            actor=actor,
        )


def _transition(grant: Grant, to: str, *, actor, reason: str = "") -> Grant:
    if to not in ALLOWED_TRANSITIONS[grant.status]:
        raise StateError(
            f"A grant that is “{grant.get_status_display()}” cannot become “{G(to).label}”."
        )
    previous = grant.status
    grant.status = to
    grant.status_reason = reason
    stamp = f"{to}_at"
    setattr(grant, stamp, timezone.now())
    grant.save(update_fields=["status", "status_reason", stamp])
    audit(f"funds.grant_{to}", actor=actor, obj=grant, **{"from": previous, "reason": reason})
    return grant


@transaction.atomic
def grant_issue_agreement(*, actor, grant: Grant) -> Grant:
    fund, grant = _lock_grant(grant)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer issues agreements.")
    return _transition(grant, G.AGREEMENT_ISSUED, actor=actor)


@transaction.atomic
def grant_activate(*, actor, grant: Grant) -> Grant:
    """The signed agreement is back: the grant starts and its proposal is in delivery."""
    fund, grant = _lock_grant(grant)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer activates grants.")
    grant = _transition(grant, G.ACTIVE, actor=actor)
    if grant.proposal is not None and grant.proposal.status == Proposal.Status.GRANTED:
        proposal_start_delivery(proposal=grant.proposal, actor=actor)
    return grant


@transaction.atomic
def grant_suspend(*, actor, grant: Grant, reason: str) -> Grant:
    fund, grant = _lock_grant(grant)
    require(
        perms.can_manage_fund(actor, fund) or perms.can_suspend_fund(actor, fund),
        "Only the finance officer or a funder auditor can suspend a grant.",
    )
    if not reason.strip():
        raise ApplicationError("Say why the grant is being suspended.")
    return _transition(grant, G.SUSPENDED, actor=actor, reason=reason)


@transaction.atomic
def grant_resume(*, actor, grant: Grant) -> Grant:
    fund, grant = _lock_grant(grant)
    require(
        perms.can_manage_fund(actor, fund) or perms.can_suspend_fund(actor, fund),
        "Only the finance officer or a funder auditor can resume a grant.",
    )
    if grant.status != G.SUSPENDED:
        raise StateError("Only a suspended grant can be resumed.")
    return _transition(grant, G.ACTIVE, actor=actor)


@transaction.atomic
def grant_complete(*, actor, grant: Grant) -> Grant:
    """Delivered: any unpaid commitment returns to the fund; the proposal is completed."""
    fund, grant = _lock_grant(grant)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer completes grants.")
    grant = _transition(grant, G.COMPLETED, actor=actor)
    _release_commitment(grant=grant, fund=fund, actor=actor, why="completed")
    if grant.proposal is not None and grant.proposal.status == Proposal.Status.IN_DELIVERY:
        proposal_complete(proposal=grant.proposal, actor=actor)
    return grant


@transaction.atomic
def grant_close_early(*, actor, grant: Grant, reason: str) -> Grant:
    fund, grant = _lock_grant(grant)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer closes grants.")
    if not reason.strip():
        raise ApplicationError("Say why the grant is closing early.")
    grant = _transition(grant, G.CLOSED_EARLY, actor=actor, reason=reason)
    GrantTranche.objects.filter(grant=grant, status=GrantTranche.Status.PENDING).update(
        status=GrantTranche.Status.CANCELLED
    )
    _release_commitment(grant=grant, fund=fund, actor=actor, why="closed early")
    return grant


@transaction.atomic
def grant_withdraw(*, actor, grant: Grant, reason: str) -> Grant:
    fund, grant = _lock_grant(grant)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer withdraws grants.")
    if not reason.strip():
        raise ApplicationError("Say why the grant is withdrawn.")
    grant = _transition(grant, G.WITHDRAWN, actor=actor, reason=reason)
    GrantTranche.objects.filter(grant=grant, status=GrantTranche.Status.PENDING).update(
        status=GrantTranche.Status.CANCELLED
    )
    _release_commitment(grant=grant, fund=fund, actor=actor, why="withdrawn")
    return grant


def _report_kind(tranche: GrantTranche) -> str:
    return (
        MonitoringReport.Kind.SPEND
        if tranche.precondition == GrantTranche.Precondition.SPEND_REPORT_ACCEPTED
        else MonitoringReport.Kind.PROGRESS
    )


@dataclass(frozen=True)
class TrancheFacts:
    """What tranche_refusal reads from other rows, found for many tranches at once."""

    earlier_pending: bool
    precondition_met: bool


def tranche_facts(tranches: Iterable[GrantTranche]) -> dict[int, TrancheFacts]:
    """tranche_refusal's reads for a list page, in two queries however many tranches: the
    grants' pending tranche numbers, their payment dates and their latest accepted report
    of each kind (the same rules as tranche_precondition_met, applied in Python)."""
    tranches = list(tranches)
    grant_ids = {t.grant_id for t in tranches}
    if not grant_ids:
        return {}
    pending: dict[int, list[int]] = {}
    released: dict[int, list[tuple[int, dt.datetime]]] = {}
    rows = GrantTranche.objects.filter(grant_id__in=grant_ids).values_list(
        "grant_id", "number", "status", "released_at"
    )
    for grant_id, number, status, released_at in rows:
        if status == GrantTranche.Status.PENDING:
            pending.setdefault(grant_id, []).append(number)
        if released_at is not None:
            released.setdefault(grant_id, []).append((number, released_at))
    latest_report = {
        (row["grant_id"], row["kind"]): (row["latest"], row["n"])
        for row in MonitoringReport.objects.filter(
            grant_id__in=grant_ids, status=MonitoringReport.Status.ACCEPTED
        )
        .order_by()
        .values("grant_id", "kind")
        .annotate(latest=Max("reviewed_at"), n=Count("pk"))
    }
    facts = {}
    for t in tranches:
        earlier = any(n < t.number for n in pending.get(t.grant_id, ()))
        if t.precondition == GrantTranche.Precondition.NONE:
            met = True
        else:
            latest, accepted = latest_report.get((t.grant_id, _report_kind(t)), (None, 0))
            previous = max(
                (at for n, at in released.get(t.grant_id, ()) if n < t.number), default=None
            )
            met = accepted > 0 if previous is None else (latest is not None and latest > previous)
        facts[t.pk] = TrancheFacts(earlier_pending=earlier, precondition_met=met)
    return facts


def tranche_precondition_met(tranche: GrantTranche) -> bool:
    """A tranche's precondition holds: an accepted report of the kind it names, accepted
    after the previous tranche was paid (so each report unlocks one tranche)."""
    P = GrantTranche.Precondition
    if tranche.precondition == P.NONE:
        return True
    kind = _report_kind(tranche)
    reports = MonitoringReport.objects.filter(
        grant_id=tranche.grant_id, kind=kind, status=MonitoringReport.Status.ACCEPTED
    )
    previous = (
        GrantTranche.objects.filter(grant_id=tranche.grant_id, number__lt=tranche.number)
        .exclude(released_at=None)
        .order_by("-released_at")
        .values_list("released_at", flat=True)
        .first()
    )
    if previous is not None:
        reports = reports.filter(reviewed_at__gt=previous)
    return reports.exists()


def tranche_refusal(
    tranche: GrantTranche, fund: Fund, grant: Grant, facts: TrancheFacts | None = None
) -> str | None:
    """Why the tranche cannot be paid now (state and preconditions), or None. A list page
    passes the `facts` it found for all its tranches at once (tranche_facts)."""
    if fund.status not in PAYING_FUND_STATES:
        return f"The fund is “{fund.get_status_display()}”, so it pays nothing."
    if grant.status != G.ACTIVE:
        return f"The grant is “{grant.get_status_display()}”: only an active grant is paid."
    if grant.payment_mode != Grant.PaymentMode.ADVANCE:
        return "This grant pays approved claims, not tranches."
    if tranche.status != GrantTranche.Status.PENDING:
        return "This tranche was cancelled."
    if tranche.is_held:
        return f"The funder's auditor is holding this tranche: {tranche.held_reason}"
    if facts is not None:
        earlier_pending, met = facts.earlier_pending, facts.precondition_met
    else:
        earlier_pending = GrantTranche.objects.filter(
            grant=grant, number__lt=tranche.number, status=GrantTranche.Status.PENDING
        ).exists()
        met = None
    if earlier_pending:
        return "Earlier tranches of this grant must be paid first."
    if not (met if met is not None else tranche_precondition_met(tranche)):
        return f"Its condition is not met yet: {tranche.get_precondition_display().lower()}."
    return None


@transaction.atomic
def grant_tranche_release(*, actor, tranche: GrantTranche) -> GrantTranche:
    """The finance officer pays a tranche whose precondition holds. Never the approver, a
    payee or a conflicted person. Releasing a paid tranche again (a retry, a double click,
    a concurrent request) changes nothing and pays nothing."""
    fund, grant = _lock_grant(tranche.grant)
    tranche = relock(tranche)
    tranche.grant = grant
    if not perms.can_use_powers_finance(actor, fund):
        raise ForbiddenError("Only the fund holder's finance officer releases payments.")
    if actor.pk == grant.approved_by_id:
        raise ForbiddenError("You approved this grant, so someone else must release its payments.")
    if actor.pk in grant.payee_user_ids() or _conflicted(actor, grant):
        raise ForbiddenError(
            "You are conflicted on this grant, so you cannot release its payments."
        )
    if tranche.status == GrantTranche.Status.RELEASED:
        return tranche
    refusal = tranche_refusal(tranche, fund, grant)
    if refusal:
        raise StateError(refusal)
    paid = grant_figures(grant=grant)["paid"]
    if paid + tranche.amount_pence > grant.amount_pence:
        raise ApplicationError("Paying this would take the grant's payments beyond the grant.")
    entry = ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.TRANCHE_PAID,
        legs=[
            (_paid_account(grant), tranche.amount_pence),
            (Account.COMMITTED, -tranche.amount_pence),
        ],
        idempotency_key=f"grant-tranche-{tranche.pk}-release",
        memo=f"Tranche {tranche.number} paid: {grant.title}",
        grant=grant,
        actor=actor,
    )
    tranche.status = GrantTranche.Status.RELEASED
    tranche.released_by = actor
    tranche.released_at = entry.posted_at
    tranche.entry = entry
    tranche.save(update_fields=["status", "released_by", "released_at", "entry"])
    audit(
        "funds.grant_tranche_released",
        actor=actor,
        obj=tranche,
        amount_pence=tranche.amount_pence,
        entry_seq=entry.seq,
    )
    return tranche


@transaction.atomic
def grant_tranche_hold(*, actor, tranche: GrantTranche, reason: str) -> GrantTranche:
    """A funder auditor withholds one tranche, with a reason (RULINGS, Money)."""
    fund, grant = _lock_grant(tranche.grant)
    tranche = relock(tranche)
    tranche.grant = grant
    require(perms.can_hold_tranche(actor, tranche), "Only a funder auditor can hold a tranche.")
    if not reason.strip():
        raise ApplicationError("Say why the tranche is being held.")
    if tranche.status != GrantTranche.Status.PENDING:
        raise StateError("Only a tranche not yet paid can be held.")
    tranche.held_by, tranche.held_at, tranche.held_reason = actor, timezone.now(), reason.strip()
    tranche.save(update_fields=["held_by", "held_at", "held_reason"])
    audit("funds.grant_tranche_held", actor=actor, obj=tranche, reason=tranche.held_reason)
    return tranche


@transaction.atomic
def grant_tranche_unhold(*, actor, tranche: GrantTranche) -> GrantTranche:
    fund, grant = _lock_grant(tranche.grant)
    tranche = relock(tranche)
    tranche.grant = grant
    require(perms.can_hold_tranche(actor, tranche), "Only a funder auditor can lift a hold.")
    if not tranche.is_held:
        raise StateError("This tranche is not held.")
    tranche.held_by, tranche.held_at, tranche.held_reason = None, None, ""
    tranche.save(update_fields=["held_by", "held_at", "held_reason"])
    audit("funds.grant_tranche_unheld", actor=actor, obj=tranche)
    return tranche
