"""The audit trail is a hash chain per stream; verify_audit_chain finds any altered, deleted,
reordered, moved or forged event, in any stream, and names it (stream, seq, id)."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import AuditEvent, AuditStreamHead, compute_hash
from audit.services import audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db

A, B = "neighbourhood:1", "neighbourhood:2"


def _events(n=5, actor=None, stream=""):
    return [
        audit_record(
            action="test.event",
            actor=actor,
            object_type="thing",
            object_id=i,
            changes={"n": i},
            stream=stream,
        )
        for i in range(n)
    ]


def _two_streams():
    """Interleaved events in streams A and B; returns B's events (the ones tampered with)."""
    b_events = []
    for i in range(4):
        audit_record(action="test.a", stream=A, changes={"n": i})
        b_events.append(audit_record(action="test.b", stream=B, changes={"n": i}))
    audit_record(action="test.platform", object_type="thing")
    assert audit_chain_verify() is None
    return b_events


def _verify_exit_code(capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_chain")
    return exc.value.code, capsys.readouterr().err


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Bypass the append-only triggers, as a database superuser could.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_intact_chain_verifies(make_user, capsys):
    events = _events(5, actor=make_user())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    _two_streams()
    call_command("verify_audit_chain")
    assert "14 events verified in 3 stream(s)" in capsys.readouterr().out


def test_raw_sql_alteration_is_detected_and_named(capsys):
    events = _events(5)
    _raw("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"n": 99}', events[2].id])
    code, err = _verify_exit_code(capsys)
    assert code == 1
    assert "stream platform" in err and "#3" in err and f"id {events[2].id}" in err
    assert "altered" in err


def test_deleted_middle_event_is_detected(capsys):
    events = _events(5)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    code, err = _verify_exit_code(capsys)
    assert code == 1
    assert "#2" in err and "missing" in err


def test_deleted_newest_event_is_detected():
    events = _events(3)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].id])
    problem = audit_chain_verify()
    assert problem is not None and problem.seq == 3


def test_rolled_back_event_leaves_no_gap():
    _events(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError("boom")
    audit_record(action="test.after")
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert audit_chain_verify() is None


# Each kind of tampering, in one stream among several: the problem names that stream.


def test_edited_field_in_one_stream_is_named():
    b = _two_streams()
    _raw("UPDATE audit_auditevent SET actor_role = 'chair' WHERE id = %s", [b[1].id])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 2, b[1].id)
    assert "altered" in problem.reason


def test_deleted_event_in_one_stream_is_named():
    b = _two_streams()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [b[2].id])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 3, None)
    assert "missing" in problem.reason


def test_deleted_newest_event_of_a_stream_is_caught_by_its_head():
    b = _two_streams()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [b[-1].id])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq) == (B, 4)
    assert "missing" in problem.reason and "head is #4" in problem.reason


def test_whole_stream_deleted_is_caught_by_its_head():
    _two_streams()
    _raw("DELETE FROM audit_auditevent WHERE stream = %s", [B])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq) == (B, 1)
    assert "missing" in problem.reason


def test_reordered_events_in_one_stream_are_named():
    b = _two_streams()
    # Swap the positions of B's #2 and #3 (through a free seq, as the pair is unique).
    _raw("UPDATE audit_auditevent SET seq = 99 WHERE id = %s", [b[1].id])
    _raw("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [b[2].id])
    _raw("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [b[1].id])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 2, b[2].id)


def test_event_moved_to_another_stream_is_named():
    b = _two_streams()
    _raw("UPDATE audit_auditevent SET stream = %s, seq = 5 WHERE id = %s", [A, b[3].id])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq) == (A, 5)
    assert problem.event_id == b[3].id


def _forge(event, **changes):
    """Edit an event and recompute its own hash, as a forger who knows the scheme would."""
    for field, value in changes.items():
        setattr(event, field, value)
    event.hash = compute_hash(event.content())
    _raw(
        "UPDATE audit_auditevent SET changes = %s, hash = %s WHERE id = %s",
        ['{"n": 42}', event.hash, event.id],
    )


def test_forged_hash_in_the_middle_of_a_stream_breaks_the_next_link():
    b = _two_streams()
    _forge(b[1], changes={"n": 42})
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 3, b[2].id)
    assert "does not link" in problem.reason


def test_forged_hash_of_the_newest_event_is_caught_by_its_head():
    b = _two_streams()
    _forge(b[3], changes={"n": 42})
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 4, b[3].id)
    assert "forged" in problem.reason


def test_event_inserted_beyond_the_head_is_named():
    b = _two_streams()
    forged = AuditEvent(
        stream=B,
        seq=5,
        action="test.b",
        created_at=b[3].created_at,
        prev_hash=b[3].hash,
        changes={},
    )
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 5, forged.id)
    assert "beyond the chain head" in problem.reason


def test_events_of_a_stream_without_a_head_are_named():
    b = _two_streams()
    _raw("DELETE FROM audit_auditstreamhead WHERE stream = %s", [B])
    problem = audit_chain_verify()
    assert (problem.stream, problem.seq, problem.event_id) == (B, 1, b[0].id)
    assert "no chain head" in problem.reason


def test_the_command_names_stream_seq_and_id(capsys):
    b = _two_streams()
    _raw("UPDATE audit_auditevent SET action = 'test.x' WHERE id = %s", [b[0].id])
    code, err = _verify_exit_code(capsys)
    assert code == 1
    assert f"stream {B} at event #1 (id {b[0].id})" in err


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgres_refuses_update_and_delete_outright():
    event = _events(1)[0]
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.id])
    assert AuditEvent.objects.get(id=event.id).action == "test.event"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgres_heads_only_move_forward_one_event_at_a_time():
    _events(3)
    for sql, message in (
        ("DELETE FROM audit_auditstreamhead WHERE stream = 'platform'", "cannot be deleted"),
        ("UPDATE audit_auditstreamhead SET seq = 2 WHERE stream = 'platform'", "forward"),
        ("UPDATE audit_auditstreamhead SET seq = 9 WHERE stream = 'platform'", "forward"),
    ):
        with (
            pytest.raises(DatabaseError, match=message),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditStreamHead.objects.get(stream="platform").seq == 3
    assert audit_chain_verify() is None
