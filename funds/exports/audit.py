"""The audit trail as JSON lines: the events of each audit stream in seq order, each with
exactly the fields its hash covers (audit.models.event_content) plus `stream` and `hash`, so
anyone re-verifies the chains with the script in docs/open-data.md.

The trail is chained per stream (docs/audit.md): "neighbourhood:<id>", "platform", the closed
"legacy" stream, and any stream a model names. Each stream's events come in seq order
followed by one head line, `{"stream": ..., "head_seq": ..., "head_hash": ...}`: the
stream's AuditStreamHead, read before its events, and only events up to that seq are written,
so the head always names the last event written and events appended meanwhile are left for
the next export. The head line is what shows a stream's newest events cut off.

A fund's export writes only the streams that hold events about the fund (in practice its
neighbourhood's), and keeps each one whole: events about the fund (the fund, its tranches,
decisions, grants, grant tranches, claims, reports, variations, recoveries) are written in
full; every other event of those streams is a stub carrying only `stream`, `seq`,
`prev_hash`, `hash` and `"redacted": true`. A stub's content cannot be re-hashed, but the
links still can, and each full event's hash covers the prev_hash that names the stub before
it, so removing, inserting or reordering events still shows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from audit.models import GENESIS_HASH, AuditEvent, AuditStreamHead, event_content

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
    "stream",
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


def fund_streams(keys: set[tuple[str, str]]) -> set[str]:
    """The audit streams that hold events about these objects."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for object_type, object_id in keys:
        by_type[object_type].append(object_id)
    streams: set[str] = set()
    for object_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            streams.update(
                AuditEvent.objects.filter(
                    object_type=object_type, object_id__in=ids[start : start + 500]
                )
                .values_list("stream", flat=True)
                .distinct()
            )
    return streams


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) + "\n"


def audit_lines(*, fund: Fund | None = None, chunk_size: int = 2000) -> Iterator[str]:
    """Each stream's events in seq order, then its head line; streams in name order."""
    keep = fund_objects(fund) if fund is not None else None
    heads = {
        stream: (seq, hash_)
        for stream, seq, hash_ in AuditStreamHead.objects.values_list("stream", "seq", "hash")
    }
    if keep is None:
        streams = set(heads) | set(AuditEvent.objects.values_list("stream", flat=True).distinct())
    else:
        streams = fund_streams(keep)
    for stream in sorted(streams):
        head_seq, head_hash = heads.get(stream, (0, GENESIS_HASH))
        rows = (
            AuditEvent.objects.filter(stream=stream, seq__lte=head_seq)
            .order_by("seq")
            .values_list(*FIELDS)
        )
        for row in rows.iterator(chunk_size=chunk_size):
            event = dict(zip(FIELDS, row, strict=True))
            if keep is not None and (event["object_type"], event["object_id"]) not in keep:
                line = {key: event[key] for key in ("stream", "seq", "prev_hash", "hash")}
                line["redacted"] = True
            else:
                # Exactly what the hash covers (created_at as it was hashed), plus the stream
                # (legacy events were hashed without it) and the hash.
                line = {**event_content(event), "stream": stream, "hash": event["hash"]}
            yield _dumps(line)
        yield _dumps({"stream": stream, "head_seq": head_seq, "head_hash": head_hash})
