"""The shared cache's few primitives beyond get and set, cheap on hot paths.

Counters that move together in one round trip (rate limits) and flags set at most
once (the scheduled email run). With Redis (production) they go straight to its
client; other caches (development, tests) get the same answers through Django's API.
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


def add_flag(name: str, seconds: int) -> bool:
    """Set a short-lived flag in the shared cache unless it is there; True if set."""
    backend = caches["default"]  # Not the `cache` proxy: the backend itself.
    if isinstance(backend, RedisCache):
        key = backend.make_key(name)
        return bool(redis_client(backend).set(key, b"1", nx=True, ex=seconds))
    return cache.add(name, True, seconds)


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
