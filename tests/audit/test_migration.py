"""Events written before streams existed stay in a closed "legacy" stream with their original
seq and hash, so every hash seen before the change still verifies."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.models import LEGACY_STREAM, AuditEvent, AuditStreamHead
from audit.services import audit_chain_verify, audit_record

BEFORE = [("audit", "0002_append_only_trigger")]


def _old_hash(content: dict) -> str:
    """The hash as audit 0002 computed it (no stream in the content)."""
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _migrate(targets=None):
    """Migrate to `targets`, or (None) forward to the latest migration of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_events_keep_their_hashes_in_the_legacy_stream():
    # given three events and the single head, as the old code wrote them
    old = _migrate(BEFORE)
    OldEvent, OldHead = old.get_model("audit", "AuditEvent"), old.get_model("audit", "AuditHead")
    prev, hashes = "0" * 64, []
    for seq in (1, 2, 3):
        event = OldEvent(
            seq=seq,
            action="old.event",
            object_type="thing",
            object_id=str(seq),
            changes={"n": seq},
            created_at=timezone.now(),
            prev_hash=prev,
        )
        event.hash = _old_hash(
            {
                "seq": seq,
                "action": event.action,
                "actor_id": None,
                "actor_role": "",
                "object_type": "thing",
                "object_id": str(seq),
                "changes": {"n": seq},
                "created_at": event.created_at.isoformat(),
                "prev_hash": prev,
            }
        )
        event.save()
        prev = event.hash
        hashes.append(event.hash)
    OldHead.objects.create(id=1, seq=3, hash=prev)

    # when the streams migration runs (with everything else back at its latest)
    _migrate()

    # then the old events are the legacy stream, unchanged, anchored by the old head
    legacy = list(AuditEvent.objects.filter(stream=LEGACY_STREAM).order_by("seq"))
    assert [(e.seq, e.hash) for e in legacy] == [(1, hashes[0]), (2, hashes[1]), (3, hashes[2])]
    head = AuditStreamHead.objects.get(stream=LEGACY_STREAM)
    assert (head.seq, head.hash) == (3, hashes[2])
    assert audit_chain_verify() is None
    # new events start their own streams; the legacy one is closed
    assert (audit_record(action="new.event").seq, AuditEvent.objects.count()) == (1, 4)
    assert audit_chain_verify() is None
    # and tampering with a legacy event is still caught
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [legacy[1].id])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (LEGACY_STREAM, 2, legacy[1].id)
