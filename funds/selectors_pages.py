"""Reads for the funds pages: what each role has to do, with bounded queries.

Kept apart from funds.selectors (the ledger's figures) so the pages can grow without
touching the money rules. Every list here is filtered by the same predicates the services
check, so a button is shown only when pressing it would be allowed.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, Sum

from communities.models import Role, RoleAssignment
from communities.permissions import TRUSTEE_ROLES
from proposals.models import Proposal

from . import permissions as perms
from .models import (
    Account,
    Claim,
    ClaimItem,
    Decision,
    Fund,
    FundTranche,
    Grant,
    GrantTranche,
    LedgerSummary,
)
from .selectors import grant_figures
from .services.grants import tranche_refusal

MONEY_ROLES = (*TRUSTEE_ROLES, Role.FINANCE_OFFICER, Role.FUNDER_AUDITOR)


def funds_for_user(*, user) -> list[Fund]:
    """Funds of the neighbourhoods where the user holds a trustee, finance or auditor role."""
    if not getattr(user, "is_authenticated", False):
        return []
    nb_ids = (
        RoleAssignment.objects.current()
        .filter(user=user, role__in=MONEY_ROLES)
        .values_list("neighbourhood_id", flat=True)
    )
    return list(
        Fund.objects.filter(neighbourhood_id__in=nb_ids).select_related(
            "neighbourhood", "funder", "holder"
        )
    )


def grants_for_contact(*, user) -> list[Grant]:
    """Grants the user receives or reports on (the grantee role)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Grant.objects.filter(Q(contacts=user) | Q(recipient_user=user))
        .distinct()
        .select_related("fund", "recipient_organisation")
    )


def fund_tranches(*, fund: Fund) -> list[FundTranche]:
    return list(fund.tranches.order_by("due_on", "id"))


def fund_grants_queryset(*, fund: Fund):
    return fund.grants.select_related("proposal", "recipient_organisation", "recipient_user")


def fund_grants(*, fund: Fund, grants=None) -> list[Grant]:
    """The fund's grants (or one page of them), each with granted, paid and spent attached:
    three queries in all, however many grants and entries."""
    return attach_grant_figures(list(fund_grants_queryset(fund=fund) if grants is None else grants))


def attach_grant_figures(grants: list[Grant]) -> list[Grant]:
    """Set `figures` (granted, paid, spent) on each grant: two queries however many grants and
    entries (summary rows and approved or paid claim items summed per grant). Used by the pages
    and the API."""
    ids = [grant.pk for grant in grants]
    if not ids:
        return grants
    legs: dict[int, dict[str, int]] = {}
    # From the yearly summary that every posting keeps (LedgerSummary), not the legs.
    rows = (
        LedgerSummary.objects.filter(grant_id__in=ids)
        .order_by()
        .values("grant_id", "account")
        .annotate(total=Sum("amount_pence"))
    )
    for row in rows:
        legs.setdefault(row["grant_id"], {})[row["account"]] = int(row["total"])
    spent = dict(
        ClaimItem.objects.filter(
            claim__grant_id__in=ids,
            claim__status__in=[Claim.Status.APPROVED, Claim.Status.PAID],
        )
        .order_by()
        .values("claim__grant_id")
        .annotate(total=Sum("amount_pence"))
        .values_list("claim__grant_id", "total")
    )
    for grant in grants:
        sums = legs.get(grant.pk, {})
        grant.figures = {
            "granted": grant.amount_pence,
            "paid": sums.get(Account.PAID, 0) + sums.get(Account.RUNNING_COSTS, 0),
            "spent": int(spent.get(grant.pk) or 0),
        }
    return grants


def grant_money(*, grant: Grant) -> dict[str, int]:
    """Granted, paid and spent (approved or paid claims) for one grant."""
    figures = grant_figures(grant=grant)
    spent = ClaimItem.objects.filter(
        claim__grant=grant, claim__status__in=[Claim.Status.APPROVED, Claim.Status.PAID]
    ).aggregate(total=Sum("amount_pence"))["total"]
    return {
        "granted": grant.amount_pence,
        "paid": figures["paid"],
        "outstanding": figures["outstanding"],
        "recovered": figures["recovered"],
        "spent": int(spent or 0),
    }


