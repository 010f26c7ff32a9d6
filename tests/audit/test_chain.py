"""The audit trail is a hash chain; verify_audit_chain finds any altered or deleted event."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.services import audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db


def _events(n=5, actor=None):
    return [
        audit_record(
            action="test.event", actor=actor, object_type="thing", object_id=i, changes={"n": i}
        )
        for i in range(n)
    ]


def _verify_exit_code(capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_chain")
    return exc.value.code, capsys.readouterr().err


def test_intact_chain_verifies(make_user, capsys):
    events = _events(5, actor=make_user())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    call_command("verify_audit_chain")
    assert "5 events verified" in capsys.readouterr().out


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Bypass the append-only trigger, as a database superuser could.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_raw_sql_alteration_is_detected_and_named(capsys):
    events = _events(5)
    _raw("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"n": 99}', events[2].id])
    code, err = _verify_exit_code(capsys)
    assert code == 1
    assert "#3" in err and "altered" in err


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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgres_refuses_update_and_delete_outright():
    from django.db.utils import DatabaseError

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
