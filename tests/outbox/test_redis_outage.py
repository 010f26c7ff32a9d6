"""Acceptance 3 of issue 9: Redis killed mid-run, a real worker, and every notice sent once.

A redis-server of its own on a free port, a real Celery worker on it, and the test database
(PostgreSQL, so the worker sees what the test commits). Redis is killed mid-run; sign-up,
login, a vote, a photo and a comment all succeed without waiting on it; Redis is restarted,
the outbox is swept (again and again, so rows are handed over more than once) and the worker
delivers each receipt notice and notification exactly once. The test asserts the mechanism
(one hand-over attempt without retries, then none); the time each request took is printed,
not asserted (`python -m bench.redis_down` measures it).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import redis
from django.db import connection
from django.urls import reverse

from outbox import services as outbox_services
from outbox.models import OutboxMessage
from outbox.services import outbox_dispatch, outbox_enqueue, outbox_sweep
from outbox.tasks import outbox_deliver_task
from proposals.models import ProposalImage
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident
from tests.proposals.factories import DraftFactory, jpeg_bytes, upload
from tests.voting.factories import proposal_ids, round_with_pot

from .outage import celery_on, fail_soft_cache, free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")

pytestmark = [
    pytest.mark.skipif(not REDIS_SERVER, reason="needs redis-server installed"),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: the Redis configuration"
    ),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process must see the test's database",
    ),
]


class RedisServer:
    """A throwaway redis-server on a port of its own, which the test can kill and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _worker_env(redis_url: str, mail_dir: Path, media_root: Path) -> dict:
    db = connection.settings_dict
    env = os.environ.copy()
    env.update(
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=redis_url,
        EMAIL_URL=f"filemail:///{mail_dir}",  # environ drops one slash
        DJANGO_MEDIA_ROOT=str(media_root),
    )
    return env


def _sent_mail(mail_dir: Path) -> list[tuple[str, str]]:
    """(to, subject) of every message the file backends (test and worker) wrote."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk, policy=email.policy.default)
                found.append((str(message["To"]), " ".join(str(message["Subject"]).split())))
    return sorted(found)


def _wait_until_done(*, resend: bool, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(done_at__isnull=True).exists():
        if resend:  # hand everything not done over again: duplicates on purpose
            outbox_sweep(grace=timedelta(0), resend_after=timedelta(0))
        assert time.monotonic() < deadline, list(OutboxMessage.objects.values())
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_redis_killed_mid_run_nothing_waits_and_every_notice_is_sent_once(
    client, make_user, settings, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = fail_soft_cache(server.url)
    outbox_services.broker_mark_up()

    n = NeighbourhoodFactory(slug="here")
    vote_round, pot = round_with_pot(n)
    voter = resident(n)
    proposer = resident(n)
    draft = DraftFactory(neighbourhood=n, proposer=proposer)
    shortlisted = ProposalFactory(neighbourhood=n, proposer=proposer, status="shortlisted")
    member = make_user("member@example.org")
    client.raise_request_exception = True

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        + ["--concurrency=1", "--loglevel=warning", "--without-gossip", "--without-mingle"]
        + ["--without-heartbeat"],
        cwd=ROOT,
        env=_worker_env(server.url, mail_dir, Path(settings.MEDIA_ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    timings: dict[str, float] = {}

    def timed(name, call):
        start = time.perf_counter()
        response = call()
        timings[name] = time.perf_counter() - start
        return response

    try:
        with celery_on(server.url):
            # given: Redis up, the worker delivers a notification handed over at commit
            client.force_login(voter)
            comments = f"/proposals/here/{shortlisted.pk}/comments/"
            assert client.post(comments, {"body": "First!"}).status_code == 302
            _wait_until_done(resend=False)

            # when: Redis is killed mid-run
            server.kill()
            send = mock.patch.object(
                outbox_deliver_task, "apply_async", wraps=outbox_deliver_task.apply_async
            )
            with send as broker_calls:
                client.logout()
                response = timed(
                    "sign-up",
                    lambda: client.post(
                        "/accounts/signup/",
                        {
                            "display_name": "Sam Okoro",
                            "email": "new@example.org",
                            "password1": "a-Long-pass-2026!",
                            "password2": "a-Long-pass-2026!",
                        },
                    ),
                )
                assert response.status_code == 302
                client.logout()
                response = timed(
                    "login",
                    lambda: client.post(
                        "/accounts/login/", {"login": member.email, "password": "pw-Secret-123"}
                    ),
                )
                assert (response.status_code, response["Location"]) == (302, reverse("home"))
                client.force_login(voter)
                a = proposal_ids(pot)[0]
                response = timed(
                    "vote",
                    lambda: client.post(reverse("voting:ballot", args=[pot.pk]), {"choice": [a]}),
                )
                assert response.status_code == 200
                client.force_login(proposer)
                response = timed(
                    "photo",
                    lambda: client.post(
                        f"/proposals/here/{draft.pk}/photos/",
                        {"image": upload(jpeg_bytes(800, 600)), "alt_text": "The hall"},
                    ),
                )
                assert response.status_code == 302
                client.force_login(voter)
                response = timed("comment", lambda: client.post(comments, {"body": "Again"}))
                assert response.status_code == 302

            # then: one hand-over attempt, without retries, and no broker call after it
            assert broker_calls.call_count == 1
            assert broker_calls.call_args.kwargs["retry"] is False
            assert OutboxMessage.objects.filter(done_at__isnull=True).count() == 3
            print(
                "\nRequest times with Redis down (s):", {k: round(v, 3) for k, v in timings.items()}
            )

            # when: Redis returns, the sweep hands rows over (repeatedly) and the worker runs them
            server.start()
            _wait_until_done(resend=True)
            # and every row is handed over once more after it is done (a late duplicate), then
            # a last row: one solo worker takes the queue in order, so once that last row is
            # done, the worker has seen every duplicate
            ids = list(OutboxMessage.objects.values_list("pk", flat=True))
            assert outbox_dispatch(message_ids=ids, force=True) == len(ids)
            outbox_enqueue("config.ping", "last")
            _wait_until_done(resend=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.kill()
        outbox_services.broker_mark_up()

    # then: each notice exactly once, the photo processed
    assert ProposalImage.objects.get().status == ProposalImage.Status.READY
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    # (the sign-up's own "show that this email address is yours" mail is allauth's, sent
    # directly: not a queued notice)
    sent = [m for m in _sent_mail(mail_dir) if "this email address is yours" not in m[1].lower()]
    assert sent == sorted(
        [
            (proposer.email, "A new comment on your proposal"),  # before the outage
            (voter.email, f"[Common Purse] Your vote in “{vote_round.title}” was recorded"),
            (proposer.email, "A new comment on your proposal"),  # during it
        ]
    )
