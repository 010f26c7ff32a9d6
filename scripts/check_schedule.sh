#!/usr/bin/env bash
# Acceptance 4 of issue 9: under `make run` (the dev server, no REDIS_URL, so no Celery beat),
# a round with opens_at one minute ahead opens and closes on its own.
#
# Starts the dev server exactly as `make run` does (runserver with its autoreloader) on a free
# port against a temporary SQLite database with the demo data, creates a published round
# opening in OPEN_IN seconds and closing CLOSE_AFTER seconds later, then watches the database
# (sqlite3, no page requests: only the in-process scheduler can move the round) until the round
# is open and then closed. Exits 0 on success, 1 on a timeout.
#
#   scripts/check_schedule.sh            # from the project folder, after `make install`
#   OPEN_IN=60 CLOSE_AFTER=60 scripts/check_schedule.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OPEN_IN=${OPEN_IN:-60}
CLOSE_AFTER=${CLOSE_AFTER:-60}
SLACK=${SLACK:-45}  # the scheduler checks every 30 s

TMP=$(mktemp -d)
DB="$TMP/db.sqlite3"
export DATABASE_URL="sqlite:///$DB" DJANGO_DEBUG=1 DJANGO_MEDIA_ROOT="$TMP/media"
unset REDIS_URL
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true  # the server's own process group
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

say() { echo "[$(date -u +%H:%M:%S)] $*"; }

say "temporary database $DB"
"$PY" manage.py migrate --noinput >/dev/null
"$PY" manage.py seed_demo >/dev/null
ROUND=$("$PY" manage.py shell -v 0 -c "
from datetime import timedelta
from django.utils import timezone
from communities.models import Neighbourhood
from proposals.models import Proposal
from voting.models import Pot, PotItem, VoteRound
place = Neighbourhood.objects.order_by('pk').first()
now = timezone.now()
round = VoteRound.objects.create(
    neighbourhood=place, title='Schedule check', status=VoteRound.Status.PUBLISHED,
    opens_at=now + timedelta(seconds=$OPEN_IN),
    closes_at=now + timedelta(seconds=$OPEN_IN + $CLOSE_AFTER),
    eligible_connections=['lives', 'works', 'studies', 'volunteers'], published_at=now)
pot = Pot.objects.create(round=round, name='Main pot', amount_pence=1_000_000)
proposal = Proposal.objects.filter(neighbourhood=place).order_by('pk').first()
PotItem.objects.create(pot=pot, proposal=proposal, number=1, cost_pence=100_000)
print(round.pk)
" | tail -1)

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "round $ROUND: published, opens in ${OPEN_IN}s, closes ${CLOSE_AFTER}s later"
say "starting the dev server as make run does: runserver 127.0.0.1:$PORT (no REDIS_URL)"
setsid "$PY" manage.py runserver "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

status() {
  "$PY" -c "
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    'select status, opens_at, closes_at, open_at, closed_at from voting_voteround where id = ?',
    (int(sys.argv[2]),)).fetchone()
print(' '.join(str(v) for v in row))" "$DB" "$ROUND"
}

wait_for() {  # wait_for <status> <deadline seconds from now>
  local want=$1 until=$(( $(date +%s) + $2 )) now
  while true; do
    now=$(status)
    if [ "${now%% *}" = "$want" ]; then say "round $ROUND is $want: $now"; return 0; fi
    if [ "$(date +%s)" -ge "$until" ]; then say "TIMEOUT waiting for $want: $now"; return 1; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then say "the server stopped"; cat "$TMP/server.log"; return 1; fi
    sleep 2
  done
}

say "round $ROUND is $(status)"
ok=0
wait_for open $((OPEN_IN + SLACK)) && wait_for closed $((CLOSE_AFTER + SLACK)) || ok=1
say "server log (scheduler lines):"
grep -i "round" "$TMP/server.log" | grep -v '"GET\|"POST' || true
if grep -q '"GET\|"POST' "$TMP/server.log"; then say "unexpected page requests in the log"; ok=1; fi
say "audit trail of round $ROUND:"
"$PY" manage.py shell -v 0 -c "
from audit.models import AuditEvent
for e in AuditEvent.objects.filter(object_type='voting.voteround', object_id='$ROUND').order_by('seq'):
    print(f'  {e.created_at:%H:%M:%S} {e.action} {e.actor_role} {e.changes or \"\"}')
" 2>/dev/null || true
[ $ok -eq 0 ] && say "PASS: opened and closed on its own, with no page requests" || say "FAIL"
exit $ok
