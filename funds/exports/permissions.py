"""Who may download which export: pure predicates (services and views reuse them).

360Giving data is public. The ledger journal and the statement are the fund's books: its
trustees, finance officers and funder auditors. The audit trail names who did what: funder
auditors and trustees of the fund's neighbourhood. Like every other power, a download of
the books needs two-factor authentication (communities.permissions.can_use_powers).
"""

from __future__ import annotations

from communities.models import Role
from communities.permissions import TRUSTEE_ROLES, can_use_powers

from ..models import Fund

BOOKS_ROLES = (*TRUSTEE_ROLES, Role.FINANCE_OFFICER, Role.FUNDER_AUDITOR)
AUDIT_ROLES = (*TRUSTEE_ROLES, Role.FUNDER_AUDITOR)


def can_download_books(user, fund: Fund) -> bool:
    """The ledger CSV and the statement: trustees, finance officers and funder auditors."""
    return can_use_powers(user, fund.neighbourhood, BOOKS_ROLES)


def can_download_audit_trail(user, fund: Fund) -> bool:
    """The fund's audit trail as JSON lines: funder auditors and trustees."""
    return can_use_powers(user, fund.neighbourhood, AUDIT_ROLES)


def can_start_export(user, fund: Fund, kind: str) -> bool:
    """A background export of this kind (funds.models.ExportJob.Kind): the audit trail for
    those who may download it, the rest for those who may download the books."""
    if kind == "audit-jsonl":
        return can_download_audit_trail(user, fund)
    return can_download_books(user, fund)
