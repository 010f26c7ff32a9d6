"""The in-process scheduler of the embedded default: open and close rounds on time under
`make run`, where there is no Redis and so no Celery beat.

`VotingConfig.ready()` calls `start_if_wanted()`. It starts one daemon thread, only when
Celery runs inline (no REDIS_URL) and the process is the development server that serves
requests: not the autoreloader's watching parent, not tests, not other management commands.
The thread calls `rounds_advance()` every 30 seconds. With Redis, beat runs
`rounds_advance_task` instead. Either way, pages of a round and a cast also advance a round that
is due (`round_advance_if_due`), so no setup depends on the scheduler alone.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 30
FIRST_RUN_AFTER_SECONDS = 3  # let runserver finish its own start-up checks first

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def wanted(*, argv: Sequence[str], environ: Mapping[str, str], eager: bool) -> bool:
    """Whether this process should run the in-process scheduler.

    Only the development server with Celery inline. `runserver` with the autoreloader runs
    twice: a parent that watches files (no RUN_MAIN) and the child that serves (RUN_MAIN=true);
    only the child starts it. `--noreload` serves from the one process.
    """
    if not eager:
        return False  # with Redis, beat schedules rounds_advance_task
    if len(argv) < 2 or argv[1] != "runserver":
        return False  # tests, migrate, shell, gunicorn (which runs with Redis and beat)
    return environ.get("RUN_MAIN") == "true" or "--noreload" in argv


def run_once() -> dict:
    """One tick: advance due rounds, log what changed, never raise (the thread must live on)."""
    from .services import rounds_advance

    try:
        result = rounds_advance()
    except Exception:
        logger.exception("Opening and closing rounds failed; trying again shortly.")
        return {"opened": [], "closed": []}
    if result["opened"] or result["closed"]:
        logger.warning("Rounds advanced on time: %s", result)
    return result


def _tick() -> None:
    """run_once on this thread's own connection, closed afterwards (no lingering SQLite lock,
    no connection held between ticks)."""
    from django.db import close_old_connections, connection

    close_old_connections()
    try:
        run_once()
    finally:
        connection.close()


def _loop(stop: threading.Event, interval: float) -> None:
    if stop.wait(FIRST_RUN_AFTER_SECONDS):
        return
    while True:
        _tick()
        if stop.wait(interval):
            return


def start(interval: float = INTERVAL_SECONDS) -> threading.Thread:
    """Start the scheduler thread once per process (a second call returns the same thread)."""
    global _thread, _stop
    with _lock:
        if _thread is None or not _thread.is_alive():
            _stop = threading.Event()
            _thread = threading.Thread(
                target=_loop,
                args=(_stop, interval),
                name="rounds-scheduler",
                daemon=True,  # dies with the server: nothing to clean up
            )
            _thread.start()
            logger.info("Rounds open and close on time: checking every %s s.", interval)
        return _thread


def stop(timeout: float = 10) -> None:
    """Stop the thread (tests; the server simply exits)."""
    with _lock:
        thread = _thread
        _stop.set()
    if thread is not None:
        thread.join(timeout)


def start_if_wanted() -> bool:
    from django.conf import settings

    eager = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
    if not wanted(argv=sys.argv, environ=os.environ, eager=eager):
        return False
    start()
    return True
