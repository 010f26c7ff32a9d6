"""Every write of the communities app goes through one of these services.

Split by sub-domain: neighbourhoods (register, verify), memberships (join, verify, renew,
leave), roles, access codes, interests and conflicts, and reference data imports.
"""

from .access_codes import access_code_batch_create, normalise_access_code
from .interests import conflict_declare, interest_declare, interest_end
from .memberships import (
    membership_attest,
    membership_leave,
    membership_postcode_correct,
    membership_private_update,
    membership_reject,
    membership_renew,
    membership_request,
    membership_verify_access_code,
    membership_verify_postcode,
    memberships_expire,
)
from .neighbourhoods import (
    neighbourhood_activate_if_ready,
    neighbourhood_create,
    neighbourhood_reject,
    neighbourhood_submit,
    neighbourhood_update,
    neighbourhood_verify,
    parse_area,
    parse_boundary,
    parse_units,
)
from .partnership import (
    PartnershipUnhealthyError,
    ensure_partnership_healthy,
    partnership_exception_record,
    partnership_exception_withdraw,
)
from .postcodes import format_postcode, normalise_postcode, postcode_or_none
from .reference import ImportResult, geography_import, postcodes_import
from .roles import membership_confirm_in_person, role_appoint, role_end

__all__ = [
    "ImportResult",
    "PartnershipUnhealthyError",
    "access_code_batch_create",
    "conflict_declare",
    "ensure_partnership_healthy",
    "format_postcode",
    "geography_import",
    "interest_declare",
    "interest_end",
    "membership_attest",
    "membership_confirm_in_person",
    "membership_leave",
    "membership_postcode_correct",
    "membership_private_update",
    "membership_reject",
    "membership_renew",
    "membership_request",
    "membership_verify_access_code",
    "membership_verify_postcode",
    "memberships_expire",
    "neighbourhood_activate_if_ready",
    "neighbourhood_create",
    "neighbourhood_reject",
    "neighbourhood_submit",
    "neighbourhood_update",
    "neighbourhood_verify",
    "normalise_access_code",
    "normalise_postcode",
    "parse_area",
    "parse_boundary",
    "parse_units",
    "partnership_exception_record",
    "partnership_exception_withdraw",
    "postcode_or_none",
    "postcodes_import",
    "role_appoint",
    "role_end",
]
