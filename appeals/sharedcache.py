"""The shared cache's counters that move together, cheap on the hot path.

Rate limits move several counters per submission. With Redis (production) they go
straight to its client in one round trip; other caches (development, tests) get
the same answers through Django's API.
"""

import weakref
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Window:
    """A sliding window that admits at most `limit` events in `seconds`."""

    key: str
    seconds: int
    limit: int


@dataclass(frozen=True)
class Event:
    id: str  # Unique per event: recording it again changes nothing.
    at: float  # The moment it happened (a timestamp).
    windows: tuple[Window, ...]


# How late an event may be counted and still find the events of its window: the
# longest a mailer may lag behind the sign form.
LATE_SECONDS = 6 * 60 * 60

# Per event: the windows it would go past; admitted (recorded in all its windows)
# only if none, or if it was admitted before. Bounds come computed and written in
# full from Python: Lua would round a timestamp to 14 digits.
_ADMIT = """
local results, k, a = {}, 1, 1
while a <= #ARGV do
  local id, at, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  a = a + 3
  local past, refused = {}, false
  for i = 1, n do
    local key, w = KEYS[k + i - 1], a + 5 * (i - 1)
    past[i] = 0
    if not redis.call('ZSCORE', key, id) then
      if redis.call('ZCOUNT', key, ARGV[w + 1], ARGV[w + 2]) >= tonumber(ARGV[w]) then
        past[i], refused = 1, true
      end
    end
  end
  for i = 1, n do
    local key, w = KEYS[k + i - 1], a + 5 * (i - 1)
    if not refused then
      redis.call('ZADD', key, at, id)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[w + 3])
      redis.call('EXPIRE', key, ARGV[w + 4])
    end
    results[#results + 1] = past[i]
  end
  k, a = k + n, a + 5 * n
end
return results
"""


def admit(events: list[Event]) -> list[list[bool]]:
    """Admit each event in turn unless one of its windows is full; say which were.

    An event is counted in a window only if admitted: the window holds at most its
    limit, whatever a flood sends. Each event is checked against every window it
    falls in, those ending at its own moment and those after it: events are
    screened in the order they happened when they are screened promptly, and an
    event screened late (a mailer catching up) can then never push a window that
    already admitted later events past its limit. Admitting one again changes
    nothing: asking again after a failure counts nothing twice. With Redis, one
    atomic round trip.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys, args = [], []
        for event in events:
            args += [event.id, repr(event.at), len(event.windows)]
            for window in event.windows:
                start = event.at - window.seconds
                keys.append(backend.make_key(window.key))
                args += [
                    window.limit,
                    f"({start!r}",  # Counted: the window's start...
                    f"({event.at + window.seconds!r}",  # ...to its end, if later.
                    f"({start - LATE_SECONDS!r}",  # Kept: whatever may be late.
                    window.seconds + LATE_SECONDS,
                ]
        flat = iter(redis_client(backend).eval(_ADMIT, len(keys), *keys, *args))
        return [[bool(next(flat)) for _window in event.windows] for event in events]
    return [_admit_in_cache(event) for event in events]


def _admit_in_cache(event: Event) -> list[bool]:
    """admit() for other caches (development, tests): one process, no atomicity."""
    logs = {window.key: cache.get(window.key) or {} for window in event.windows}
    past = [
        event.id not in logs[window.key]
        and sum(
            event.at - window.seconds < moment < event.at + window.seconds
            for moment in logs[window.key].values()
        )
        >= window.limit
        for window in event.windows
    ]
    if not any(past):
        for window in event.windows:
            log = logs[window.key]
            log[event.id] = event.at
            oldest = event.at - window.seconds - LATE_SECONDS
            kept = {id_: at for id_, at in log.items() if at >= oldest}
            cache.set(window.key, kept, window.seconds + LATE_SECONDS)
    return past
