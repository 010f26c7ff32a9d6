"""Ballot casting over HTTP: gunicorn (4 workers, production settings), PostgreSQL and Redis,
distinct signed-in voters posting a knapsack ballot through the HTML form (issue 17).

Run from the repo root: ``python -m bench.cast_http [--duration 30] [--clients 1 50 200]
[--voters 20000] [--port 8200] [--db cp_bench_cast] [--redis-url redis://127.0.0.1:6379/10]
[--profile 200]``. Runs at the same time on one server need their own ``--db`` and ``--port``.

What it does, and undoes:

1. creates its own database (``cp_bench_cast``, dropped at the end) on the PostgreSQL server
   of ``--pg`` and migrates it; one round with a pot per client level (a voter casts once per
   pot), twelve proposals on each ballot;
2. creates the voters in bulk (users, verified emails, memberships) with a signed-in session
   each, so sign-in is not measured; each level's voters are distinct and used once;
3. starts gunicorn with 4 sync workers on production settings (DEBUG off, persistent database
   connections as shipped, the Redis cache and broker; no Celery worker, so queued receipt
   notices wait in Redis as they would for a busy worker);
4. for each client level runs wrk (Debian's, ``make bench-deps``) with a Lua script that posts
   one ballot per request, each from the next voter, for ``--duration`` seconds; a response
   counts as a ballot only if it is the receipt page;
5. reads the CPU used by wrk, the gunicorn workers and the PostgreSQL backends serving them
   (``/proc/<pid>/stat``), and the ballots stored in the level's pot (each must be stored once:
   stored == receipts);
6. runs pgbench on the same three INSERTs as one raw transaction, 16 clients, as the baseline
   measured in the same run; and stops gunicorn and drops the database.

``--profile N`` also casts N ballots in-process (Django's test client, same settings) under
cProfile and prints where the time goes: the named bottleneck when targets are missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import db_name, with_bench_keys

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DB_NAME = "cp_bench_cast"
TARGET_RATE_50 = 300.0
TARGET_P95_MS_50 = 250.0
TARGET_PGBENCH_SHARE = 0.07
CLK_TCK = os.sysconf("SC_CLK_TCK")

SETUP = r"""
import json, sys
from datetime import timedelta
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string
from allauth.account.models import EmailAddress
from communities.models import AgeBand, Connection, Membership, VerificationMethod
from tests.factories import NeighbourhoodFactory, ProposalFactory
from voting.models import Pot, PotItem, VoteRound

levels, voters_per_level, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
now = timezone.now()
nb = NeighbourhoodFactory()
round = VoteRound.objects.create(
    neighbourhood=nb, title="Bench vote", status=VoteRound.Status.OPEN,
    ballot_method="knapsack", counting_rule="greedy",
    eligible_connections=list(Connection.values),
    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=6),
)
proposals = [
    ProposalFactory(neighbourhood=nb, cost_pence=100_000 + 10_000 * i, status="on_ballot")
    for i in range(12)
]
pots = []
for level in range(levels):
    pot = Pot.objects.create(
        round=round, name=f"Pot {level}", amount_pence=1_000_000, position=level
    )
    PotItem.objects.bulk_create(
        PotItem(pot=pot, proposal=p, number=n, cost_pence=100_000 + 10_000 * (n - 1))
        for n, p in enumerate(proposals, start=1)
    )
    pots.append(pot.pk)
User = get_user_model()
total = levels * voters_per_level
users = [User(email=f"voter{i}@bench.example", display_name=f"Voter {i}") for i in range(total)]
for u in users:
    u.set_unusable_password()
users = User.objects.bulk_create(users, batch_size=2000)
EmailAddress.objects.bulk_create(
    (EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in users),
    batch_size=2000,
)
Membership.objects.bulk_create(
    (
        Membership(
            user=u, neighbourhood=nb, status=Membership.Status.VERIFIED,
            connection=Connection.LIVES, age_band=AgeBand.AGE_35_49,
            verification_method=VerificationMethod.POSTCODE, verified_at=now,
            expires_at=now + timedelta(days=365),
        )
        for u in users
    ),
    batch_size=2000,
)
store = SessionStore()
sessions, keys = [], []
for u in users:
    key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
    data = {
        SESSION_KEY: str(u.pk),
        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        HASH_SESSION_KEY: u.get_session_auth_hash(),
    }
    sessions.append(Session(session_key=key, session_data=store.encode(data),
                            expire_date=now + timedelta(days=1)))
    keys.append(key)
