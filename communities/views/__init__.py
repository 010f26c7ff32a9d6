"""Pages of the communities app. Each view parses input, calls one service or selector, renders.

Domain errors that are not about the form (ForbiddenError, MfaRequiredError, NotFoundError)
propagate to communities.middleware.MfaPromptMiddleware, which turns them into pages.
"""

from .joining import join, join_verify, membership_leave, membership_private, membership_renew
from .neighbourhoods import (
    neighbourhood_detail,
    neighbourhood_edit,
    neighbourhood_list,
    neighbourhood_register,
    neighbourhood_review,
    neighbourhood_submit,
    review_list,
)
from .todo import todo, todo_index
from .trustees import (
    access_codes,
    access_codes_csv,
    access_codes_pdf,
    interest_end,
    interests,
    member_attest,
    member_confirm,
    member_reject,
    members,
    partnership_exception,
    role_end,
    roles,
)

__all__ = [
    "access_codes",
    "access_codes_csv",
    "access_codes_pdf",
    "interest_end",
    "interests",
    "join",
    "join_verify",
    "member_attest",
    "member_confirm",
    "member_reject",
    "members",
    "partnership_exception",
    "membership_leave",
    "membership_private",
    "membership_renew",
    "neighbourhood_detail",
    "neighbourhood_edit",
    "neighbourhood_list",
    "neighbourhood_register",
    "neighbourhood_review",
    "neighbourhood_submit",
    "review_list",
    "role_end",
    "roles",
    "todo",
    "todo_index",
]
