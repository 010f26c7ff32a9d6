"""Pages at scale (issue 17): server time (p50/p95) and query count of each page, trustee
pages included, over a neighbourhood with 10,000 members, 2,000 proposals, 100,000 ballots and
1,000,000 ledger entries (quick mode: 10,000 / 2,000 / 20,000 / 50,000). Target: p95 < 100 ms.

Migrates a fresh database (a temporary SQLite file, or BENCH_DATABASE_URL), then one child
process writes the data in bulk (the ledger with real hash chains, by bench.ledger; members,
proposals, a counted round and an open paper round with its ballots, batches and paper
voters by bulk_create, with the fields the services write) and requests each page
in-process with Django's test client, signed in as the role that uses it (a trustee who
passed two-factor, the finance officer). Server time is the client's wall time per request
(middleware, view, template), DEBUG off.

    python -m bench.pages [--quick] [--repeats N]
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
TARGET_MS = 100.0
FUND_TARGET_MS = 200.0  # issue 17: a fund statement over 1,000,000 entries
LEDGER_PAGES = {"fund page (trustee)", "fund statement (trustee)"}
FULL = {"members": 10_000, "proposals": 2_000, "ballots": 100_000, "entries": 1_000_000}
QUICK = {"members": 10_000, "proposals": 2_000, "ballots": 20_000, "entries": 50_000}
ON_BALLOT = 100  # proposals on the counted round's ballot (each with a linked trustee)
TRUSTEES = 8


def _login(client, user) -> None:
    """Sign in as allauth does for someone who passed password and authenticator (the
    trustee pages need a session that passed two-factor)."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str
    from allauth.mfa.models import Authenticator

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "id": totp.pk, "type": totp.type},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