Session.objects.bulk_create(sessions, batch_size=2000)
choices = [proposals[0].pk, proposals[3].pk, proposals[5].pk]  # 100k+130k+150k within the pot
json.dump({"pots": pots, "sessions": keys, "choices": choices, "round": round.pk}, open(out, "w"))
"""

LUA = r"""
-- One ballot per request, each from the next voter of this level (thread t takes voters
-- t, t+T, t+2T, ...). A response counts as a ballot only when it is the receipt page.
local sessions, body, host = {}, "", ""
local counter, threads = 0, {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  local file = io.open(args[1])
  for line in file:lines() do table.insert(sessions, line) end
  file:close()
  body = args[2]
  host = args[3]
  nthreads = tonumber(args[4])
  index = id + 1
  receipts, others = 0, 0
end
function request()
  local key = sessions[((index - 1) % #sessions) + 1]
  index = index + nthreads
  local headers = {}
  headers["Cookie"] = "sessionid=" .. key .. "; csrftoken=benchcsrfbenchcsrfbenchcsrfbench"
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["X-Forwarded-Proto"] = "https"
  headers["Origin"] = "https://" .. host
  return wrk.format("POST", nil, headers, body)
end
function response(status, headers, resp)
  if status == 200 and string.find(resp, 'id="receipt-code"', 1, true) then
    receipts = receipts + 1
  else
    others = others + 1
  end
end
function done(summary, latency, requests)
  local r, o = 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("receipts")
    o = o + t:get("others")
  end
  io.write(string.format(
    'RESULT {"requests": %d, "receipts": %d, "others": %d, "socket_errors": %d, ' ..
    '"status_errors": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, r, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""

PGBENCH = """\\set n random(1, 1000000000)
BEGIN;
INSERT INTO voting_participation (round_id, pot_id, membership_id, in_person_key,
  in_person_surname_key, in_person_house_key, in_person_name, in_person_address, channel,
  age_band, receipt_salt, receipt_check, changes, recorded_by_id, voted_at)
  SELECT id, {pot}, NULL, md5(random()::text || :client_id || :n), '', '', '', '', 'online',
  '35_49', md5(random()::text), md5(random()::text) || md5(random()::text), 0, NULL, now()
  FROM voting_voteround WHERE id = {round} AND status = 'open' FOR KEY SHARE;
INSERT INTO voting_ballot (id, round_id, pot_id, channel, choices, receipt_hash, paper_batch_id)
  VALUES (gen_random_uuid(), {round}, {pot}, 'online', '[1, 4, 6]',
  md5(random()::text) || md5(random()::text), NULL);
INSERT INTO outbox_outboxmessage (task, args, created_at, attempts, sent_at, done_at, last_error)
  VALUES ('voting.tasks.ballot_receipt_email_task', '[1, {pot}, false]', now(), 0, NULL, NULL, '');
COMMIT;
"""


def _psql(pg: str, sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", f"{pg}/{db}", "-XAtqc", sql], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def _cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total


def _backends(db: str) -> list[int]:
    """PostgreSQL backends serving the bench database: their process title names it."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {db} ".encode() in title:
            pids.append(int(entry.name))
    return pids


def _settle(pg: str, db: str, pot: int, timeout: float = 90.0) -> None:
    """Wait until requests still queued or in flight when wrk stopped are done: the pot's
    ballot count holds still for two seconds."""
    sql = f"SELECT count(*) FROM voting_ballot WHERE pot_id = {pot}"
    deadline = time.monotonic() + timeout
    count = _psql(pg, sql, db)
    while time.monotonic() < deadline:
        time.sleep(2.0)
        now = _psql(pg, sql, db)
        if now == count:
            return
        count = now


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _wait_http(port: int, server: subprocess.Popen, timeout: float = 180.0) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped (run with --verbose to see why)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            conn.close()
            return  # it answers (whatever the status)
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer in time")


def _env(args) -> dict:
    env = with_bench_keys(dict(os.environ))
    env.update(
        DATABASE_URL=f"{args.pg}/{args.db_name}",
        REDIS_URL=args.redis_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_MANIFEST_STATIC="0",  # no collectstatic in a bench; static URLs are not measured
        DJANGO_LOG_LEVEL="ERROR",
        PYTHONPATH=str(REPO),
    )
    env.pop("DJANGO_DEBUG", None)
    return env


def _percent(ticks: int, seconds: float) -> float:
    return 100.0 * ticks / CLK_TCK / seconds if seconds else 0.0


def run_level(
    args, env, data, level: int, clients: int, workers: list[int], duration: int | None = None
) -> dict:
    pot = data["pots"][level]
    per = args.voters
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(data["sessions"][level * per : (level + 1) * per]) + "\n")
        sessions_file = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA)
        lua_file = f.name
    body = "&".join(f"choice={c}" for c in data["choices"])
    body += "&csrfmiddlewaretoken=benchcsrfbenchcsrfbenchcsrfbench"
    threads = min(2, clients)
    host = f"127.0.0.1:{args.port}"
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{duration or args.duration}s",
        "--timeout",
        "10s",
        "-s",
        lua_file,
        f"http://{host}/votes/pot/{pot}/vote/",
        "--",
        sessions_file,
        body,
        host,
        str(threads),
    ]
    before_web = _cpu_ticks(workers)
    before_pg = {pid: _cpu_ticks([pid]) for pid in _backends(args.db_name)}
    last_pg = dict(before_pg)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    client_ticks = 0
    while proc.poll() is None:
        client_ticks = max(client_ticks, _cpu_ticks([proc.pid]))
        # Backends that come and go during the run count with what they used while seen.
        for pid in _backends(args.db_name):
            last_pg[pid] = _cpu_ticks([pid])
        time.sleep(0.2)
    wall = time.monotonic() - start
    output = proc.stdout.read()
    for pid in _backends(args.db_name):
        last_pg[pid] = _cpu_ticks([pid])
    web = _cpu_ticks(workers) - before_web
    pg = sum(ticks - before_pg.get(pid, 0) for pid, ticks in last_pg.items())
    _settle(args.pg, args.db_name, pot)
    os.unlink(sessions_file)
    os.unlink(lua_file)
    match = re.search(r"RESULT (\{.*\})", output)
    if not match:
        raise RuntimeError(f"wrk gave no result:\n{output}")
    result = json.loads(match.group(1))
    seconds = result["duration_us"] / 1e6
    stored = int(
        _psql(args.pg, f"SELECT count(*) FROM voting_ballot WHERE pot_id = {pot}", args.db_name)
    )
    parts = int(
        _psql(
            args.pg, f"SELECT count(*) FROM voting_participation WHERE pot_id = {pot}", args.db_name
        )
    )
    receipts = result["receipts"]
    cores = os.cpu_count() or 1
    return {
        "clients": clients,
        "seconds": round(seconds, 1),
        "ballots_per_s": round(receipts / seconds, 1),
        "p50_ms": round(result["p50_us"] / 1000, 1),
        "p95_ms": round(result["p95_us"] / 1000, 1),
        "p99_ms": round(result["p99_us"] / 1000, 1),
        "requests": result["requests"],
        "receipts": receipts,
        "errors": result["others"] + result["socket_errors"],
        "stored": stored,
        # Each ballot once: one participation per ballot (the unique constraint: one per
        # voter), every receipt stored; ballots without a receipt are requests the client gave
        # up on (timeouts, or in flight when wrk stopped), which the server still completed.
        "stored_once": stored == parts
        and receipts <= stored <= receipts + clients + result["socket_errors"],
        "stored_without_receipt": stored - receipts,
        "client_cpu_share_pct": round(_percent(client_ticks, wall) / cores, 1),
        "web_cpu_ms_per_ballot": round(1000 * web / CLK_TCK / receipts, 2) if receipts else None,
        "pg_cpu_ms_per_ballot": round(1000 * pg / CLK_TCK / receipts, 2) if receipts else None,
        "client_cpu_ms_per_ballot": (
            round(1000 * client_ticks / CLK_TCK / receipts, 2) if receipts else None
        ),
    }


def run_pgbench(args, data, clients: int = 16) -> float:
    script = PGBENCH.format(pot=data["pots"][-1], round=data["round"])
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(
            [
                "pgbench",
                "-n",
                f"-c{clients}",
                "-j2",
                f"-T{args.duration}",
                "-f",
                path,
                f"{args.pg}/{args.db_name}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(path)
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1))


def profile_casts(env, data, count: int) -> str:
    """Cast `count` ballots in-process through the whole request stack under cProfile."""
    code = r"""
import cProfile, io, json, pstats, sys, time
import django
django.setup()
from django.test import Client
data = json.load(open(sys.argv[1]))
pot, count = data["pots"][-1], int(sys.argv[2])
keys = data["sessions"][-count:]
body = {"choice": data["choices"]}
def run():
    for key in keys:
        c = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
        c.cookies["sessionid"] = key
        r = c.post(f"/votes/pot/{pot}/vote/", body)
        assert b'id="receipt-code"' in r.content, r.status_code
# CPU time, not wall time: on a shared machine waiting for the database or for a core would
# otherwise swamp what the web worker itself spends.
profiler = cProfile.Profile(time.process_time)
started = time.process_time()
profiler.enable(); run(); profiler.disable()
print(f"in-process CPU per cast under the profiler: "
      f"{1000 * (time.process_time() - started) / len(keys):.1f} ms")
out = io.StringIO()
pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
print(out.getvalue())
"""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(data, f)
        path = f.name
    try:
        env = {**env, "DJANGO_SECURE_SSL_REDIRECT": "0"}
        done = subprocess.run(
            [PYTHON, "-c", code, path, str(count)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        return done.stdout if done.returncode == 0 else f"profile failed:\n{done.stderr[-3000:]}"
    finally:
        os.unlink(path)


def measure(args) -> dict:
    global DB_NAME
    DB_NAME = args.db_name  # read by the helpers above (_backends, _settle, ...)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run `make bench-deps` (Debian's wrk).")
    env = _env(args)
    _psql(args.pg, f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")
    _psql(args.pg, f"CREATE DATABASE {args.db_name}")
    gunicorn = None
    try:
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=REPO, check=True
        )
        levels = len(args.clients) + 1  # the last pot: pgbench and the profile
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            data_path = f.name
        subprocess.run(
            [PYTHON, "-c", SETUP, str(levels), str(args.voters), data_path],
            env=env,
            cwd=REPO,
            check=True,
        )
        data = json.loads(Path(data_path).read_text())
        os.unlink(data_path)
        subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture_output=True)
        gunicorn = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "config.wsgi",
                "--workers",
                "4",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--backlog",
                "2048",
                "--timeout",
                "30",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if not args.verbose else None,
            start_new_session=True,
        )
        _wait_http(args.port, gunicorn)
        workers = _children(gunicorn.pid)
        load_before = os.getloadavg()
        # Warm-up on the spare pot (its voters from the start of its slice; the profile takes
        # them from the end): each worker imports, compiles and connects before the clock runs.
        run_level(args, env, data, len(args.clients), 8, workers, duration=3)
        levels_out = []
        for level, clients in enumerate(args.clients):
            levels_out.append(run_level(args, env, data, level, clients, workers))
            print(json.dumps(levels_out[-1]), flush=True)
        tps = run_pgbench(args, data)
        result = {
            "levels": levels_out,
            "pgbench_tps_16": round(tps, 1),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "cores": os.cpu_count(),
            "duration_s": args.duration,
        }
        if args.profile:
            result["profile"] = profile_casts(env, data, args.profile)
        return result
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
        subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture_output=True)
        _psql(args.pg, f"DROP DATABASE IF EXISTS {args.db_name} WITH (FORCE)")


def _figures(result: dict) -> list[dict]:
    rows = []
    tps = result["pgbench_tps_16"]
    for level in result["levels"]:
        c = level["clients"]
        at50 = c == 50
        rows += [
            {
                "figure": f"ballots/s at {c} clients",
                "value": level["ballots_per_s"],
                "unit": "ballots/s",
                "baseline": f"pgbench raw INSERT tx, 16 clients: {tps} tx/s",
                "target": f">= {TARGET_RATE_50:.0f}" if at50 else "",
                "ok": level["ballots_per_s"] >= TARGET_RATE_50 if at50 else None,
            },
            {
                "figure": f"p50 / p95 / p99 at {c} clients",
                "value": f"{level['p50_ms']} / {level['p95_ms']} / {level['p99_ms']}",
                "unit": "ms",
                "baseline": "",
                "target": f"p95 < {TARGET_P95_MS_50:.0f}" if at50 else "",
                "ok": level["p95_ms"] < TARGET_P95_MS_50 if at50 else None,
            },
            {
                "figure": f"errors / ballots stored (each once) at {c} clients",
                "value": f"{level['errors']} / {level['stored']} "
                f"({'yes' if level['stored_once'] else 'NO'})",
                "unit": "",
                "baseline": f"{level['receipts']} receipts; "
                f"{level['stored_without_receipt']} stored after the client gave up",
                "target": "0 errors, stored == receipts",
                "ok": level["errors"] == 0 and level["stored_once"],
            },
            {
                "figure": f"CPU per ballot at {c} clients: web / PostgreSQL / client",
                "value": f"{level['web_cpu_ms_per_ballot']} / {level['pg_cpu_ms_per_ballot']} / "
                f"{level['client_cpu_ms_per_ballot']}",
                "unit": "ms",
                "baseline": f"client CPU share {level['client_cpu_share_pct']}% of the machine",
                "target": "",
                "ok": None,
            },
        ]
        if at50:
            share = level["ballots_per_s"] / tps if tps else 0.0
            rows.append(
                {
                    "figure": "ballots/s at 50 clients as a share of pgbench",
                    "value": f"{100 * share:.1f}",
                    "unit": "%",
                    "baseline": f"{tps} tx/s",
                    "target": f">= {100 * TARGET_PGBENCH_SHARE:.0f}%",
                    "ok": share >= TARGET_PGBENCH_SHARE,
                }
            )
    rows.append(
        {
            "figure": "load average (1 min) before / after the cast runs",
            "value": f"{result['load_average_before'][0]} / {result['load_average_after'][0]}",
            "unit": "",
            "baseline": f"{result['cores']} cores",
            "target": "",
            "ok": None,
        }
    )
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.cast_http", description=__doc__)
    parser.add_argument("--duration", type=int, default=30, help="seconds per level (30)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument(
        "--voters", type=int, default=20000, help="distinct voters per level (20000)"
    )
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument(
        "--db-name",
        "--db",
        dest="db_name",
        default=os.environ.get("COMMONPURSE_BENCH_CAST_DB") or db_name("cast"),
        help="its own database, created and dropped (%(default)s): one per concurrent run",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("COMMONPURSE_BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("COMMONPURSE_BENCH_REDIS", "redis://127.0.0.1:6379/10"),
    )
    parser.add_argument("--verbose", action="store_true", help="show gunicorn's log")
    parser.add_argument("--profile", type=int, default=0, help="also profile N casts in-process")
    return parser


def results(quick: bool) -> list[dict]:
    """`make bench`'s protocol (bench/README.md): figure rows. Quick is the issue's own run
    (30 s at each of 1, 50 and 200 clients) with 10,000 voters per level (300 ballots/s for
    30 s would need 9,000); options from COMMONPURSE_BENCH_CAST_ARGS (e.g. "--port 8150")."""
    extra = os.environ.get("COMMONPURSE_BENCH_CAST_ARGS", "").split()
    args = _parser().parse_args((["--voters", "10000"] if quick else []) + extra)
    return _figures(measure(args))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    result = measure(args)
    for row in _figures(result):
        mark = {True: "ok", False: "MISSED", None: ""}[row["ok"]]
        print(f"{row['figure']}: {row['value']} {row['unit']}  [{row['baseline']}] {mark}")
    if "profile" in result:
        print(result["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
