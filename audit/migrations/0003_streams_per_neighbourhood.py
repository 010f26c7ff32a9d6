"""Chain audit events per stream (one per neighbourhood, plus "platform"), each with its own
head row, so unrelated writes never wait for one lock.

Existing events are not re-chained: they keep their seq, prev_hash and hash in the closed
"legacy" stream, whose head is the old single head, so every hash anyone has already seen or
written down still verifies. (Re-chaining would rewrite history the trail exists to keep.)
The column is added with a default, which PostgreSQL fills without firing the append-only
row trigger. On PostgreSQL the heads get a trigger of their own: a head row is never deleted
and only moves forward one event at a time.
"""

from django.db import migrations, models

LEGACY_STREAM = "legacy"

HEAD_TRIGGER = """
CREATE OR REPLACE FUNCTION audit_stream_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING
            MESSAGE = 'audit stream heads cannot be deleted',
            ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.stream <> OLD.stream OR NEW.seq <> OLD.seq + 1 THEN
        RAISE EXCEPTION USING
            MESSAGE = 'audit stream heads only move forward, one event at a time',
            ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_stream_head_forward_only ON audit_auditstreamhead;
CREATE TRIGGER audit_stream_head_forward_only
    BEFORE UPDATE OR DELETE ON audit_auditstreamhead
    FOR EACH ROW EXECUTE FUNCTION audit_stream_head_forward_only();
"""

DROP_HEAD_TRIGGER = """
DROP TRIGGER IF EXISTS audit_stream_head_forward_only ON audit_auditstreamhead;
DROP FUNCTION IF EXISTS audit_stream_head_forward_only();
"""


def legacy_head_forwards(apps, schema_editor):
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditStreamHead = apps.get_model("audit", "AuditStreamHead")
    old = AuditHead.objects.filter(id=1).first()
    if old is not None and old.seq > 0:
        AuditStreamHead.objects.create(stream=LEGACY_STREAM, seq=old.seq, hash=old.hash)


def legacy_head_backwards(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditStreamHead = apps.get_model("audit", "AuditStreamHead")
    if AuditEvent.objects.exclude(stream=LEGACY_STREAM).exists():
        raise RuntimeError("Events were written per stream; they cannot go back to one chain.")
    legacy = AuditStreamHead.objects.filter(stream=LEGACY_STREAM).first()
    if legacy is not None:
        AuditHead.objects.update_or_create(id=1, defaults={"seq": legacy.seq, "hash": legacy.hash})


def head_trigger_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_TRIGGER)


def head_trigger_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_HEAD_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.CreateModel(
            name="AuditStreamHead",
            fields=[
                ("stream", models.CharField(max_length=80, primary_key=True, serialize=False)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                (
                    "hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="stream",
            field=models.CharField(default=LEGACY_STREAM, max_length=80),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("stream", "seq"), name="audit_stream_seq_unique"
            ),
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        migrations.RunPython(legacy_head_forwards, legacy_head_backwards),
        migrations.DeleteModel(name="AuditHead"),
        migrations.RunPython(head_trigger_forwards, head_trigger_backwards),
    ]
