"""On PostgreSQL, a trigger refuses UPDATE and DELETE on journal entries and legs.

SQLite (the embedded default) has no such guard here; there the ORM refuses, and
verify_ledger catches anything done behind its back.
"""

from django.db import migrations

TABLES = ("funds_journalentry", "funds_journalleg")

FUNCTION = """
CREATE OR REPLACE FUNCTION funds_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION funds_ledger_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS funds_ledger_append_only();")


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_funds_ledger_grants")]

    operations = [migrations.RunPython(forwards, backwards)]
