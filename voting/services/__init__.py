"""Every write of the voting app goes through these services (see each module)."""

from .ballots import CastResult, ReceiptStatus, ballot_cast, receipt_lookup, validate_choices
from .count_jobs import count_job_current, round_count_request
from .pabulib_io import ImportResult, round_export_pabulib, round_import_pabulib
from .paper import (
    PaperMark,
    batch_mismatches,
    paper_batch_create,
    paper_entry_submit,
    paper_voter_mark,
    parse_keyed_text,
)
from .paper_print import ballot_papers_print, paper_register_print
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
    round_advance_if_due,
    round_annul,
    round_annul_confirm,
    round_annul_withdraw,
    round_close,
    round_close_now,
    round_create,
    round_open,
    round_open_now,
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
    "round_advance_if_due",
    "round_annul",
    "round_annul_confirm",
    "round_annul_withdraw",
    "round_certify",
    "round_close",
    "round_close_now",
    "round_count",
    "round_count_request",
    "count_job_current",
    "round_create",
    "round_export_pabulib",
    "round_import_pabulib",
    "round_open",
    "round_open_now",
    "round_publish",
    "round_publish_results",
    "round_recount",
    "rounds_advance",
    "validate_choices",
    "ballot_papers_print",
    "paper_register_print",
    "volunteer_appoint",
]
