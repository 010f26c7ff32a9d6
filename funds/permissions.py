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


# --- Auditors' queries (funds.services.queries) -------------------------------------------
# A query is between the fund's funder auditors, who ask, and the neighbourhood's trustees,
# who answer. A trustee conflicted on the item asked about (its payee, its proposer, whoever
# submitted the claim, or a declared conflict) sees the thread but does not answer it: the
# answer is an account of the partnership's own decisions, which they took no part in
# (DESIGN.md, conflicts of interest).


def can_raise_query(user, fund: Fund) -> bool:
    """A funder auditor of the fund (the role in its neighbourhood, with two-factor)."""
    return can_use_powers(user, fund.neighbourhood, AUDITOR)


def can_view_fund_queries(user, fund: Fund) -> bool:
    """The fund's funder auditors and the neighbourhood's trustees read its queries."""
    return can_use_powers(user, fund.neighbourhood, (*TRUSTEE_ROLES, *AUDITOR))


def can_view_query(user, query) -> bool:
    """The fund's funder auditors and the neighbourhood's trustees read every query."""
    return can_view_fund_queries(user, query.fund)


def query_grant(query) -> Grant | None:
    """The grant a query is about, directly or through its claim or ledger entry."""
    if query.grant_id:
        return query.grant
    if query.claim_id:
        return query.claim.grant
    return query.entry.grant if query.entry_id else None


def can_answer_query(user, query) -> bool:
    """A trustee of the neighbourhood who is not conflicted on what is asked about, while
    the query is open."""
    if query.status != query.Status.OPEN:
        return False
    if not can_use_powers(user, query.fund.neighbourhood, TRUSTEE_ROLES):
        return False
    if query.claim_id and _pk(user) == query.claim.submitted_by_id:
        return False
    grant = query_grant(query)
    return grant is None or (
        _pk(user) not in grant.conflicted_user_ids() and not has_conflict(user, grant)
    )


def can_reply_query(user, query) -> bool:
    """The fund's funder auditors reply on an open query."""
    return query.status == query.Status.OPEN and can_raise_query(user, query.fund)


def can_close_query(user, query) -> bool:
    """A funder auditor closes an open query (satisfied, or with a note)."""
    return query.status == query.Status.OPEN and can_raise_query(user, query.fund)


def can_reopen_query(user, query) -> bool:
    """A funder auditor reopens a closed query: the thread carries on where it stopped."""
    return query.status == query.Status.CLOSED and can_raise_query(user, query.fund)


# --- Background exports (funds.services.exports) ------------------------------------------


def can_view_export_job(user, job) -> bool:
    """The requester (while they still may download the books), and the fund's funder
    auditors and trustees."""
    from .exports.permissions import can_start_export

    fund = job.fund
    if _pk(user) == job.requester_id:
        return can_start_export(user, fund, job.kind)
    return can_use_powers(user, fund.neighbourhood, (*TRUSTEE_ROLES, *AUDITOR)) and (
        can_start_export(user, fund, job.kind)
    )
