"""One-time access codes: trustees generate a batch, print the letters, hand them out."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError

from .. import permissions as perms
from ..models import AccessCode, AccessCodeBatch, Neighbourhood
from ._common import clean

# No 0/O, 1/I/L, 5/S, 2/Z: easy to read aloud and type from a letter.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 10
MAX_BATCH = 1000


def normalise_access_code(raw: str) -> str:
    """'abcde-fghjk ' -> 'ABCDEFGHJK'."""
    return re.sub(r"[\s-]+", "", str(raw or "")).upper()


def format_access_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def access_code_batch_create(
    *, actor, neighbourhood: Neighbourhood, label: str, count: int, valid_days: int | None = None
) -> AccessCodeBatch:
    """A trustee (with two-factor) makes `count` single-use codes that expire together."""
    perms.ensure_powers(actor, neighbourhood, perms.TRUSTEE_ROLES, action="make access codes")
    if not perms.can_manage_access_codes(actor, neighbourhood):
        raise ApplicationError(f"{neighbourhood.name} is not taking members yet.")
    if not 1 <= count <= MAX_BATCH:
        raise ApplicationError(
            f"Make between 1 and {MAX_BATCH} codes at a time.", extra={"field": "count"}
        )
    valid_days = valid_days or settings.COMMONPURSE["ACCESS_CODE_VALID_DAYS"]
    if not 1 <= valid_days <= 365:
        raise ApplicationError(
            "Codes can last between 1 and 365 days.", extra={"field": "valid_days"}
        )
    batch = AccessCodeBatch(
        neighbourhood=neighbourhood,
        label=(label or "").strip() or f"Letters {timezone.localdate():%d %B %Y}",
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=valid_days),
    )
    clean(batch)
    batch.save()
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(_new_code())
    # 27^10 ~ 2e14 codes: a clash with an existing one is vanishingly rare, but check anyway.
    taken = set(AccessCode.objects.filter(code__in=codes).values_list("code", flat=True))
    while taken:
        codes -= taken
        while len(codes) < count:
            codes.add(_new_code())
        taken = set(AccessCode.objects.filter(code__in=codes).values_list("code", flat=True))
    AccessCode.objects.bulk_create(AccessCode(batch=batch, code=c) for c in sorted(codes))
    audit_record(
        action="communities.access_codes_created",
        actor=actor,
        actor_role="trustee",
        obj=batch,
        changes={"count": count, "expires_at": batch.expires_at},
    )
    return batch
