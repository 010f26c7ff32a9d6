"""Audit events: an append-only, hash-chained record of every state change."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change: who did what to which object, what changed, chained by hash.

    `seq` runs 1, 2, 3... with no gaps (assigned under a lock on AuditHead), so a deleted
    row shows as a gap; `hash` covers the content and `prev_hash`, so an altered row shows
    as a mismatch. The actor is a plain id (no foreign key): deleting a user must never
    rewrite history.
    """

    seq = models.PositiveBigIntegerField(unique=True)
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
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def content(self) -> dict:
        return {
            "seq": self.seq,
            "action": self.action,
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "changes": self.changes,
            "created_at": self.created_at.isoformat(),
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return compute_hash(self.content())


class AuditHead(models.Model):
    """A single row: the newest event's seq and hash. It is the lock that serialises appends
    and the anchor that makes deleting the newest events detectable."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


def compute_hash(content: dict) -> str:
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()
