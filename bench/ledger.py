"""Ledger benchmark: verify_ledger over 1,000,000 entries (target < 60 s) and a fund statement
over them (target < 200 ms), each with the peak memory of its own process.

Migrates a fresh database (a temporary SQLite file, or BENCH_DATABASE_URL), then a child
process writes one fund's ledger straight into the tables: entries with real hash chains,
two legs each, and the `funds.ledger_posted` audit event of each posting (so verify_ledger
does its whole job, audit heads included). Then `manage.py verify_ledger` runs in a child of
its own, and another child times fund statements (opening, movements, closing) for a month,
a year and the whole ten years. Peak memory is each child's ru_maxrss (os.wait4).

    python -m bench.ledger [--entries N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERIFY_TARGET_S = 60.0
STATEMENT_TARGET_MS = 200.0


def run_child(args: list[str], env: dict) -> tuple[int, float, int]:
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env)
    _, status, rusage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.monotonic() - started, rusage.ru_maxrss


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


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
    batch_e, batch_l, batch_a = [], [], []
    audit_seq0 = 10_000_000  # clear of any real events
    with connection.cursor() as cursor:
        for seq in range(1, entries + 1):
            kind, debit, credit, amount = pattern[seq % len(pattern)]
            posted_dt = start + step * seq
            posted = connection.ops.adapt_datetimefield_value(posted_dt)
            key = f"bench-{seq}"
            legs = [(debit, amount), (credit, -amount)]
            e = {
                "fund_id": fund.pk,
                "seq": seq,
                "idempotency_key": key,
                "kind": kind,
                "memo": "",
                "posted_at": posted_dt.isoformat(),
                "reverses_id": None,
                "grant_id": None,
                "legs": legs,
                "prev_hash": prev,
            }
            h = entry_hash(e)
            batch_e.append((seq, fund.pk, seq, key, kind, "", posted, prev, h))
            running[debit] += amount
            running[credit] -= amount
            batch_l.append((seq, 1, fund.pk, posted, debit, amount, running[debit]))
            batch_l.append((seq, 2, fund.pk, posted, credit, -amount, running[credit]))
            batch_a.append(
                (
                    f"neighbourhood:{nb.pk}",  # the fund's neighbourhood's audit stream
                    audit_seq0 + seq,
                    "funds.ledger_posted",
                    str(fund.pk),
                    json.dumps({"seq": seq, "hash": h, "entry_id": seq}),
                    posted,
                    "0" * 64,
                    f"{seq:064x}",
                )
            )
            prev = h
            if len(batch_e) >= 20_000 or seq == entries:
                with transaction.atomic():
                    cursor.executemany(entry_sql, batch_e)
                    cursor.executemany(leg_sql, batch_l)
                    cursor.executemany(audit_sql, batch_a)
                batch_e, batch_l, batch_a = [], [], []
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.ledger")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--child-setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-statement", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child_setup:
        return child_setup(options.child_setup)
    if options.child_statement:
        return child_statement()

    with tempfile.TemporaryDirectory(prefix="cp-bench-ledger-") as tmp:
        env = dict(os.environ)
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        )
        env.pop("DJANGO_DEBUG", None)  # DEBUG would keep every query in memory
        print(f"Database: {env['DATABASE_URL'].split(':', 1)[0]}")
        manage = [sys.executable, str(ROOT / "manage.py")]
        status, _, _ = run_child([*manage, "migrate", "--noinput", "-v0"], env)
        if status:
            print("FAIL: could not migrate the benchmark database")
            return 1
        me = [sys.executable, "-m", "bench.ledger"]
        status, _, _ = run_child([*me, "--child-setup", str(options.entries)], env)
        if status:
            print("FAIL: could not write the benchmark ledger")
            return 1

        status, seconds, peak_kib = run_child([*manage, "verify_ledger"], env)
        verify_ok = status == 0 and seconds < VERIFY_TARGET_S
        print(
            f"verify_ledger over {options.entries:,} entries: {seconds:.1f} s "
            f"(target < {VERIFY_TARGET_S:.0f} s), peak memory {peak_kib / 1024:.0f} MB, "
            f"exit {status}"
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
        ok = verify_ok and statement_ok
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
