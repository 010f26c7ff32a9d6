"""Celery's Redis transport, keeping the client it publishes with.

kombu's Redis channel builds a new redis.Redis for every message it publishes, copying
redis-py's table of response callbacks each time: a quarter of the CPU of handing a cast's
receipt notice to the broker (issue 17's cast profile). This channel keeps one per connection
pool (redis.Redis is thread-safe; a pool replaced after a fork gets a new client). Everything
else is kombu's: the consuming side (the asynchronous client) is untouched.
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _kept_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._kept_client
        if client is None or client.connection_pool is not self.pool:
            client = self._kept_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
