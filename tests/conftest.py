import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages are rendered fresh, so a test sees its own changes (see test_pagecache)."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rate limits, scheduled refreshes)."""
    from django.core.cache import cache

    from appeals import localcache

    cache.clear()
    localcache.clear()


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
