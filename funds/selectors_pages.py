"""Reads for the funds pages: what each role has to do, with bounded queries.

Kept apart from funds.selectors (the ledger's figures) so the pages can grow without
touching the money rules. Every list here is filtered by the same predicates the services
check, so a button is shown only when pressing it would be allowed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import Cast

from communities.models import ConflictDeclaration, Role, RoleAssignment
from communities.permissions import TRUSTEE_ROLES, can_use_powers, prime_declared_conflicts
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
from .services.grants import tranche_facts, tranche_refusal

User = get_user_model()

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


def grants_for_contact(*, user):
    """Grants the user receives or reports on (the grantee role), newest first: a queryset
    for the page to paginate."""
    if not getattr(user, "is_authenticated", False):
        return Grant.objects.none()
    return (
        Grant.objects.filter(
            Q(recipient_user=user)
            | Q(pk__in=Grant.contacts.through.objects.filter(user=user).values("grant_id"))
        )
        .select_related("fund", "recipient_organisation")
        .order_by("-pk")
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
        .prefetch_related(
            Prefetch("items", queryset=ClaimItem.objects.order_by("id")),
            # What the permission predicates read, for the whole page at once.
            Prefetch("grant__contacts", queryset=User.objects.only("pk")),
            Prefetch("grant__proposal__linked_trustees", queryset=User.objects.only("pk")),
        )
        .order_by("submitted_at", "pk")
    )


def _not_conflicted_on_grant(claims, user, *, grant: str = "grant"):
    """Leave out rows whose grant names the user as payee, proposer or linked trustee, or that
    they declared a conflict on: has_conflict's rules as a filter, so a list page cuts pages
    from what the user may act on. The predicates still check every row shown."""
    return claims.exclude(
        Q(**{f"{grant}__recipient_user": user})
        | Q(**{f"{grant}__proposal__proposer": user})
        | Q(
            Exists(
                Grant.contacts.through.objects.filter(grant_id=OuterRef(f"{grant}_id"), user=user)
            )
        )
        | Q(
            Exists(
                Proposal.linked_trustees.through.objects.filter(
                    proposal_id=OuterRef(f"{grant}__proposal_id"), user=user
                )
            )
        )
        | Q(
            Exists(
                ConflictDeclaration.objects.filter(
                    user=user,
                    object_type=Grant._meta.label_lower,
                    object_id=Cast(OuterRef(f"{grant}_id"), CharField()),
                )
            )
        )
    )


def _prime(user, rows, grant_of) -> None:
    # Every row's own grant object (select_related gives each row its own copy).
    prime_declared_conflicts(user, [grant_of(row) for row in rows])


def claims_to_approve_queryset(*, fund: Fund, user):
    """Submitted claims this trustee may approve (not their own, not conflicted), for the
    page to paginate; none when they cannot use a trustee's powers."""
    if not can_use_powers(user, fund.neighbourhood, TRUSTEE_ROLES):
        return Claim.objects.none()
    claims = _claims(fund, Claim.Status.SUBMITTED).exclude(submitted_by=user)
    return _not_conflicted_on_grant(claims, user)


def claims_to_approve(*, fund: Fund, user, claims=None) -> list[Claim]:
    """The claims (or one page of them) this trustee may approve, checked by the predicate
    with no query per claim."""
    if claims is None:
        claims = claims_to_approve_queryset(fund=fund, user=user)
    claims = list(claims)
    _prime(user, claims, lambda c: c.grant)
    return [c for c in claims if perms.can_approve_claim(user, c)]


def claims_to_pay_queryset(*, fund: Fund, user):
    """Approved claims of reimbursement grants this finance officer may pay (not the claim's
    approver or submitter, not the grant's approver, not conflicted), for the page to
    paginate."""
    if not can_use_powers(user, fund.neighbourhood, perms.FINANCE):
        return Claim.objects.none()
    claims = (
        _claims(fund, Claim.Status.APPROVED)
        .filter(grant__payment_mode=Grant.PaymentMode.REIMBURSEMENT)
        .exclude(Q(submitted_by=user) | Q(approved_by=user) | Q(grant__approved_by=user))
    )
    return _not_conflicted_on_grant(claims, user)


def claims_to_pay(*, fund: Fund, user, claims=None) -> list[Claim]:
    """The claims (or one page of them) this finance officer may pay, checked by the
    predicate with no query per claim."""
    if claims is None:
        claims = claims_to_pay_queryset(fund=fund, user=user)
    claims = list(claims)
    _prime(user, claims, lambda c: c.grant)
    return [c for c in claims if perms.can_pay_claim(user, c)]


def _pending_tranches(fund: Fund):
    return (
        GrantTranche.objects.filter(grant__fund=fund, status=GrantTranche.Status.PENDING)
        .select_related("grant", "grant__fund", "grant__fund__neighbourhood", "grant__proposal")
        .prefetch_related(
            Prefetch("grant__contacts", queryset=User.objects.only("pk")),
            Prefetch("grant__proposal__linked_trustees", queryset=User.objects.only("pk")),
        )
        .order_by("grant_id", "number")
    )


def tranches_ready(*, fund: Fund, user) -> list[GrantTranche]:
    """Pending tranches whose conditions hold, which this finance officer may release: the
    first pending tranche of each active advance grant at most, so the list is bounded by
    the grants; a fixed number of queries however many (tranche_facts)."""
    if not can_use_powers(user, fund.neighbourhood, perms.FINANCE):
        return []
    earlier = GrantTranche.objects.filter(
        grant_id=OuterRef("grant_id"),
        number__lt=OuterRef("number"),
        status=GrantTranche.Status.PENDING,
    )
    candidates = (
        _pending_tranches(fund)
        .filter(
            grant__status=Grant.Status.ACTIVE,
            grant__payment_mode=Grant.PaymentMode.ADVANCE,
            held_at__isnull=True,
        )
        .exclude(Exists(earlier))
        .exclude(grant__approved_by=user)
    )
    tranches = list(_not_conflicted_on_grant(candidates, user))
    facts = tranche_facts(tranches)
    _prime(user, tranches, lambda t: t.grant)
    return [
        t
        for t in tranches
        if tranche_refusal(t, fund, t.grant, facts[t.pk]) is None
        and perms.can_release_tranche(user, t)
    ]


def tranches_waiting(*, fund: Fund) -> list[tuple[GrantTranche, str]]:
    """Pending tranches that cannot be paid yet, with the reason (held, condition, order):
    a fixed number of queries however many (tranche_facts)."""
    tranches = list(_pending_tranches(fund))
    facts = tranche_facts(tranches)
    waiting = []
    for tranche in tranches:
        reason = tranche_refusal(tranche, fund, tranche.grant, facts[tranche.pk])
        if reason:
            waiting.append((tranche, reason))
    return waiting


def grants_to_start(*, fund: Fund):
    """Grants approved but not yet active: the finance officer issues and activates them.
    A queryset for the page to paginate."""
    return (
        fund.grants.filter(status__in=[Grant.Status.APPROVED, Grant.Status.AGREEMENT_ISSUED])
        .select_related("proposal")
        .order_by("pk")
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
