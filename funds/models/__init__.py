"""Funds, grants and the ledger: models split by sub-domain, all importable from funds.models."""

from .decisions import Decision, DecisionExclusion, DecisionVote, Meeting
from .exports import ExportJob
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
from .ledger import Account, JournalEntry, JournalLeg, LedgerImmutableError, LedgerSummary
from .queries import FundQuery, FundQueryMessage

__all__ = [
    "Account",
    "Claim",
    "ClaimItem",
    "Decision",
    "DecisionExclusion",
    "DecisionVote",
    "ExportJob",
    "Fund",
    "FundQuery",
    "FundQueryMessage",
    "FundTranche",
    "Grant",
    "GrantTranche",
    "JournalEntry",
    "JournalLeg",
    "LedgerImmutableError",
    "LedgerSummary",
    "Meeting",
    "MonitoringReport",
    "Organisation",
    "Recovery",
    "Variation",
]
