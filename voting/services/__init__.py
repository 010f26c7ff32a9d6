"""Every write of the voting app goes through these services (see each module)."""

from .ballots import CastResult, ReceiptStatus, ballot_cast, receipt_lookup, validate_choices
from .pabulib_io import ImportResult, round_export_pabulib, round_import_pabulib
from .paper import (
    PaperMark,
    batch_mismatches,
    paper_batch_create,
    paper_entry_submit,
    paper_voter_mark,
    parse_keyed_text,
)
from .results import (
    RecountCheck,
    pot_outcome,
    round_certify,
    round_count,
    round_publish_results,
    round_recount,
)
from .rounds import (
    PotSpec,
    pot_add,
    round_annul,
    round_annul_confirm,
    round_annul_withdraw,
    round_close,
    round_create,
    round_open,
    round_publish,
    rounds_advance,
    volunteer_appoint,
)

__all__ = [
    "CastResult",
    "ImportResult",
    "PaperMark",
    "PotSpec",
    "ReceiptStatus",
    "RecountCheck",
    "ballot_cast",
    "batch_mismatches",
    "paper_batch_create",
    "paper_entry_submit",
    "paper_voter_mark",
    "parse_keyed_text",
    "pot_add",
    "pot_outcome",
    "receipt_lookup",
    "round_annul",
    "round_annul_confirm",
    "round_annul_withdraw",
    "round_certify",
    "round_close",
    "round_count",
    "round_create",
    "round_export_pabulib",
    "round_import_pabulib",
    "round_open",
    "round_publish",
    "round_publish_results",
    "round_recount",
    "rounds_advance",
    "validate_choices",
    "volunteer_appoint",
]
