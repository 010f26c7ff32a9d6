"""Helpers for the Redis-down tests: a free port, and pointing Celery and the cache at Redis."""

from __future__ import annotations

import socket
from contextlib import contextmanager

from config.celery import app as celery_app

CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def free_port() -> int:
    """A local port nothing listens on (a killed Redis looks exactly like this)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_on(url: str, *, eager: bool = False):
    """Send tasks to the broker at `url` (not inline) for the duration."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_write_url, conf.task_always_eager
    conf.broker_url, conf.broker_write_url, conf.task_always_eager = url, None, eager
    _reset_pools()
    try:
        yield celery_app
    finally:
        conf.broker_url, conf.broker_write_url, conf.task_always_eager = saved
        _reset_pools()


def fail_soft_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": url,
            "OPTIONS": CACHE_OPTIONS,
        }
    }
