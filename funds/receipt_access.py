"""Reading a private receipt: the one way out for receipt files, permission-checked.

A funder auditor's read is audited (they follow the money to the receipt, and the grantee
can see who looked); reads by the grant's own people are their daily work and are not.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse

from audit.services import audit_record
from communities.permissions import has_role
from config.errors import ForbiddenError, NotFoundError

from . import permissions as perms
from .models import ClaimItem
from .storage import private_file_response

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


@transaction.atomic
def receipt_check(*, actor, item: ClaimItem) -> str:
    """Check the reader may see the claim's grant; audit a funder auditor's read.
    Returns the receipt's content type. The caller then hands the file out (receipt_response)."""
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
    return CONTENT_TYPES.get(item.receipt_kind, "application/octet-stream")


def receipt_response(*, actor, item: ClaimItem) -> HttpResponse:
    """The receipt for a reader who may see it: streamed from disk, or a redirect to a signed
    URL that expires within a minute on object storage. Never a public URL."""
    content_type = receipt_check(actor=actor, item=item)
    try:
        return private_file_response(
            storage=item.receipt.storage,
            name=item.receipt.name,
            content_type=content_type,
            filename=f"receipt-{item.pk}.{item.receipt_kind}",
        )
    except (FileNotFoundError, OSError) as exc:
        raise NotFoundError("The receipt file is missing.") from exc


def receipt_open(*, actor, item: ClaimItem):
    """Check and audit as receipt_check, then open the file through its storage.
    Returns (file, content type); for code that needs the bytes (not for pages)."""
    content_type = receipt_check(actor=actor, item=item)
    try:
        handle = item.receipt.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFoundError("The receipt file is missing.") from exc
    return handle, content_type