def decisions_due(*, fund: Fund):
    """Proposals residents selected that have no grant yet: the trustees must decide them.
    A queryset for the page to paginate, costs summed in the same query (no query per row)."""
    return (
        Proposal.objects.filter(
            neighbourhood_id=fund.neighbourhood_id,
            status=Proposal.Status.SELECTED,
            grant__isnull=True,
        )
        .with_totals()
        .select_related("proposer")
        .order_by("selected_at", "pk")
    )


def _claims(fund: Fund, status: str):
    return (
        Claim.objects.filter(grant__fund=fund, status=status)
        .select_related("grant", "grant__fund__neighbourhood", "grant__proposal", "submitted_by")
        .prefetch_related(Prefetch("items", queryset=ClaimItem.objects.order_by("id")))
        .order_by("submitted_at", "pk")
    )


def claims_to_approve(*, fund: Fund, user) -> list[Claim]:
    """Submitted claims this trustee may approve (not their own, not conflicted)."""
    return [c for c in _claims(fund, Claim.Status.SUBMITTED) if perms.can_approve_claim(user, c)]


def claims_to_pay(*, fund: Fund, user) -> list[Claim]:
    """Approved claims of reimbursement grants, which this finance officer may pay."""
    return [
        c
        for c in _claims(fund, Claim.Status.APPROVED)
        if c.grant.payment_mode == Grant.PaymentMode.REIMBURSEMENT and perms.can_pay_claim(user, c)
    ]


def tranches_ready(*, fund: Fund, user) -> list[GrantTranche]:
    """Pending tranches whose conditions hold, which this finance officer may release."""
    tranches = (
        GrantTranche.objects.filter(
            grant__fund=fund,
            status=GrantTranche.Status.PENDING,
            grant__status=Grant.Status.ACTIVE,
            grant__payment_mode=Grant.PaymentMode.ADVANCE,
        )
        .select_related("grant", "grant__fund", "grant__fund__neighbourhood")
        .order_by("grant_id", "number")
    )
    ready = []
    for tranche in tranches:
        if tranche_refusal(tranche, fund, tranche.grant) is None and perms.can_release_tranche(
            user, tranche
        ):
            ready.append(tranche)
    return ready


def tranches_waiting(*, fund: Fund) -> list[tuple[GrantTranche, str]]:
    """Pending tranches that cannot be paid yet, with the reason (held, condition, order)."""
    tranches = (
        GrantTranche.objects.filter(grant__fund=fund, status=GrantTranche.Status.PENDING)
        .select_related("grant")
        .order_by("grant_id", "number")
    )
    waiting = []
    for tranche in tranches:
        reason = tranche_refusal(tranche, fund, tranche.grant)
        if reason:
            waiting.append((tranche, reason))
    return waiting


def grants_to_start(*, fund: Fund) -> list[Grant]:
    """Grants approved but not yet active: the finance officer issues and activates them."""
    return list(
        fund.grants.filter(
            status__in=[Grant.Status.APPROVED, Grant.Status.AGREEMENT_ISSUED]
        ).select_related("proposal")
    )


def decision_get(*, pk: int) -> Decision:
    return (
        Decision.objects.select_related(
            "meeting", "fund", "fund__neighbourhood", "proposal", "recorded_by"
        )
        .prefetch_related("votes__trustee", "exclusions__trustee")
        .get(pk=pk)
    )


def proposal_money(*, proposal) -> dict | None:
    """Granted, paid and spent for a proposal's grant, or None when it has no grant."""
    grant = Grant.objects.filter(proposal_id=proposal.pk).first()
    if grant is None:
        return None
    return {"grant": grant, **grant_money(grant=grant)}
