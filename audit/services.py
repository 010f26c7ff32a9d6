"""The one way to write the audit trail, and the chain check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead, compute_hash

GENESIS_HASH = "0" * 64


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


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
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The head row is locked first, so concurrent appends queue up and every event gets the
    next seq and the previous hash; if the caller's transaction rolls back, so does the event.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    event = AuditEvent(
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
    seq: int
    event_id: int | None
    reason: str


def audit_chain_verify(*, batch_size: int = 2000) -> ChainProblem | None:
    """Recompute every hash in seq order; return the first problem, or None if intact.

    Reads in batches so a long trail verifies in bounded memory.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq").values(
        "id",
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
    for row in qs.iterator(chunk_size=batch_size):
        if row["seq"] != expected_seq:
            return ChainProblem(
                expected_seq,
                None,
                f"event #{expected_seq} is missing (deleted); next is #{row['seq']}",
            )
        content = {
            "seq": row["seq"],
            "action": row["action"],
            "actor_id": row["actor_id"],
            "actor_role": row["actor_role"],
            "object_type": row["object_type"],
            "object_id": row["object_id"],
            "changes": row["changes"],
            "created_at": row["created_at"].isoformat(),
            "prev_hash": row["prev_hash"],
        }
        if row["prev_hash"] != expected_prev:
            return ChainProblem(
                row["seq"], row["id"], f"event #{row['seq']} does not link to the event before it"
            )
        if compute_hash(content) != row["hash"]:
            return ChainProblem(
                row["seq"],
                row["id"],
                f"event #{row['seq']} ({row['action']}) was altered: "
                "its content does not match its hash",
            )
        expected_prev = row["hash"]
        last_seq = row["seq"]
        expected_seq += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        return ChainProblem(
            last_seq + 1,
            None,
            f"events after #{last_seq} are missing (the chain head is #{head.seq})",
        )
    return None
