"""Organisations and funds: the fund's lifecycle and the funder's tranches coming in.

Fund states (DESIGN.md): proposed -> agreement_issued -> active <-> suspended -> closing ->
closed. The finance officer of the fund holder moves it along; a funder auditor suspends and
resumes. A suspended fund commits and pays nothing (the grant and payment services check).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from communities.models import Neighbourhood, Role, RoleAssignment
from communities.permissions import can_use_admin_powers
from config.errors import ApplicationError, StateError

from .. import permissions as perms
from ..models import Account, Fund, FundTranche, JournalEntry, Organisation
from ._common import audit, clean, lock_fund, relock, require, require_amount
from .ledger import ledger_post

F = Fund.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    F.PROPOSED: {F.AGREEMENT_ISSUED},
    F.AGREEMENT_ISSUED: {F.ACTIVE},
    F.ACTIVE: {F.SUSPENDED, F.CLOSING},
    F.SUSPENDED: {F.ACTIVE, F.CLOSING},
    F.CLOSING: {F.CLOSED},
    F.CLOSED: set(),
}
STAMPS = {
    F.AGREEMENT_ISSUED: "agreement_issued_at",
    F.ACTIVE: "active_at",
    F.SUSPENDED: "suspended_at",
    F.CLOSING: "closing_at",
    F.CLOSED: "closed_at",
}


def _holds_money_role(user) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and RoleAssignment.objects.current()
        .filter(user=user, role__in=(Role.FINANCE_OFFICER, Role.FUNDER_AUDITOR))
        .exists()
    )


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    kind: str,
    org_id: str,
    charity_number: str = "",
    company_number: str = "",
    due_diligence_status: str = Organisation.DueDiligence.PENDING,
    due_diligence_on: dt.date | None = None,
) -> Organisation:
    """A finance officer, funder auditor or platform admin records an organisation."""
    require(
        can_use_admin_powers(actor) or _holds_money_role(actor),
        "Only a finance officer, a funder auditor or a platform admin can add organisations.",
    )
    org = Organisation(
        name=name.strip(),
        kind=kind,
        org_id=org_id.strip().upper(),
        charity_number=charity_number.strip(),
        company_number=company_number.strip().upper(),
        due_diligence_status=due_diligence_status,
        due_diligence_on=due_diligence_on,
    )
    clean(org)
    org.save()
    audit("funds.organisation_created", actor=actor, obj=org, org_id=org.org_id, kind=kind)
    return org


@transaction.atomic
def fund_create(
    *,
    actor,
    neighbourhood: Neighbourhood,
    name: str,
    funder: Organisation,
    holder: Organisation,
    total_pence: int,
    starts_on: dt.date,
    ends_on: dt.date,
    tranches: list[tuple[dt.date, int]],
) -> Fund:
    """Propose a fund with its schedule of tranches, which must add up to the total."""
    require_amount(total_pence, what="The fund's total")
    fund = Fund(
        neighbourhood=neighbourhood,
        name=name.strip(),
        funder=funder,
        holder=holder,
        total_committed_pence=total_pence,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    require(perms.can_manage_fund(actor, fund), "Only the finance officer can set up a fund.")
    if funder.kind != Organisation.Kind.FUNDER:
        raise ApplicationError(f"{funder} is not recorded as a funder.")
    if holder.kind != Organisation.Kind.FUND_HOLDER:
        raise ApplicationError(f"{holder} is not recorded as a fund holder.")
    if starts_on >= ends_on:
        raise ApplicationError("A fund must end after it starts.")
    if not tranches:
        raise ApplicationError("Give the schedule of tranches the funder will pay.")
    for _due, amount in tranches:
        require_amount(amount, what="Each tranche")
    if sum(amount for _due, amount in tranches) != total_pence:
        raise ApplicationError("The tranches must add up to the fund's total.")
    clean(fund)
    fund.save()
    FundTranche.objects.bulk_create(
        FundTranche(fund=fund, due_on=due, amount_pence=amount) for due, amount in tranches
    )
    audit(
        "funds.fund_created",
        actor=actor,
        obj=fund,
        total_pence=total_pence,
        funder=funder.org_id,
        holder=holder.org_id,
        tranches=len(tranches),
    )
    return fund


def _transition(fund: Fund, to: str, *, actor, reason: str = "", action: str) -> Fund:
    if to not in ALLOWED_TRANSITIONS[fund.status]:
        raise StateError(
            f"A fund that is “{fund.get_status_display()}” cannot become “{F(to).label}”."
        )
    previous = fund.status
    fund.status = to
    fund.status_reason = reason
    setattr(fund, STAMPS[to], timezone.now())
    fund.save(update_fields=["status", "status_reason", STAMPS[to]])
    audit(action, actor=actor, obj=fund, **{"from": previous, "to": to, "reason": reason})
    return fund


@transaction.atomic
def fund_issue_agreement(*, actor, fund: Fund) -> Fund:
    fund = lock_fund(fund)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer can issue agreements.")
    return _transition(fund, F.AGREEMENT_ISSUED, actor=actor, action="funds.fund_agreement_issued")


@transaction.atomic
def fund_activate(*, actor, fund: Fund) -> Fund:
    fund = lock_fund(fund)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer can activate a fund.")
    return _transition(fund, F.ACTIVE, actor=actor, action="funds.fund_activated")


@transaction.atomic
def fund_suspend(*, actor, fund: Fund, reason: str) -> Fund:
    """A funder auditor stops a fund committing or paying anything, with a reason."""
    fund = lock_fund(fund)
    require(perms.can_suspend_fund(actor, fund), "Only a funder auditor can suspend a fund.")
    if not reason.strip():
        raise ApplicationError("Say why the fund is being suspended.")
    return _transition(fund, F.SUSPENDED, actor=actor, reason=reason, action="funds.fund_suspended")


@transaction.atomic
def fund_resume(*, actor, fund: Fund, reason: str = "") -> Fund:
    fund = lock_fund(fund)
    require(perms.can_suspend_fund(actor, fund), "Only a funder auditor can resume a fund.")
    if fund.status != F.SUSPENDED:
        raise StateError("Only a suspended fund can be resumed.")
    return _transition(fund, F.ACTIVE, actor=actor, reason=reason, action="funds.fund_resumed")


@transaction.atomic
def fund_start_closing(*, actor, fund: Fund, reason: str = "") -> Fund:
    fund = lock_fund(fund)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer can close a fund.")
    return _transition(fund, F.CLOSING, actor=actor, reason=reason, action="funds.fund_closing")


@transaction.atomic
def fund_close(*, actor, fund: Fund) -> Fund:
    """Closed once every commitment is paid or released and no uncommitted cash is left
    (returned to the funder first)."""
    from ..selectors import fund_figures

    fund = lock_fund(fund)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer can close a fund.")
    figures = fund_figures(fund=fund)
    if figures.outstanding or figures.available:
        raise ApplicationError(
            "A fund closes when nothing is left: pay or release every commitment and return "
            "any uncommitted money to the funder first."
        )
    return _transition(fund, F.CLOSED, actor=actor, action="funds.fund_closed")


@transaction.atomic
def fund_tranche_receive(*, actor, tranche: FundTranche) -> FundTranche:
    """The funder's money arrived: post receivable -> cash. Recording it twice posts once."""
    fund = lock_fund(tranche.fund_id)
    require(
        perms.can_manage_fund(actor, fund),
        "Only the finance officer can record money received from the funder.",
    )
    tranche = relock(tranche)
    if tranche.received_at is not None:
        return tranche
    if fund.status not in (F.AGREEMENT_ISSUED, F.ACTIVE, F.SUSPENDED, F.CLOSING):
        raise StateError("Money can be received only once the fund's agreement is issued.")
    entry = ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.TRANCHE_RECEIVED,
        legs=[(Account.CASH, tranche.amount_pence), (Account.RECEIVABLE, -tranche.amount_pence)],
        idempotency_key=f"fund-tranche-{tranche.pk}-received",
        memo=f"Tranche due {tranche.due_on} received from {fund.funder}",
        actor=actor,
    )
    tranche.received_at = entry.posted_at
    tranche.entry = entry
    tranche.save(update_fields=["received_at", "entry"])
    audit(
        "funds.fund_tranche_received",
        actor=actor,
        obj=tranche,
        amount_pence=tranche.amount_pence,
        entry_seq=entry.seq,
    )
    return tranche


@transaction.atomic
def fund_return_to_funder(*, actor, fund: Fund, amount_pence: int, memo: str) -> JournalEntry:
    """Hand uncommitted money back to the funder (at closing, or on the funder's request)."""
    from ..selectors import fund_available_pence

    require_amount(amount_pence)
    fund = lock_fund(fund)
    require(perms.can_manage_fund(actor, fund), "Only the finance officer can return money.")
    if amount_pence > fund_available_pence(fund=fund):
        raise ApplicationError("That is more than the fund's uncommitted money.")
    if not memo.strip():
        raise ApplicationError("Say why the money is being returned.")
    import uuid

    return ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.RETURNED,
        legs=[(Account.RETURNED, amount_pence), (Account.CASH, -amount_pence)],
        idempotency_key=f"fund-{fund.pk}-return-{uuid.uuid4().hex}",
        memo=memo,
        actor=actor,
    )
