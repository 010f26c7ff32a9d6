"""Reading a private receipt: the one way out for receipt files, permission-checked.

A funder auditor's read is audited (they follow the money to the receipt, and the grantee
can see who looked); reads by the grant's own people are their daily work and are not.
"""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from communities.permissions import has_role
from config.errors import ForbiddenError, NotFoundError

from . import permissions as perms
from .models import ClaimItem

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


@transaction.atomic
def receipt_open(*, actor, item: ClaimItem):
    """Check the reader may see the claim's grant; audit a funder auditor; open the file.
    Returns (file, content type)."""
    grant = item.claim.grant
    if not perms.can_view_grant(actor, grant):
        raise ForbiddenError(
            "Only the grant's contacts, the partnership and the funder see receipts."
        )
    if not item.receipt:
        raise NotFoundError("This item has no receipt.")
    is_own = perms.is_grant_contact(actor, grant)
    if not is_own and has_role(actor, grant.fund.neighbourhood, perms.AUDITOR):
        audit_record(
            action="funds.receipt_viewed",
            actor=actor,
            actor_role="funder_auditor",
            obj=item,
            changes={"claim": item.claim_id, "grant": grant.pk, "sha256": item.receipt_sha256},
        )
    try:
        handle = item.receipt.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFoundError("The receipt file is missing.") from exc
    return handle, CONTENT_TYPES.get(item.receipt_kind, "application/octet-stream")


def receipt_response(item: ClaimItem, handle, content_type: str):
    """The HTTP response for an opened receipt (page and API): private, never cached, never
    sniffed, sandboxed."""
    from django.http import FileResponse

    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="receipt-{item.pk}.{item.receipt_kind}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
