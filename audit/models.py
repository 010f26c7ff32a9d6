"""Audit events: an append-only record of every state change, hash-chained per stream."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models

# Events written before streams existed keep their original seq and hash in this stream, so
# any hash witnessed before the change still verifies; nothing new is ever appended to it.
LEGACY_STREAM = "legacy"
GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One state change: who did what to which object, what changed, chained by hash.

    Events belong to a stream ("neighbourhood:<id>" for everything about one neighbourhood,
    "platform" for the rest). Within a stream `seq` runs 1, 2, 3... with no gaps (assigned
    under a lock on that stream's AuditStreamHead), so a deleted row shows as a gap; `hash`
    covers the content, the stream and `prev_hash` (the previous event of the same stream), so
    an altered or moved row shows as a mismatch. The actor is a plain id (no foreign key):
    deleting a user must never rewrite history.
    """

    stream = models.CharField(max_length=80)
    seq = models.PositiveBigIntegerField()
    action = models.CharField(max_length=80, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_role = models.CharField(max_length=40, blank=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="audit_stream_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stream} #{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def content(self) -> dict:
        return event_content(
            {
                "stream": self.stream,
                "seq": self.seq,
                "action": self.action,
                "actor_id": self.actor_id,
                "actor_role": self.actor_role,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "changes": self.changes,
                "created_at": self.created_at,
                "prev_hash": self.prev_hash,
            }
        )

    def compute_hash(self) -> str:
        return compute_hash(self.content())


class AuditStreamHead(models.Model):
    """One row per stream: its newest event's seq and hash.

    It is the lock that serialises appends to that stream only (writes in other streams never
    wait for it), and the anchor that makes deleting a stream's newest events detectable.
    """

    stream = models.CharField(max_length=80, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head {self.stream} #{self.seq}"


def event_content(row: dict) -> dict:
    """What an event's hash covers. Legacy events were hashed before streams existed, so their
    content has no stream (they stay verifiable exactly as they were written)."""
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
    if row["stream"] != LEGACY_STREAM:
        content["stream"] = row["stream"]
    return content


def compute_hash(content: dict) -> str:
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()
