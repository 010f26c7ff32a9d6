#!/usr/bin/env bash
# Back up the PostgreSQL database with pg_dump, restore the dump into an EMPTY database, and check
# the copy with verify_ledger and verify_audit_chain (docs/operations.md).
#
#   scripts/backup_restore_verify.sh SOURCE_URL TARGET_URL [DUMP_FILE]
#
# SOURCE_URL and TARGET_URL are postgres://user[:password]@host:port/name addresses; the target
# database must exist and hold no tables (createdb it first): the script refuses anything else,
# so it can never overwrite a live database. DUMP_FILE (pg_dump's custom format) is kept if given,
# else written to a temporary file and removed. Run it from the project folder with the same
# environment as manage.py (DJANGO_SETTINGS_MODULE, DJANGO_SECRET_KEY...). Exits 0 when the
# restored copy verifies; 1 when a check fails; 2 on bad arguments or a non-empty target.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "Usage: $0 SOURCE_URL TARGET_URL [DUMP_FILE]" >&2
  exit 2
fi
SOURCE=$1
TARGET=$2
if [ "$SOURCE" = "$TARGET" ]; then
  echo "The target must be another, empty database, not the source." >&2
  exit 2
fi
if [ $# -eq 3 ]; then
  DUMP=$3
else
  DUMP=$(mktemp --suffix=.dump)
  trap 'rm -f "$DUMP"' EXIT
fi

tables=$(psql "$TARGET" -XtAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')") || {
  echo "Cannot connect to the target database. Create it first (createdb)." >&2
  exit 2
}
if [ "$tables" != "0" ]; then
  echo "The target database is not empty ($tables tables): restore only into an empty database." >&2
  exit 2
fi

echo "== pg_dump of the source"
pg_dump --format=custom --no-owner --no-privileges --file "$DUMP" "$SOURCE"
echo "== pg_restore into the empty target"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname "$TARGET" "$DUMP"
echo "== verify_ledger on the restored copy"
DATABASE_URL=$TARGET "$PY" manage.py verify_ledger || exit 1
echo "== verify_audit_chain on the restored copy"
DATABASE_URL=$TARGET "$PY" manage.py verify_audit_chain || exit 1
echo "The restored copy verifies: ledger and audit chain intact."
