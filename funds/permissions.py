"""Who may do what with funds, grants, payments and claims: pure predicates.

They build on communities.permissions: every power needs the role in the fund's
neighbourhood, a verified email and two-factor authentication (can_use_powers). Services
call them and raise; pages reuse them. Segregation (DESIGN.md, RULINGS "Money"): two
unrelated people touch every payment. Whoever approved an item, is paid by it, submitted
it, or is conflicted on it (declared, proposer, linked) takes no part in paying it.
"""

from __future__ import annotations

from communities.models import Role
from communities.permissions import TRUSTEE_ROLES, can_use_powers, has_conflict, has_role

from .models import Claim, Fund, Grant, GrantTranche

FINANCE = (Role.FINANCE_OFFICER,)
AUDITOR = (Role.FUNDER_AUDITOR,)


def _pk(user) -> int | None:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def can_manage_fund(user, fund: Fund) -> bool:
    """The fund holder's finance officer issues agreements, activates, closes and records
    tranches received."""
    return can_use_powers(user, fund.neighbourhood, FINANCE)


def can_use_powers_finance(user, fund: Fund) -> bool:
    """Holds the finance officer role (with two-factor) in the fund's neighbourhood."""
    return can_use_powers(user, fund.neighbourhood, FINANCE)


def can_suspend_fund(user, fund: Fund) -> bool:
    """A funder auditor suspends and resumes a fund (a suspended fund commits and pays nothing)."""
    return can_use_powers(user, fund.neighbourhood, AUDITOR)


def can_view_fund(user, fund: Fund) -> bool:
    """Trustees, finance officers and funder auditors of the neighbourhood see the books."""
    return has_role(user, fund.neighbourhood, (*TRUSTEE_ROLES, *FINANCE, *AUDITOR))


def can_record_decision(user, fund: Fund) -> bool:
    """A trustee (usually the chair, who convenes) records what a meeting decided."""
    return can_use_powers(user, fund.neighbourhood, TRUSTEE_ROLES)


def can_approve_grant(user, grant_or_fund: Grant | Fund, *, conflicted: bool = False) -> bool:
    """A trustee who is not conflicted records the grant the meeting decided."""
    fund = grant_or_fund if isinstance(grant_or_fund, Fund) else grant_or_fund.fund
    return can_use_powers(user, fund.neighbourhood, TRUSTEE_ROLES) and not conflicted


def is_segregated_from(user, grant: Grant) -> bool:
    """Not the grant's approver, not a payee, not conflicted on the grant."""
    pk = _pk(user)
    return (
        pk is not None
        and pk != grant.approved_by_id
        and pk not in grant.payee_user_ids()
        and not has_conflict(user, grant)
    )


def can_release_tranche(user, tranche: GrantTranche) -> bool:
    """The finance officer, who is not the approver, the payee or conflicted."""
    grant = tranche.grant
    return can_use_powers(user, grant.fund.neighbourhood, FINANCE) and is_segregated_from(
        user, grant
    )


def can_hold_tranche(user, tranche: GrantTranche) -> bool:
    """A funder auditor may withhold a single tranche (with a reason)."""
    return can_use_powers(user, tranche.grant.fund.neighbourhood, AUDITOR)


def is_grant_contact(user, grant: Grant) -> bool:
    pk = _pk(user)
    return pk is not None and (pk == grant.recipient_user_id or pk in grant.payee_user_ids())


def can_view_grant(user, grant: Grant) -> bool:
    return is_grant_contact(user, grant) or can_view_fund(user, grant.fund)


def can_submit_claim(user, grant: Grant) -> bool:
    """Grantee contacts submit claims and reports on their grant."""
    return is_grant_contact(user, grant)


def can_approve_claim(user, claim: Claim) -> bool:
    """A trustee approves a claim: never their own, never when conflicted."""
    pk = _pk(user)
    return (
        can_use_powers(user, claim.grant.fund.neighbourhood, TRUSTEE_ROLES)
        and pk != claim.submitted_by_id
        and pk not in claim.conflicted_user_ids()
        and not has_conflict(user, claim.grant)
    )


def can_pay_claim(user, claim: Claim) -> bool:
    """The finance officer pays: not the claim's approver or submitter, nor conflicted."""
    pk = _pk(user)
    return (
        can_use_powers(user, claim.grant.fund.neighbourhood, FINANCE)
        and pk != claim.approved_by_id
        and pk != claim.submitted_by_id
        and is_segregated_from(user, claim.grant)
    )


def can_review_report(user, grant: Grant) -> bool:
    """Trustees or the finance officer accept monitoring reports, when not conflicted."""
    pk = _pk(user)
    return (
        can_use_powers(user, grant.fund.neighbourhood, (*TRUSTEE_ROLES, *FINANCE))
        and pk not in grant.payee_user_ids()
        and not has_conflict(user, grant)
    )


def can_audit_fund(user, fund: Fund) -> bool:
    """The audit workspace: the funder auditors and the trustees of the fund's neighbourhood."""
    return can_use_powers(user, fund.neighbourhood, (*TRUSTEE_ROLES, *AUDITOR))
