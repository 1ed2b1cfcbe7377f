import os
import uuid

import pytest
from django.test import Client

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages are rendered fresh, so a test sees its own changes (see test_pagecache)."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request a test made activates
    its own, and reverse() puts the active one in every page's address."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rate limits, scheduled refreshes)."""
    from django.core.cache import cache

    from appeals import localcache

    cache.clear()
    localcache.clear()


@pytest.fixture
def redis_cache(settings):
    """Redis as the shared cache, as in production; keys of this test's own.

    Skipped when no Redis answers, except in CI (CI=true), where it must.
    """
    import redis

    server = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        server.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis at {TEST_REDIS_URL}")
        pytest.skip(f"needs Redis at {TEST_REDIS_URL} (CI has it)")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import caches

    yield caches["default"]
    for key in server.scan_iter(match=f"{prefix}:*"):  # Only this test's keys.
        server.delete(key)


@pytest.fixture(params=["memory", "redis"])
def shared_cache(request):
    """Run the test on the development cache and again on Redis (production)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


@pytest.fixture
def database_queue(settings):
    """Tasks queued for the worker and emails left to the mailer, as in production."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "counts"],
        }
    }


@pytest.fixture
def three_a_minute_per_client(settings):
    """The signing burst limit lowered to three a minute from one client."""
    settings.SIGNING_RATE_LIMITS = {**settings.SIGNING_RATE_LIMITS, "ip_burst": (3, 60)}


@pytest.fixture
def staff_client(django_user_model):
    """A client of its own, logged in as a superuser (the `client` stays anonymous)."""
    user = django_user_model.objects.create_superuser(
        username="staff", email="staff@example.org", password="a-long-password-123"
    )
    staff = Client()
    staff.force_login(user)
    return staff


def pytest_collection_modifyitems(config, items):
    """Skip tests that need PostgreSQL when the tests run on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """Say it plainly when the browser journeys did not run: the run is green
    without them, but they are where the site is seen as people see it."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if report.nodeid.startswith("tests/browser/")
    ]
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {len(skipped)} browser journeys were SKIPPED: Chromium is missing. "
            "Install it (apt-get install chromium) to run them; CI does.",
            yellow=True,
            bold=True,
        )
