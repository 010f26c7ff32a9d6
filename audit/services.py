"""The one way to write the audit trail, and the chain check."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .models import (
    GENESIS_HASH,
    LEGACY_STREAM,
    AuditEvent,
    AuditStreamHead,
    compute_hash,
    event_content,
)

__all__ = [
    "GENESIS_HASH",
    "PLATFORM_STREAM",
    "ChainProblem",
    "audit_chain_verify",
    "audit_record",
    "audit_stream_for",
    "neighbourhood_stream",
]

PLATFORM_STREAM = "platform"
# A model with this label roots a stream of its own; anything that belongs to one (directly
# by a `neighbourhood` foreign key, or through a parent such as a proposal or a round) is
# recorded in that stream.
_STREAM_ROOTS = {"communities.neighbourhood": "neighbourhood"}
_MAX_PARENT_DEPTH = 3


def neighbourhood_stream(neighbourhood_id: int | str) -> str:
    """The stream of everything about one neighbourhood (its members, roles, proposals, rounds)."""
    return f"neighbourhood:{neighbourhood_id}"


@cache
def _paths_to_root(model: type[models.Model], depth: int = 0) -> tuple[tuple[str, ...], ...]:
    """The chains of foreign keys that lead from `model` to a stream root, shortest first, then
    in field order (empty if none does). Static per model: a stream is never guessed per object."""
    if model._meta.label_lower in _STREAM_ROOTS:
        return ((),)
    if depth >= _MAX_PARENT_DEPTH:
        return ()
    paths = []
    for field in model._meta.concrete_fields:
        if field.many_to_one and field.related_model is not None:
            paths += [
                (field.name, *rest) for rest in _paths_to_root(field.related_model, depth + 1)
            ]
    return tuple(sorted(paths, key=len))  # a direct foreign key first: it needs no read


def audit_stream_for(obj: models.Model | None) -> str:
    """The stream an event about `obj` belongs to.

    A model may name its own stream with an `audit_stream` attribute (a fund's ledger, say,
    "fund:<id>"); a neighbourhood and everything that belongs to one (by a foreign key, or
    through a parent such as a proposal or a round) go to that neighbourhood's stream;
    everything else to the platform stream.
    """
    if obj is None:
        return PLATFORM_STREAM
    own = getattr(obj, "audit_stream", None)
    if own:
        return str(own() if callable(own) else own)
    for path in _paths_to_root(type(obj)):
        stream = _follow(obj, path)
        if stream:
            return stream
    return PLATFORM_STREAM


def _follow(obj: models.Model, path: tuple[str, ...]) -> str | None:
    if not path:
        return _root_stream(type(obj), obj.pk)
    node = obj
    for name in path[:-1]:
        node = getattr(node, name)  # a parent row (from the cache when the caller has it)
        if node is None:
            return None
    # The last foreign key's value is the root's id: no need to load the root itself.
    field = node._meta.get_field(path[-1])
    return _root_stream(field.related_model, getattr(node, field.attname))


def _root_stream(model: type[models.Model], pk: Any) -> str | None:
    if pk is None:
        return None
    return f"{_STREAM_ROOTS[model._meta.label_lower]}:{pk}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _locked_head(stream: str) -> AuditStreamHead:
    """Lock this stream's head row (creating it on the stream's first event) and nothing else."""
    head = AuditStreamHead.objects.select_for_update().filter(stream=stream).first()
    if head is None:
        # Two first writers may race: one insert wins, the other is ignored, both then lock it.
        AuditStreamHead.objects.bulk_create([AuditStreamHead(stream=stream)], ignore_conflicts=True)
        head = AuditStreamHead.objects.select_for_update().get(stream=stream)
    return head


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: dict | None = None,
    actor_role: str = "",
    stream: str = "",
) -> AuditEvent:
    """Append one event to its stream's chain, inside the caller's transaction.

    The stream is `stream` if given, else derived from `obj` (see `audit_stream_for`). Only
    that stream's head row is locked, so appends to one stream queue up and get the next seq
    and the previous hash, while appends to other streams (other neighbourhoods) never wait;
    if the caller's transaction rolls back, so does the event.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    stream = stream or audit_stream_for(obj)
    if stream == LEGACY_STREAM:
        raise ValueError("The legacy audit stream is closed: nothing is appended to it.")
    head = _locked_head(stream)
    event = AuditEvent(
        stream=stream,
        seq=head.seq + 1,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        object_type=object_type,
        object_id=str(object_id or ""),
        changes=_json_safe(changes or {}),
        created_at=timezone.now(),
        prev_hash=head.hash,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class ChainProblem:
    """The first bad event found: its stream, seq, row id (None when it is missing) and why."""

    stream: str
    seq: int
    event_id: int | None
    reason: str


@dataclass
class ChainSummary:
    events: int = 0
    streams: int = 0


_FIELDS = (
    "id",
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


def audit_chain_verify(
    *, batch_size: int = 2000, summary: ChainSummary | None = None
) -> ChainProblem | None:
    """Recompute every hash of every stream in seq order; return the first problem, or None.

    Each stream must run 1, 2, 3... from the genesis hash, every event must link to the one
    before it and match its own hash, and the stream's head must name its newest event (so
    deleting the newest events shows too). Reads in batches, so a long trail verifies in
    bounded memory; on PostgreSQL from one snapshot, so appends meanwhile do not confuse it.
    """
    summary = summary if summary is not None else ChainSummary()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return _verify(batch_size, summary)
    return _verify(batch_size, summary)


def _verify(batch_size: int, summary: ChainSummary) -> ChainProblem | None:
    heads = {h.stream: h for h in AuditStreamHead.objects.all()}
    seen: set[str] = set()
    stream: str | None = None
    head: AuditStreamHead | None = None
    expected_seq, expected_prev, last_id = 1, GENESIS_HASH, None

    rows = AuditEvent.objects.order_by("stream", "seq").values(*_FIELDS)
    for row in rows.iterator(chunk_size=batch_size):
        if row["stream"] != stream:
            if stream is not None and (
                problem := _end_problem(stream, head, expected_seq - 1, expected_prev, last_id)
            ):
                return problem
            stream, head = row["stream"], heads.get(row["stream"])
            seen.add(stream)
            expected_seq, expected_prev = 1, GENESIS_HASH
        where = (stream, row["seq"], row["id"])
        if head is None:
            return ChainProblem(*where, f"stream {stream} has events but no chain head")
        if row["seq"] != expected_seq:
            return ChainProblem(
                stream,
                expected_seq,
                None,
                f"event #{expected_seq} is missing (deleted); next is #{row['seq']}",
            )
        if row["seq"] > head.seq:
            return ChainProblem(
                *where, f"event #{row['seq']} is beyond the chain head (#{head.seq})"
            )
        if row["prev_hash"] != expected_prev:
            return ChainProblem(*where, f"event #{row['seq']} does not link to the event before it")
        if compute_hash(event_content(row)) != row["hash"]:
            return ChainProblem(
                *where,
                f"event #{row['seq']} ({row['action']}) was altered: "
                "its content does not match its hash",
            )
        expected_prev, last_id = row["hash"], row["id"]
        expected_seq += 1
        summary.events += 1
    if stream is not None and (
        problem := _end_problem(stream, head, expected_seq - 1, expected_prev, last_id)
    ):
        return problem
    for name in sorted(set(heads) - seen):
        if heads[name].seq != 0 or heads[name].hash != GENESIS_HASH:
            return ChainProblem(
                name,
                1,
                None,
                f"all {heads[name].seq} events of the stream are missing (its head is still there)",
            )
    summary.streams = len(seen)
    return None


def _end_problem(
    stream: str, head: AuditStreamHead, last_seq: int, last_hash: str, last_id: int | None
) -> ChainProblem | None:
    """The head anchors the newest event: a shorter stream lost its newest events, and a
    newest event whose hash is not the head's was altered and re-hashed."""
    if head.seq != last_seq:
        return ChainProblem(
            stream,
            last_seq + 1,
            None,
            f"events after #{last_seq} are missing (the chain head is #{head.seq})",
        )
    if head.hash != last_hash:
        return ChainProblem(
            stream,
            last_seq,
            last_id,
            f"event #{last_seq} is not the one the chain head recorded: "
            "it was altered and its hash forged",
        )
    return None
