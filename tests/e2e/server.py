"""A live Common Purse for the browser journeys: its own database, seeded with the demo data,
served by gunicorn as production serves it (DEBUG off, whitenoise's hashed static files with
their long cache headers, secure-cookie and HTTPS redirects off because the test speaks plain
HTTP on 127.0.0.1).

Why a separate process rather than pytest-django's in-process LiveServer: page weight is a
production property (compressed, far-future-cached static files from collectstatic), and the
journeys are black-box: they use only what a resident's browser sees, plus the emails, which
the server writes to files (EMAIL_URL=filemail://) for the test to read.

The database: a fresh SQLite file, or, when DATABASE_URL names PostgreSQL (.ci/run's second
pass), a database beside it named `<name>_e2e`, dropped and created for each run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-only-secret-key-" + "not-for-production-" * 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(workdir: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'e2e.sqlite3'}"
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0] or "postgres"
    e2e_name = f"{name}_e2e"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{e2e_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{e2e_name}"')
    return f"{base}/{e2e_name}"


class Server:
    """prepare() migrates, seeds and collects static files; start() serves; stop() ends it."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.workdir = workdir
        self.port = port or int(os.environ.get("E2E_PORT", "0")) or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_dir = workdir / "mail"
        self.log = workdir / "server.log"
        self.process: subprocess.Popen | None = None

    def env(self, *, debug: bool) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            # Celery runs inline (the embedded default): the journeys read the emails the
            # server sends, and no worker runs beside this server. The server's own settings
            # are production's, not the test suite's.
            if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        }
        env.update(
            DATABASE_URL=self.database_url,
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="1" if debug else "0",
            DJANGO_SECRET_KEY=SECRET,
            COMMONPURSE_RECEIPT_KEY="e2e-only-receipt-key-" + "not-for-production-" * 3,
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_SECURE_HSTS_SECONDS="0",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            EMAIL_URL=f"filemail:///{self.mail_dir}",  # django-environ drops one slash
            DJANGO_MEDIA_ROOT=str(self.workdir / "media"),
            SITE_URL=self.url,
        )
        return env

    def _manage(self, *args: str, debug: bool = False) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(debug=debug),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def prepare(self) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = _database_url(self.workdir)
        self._manage("migrate", "--noinput")
        self._manage("seed_demo", debug=True)  # it refuses to run without DEBUG
        self._manage("collectstatic", "--noinput", "--clear")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                # One process: the cache (rate limits, used two-factor codes) is per process.
                "--workers=1",
                "--threads=8",
                "--timeout=60",
                # Its own control socket: other gunicorns on the machine use the default one.
                f"--control-socket={self.workdir / 'gunicorn.ctl'}",
            ],
            cwd=ROOT,
            env=self.env(debug=False),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the e2e server stopped: see {self.log}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the e2e server did not answer within 60 s: see {self.log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def emails(self) -> list[str]:
        """Every email sent so far, oldest first, as raw text."""
        files = sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime)
        return [p.read_text() for p in files]


if __name__ == "__main__":
    # python -m tests.e2e.server DIR: serve the e2e site by hand, to look around.
    import signal

    server = Server(Path(sys.argv[1]))
    server.prepare()
    server.start()
    print(server.url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.process.wait()
    finally:
        server.stop()
