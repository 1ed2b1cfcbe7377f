"""A small per-process memory for values read on every request, kept a second or two.

In front of the shared cache, it spares a network round trip on the hottest paths
(the page a viral appeal's readers all open, the count they poll). Entries live a
few seconds at most, so every app server still agrees within seconds.
"""

import time
from collections.abc import Callable
from typing import Any

MAX_ENTRIES = 2000

# Every copy a process keeps, how long, and what that means for staff and readers.
# Closing or pausing an appeal stops its sign forms on every server within this:
SIGNABLE_APPEAL_SECONDS = 1
# The count pollers get (count.json) is at most this much older than the stored
# count (which folds changes within services.counting.COUNT_REFRESH_SECONDS):
COUNT_SECONDS = 1
# A page copy, on top of the shared copy's PAGE_CACHE_SECONDS (settings):
PAGE_SECONDS = 1
# Site settings, on top of the shared copy's 3 s: "pause signing on every appeal"
# reaches every server within 5 s:
SITE_SETTINGS_SECONDS = 2
# The admin home's chart of the week's signatures: a viral week is several hundred
# thousand rows to count, so each app server counts them at most once a minute.
SIGNING_ACTIVITY_SECONDS = 60
# The day's key for IP fingerprints: it does not change during its day.
FINGERPRINT_KEY_SECONDS = 600
_MISSING = object()
_entries: dict[str, tuple[float, Any]] = {}


def get(key: str, default: Any = None) -> Any:
    """The value kept under key, or the default once its time is up."""
    entry = _entries.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    return default


def get_or_set(key: str, seconds: float, produce: Callable[[], Any]) -> Any:
    """The value kept under key; produced and kept for seconds if there is none.

    None is kept like any other value (an address that leads nowhere stays so).
    """
    value = get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = produce()
    put(key, seconds, value)
    return value


def put(key: str, seconds: float, value: Any) -> None:
    if len(_entries) >= MAX_ENTRIES:  # Many distinct addresses: start afresh.
        _entries.clear()
    _entries[key] = (time.monotonic() + seconds, value)


def forget(key: str) -> None:
    _entries.pop(key, None)


def clear() -> None:
    _entries.clear()
