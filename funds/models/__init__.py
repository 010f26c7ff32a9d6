"""Funds, grants and the ledger: models split by sub-domain, all importable from funds.models."""

from .decisions import Decision, DecisionExclusion, DecisionVote, Meeting
from .funds import Fund, FundTranche, Organisation
from .grants import (
    Claim,
    ClaimItem,
    Grant,
    GrantTranche,
    MonitoringReport,
    Recovery,
    Variation,
)
from .ledger import Account, JournalEntry, JournalLeg, LedgerImmutableError

__all__ = [
    "Account",
    "Claim",
    "ClaimItem",
    "Decision",
    "DecisionExclusion",
    "DecisionVote",
    "Fund",
    "FundTranche",
    "Grant",
    "GrantTranche",
    "JournalEntry",
    "JournalLeg",
    "LedgerImmutableError",
    "Meeting",
    "MonitoringReport",
    "Organisation",
    "Recovery",
    "Variation",
]
