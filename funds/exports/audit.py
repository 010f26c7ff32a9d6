"""The audit trail as JSON lines: one event per line with its seq, content, prev_hash and hash,
exactly the fields audit.models.compute_hash covers, so anyone re-verifies the chain with the
script in docs/open-data.md.

The trail is one chain for the whole site. A fund's export keeps the chain whole: events about
the fund (the fund, its tranches, decisions, grants, grant tranches, claims, reports,
variations, recoveries) are written in full; every other event is a stub carrying only
`seq`, `prev_hash`, `hash` and `"redacted": true`. A stub's content cannot be re-hashed, but
the links still can, and each full event's hash covers the prev_hash that names the stub
before it, so removing, inserting or reordering events still shows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from audit.models import AuditEvent

from ..models import (
    Claim,
    Decision,
    Fund,
    FundTranche,
    Grant,
    GrantTranche,
    MonitoringReport,
    Recovery,
    Variation,
)

FIELDS = (
    "seq",
    "action",
    "actor_id",
    "actor_role",
    "object_type",
    "object_id",
    "changes",
    "created_at",
    "prev_hash",
    "hash",
)


def fund_objects(fund: Fund) -> set[tuple[str, str]]:
    """(object_type, object_id) of every object whose events belong to this fund."""
    keys = {(Fund._meta.label_lower, str(fund.pk))}
    grants = Grant.objects.filter(fund=fund)
    related = [
        (FundTranche, FundTranche.objects.filter(fund=fund)),
        (Decision, Decision.objects.filter(fund=fund)),
        (Grant, grants),
        (GrantTranche, GrantTranche.objects.filter(grant__in=grants)),
        (Claim, Claim.objects.filter(grant__in=grants)),
        (MonitoringReport, MonitoringReport.objects.filter(grant__in=grants)),
        (Variation, Variation.objects.filter(grant__in=grants)),
        (Recovery, Recovery.objects.filter(grant__in=grants)),
    ]
    for model, qs in related:
        label = model._meta.label_lower
        keys.update((label, str(pk)) for pk in qs.values_list("pk", flat=True).iterator())
    return keys


def _created(value: dt.datetime) -> str:
    # As audit_record hashed it: timezone.now().isoformat(), in UTC.
    return value.astimezone(dt.UTC).isoformat()


def audit_lines(*, fund: Fund | None = None, chunk_size: int = 2000) -> Iterator[str]:
    """Every event in seq order as one JSON line (ending in a newline)."""
    keep = fund_objects(fund) if fund is not None else None
    rows = AuditEvent.objects.order_by("seq").values_list(*FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        event = dict(zip(FIELDS, row, strict=True))
        if keep is not None and (event["object_type"], event["object_id"]) not in keep:
            event = {
                "seq": event["seq"],
                "redacted": True,
                "prev_hash": event["prev_hash"],
                "hash": event["hash"],
            }
        else:
            event["created_at"] = _created(event["created_at"])
        yield json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
