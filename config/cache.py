"""A Redis cache that fails soft: with Redis down the site keeps working on a memory cache.

Django's RedisCache raises on every call while Redis is down, so everything that touches the
cache (allauth's login and sign-up rate limits, access-code attempt counts) answered 500. Here
each call falls back to a per-process memory cache, and Redis is left alone for a few seconds
after a failure so requests do not each pay a connect timeout. Limits keep holding, per
process, during the outage; counts restart from the memory cache's when Redis returns.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one redis.Redis per connection pool.

    Django builds a new redis.Redis for every cache call, and each one copies redis-py's table
    of response callbacks: about 0.2 ms of CPU per call, more than the call itself (issue 17's
    cast profile). redis.Redis is safe to share between threads (each command takes a
    connection from the pool), so one per pool is kept.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        build, kept = self._client, {}

        def client(*, connection_pool):
            if connection_pool not in kept:
                kept[connection_pool] = build(connection_pool=connection_pool)
            return kept[connection_pool]

        # get_client stays Django's (it picks the pool); only the construction is kept.
        self._client = client


class FailSoftRedisCache(RedisCache):
    """RedisCache whose calls fall back to a local-memory cache while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._fallback = LocMemCache(f"failsoft-{server}", params)
        self._down_until = 0.0

    @property
    def redis_available(self) -> bool:
        return time.monotonic() >= self._down_until


def _fail_soft(name: str):
    redis_method = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if self.redis_available:
            try:
                return redis_method(self, *args, **kwargs)
            except _UNAVAILABLE as exc:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning("Redis cache unavailable, using memory for now: %s", exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = redis_method.__doc__
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FailSoftRedisCache, _name, _fail_soft(_name))
