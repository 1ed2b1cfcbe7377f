"""Slow down password guessing on staff logins without letting anyone lock staff out.

A lock on a login name alone lets anyone who knows the name keep its owner out:
five wrong passwords from anywhere and the right one is refused. So failures are
counted three ways, each under a hash (never a login name or an IP address), in
the shared cache (Redis in production) so that every app server sees the same
counts, and each count starts with its first failure and cools off by itself:

- per login and client (the daily IP fingerprint, appeals.antispam.hash_ip):
  after LOGIN_FAILURE_LIMIT failures that client is locked out of that login for
  LOGIN_LOCKOUT_SECONDS. A stranger's failures lock only the stranger.
- per login, from all clients together: past LOGIN_FAILURES_PER_MINUTE in a minute
  the login is "under attack", which slows a guesser spread over many addresses to
  that rate, whatever the number of addresses.
- per client, over all logins: past LOGIN_CLIENT_FAILURE_LIMIT the client is
  refused before any password is hashed (HTTP 429) until its count cools off. This
  stops one client spraying a password over many logins, and bounds the CPU
  Argon2 spends on it.

A locked or attacked login still lets its owner in with the right password and a
valid authenticator code: a guesser lacks the code, and every other outcome gets
the same answer, so the answer says nothing about the password. An account
without an authenticator app has only its password, so it waits like everyone.
"""

import enum
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from appeals import sharedcache
from appeals.antispam import client_ip, hash_ip

logger = logging.getLogger(__name__)

# How long a login's failures from all clients together are counted.
ATTACK_WINDOW_SECONDS = 60


class Guard(enum.Enum):
    """Why an attempt is held back."""

    THROTTLED = "throttled"  # This client failed many logins: refused outright.
    LOCKED = "locked"  # This client failed this login: only with the code.
    UNDER_ATTACK = "under_attack"  # Many clients fail this login: only with the code.


@dataclass(frozen=True)
class Attempt:
    """A login attempt: the login name tried and the client trying it."""

    login_name: str  # As typed: hashed for the counters, shown only in the log.
    client: str  # The client's fingerprint: a keyed hash, never its address.

    @classmethod
    def from_request(cls, request, login_name: str) -> "Attempt":
        address = client_ip(request) if request is not None else ""
        return cls(login_name=login_name, client=hash_ip(address) or "unknown")

    @property
    def login(self) -> str:
        return hashlib.sha256(self.login_name.strip().lower().encode()).hexdigest()

    def keys(self) -> dict[str, str]:
        return {
            "login_client": f"accounts:login-failures:{self.login}:{self.client}",
            "login": f"accounts:login-failures:{self.login}",
            "client": f"accounts:client-login-failures:{self.client}",
        }


def guard(attempt: Attempt) -> Guard | None:
    """Return why this attempt is held back, or None if it is not."""
    keys = attempt.keys()
    counts = cache.get_many(keys.values())  # One round trip.
    if counts.get(keys["client"], 0) >= settings.LOGIN_CLIENT_FAILURE_LIMIT:
        return Guard.THROTTLED
    if counts.get(keys["login_client"], 0) >= settings.LOGIN_FAILURE_LIMIT:
        return Guard.LOCKED
    if counts.get(keys["login"], 0) >= settings.LOGIN_FAILURES_PER_MINUTE:
        return Guard.UNDER_ATTACK
    return None


def record_failure(attempt: Attempt) -> None:
    """Count a failed attempt; log the moment a count reaches its limit."""
    keys = attempt.keys()
    lockout_seconds = settings.LOGIN_LOCKOUT_SECONDS
    login_client, login, client = sharedcache.increment(
        [
            (keys["login_client"], lockout_seconds),
            (keys["login"], ATTACK_WINDOW_SECONDS),
            (keys["client"], lockout_seconds),
        ]
    )
    # %r keeps a login name with line breaks on one log line.
    if login_client == settings.LOGIN_FAILURE_LIMIT:
        logger.warning(
            "Staff login %r locked for client %s after %d failures.",
            attempt.login_name,
            attempt.client,
            login_client,
        )
    if login == settings.LOGIN_FAILURES_PER_MINUTE:
        logger.warning(
            "Staff login %r under attack: %d failures within %d seconds from all "
            "clients (the last from client %s); it now needs the authenticator code.",
            attempt.login_name,
            login,
            ATTACK_WINDOW_SECONDS,
            attempt.client,
        )
    if client == settings.LOGIN_CLIENT_FAILURE_LIMIT:
        logger.warning(
            "Client %s refused the login page after %d failures (the last on %r).",
            attempt.client,
            client,
            attempt.login_name,
        )


def record_success(attempt: Attempt) -> None:
    """Forget this client's failures on this login; strangers' failures stay."""
    cache.delete(attempt.keys()["login_client"])
