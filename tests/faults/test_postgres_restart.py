"""Fault (issue 17): PostgreSQL restarted during a load run.

A second PostgreSQL cluster of its own (initdb into a temporary folder, on a port of this
stream's range: never the shared server), the app in gunicorn pointing at it, and many voters
casting ballots through the API while the cluster is stopped and started again. Clients see
201s and clean 503s with Retry-After (never a 500 or a dropped connection); no ballot is stored
without its participation row or the other way round; every voter's ballot is stored exactly
once after retries; and the app recovers by itself (CONN_HEALTH_CHECKS), with no restart of the
web processes. Nothing posts to the ledger during a cast; verify_ledger and verify_audit_chain
still pass on the restarted cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
HEAVY = os.environ.get("COMMONPURSE_HEAVY_TESTS") == "1"
VOTERS = 60
CLIENTS = 12  # each client holds one request at a time; gunicorn's 2 workers hold 2 connections

pytestmark = [
    pytest.mark.skipif(not HEAVY, reason="heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI does)"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="runs in the PostgreSQL pass only"
    ),
    pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="needs PostgreSQL 15's initdb"),
    pytest.mark.skipif(
        shutil.which("gunicorn") is None
        and not (Path(sys.executable).parent / "gunicorn").exists(),
        reason="needs gunicorn",
    ),
]


def _free(ports: range) -> int:
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user when we are."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


class Cluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cp-h12-pg-"))
        self.data = self.dir / "data"
        self.port = _free(range(8223, 8226))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        _as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres"]
            + ["--auth=trust", "-E", "UTF8", "--no-sync"]
        )
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/cp"

    def pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=40"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options]
            + ["-l", str(self.dir / "log"), "-w", "-t", "60", *args]
        )

    def psql(self, sql: str, db: str = "cp") -> str:
        out = subprocess.run(
            ["psql", f"postgres://postgres@127.0.0.1:{self.port}/{db}", "-XtAc", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        c.pg_ctl("start")
        c.psql("CREATE DATABASE cp", db="postgres")
        yield c
    finally:
        c.destroy()


def _env(cluster: Cluster) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=cluster.url,
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_CONN_MAX_AGE="60",
        API_THROTTLE_USER="100000/min",
        API_THROTTLE_ANON="100000/min",
    )
    return env


def _manage(env: dict, *args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_postgres_restart_mid_load_gives_clean_503s_and_no_partial_ballot(cluster):
    # given: the app migrated and seeded on the second cluster, served by gunicorn
    env = _env(cluster)
    _manage(env, "migrate", "--noinput")
    env["SEED_VOTERS"] = str(VOTERS)
    seed_out = _manage(env, "shell", stdin=(ROOT / "tests/faults/seed_restart.py").read_text())
    seed = json.loads(seed_out.split("SEED=", 1)[1])
    port = _free(range(8226, 8230))
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"]
        + ["--timeout", "60", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(cluster.dir / "gunicorn.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code < 500:
                break
        except requests.RequestException:
            time.sleep(0.1)

    statuses: Counter = Counter()
    bad: list[str] = []
    lock = threading.Lock()
    restarted = threading.Event()
    outcome: dict[int, str] = {}

    def vote(i: int) -> None:
        headers = {"Authorization": f"Bearer {seed['tokens'][i]}", "X-Forwarded-Proto": "https"}
        body = {"pot": seed["pot"], "choices": [seed["choice"]]}
        saw_503 = False
        deadline = time.monotonic() + 120
        with requests.Session() as client:
            while time.monotonic() < deadline:
                # the first half of the voters send before the restart, the rest during and after
                if i >= VOTERS // 2 and not restarted.is_set():
                    time.sleep(0.05)
                    continue
                r = client.post(
                    f"{base}/api/v1/rounds/{seed['round']}/ballot/",
                    json=body,
                    headers=headers,
                    timeout=30,
                )
                with lock:
                    statuses[r.status_code] += 1
                if r.status_code == 201:
                    outcome[i] = "stored"
                    return
                if r.status_code == 503:
                    saw_503 = True
                    if (
                        r.headers.get("Retry-After") != "5"
                        or r.json()["error"]["code"] != "unavailable"
                    ):
                        bad.append(f"503 without Retry-After or error format: {r.text}")
                    time.sleep(0.2)
                    continue
                if r.status_code == 409 and saw_503:
                    # the commit went through but the answer was lost: the retry is refused
                    outcome[i] = "stored-before"
                    return
                bad.append(f"{r.status_code}: {r.text[:300]}")
                return
        bad.append(f"voter {i} never got through")

    def restart() -> None:
        time.sleep(0.5)
        cluster.pg_ctl("stop", "-m", "fast")
        restarted.set()  # the second half start sending while the database is down
        time.sleep(2)
        cluster.pg_ctl("start")

    try:
        # when
        with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
            pool.submit(restart)
            list(pool.map(vote, range(VOTERS)))
        # then: the app recovered by itself (same gunicorn processes) and answers
        assert gunicorn.poll() is None
        assert requests.get(f"{base}/api/v1/neighbourhoods/", timeout=10).status_code == 200
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    print("statuses", dict(statuses))
    assert bad == [], (cluster.dir / "gunicorn.log").read_text()[-6000:]
    assert statuses[503] >= 1, "the restart never hit a request"
    assert set(statuses) <= {201, 409, 503}
    assert len(outcome) == VOTERS
    # every voter's ballot stored exactly once; no ballot without participation or vice versa
    pot = seed["pot"]
    ballots = int(cluster.psql(f"SELECT count(*) FROM voting_ballot WHERE pot_id = {pot}"))
    participations = int(
        cluster.psql(f"SELECT count(*) FROM voting_participation WHERE pot_id = {pot}")
    )
    per_member = cluster.psql(
        "SELECT count(*) FROM (SELECT membership_id FROM voting_participation "
        f"WHERE pot_id = {pot} GROUP BY membership_id HAVING count(*) > 1) d"
    )
    assert ballots == participations == VOTERS
    assert per_member == "0"
    # no half-posted ledger entry, and the audit chain is whole
    _manage(env, "verify_ledger")
    _manage(env, "verify_audit_chain")
