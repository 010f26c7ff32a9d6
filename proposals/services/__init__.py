"""Every write to proposals goes through these services (split by sub-domain)."""

from .drafting import proposal_create, proposal_update
from .engagement import (
    comment_create,
    comment_hide,
    comment_restore,
    proposal_hide,
    proposal_restore,
    report_create,
    report_dismiss,
    support_add,
    support_withdraw,
)
from .images import proposal_image_add, proposal_image_process, proposal_image_remove
from .lifecycle import (
    ALLOWED_TRANSITIONS,
    proposal_complete,
    proposal_grant,
    proposal_mark_ineligible,
    proposal_not_select,
    proposal_put_on_ballot,
    proposal_return_to_shortlist,
    proposal_select,
    proposal_shortlist,
    proposal_start_delivery,
    proposal_start_screening,
    proposal_submit,
    proposal_withdraw,
)
from .milestones import milestone_add

__all__ = [
    "ALLOWED_TRANSITIONS",
    "comment_create",
    "comment_hide",
    "comment_restore",
    "milestone_add",
    "proposal_complete",
    "proposal_create",
    "proposal_grant",
    "proposal_hide",
    "proposal_image_add",
    "proposal_image_process",
    "proposal_image_remove",
    "proposal_mark_ineligible",
    "proposal_not_select",
    "proposal_put_on_ballot",
    "proposal_restore",
    "proposal_return_to_shortlist",
    "proposal_select",
    "proposal_shortlist",
    "proposal_start_delivery",
    "proposal_start_screening",
    "proposal_submit",
    "proposal_update",
    "proposal_withdraw",
    "report_create",
    "report_dismiss",
    "support_add",
    "support_withdraw",
]
