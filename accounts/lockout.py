"""Lock a staff login for a while after repeated wrong passwords or codes.

Counted per username in the shared cache (Redis in production), so every app
server sees the same count. A lock cools off by itself: it is never permanent, and
no IP address is stored.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"accounts:login-failures:{digest}"


def is_locked(username: str) -> bool:
    return cache.get(_key(username), 0) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(username: str) -> None:
    key = _key(username)
    # The window restarts with the first failure; the lock lasts the cool-off.
    cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # Expired between add() and incr().
        cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)


def reset(username: str) -> None:
    cache.delete(_key(username))
