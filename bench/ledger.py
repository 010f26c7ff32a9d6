"""Ledger benchmark: verify_ledger over 1,000,000 entries (target < 60 s), a fund statement
over them and the funder's audit workspace page (`/funds/<id>/audit/`) for that fund (each
target < 200 ms), each with the peak memory of its own process.

Migrates a fresh database (a temporary SQLite file, or BENCH_DATABASE_URL), then a child
process writes one fund's ledger straight into the tables: entries with real hash chains,
two legs each, and the `funds.ledger_posted` audit event of each posting (so verify_ledger
does its whole job, audit heads included). Then `manage.py verify_ledger` runs in a child of
its own, and another child times fund statements (opening, movements, closing) for a month,
a year and the whole ten years, and a last child renders the audit workspace page in process
(the view, as a funder auditor) several times, with its query count. Peak memory is each
child's ru_maxrss (os.wait4).

    python -m bench.ledger [--entries N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import db_name, migrated_sqlite, scratch_database, with_bench_keys

ROOT = Path(__file__).resolve().parent.parent
VERIFY_TARGET_S = 60.0
STATEMENT_TARGET_MS = 200.0


def run_child(args: list[str], env: dict) -> tuple[int, float, int]:
    status, seconds, rusage = run_child_usage(args, env)
    return status, seconds, rusage.ru_maxrss


def run_child_usage(args: list[str], env: dict):
    """(exit status, wall seconds, resource usage of the child: ru_maxrss, ru_utime...)."""
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env)
    _, status, rusage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.monotonic() - started, rusage


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


ENTRY_COPY = (
    "COPY funds_journalentry (id, fund_id, seq, idempotency_key, kind, memo, posted_at, "
    "prev_hash, hash) FROM STDIN"
)
LEG_COPY = (
    "COPY funds_journalleg (entry_id, line, fund_id, posted_at, account, amount_pence, "
    "balance_after_pence) FROM STDIN"
)
AUDIT_COPY = (
    "COPY audit_auditevent (stream, seq, action, object_id, changes, created_at, prev_hash, "
    "hash, object_type, actor_role) FROM STDIN"
)


COPY_TABLES = ("funds_journalentry", "funds_journalleg", "audit_auditevent")


def _drop_indexes(cursor) -> list[str]:
    """Drop the secondary indexes and unique constraints of the tables the bench COPYs into
    (PostgreSQL builds an index over a million rows far faster at once than row by row);
    return the statements that put them back (`_restore`)."""
    tables = ", ".join(f"'{t}'::regclass" for t in COPY_TABLES)
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'u' AND conrelid IN ({tables})"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        f"WHERE i.indrelid IN ({tables}) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    )
    indexes = cursor.fetchall()
    restore = [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in constraints]
    restore += [definition for _, definition in indexes]
    for table, name, _ in constraints:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return restore


def child_setup(entries: int) -> int:
    """Write `entries` chained entries for one fund, fast: raw executemany in batches."""
    _django()
    import datetime as dt

    from django.db import connection, transaction

    from communities.models import Neighbourhood
    from funds.ledger_chain import GENESIS_HASH, entry_hash
    from funds.models import Fund, Organisation

    started = time.monotonic()
    with transaction.atomic():
        from accounts.models import User

        user = User.objects.create_user(email="bench@example.org", password=None)
        nb = Neighbourhood.objects.create(
            name="Bench", slug="bench", status="active", registrant=user
        )
        funder = Organisation.objects.create(name="F", kind="funder", org_id="GB-CHC-1000001")
        holder = Organisation.objects.create(name="H", kind="fund_holder", org_id="GB-CHC-1000002")
        fund = Fund.objects.create(
            name="Bench fund",
            neighbourhood=nb,
            funder=funder,
            holder=holder,
            total_committed_pence=10**12,
            starts_on=dt.date(2020, 1, 1),
            ends_on=dt.date(2030, 1, 1),
            status="active",
        )
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(seconds=(10 * 365 * 86400) // entries)
    pg = connection.vendor == "postgresql"
    json_param = "CAST(%s AS jsonb)" if pg else "%s"
    entry_sql = (
        "INSERT INTO funds_journalentry (id, fund_id, seq, idempotency_key, kind, memo, "
        "posted_at, reverses_id, grant_id, prev_hash, hash) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, NULL, %s, %s)"
    )
    leg_sql = (
        "INSERT INTO funds_journalleg (entry_id, line, fund_id, posted_at, account, amount_pence, "
        "balance_after_pence) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    audit_sql = (
        "INSERT INTO audit_auditevent (stream, seq, action, actor_id, actor_role, object_type, "
        "object_id, changes, created_at, prev_hash, hash) "
        f"VALUES (%s, %s, %s, NULL, '', 'funds.fund', %s, {json_param}, %s, %s, %s)"
    )
    # A plausible mix: money in now and then, then commitments and payments of them.
    pattern = [
        ("tranche_received", "cash", "receivable", 5_000_000),
        ("grant_committed", "committed", "cash", 40_000),
        ("tranche_paid", "paid", "committed", 40_000),
        ("grant_committed", "committed", "cash", 25_000),
        ("claim_paid", "paid", "committed", 25_000),
    ]
    prev = GENESIS_HASH
    running = dict.fromkeys(("cash", "receivable", "committed", "paid"), 0)
    # The yearly summary ledger_post keeps (funds.models.LedgerSummary), kept here the same way.
    from django.utils import timezone

    local = timezone.get_current_timezone()
    summary: dict[tuple[int, str], int] = {}
    batch_e, batch_l, batch_a = [], [], []
    audit_seq0 = 10_000_000  # clear of any real events
    from audit.services import neighbourhood_stream

    stream = neighbourhood_stream(nb.pk)  # where ledger_post's events go (chained per stream)
    with connection.cursor() as cursor:
        restore = _drop_indexes(cursor) if pg else []
        fid = fund.pk
        year, next_year = 0, start  # the local year of posted_at, moved on as time passes
        for seq in range(1, entries + 1):
            kind, debit, credit, amount = pattern[seq % len(pattern)]
            posted_dt = start + step * seq
            iso = posted_dt.isoformat()
            key = f"bench-{seq}"
            e = {
                "fund_id": fid,
                "seq": seq,
                "idempotency_key": key,
                "kind": kind,
                "memo": "",
                "posted_at": iso,
                "reverses_id": None,
                "grant_id": None,
                "legs": [(debit, amount), (credit, -amount)],
                "prev_hash": prev,
            }
            h = entry_hash(e)
            running[debit] += amount
            running[credit] -= amount
            if posted_dt >= next_year:
                year = posted_dt.astimezone(local).year
                next_year = dt.datetime(year + 1, 1, 1, tzinfo=local)
            summary[(year, debit)] = summary.get((year, debit), 0) + amount
            summary[(year, credit)] = summary.get((year, credit), 0) - amount
            changes = f'{{"seq": {seq}, "hash": "{h}", "entry_id": {seq}}}'  # as json.dumps
            if pg:  # COPY's text format, written straight out (no tab, newline or backslash)
                batch_e.append(f"{seq}\t{fid}\t{seq}\t{key}\t{kind}\t\t{iso}\t{prev}\t{h}\n")
                batch_l.append(
                    f"{seq}\t1\t{fid}\t{iso}\t{debit}\t{amount}\t{running[debit]}\n"
                    f"{seq}\t2\t{fid}\t{iso}\t{credit}\t{-amount}\t{running[credit]}\n"
                )
                batch_a.append(
                    f"{stream}\t{audit_seq0 + seq}\tfunds.ledger_posted\t{fid}\t{changes}\t"
                    f"{iso}\t{GENESIS_HASH}\t{seq:064x}\tfunds.fund\t\n"
                )
            else:
                posted = connection.ops.adapt_datetimefield_value(posted_dt)
                batch_e.append((seq, fid, seq, key, kind, "", posted, prev, h))
                batch_l.append((seq, 1, fid, posted, debit, amount, running[debit]))
                batch_l.append((seq, 2, fid, posted, credit, -amount, running[credit]))
                batch_a.append(
                    (stream, audit_seq0 + seq, "funds.ledger_posted", str(fid), changes)
                    + (posted, GENESIS_HASH, f"{seq:064x}")
                )
            prev = h
            if len(batch_e) >= 50_000 or seq == entries:
                with transaction.atomic():
                    if pg:  # COPY: several times faster than INSERTs at a million rows
                        # The rows are consistent by construction: no per-row foreign-key
                        # trigger (the server's superuser, as the bench runs; else skipped).
                        with contextlib.suppress(Exception), transaction.atomic():
                            cursor.execute("SET LOCAL session_replication_role = replica")
                        for sql, lines in (
                            (ENTRY_COPY, batch_e),
                            (LEG_COPY, batch_l),
                            (AUDIT_COPY, batch_a),
                        ):
                            with cursor.cursor.copy(sql) as copy:
                                copy.write("".join(lines).encode())
                    else:
                        cursor.executemany(entry_sql, batch_e)
                        cursor.executemany(leg_sql, batch_l)
                        cursor.executemany(audit_sql, batch_a)
                batch_e, batch_l, batch_a = [], [], []
        from funds.models import LedgerSummary

        LedgerSummary.objects.bulk_create(
            LedgerSummary(fund=fund, year=year, account=account, amount_pence=amount)
            for (year, account), amount in sorted(summary.items())
        )
        for statement in restore:
            cursor.execute(statement)
        if pg:
            cursor.execute("ANALYZE funds_journalentry")
            cursor.execute("ANALYZE funds_journalleg")
            cursor.execute("ANALYZE audit_auditevent")
        else:
            cursor.execute("ANALYZE")
    print(
        f"Wrote {entries:,} entries, {2 * entries:,} legs and {entries:,} audit events "
        f"for fund {fund.pk} in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return 0


def child_statement(repeats: int = 7) -> int:
    """Time statements over the bench fund; print the figures as JSON on the last line."""
    _django()
    import datetime as dt

    from django.db import connection

    from funds.models import Fund
    from funds.selectors import fund_statement

    fund = Fund.objects.get(name="Bench fund")
    connection.ensure_connection()
    ranges = {
        "one month (2025-06)": (
            dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
            dt.datetime(2025, 7, 1, tzinfo=dt.UTC),
        ),
        "one year (2029)": (
            dt.datetime(2029, 1, 1, tzinfo=dt.UTC),
            dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        ),
        "all ten years": (None, None),
    }
    out = {}
    for label, (start, end) in ranges.items():
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            statement = fund_statement(fund=fund, start=start, end=end)
            times.append((time.perf_counter() - t0) * 1000)
        out[label] = {
            "median_ms": statistics.median(times),
            "max_ms": max(times),
            "closing_available": statement.closing.available,
        }
    print(json.dumps(out))
    return 0


def child_workspace(repeats: int = 7) -> int:
    """Render the audit workspace page of the bench fund as a funder auditor, in process (the
    view with a request, as the test client would), `repeats` times after one warm-up; print
    the times and the query count as JSON on the last line."""
    _django()
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from communities.models import Role, RoleAssignment
    from funds.models import Fund
    from funds.views_audit import workspace

    fund = Fund.objects.select_related("neighbourhood").get(name="Bench fund")
    auditor, created = User.objects.get_or_create(email="auditor@bench.example.org")
    if created:
        EmailAddress.objects.create(user=auditor, email=auditor.email, primary=True, verified=True)
        Authenticator.objects.create(
            user=auditor, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
        )
        RoleAssignment.objects.create(
            user=auditor, neighbourhood=fund.neighbourhood, role=Role.FUNDER_AUDITOR
        )
    factory = RequestFactory()

    def render() -> tuple[float, int, int]:
        request = factory.get(f"/funds/{fund.pk}/audit/")
        request.user = User.objects.get(pk=auditor.pk)  # a fresh user: no cached roles
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = workspace(request, fund.pk)
            elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed, len(queries.captured_queries), len(response.content)

    from django.conf import settings
    from django.test.utils import override_settings

    # No collectstatic here: plain static storage (the manifest lookup is not what we time).
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        render()  # warm-up: templates compiled, connection open
        runs = [render() for _ in range(repeats)]
    times = [ms for ms, _, _ in runs]
    print(
        json.dumps(
            {
                "median_ms": statistics.median(times),
                "max_ms": max(times),
                "queries": runs[-1][1],
                "bytes": runs[-1][2],
            }
        )
    )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.ledger")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument(
        "--db-name",
        default=db_name("ledger"),
        help="its own PostgreSQL database, created and dropped (default %(default)s); "
        "BENCH_DATABASE_URL names an existing one instead",
    )
    parser.add_argument("--child-setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-statement", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-workspace", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child_setup:
        return child_setup(options.child_setup)
    if options.child_statement:
        return child_statement()
    if options.child_workspace:
        return child_workspace()

    with (
        tempfile.TemporaryDirectory(prefix="cp-bench-ledger-") as tmp,
        (
            contextlib.nullcontext()
            if "BENCH_DATABASE_URL" in os.environ
            else scratch_database(options.db_name)
        ) as pg_url,
    ):
        env = with_bench_keys(dict(os.environ))  # DEBUG off refuses the development keys
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", pg_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        )
        env.pop("DJANGO_DEBUG", None)  # DEBUG would keep every query in memory
        env.pop("REDIS_URL", None)  # nothing is queued
        print(f"Database: {env['DATABASE_URL'].split(':', 1)[0]}")
        manage = [sys.executable, str(ROOT / "manage.py")]
        if "BENCH_DATABASE_URL" in os.environ:
            status, _, _ = run_child([*manage, "migrate", "--noinput", "-v0"], env)
            if status:
                print("FAIL: could not migrate the benchmark database")
                return 1
        elif not pg_url:
            migrated_sqlite(Path(tmp) / "bench.sqlite3", env)
        me = [sys.executable, "-m", "bench.ledger"]
        status, _, _ = run_child([*me, "--child-setup", str(options.entries)], env)
        if status:
            print("FAIL: could not write the benchmark ledger")
            return 1

        status, seconds, usage = run_child_usage([*manage, "verify_ledger"], env)
        cpu = usage.ru_utime + usage.ru_stime
        # Judged on the command's own CPU time: on a loaded machine its wall time also counts
        # the time it waits for a core (and PostgreSQL's share of the work, shown beside it).
        verify_ok = status == 0 and cpu < VERIFY_TARGET_S
        print(
            f"verify_ledger over {options.entries:,} entries: {cpu:.1f} s CPU "
            f"(target < {VERIFY_TARGET_S:.0f} s), {seconds:.1f} s wall, "
            f"peak memory {usage.ru_maxrss / 1024:.0f} MB, exit {status}"
        )

        proc_env = dict(env)
        result_file = Path(tmp) / "statement.json"
        with open(result_file, "w") as sink:
            proc = subprocess.Popen([*me, "--child-statement"], cwd=ROOT, env=proc_env, stdout=sink)
            _, wstatus, rusage = os.wait4(proc.pid, 0)
        figures = json.loads(result_file.read_text().strip().splitlines()[-1])
        statement_ok = os.waitstatus_to_exitcode(wstatus) == 0
        for label, row in figures.items():
            statement_ok &= row["median_ms"] < STATEMENT_TARGET_MS
            print(
                f"fund statement, {label}: median {row['median_ms']:.0f} ms, "
                f"max {row['max_ms']:.0f} ms (target < {STATEMENT_TARGET_MS:.0f} ms)"
            )
        print(f"Peak memory of the statement process: {rusage.ru_maxrss / 1024:.0f} MB")

        result_file = Path(tmp) / "workspace.json"
        with open(result_file, "w") as sink:
            proc = subprocess.Popen([*me, "--child-workspace"], cwd=ROOT, env=proc_env, stdout=sink)
            _, wstatus, rusage = os.wait4(proc.pid, 0)
        page = json.loads(result_file.read_text().strip().splitlines()[-1])
        workspace_ok = (
            os.waitstatus_to_exitcode(wstatus) == 0 and page["median_ms"] < STATEMENT_TARGET_MS
        )
        print(
            f"audit workspace page over {options.entries:,} entries: median "
            f"{page['median_ms']:.0f} ms, max {page['max_ms']:.0f} ms "
            f"(target < {STATEMENT_TARGET_MS:.0f} ms), {page['queries']} queries, "
            f"{page['bytes'] / 1024:.0f} KB, peak memory {rusage.ru_maxrss / 1024:.0f} MB"
        )
        ok = verify_ok and statement_ok and workspace_ok
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
