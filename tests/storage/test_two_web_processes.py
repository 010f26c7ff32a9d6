"""Issue 15, acceptance 1: several web machines behind one address share their files.

Two web processes (scripts/web: collectstatic, then gunicorn) on different ports, each with its
own DJANGO_MEDIA_ROOT and static folder (two machines' disks), and a real Celery worker with a
third, all sharing the test database (PostgreSQL), Redis and the S3 server (moto,
tests/storage/conftest.py). A photo uploaded through the first web process is processed by the
worker and shown by the second; no machine's disk holds any of it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.urls import reverse

from proposals.models import ProposalImage
from tests.factories import MembershipFactory
from tests.proposals.factories import DraftFactory, jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]
WEB_PORTS = (
    int(os.environ.get("COMMONPURSE_WEB1_PORT", "8171")),
    int(os.environ.get("COMMONPURSE_WEB2_PORT", "8172")),
)

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real worker takes the task"
    ),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the web processes and the worker share the test's database",
    ),
]


def _env(s3_server, media_root: Path, static_root: Path | None = None) -> dict:
    db = connection.settings_dict
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",  # production settings, keys from settings_test
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        DJANGO_CONN_MAX_AGE="0",
        DJANGO_STORAGE_URL=s3_server.storage_url,
        DJANGO_MEDIA_ROOT=str(media_root),
        DJANGO_STATIC_ROOT=str(static_root or media_root.parent / "static"),
        # plain HTTP on 127.0.0.1
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        EMAIL_URL="consolemail://",
    )
    return env


def _start_web(port: int, env: dict, log: Path) -> subprocess.Popen:
    """A web machine as production starts one: scripts/web (collectstatic into its own
    STATIC_ROOT, manifest storage, then gunicorn)."""
    with open(log, "wb") as sink:
        return subprocess.Popen(
            [str(ROOT / "scripts" / "web"), "--workers", "1", "--timeout", "60"]
            + ["--no-control-socket"],
            cwd=ROOT,
            env=env | {"PYTHON": sys.executable, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.django_db(transaction=True)
def test_a_photo_uploaded_through_one_web_process_is_shown_by_another(
    s3_server, make_user, settings, tmp_path
):
    # given: a proposer with a draft, in the database all processes share (a password hash
    # the production settings of the web processes verify: not the tests' fast MD5)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    proposer = make_user("proposer@example.org")
    membership = MembershipFactory(user=proposer)
    draft = DraftFactory(neighbourhood=membership.neighbourhood, proposer=proposer)
    photos = reverse("proposals:images", args=[membership.neighbourhood.slug, draft.pk])
    media = {name: tmp_path / name / "media" for name in ("web1", "web2", "worker")}
    processes: list[subprocess.Popen] = []
    try:
        webs = []
        for name, port in zip(("web1", "web2"), WEB_PORTS, strict=True):
            log = tmp_path / f"{name}.log"
            process = _start_web(port, _env(s3_server, media[name]), log)
            processes.append(process)
            webs.append((f"http://127.0.0.1:{port}", process, log))
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
            + ["--concurrency=1", "--loglevel=warning", "--without-gossip", "--without-mingle"]
            + ["--without-heartbeat"],
            cwd=ROOT,
            env=_env(s3_server, media["worker"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(worker)
        for base, process, log in webs:
            _wait_for(f"{base}/healthz", process, log)
        (web1, _p1, log1), (web2, _p2, log2) = webs

        # when: the proposer signs in and uploads a photo through the first web process
        browser = requests.Session()
        browser.get(f"{web1}/accounts/login/", timeout=10)
        token = browser.cookies["csrftoken"]
        signed_in = browser.post(
            f"{web1}/accounts/login/",
            data={"login": proposer.email, "password": "pw-Secret-123"}
            | {"csrfmiddlewaretoken": token},
            timeout=10,
            allow_redirects=False,
        )
        assert signed_in.status_code == 302, log1.read_text()[-2000:]
        token = browser.cookies["csrftoken"]
        uploaded = browser.post(
            f"{web1}{photos}",
            data={"alt_text": "The bench by the library", "csrfmiddlewaretoken": token},
            files={"image": ("bench.jpg", jpeg_bytes(1200, 900, gps=True), "image/jpeg")},
            timeout=30,
            allow_redirects=False,
        )
        assert uploaded.status_code == 302, log1.read_text()[-2000:]

        # then: once the worker has processed it, the second web process shows it
        deadline = time.monotonic() + 90
        while True:
            page = browser.get(f"{web2}{photos}", timeout=10)
            assert page.status_code == 200, log2.read_text()[-2000:]
            shown = re.search(r'<img src="([^"]+)" alt="The bench by the library"', page.text)
            if shown:
                break
            assert time.monotonic() < deadline, "the worker did not process the photo"
            time.sleep(0.5)
        image = ProposalImage.objects.get(proposal=draft)
        assert image.status == ProposalImage.Status.READY
        src = shown.group(1).replace("&amp;", "&")
        assert src.startswith(f"{s3_server.endpoint}/{s3_server.public}/proposals/images/")
        # the page's policy lets the browser load it from the bucket
        assert (
            f"img-src 'self' data: {s3_server.endpoint}" in page.headers["Content-Security-Policy"]
        )
        # each machine serves the hashed static files it collected itself (whitenoise)
        stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, page.text[:2000]
        assert requests.get(f"{web2}{stylesheet.group(1)}", timeout=10).status_code == 200
        # anyone can fetch the public display size; it carries no EXIF (no GPS)
        picture = requests.get(src, timeout=10)
        assert picture.status_code == 200
        assert picture.content.startswith(b"\xff\xd8\xff")
        assert b"Exif" not in picture.content
        # nothing is on any machine's disk: not the original, not the display sizes
        for name, folder in media.items():
            if name != "worker":  # each web machine collected its own static files
                assert (folder.parent / "static" / "staticfiles.json").exists()
            assert not _files_under(folder) and not _files_under(folder.parent / "private")
        assert not s3_server.keys(s3_server.private, "proposals/incoming/")
        public = set(s3_server.keys(s3_server.public, "proposals/images/"))
        assert {image.display_320.name, image.display_1024.name} <= public
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
