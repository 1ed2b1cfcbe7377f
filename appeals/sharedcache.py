"""The shared cache's counters that move together, cheap on the hot path.

Rate limits move several counters per submission. With Redis (production) they go
straight to its client in one round trip; other caches (development, tests) get
the same answers through Django's API.
"""

import weakref

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

# One Redis client per cache backend (one per thread), gone with its backend.
_redis_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def redis_client(backend: RedisCache):
    """The backend's Redis client, made once: Django makes one for every command."""
    client = _redis_clients.get(backend)
    if client is None:
        client = _redis_clients[backend] = backend._cache.get_client(write=True)
    return client


def increment(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each (key, seconds to live) counter; return the new counts.

    With Redis, all of them move in one round trip.
    """
    backend = caches["default"]  # Not the `cache` proxy: the backend itself.
    if isinstance(backend, RedisCache):
        pipeline = redis_client(backend).pipeline(transaction=False)
        for name, seconds in keys:
            key = backend.make_key(name)
            pipeline.incr(key)
            pipeline.expire(key, seconds, nx=True)
        return pipeline.execute()[0::2]
    counts = []
    for key, seconds in keys:  # Other caches (development): plain add and incr.
        if cache.add(key, 1, seconds):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # The window expired between add() and incr().
            cache.set(key, 1, seconds)
            counts.append(1)
    return counts