def build(sizes: dict) -> dict:
    """Write the data set; return what the pages need (ids, users)."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from bench.ledger import child_setup
    from communities.models import Interest, Membership, Neighbourhood, Role, RoleAssignment
    from funds.models import Fund
    from proposals.models import CostLine, Proposal
    from voting.models import (
        Ballot,
        Channel,
        PaperBatch,
        Participation,
        Pot,
        PotItem,
        PotResult,
        VoteRound,
    )

    child_setup(sizes["entries"])  # the neighbourhood "bench" and its fund's ledger
    started = time.monotonic()
    nb = Neighbourhood.objects.get(slug="bench")
    fund = Fund.objects.get(name="Bench fund")
    now = timezone.now()
    with transaction.atomic():
        staff = User.objects.bulk_create(
            User(email=f"staff{i}@example.org", display_name=f"Staff {i}")
            for i in range(TRUSTEES + 1)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in staff
        )
        Authenticator.objects.bulk_create(
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
            for u in staff
        )
        trustees, finance = staff[:TRUSTEES], staff[TRUSTEES]
        RoleAssignment.objects.bulk_create(
            [
                *(RoleAssignment(user=u, neighbourhood=nb, role=Role.TRUSTEE) for u in trustees),
                RoleAssignment(user=finance, neighbourhood=nb, role=Role.FINANCE_OFFICER),
            ]
        )
        Interest.objects.bulk_create(
            Interest(
                user=trustees[i % TRUSTEES],
                neighbourhood=nb,
                organisation=f"Organisation {i}",
                nature="Trustee",
                since=dt.date(2024, 1, 1),
            )
            for i in range(200)
        )
        members = User.objects.bulk_create(
            User(email=f"member{i}@example.org", display_name=f"Member {i}")
            for i in range(sizes["members"])
        )
        memberships = Membership.objects.bulk_create(
            [
                *(
                    Membership(
                        user=u,
                        neighbourhood=nb,
                        status="verified",
                        connection="lives",
                        age_band="35_49",
                        verification_method="attestation",
                        verified_by=trustees[0] if u is not trustees[0] else trustees[1],
                        verified_at=now,
                        private_name=f"Trustee Person{i}",
                        private_house=str(i),
                        private_postcode="HB1 1AA",
                    )
                    for i, u in enumerate(trustees)
                ),
                *(
                    Membership(
                        user=u,
                        neighbourhood=nb,
                        status="pending" if i % 20 == 0 else "verified",
                        connection="lives",
                        age_band="35_49",
                        verification_method="" if i % 20 == 0 else "postcode",
                        verified_at=None if i % 20 == 0 else now,
                        expires_at=now + dt.timedelta(days=700),
                        private_name=f"Private Person{i}",
                        private_house=str(i),
                        private_postcode="HB1 1AA",
                    )
                    for i, u in enumerate(members)
                ),
            ],
            batch_size=2000,
        )
        statuses = [s for s in Proposal.Status.values if s != "draft"]
        proposals = Proposal.objects.bulk_create(
            (
                Proposal(
                    neighbourhood=nb,
                    proposer=members[i % len(members)],
                    title=f"Proposal {i}",
                    summary=f"Summary of proposal {i}",
                    description="A description.",
                    description_html="<p>A description.</p>",
                    theme="other",
                    status="on_ballot" if i < ON_BALLOT else statuses[i % len(statuses)],
                )
                for i in range(sizes["proposals"])
            ),
            batch_size=1000,
        )
        CostLine.objects.bulk_create(
            (
                CostLine(proposal=p, description="All of it", amount_pence=100_000 + i)
                for i, p in enumerate(proposals)
            ),
            batch_size=2000,
        )
        Proposal.linked_trustees.through.objects.bulk_create(
            Proposal.linked_trustees.through(proposal=p, user=members[i])
            for i, p in enumerate(proposals[:ON_BALLOT])
        )
        counted = VoteRound.objects.create(
            neighbourhood=nb,
            title="Counted vote",
            status="counted",
            ballot_method="knapsack",
            counting_rule="greedy",
            eligible_connections=["lives"],
            opens_at=now - dt.timedelta(days=30),
            closes_at=now - dt.timedelta(days=2),
        )
        open_round = VoteRound.objects.create(
            neighbourhood=nb,
            title="Open vote with paper ballots",
            status="open",
            ballot_method="knapsack",
            counting_rule="greedy",
            eligible_connections=["lives"],
            channel_paper=True,
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=30),
        )
        VoteRound.objects.bulk_create(
            VoteRound(
                neighbourhood=nb,
                title=f"Earlier vote {i}",
                status="results_published",
                ballot_method="knapsack",
                counting_rule="greedy",
                eligible_connections=["lives"],
                opens_at=now - dt.timedelta(days=400 + 30 * i),
                closes_at=now - dt.timedelta(days=390 + 30 * i),
            )
            for i in range(40)
        )
        pots = {}
        for round in (counted, open_round):
            pot = Pot.objects.create(round=round, name="Main pot", amount_pence=5_000_000)
            PotItem.objects.bulk_create(
                PotItem(pot=pot, proposal=p, number=n, cost_pence=100_000 + n)
                for n, p in enumerate(proposals[:ON_BALLOT], start=1)
            )
            pots[round.pk] = pot
        ids = [p.pk for p in proposals[:ON_BALLOT]]
        PotResult.objects.create(
            pot=pots[counted.pk],
            rule="greedy",
            winners=ids[:20],
            scores={str(i): str(n) for n, i in enumerate(ids)},
            total_cost_pence=2_000_000,
            ballots_counted=sizes["ballots"],
        )
        # The open round: every member votes (half online, half on paper, marked at the desk
        # by a trustee); voters beyond the register are in-person paper voters.
        pot = pots[open_round.pk]
        voters = sizes["ballots"]
        member_rows = memberships[TRUSTEES:]
        Participation.objects.bulk_create(
            (
                Participation(
                    round=open_round,
                    pot=pot,
                    membership=member_rows[i] if i < len(member_rows) else None,
                    in_person_key="" if i < len(member_rows) else f"{i:064x}",
                    channel=Channel.PAPER if i % 2 else Channel.ONLINE,
                    recorded_by=trustees[0] if i % 2 else None,
                    age_band="35_49",
                )
                for i in range(voters)
                if i < len(member_rows) or i % 2
            ),
            batch_size=5000,
        )
        per_batch = 50
        paper = voters // 2
        batches = PaperBatch.objects.bulk_create(
            PaperBatch(
                round=open_round,
                pot=pot,
                event=f"Session {b}",
                declared_count=per_batch,
                status="agreed",
                created_by=trustees[0],
            )
            for b in range(-(-paper // per_batch))
        )
        Ballot.objects.bulk_create(
            (
                Ballot(
                    round=open_round,
                    pot=pot,
                    channel=Channel.PAPER if i % 2 else Channel.ONLINE,
                    choices=ids[i % 7 : i % 7 + 3],
                    paper_batch=batches[(i // 2) // per_batch] if i % 2 else None,
                )
                for i in range(voters)
            ),
            batch_size=5000,
        )
        # A grant per proposal (the fund holder's grants on, each from a passed decision):
        # what the 360Giving export writes, beside the funder's grant to the holder.
        from funds.models import Decision, Grant, Meeting, Organisation

        meeting = Meeting.objects.create(
            neighbourhood=nb, held_on=dt.date(2025, 1, 1), convened_by=trustees[0]
        )
        decisions = Decision.objects.bulk_create(
            (
                Decision(
                    meeting=meeting,
                    fund=fund,
                    subject="grant",
                    proposal=p,
                    motion=f"Grant for proposal {i}",
                    amount_pence=100_000 + i,
                    outcome="passed",
                    eligible_count=TRUSTEES,
                    quorum=3,
                    votes_for=TRUSTEES,
                    recorded_by=trustees[0],
                )
                for i, p in enumerate(proposals)
            ),
            batch_size=1000,
        )
        grantees = Organisation.objects.bulk_create(
            Organisation(name=f"Grantee {i}", kind="grantee", org_id=f"GB-COH-{20000000 + i}")
            for i in range(200)
        )
        Grant.objects.bulk_create(
            (
                Grant(
                    fund=fund,
                    decision=d,
                    purpose="project",
                    proposal=p,
                    recipient_organisation=grantees[i % len(grantees)],
                    title=p.title,
                    amount_pence=100_000 + i,
                    status="active",
                    approved_by=trustees[0],
                    approved_at=now - dt.timedelta(days=i % 700),
                    planned_start=dt.date(2025, 1, 1),
                    planned_end=dt.date(2025, 12, 31),
                )
                for i, (p, d) in enumerate(zip(proposals, decisions, strict=True))
            ),
            batch_size=1000,
        )
    with connection.cursor() as cursor:
        # VACUUM as well as ANALYZE on PostgreSQL (outside the transaction: VACUUM cannot run
        # in one): a live server's autovacuum visits a table after its first 20% of new rows
        # (PostgreSQL 13+), which sets the visibility map that lets counts read an index alone
        # (the paper desk's tally); the bench server runs with autovacuum off.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"Wrote the pages' data in {time.monotonic() - started:.0f} s", flush=True)
    return {
        "trustee": trustees[2].pk,
        "finance": finance.pk,
        "counted": counted.pk,
        "open": open_round.pk,
        "fund": fund.pk,
    }


def _register_seek_url(number: int) -> str:
    """The link the register's "Next page" gives for page `number`: it names the last row of
    the page before (config.pagination.seek), so the page seeks instead of counting past."""
    from communities.models import Membership
    from config.pagination import seek_cursor

    per_page = 25  # communities.views.trustees.MEMBERS_PER_PAGE
    row = (
        Membership.objects.filter(neighbourhood__slug="bench")
        .exclude(status=Membership.Status.PENDING)
        .order_by("status", "-created_at", "-pk")[(number - 1) * per_page - 1]
    )
    cursor = seek_cursor(row, "status", "created_at")
    return f"/neighbourhoods/bench/members/?page={number}&after={cursor}"


def measure(world: dict, repeats: int) -> list[dict]:
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    trustee = Client()
    _login(trustee, User.objects.get(pk=world["trustee"]))
    finance = Client()
    _login(finance, User.objects.get(pk=world["finance"]))
    anonymous = Client()
    pages = [
        ("member register (trustee)", trustee, "/neighbourhoods/bench/members/"),
        ("member register, page 100", trustee, "/neighbourhoods/bench/members/?page=100"),
        ("member register, page 100 (seek link)", trustee, _register_seek_url(100)),
        ("paper desk (trustee)", trustee, f"/votes/round/{world['open']}/paper/"),
        ("round page, counted (trustee)", trustee, f"/votes/round/{world['counted']}/"),
        ("round page, open (resident view)", anonymous, f"/votes/round/{world['open']}/"),
        ("rounds list", anonymous, "/votes/bench/"),
        ("proposals list", anonymous, "/proposals/bench/"),
        ("screening queue (trustee)", trustee, "/proposals/bench/?status=submitted"),
        ("register of interests (trustee)", trustee, "/neighbourhoods/bench/interests/"),
        ("neighbourhood page", anonymous, "/neighbourhoods/bench/"),
        ("fund page (trustee)", trustee, f"/funds/{world['fund']}/"),
        ("funds to-do (trustee)", trustee, f"/funds/{world['fund']}/to-do/"),
        ("finance queue (finance officer)", finance, f"/funds/{world['fund']}/payments/"),
    ]
    rows = []
    for label, client, url in pages:
        response = client.get(url)  # warm up (and check it works)
        if response.status_code != 200:
            raise SystemExit(f"{label}: {url} answered {response.status_code}")
        # Counted by an execute wrapper: it sees every statement with DEBUG off too.
        executed = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        times, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        rows.append(
            {
                "page": label,
                "url": url,
                "p50_ms": statistics.median(times),
                "p95_ms": p95,
                # The Python side's CPU time (PostgreSQL's is not in it): on a loaded machine
                # the wall time above also counts the waits for a core.
                "cpu_p50_ms": statistics.median(cpu),
                "queries": len(executed),
                "kb": len(response.content) / 1024,
            }
        )
    return rows


def child(sizes: dict, repeats: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    world = build(sizes)
    print(json.dumps(measure(world, repeats)))
    return 0


def export_360giving(env: dict, tmp: Path) -> list[dict]:
    """`manage.py export_360giving` (JSON, then CSV) over the built data, each in a child of
    its own: wall and CPU time, peak memory (ru_maxrss via os.wait4), grants written."""
    out = []
    for fmt in ("json", "csv"):
        path = tmp / f"360giving.{fmt}"
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "export_360giving", "--output", str(path)]
            + ["--format", fmt],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - started
        message = proc.stderr.read().strip()
        proc.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"export_360giving --format {fmt} failed: {message[-500:]}")
        out.append(
            {
                "format": fmt,
                "seconds": seconds,
                "cpu": usage.ru_utime + usage.ru_stime,
                "peak_mb": usage.ru_maxrss / 1024,
                "mb": path.stat().st_size / 1e6,
                "message": message.splitlines()[-1] if message else "",
            }
        )
    return out


def run(
    quick: bool, repeats: int | None = None, name: str | None = None
) -> tuple[dict, list[dict], str, list[dict]]:
    """Migrate a fresh database (its own PostgreSQL database when a server answers, dropped at
    the end; else SQLite), build and measure in a child, then time the 360Giving export;
    (sizes, page rows, database, export rows)."""
    sizes = QUICK if quick else FULL
    repeats = repeats or (15 if quick else 30)
    with (
        tempfile.TemporaryDirectory(prefix="cp-bench-pages-") as tmp,
        (
            contextlib.nullcontext()
            if "BENCH_DATABASE_URL" in os.environ
            else scratch_database(name or db_name("pages"))
        ) as pg_url,
    ):
        env = with_bench_keys(dict(os.environ))
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", pg_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        )
        env.pop("DJANGO_DEBUG", None)  # DEBUG would keep every query in memory
        env.pop("REDIS_URL", None)  # no broker needed: nothing is queued
        env["DJANGO_SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP
        env["DJANGO_MANIFEST_STATIC"] = "0"  # no collectstatic for an in-process client
        database = env["DATABASE_URL"].split(":", 1)[0]
        if "BENCH_DATABASE_URL" in os.environ:
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
        elif not pg_url:
            migrated_sqlite(Path(tmp) / "bench.sqlite3", env)
        out = subprocess.run(
            [sys.executable, "-m", "bench.pages", "--child", json.dumps(sizes), str(repeats)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        lines = out.stdout.strip().splitlines()
        for line in lines[:-1]:
            print(line)
        exports = export_360giving(env, Path(tmp))
        return sizes, json.loads(lines[-1]), database, exports


def results(quick: bool) -> list[dict]:
    """Rows for bench/RESULTS.md: per page its p50/p95 time and query count, at the issue's
    full scale (also under `make bench`: the data is written in bulk, COPY for the ledger),
    and the 360Giving export over the data's grants."""
    sizes, rows, database, exports = run(quick=False, repeats=15)
    scale = (
        f"{sizes['members']:,} members, {sizes['proposals']:,} proposals, "
        f"{sizes['ballots']:,} ballots, {sizes['entries']:,} ledger entries, {database}"
    )
    out = []
    for row in rows:
        target = FUND_TARGET_MS if row["page"] in LEDGER_PAGES else TARGET_MS
        out.append(
            {
                "figure": f"{row['page']}: p50 / p95 server time",
                "value": f"{row['p50_ms']:.1f} / {row['p95_ms']:.1f}",
                "unit": "ms",
                "baseline": f"Python CPU p50 {row['cpu_p50_ms']:.1f} ms; {scale}",
                "target": f"p95 < {target:.0f}",
                "ok": row["p95_ms"] < target,
            }
        )
        out.append(
            {
                "figure": f"{row['page']}: SQL queries",
                "value": row["queries"],
                "unit": "queries",
                "baseline": f"{row['kb']:.0f} KB",
                "target": "does not grow with the data",
                "ok": None,
            }
        )
    for row in exports:
        out.append(
            {
                "figure": f"360Giving export ({row['format'].upper()}): time, CPU, peak memory",
                "value": f"{row['seconds']:.1f} s ({row['cpu']:.1f} s CPU), "
                f"{row['peak_mb']:.0f} MB",
                "unit": "",
                "baseline": f"{row['message']} ({row['mb']:.1f} MB)",
                "target": "",
                "ok": None,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.pages")
    parser.add_argument("--quick", action="store_true", help="smaller ballots and ledger")
    parser.add_argument("--repeats", type=int)
    parser.add_argument(
        "--db-name",
        default=db_name("pages"),
        help="its own PostgreSQL database, created and dropped (default %(default)s)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        return child(json.loads(options.child[0]), int(options.child[1]))
    started = time.monotonic()
    sizes, rows, database, exports = run(options.quick, options.repeats, options.db_name)
    print(
        f"\nPages at scale on {database}: {sizes['members']:,} members, "
        f"{sizes['proposals']:,} proposals, {sizes['ballots']:,} ballots, "
        f"{sizes['entries']:,} ledger entries"
    )
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>7}")
    ok = True
    for row in rows:
        fast = row["p95_ms"] < (FUND_TARGET_MS if row["page"] in LEDGER_PAGES else TARGET_MS)
        ok &= fast
        print(
            f"{row['page']:40} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['queries']:8d} "
            f"{row['kb']:7.1f}{'' if fast else '  over target'}"
        )
    for row in exports:
        print(
            f"360Giving export, {row['format']}: {row['seconds']:.1f} s ({row['cpu']:.1f} s CPU), "
            f"peak {row['peak_mb']:.0f} MB, {row['mb']:.1f} MB; {row['message']}"
        )
    print(f"(target p95 < {TARGET_MS:.0f} ms; {time.monotonic() - started:.0f} s in all)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
