"""Preparing the app in gunicorn's master, before its workers are forked."""

from django.template.loader import get_template

from appeals.warmup import HOT_TEMPLATES, warm_up


def test_warming_up_opens_no_database_or_cache_connection_a_worker_would_share(
    settings,
):
    # Database access fails here too: this test has no django_db mark.
    settings.CACHES = {"default": {"BACKEND": "tests.cache_backends.UnusableCache"}}

    warm_up()

    assert all(get_template(name) for name in HOT_TEMPLATES)
