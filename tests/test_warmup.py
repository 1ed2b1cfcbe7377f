"""Preparing the app in gunicorn's master, before its workers are forked."""

import os
import subprocess
import sys

from django.template.loader import get_template

from appeals.warmup import HOT_TEMPLATES, warm_up


def test_warming_up_opens_no_database_or_cache_connection_a_worker_would_share(
    settings,
):
    # Database access fails here too: this test has no django_db mark.
    settings.CACHES = {"default": {"BACKEND": "tests.cache_backends.UnusableCache"}}

    warm_up()

    assert all(get_template(name) for name in HOT_TEMPLATES)


def test_warming_up_loads_what_a_workers_first_request_would_import():
    # A fresh interpreter: this one has imported everything long ago.
    script = (
        "import django, sys\n"
        "django.setup()\n"
        "from appeals.warmup import warm_up\n"
        "lazy = ['redis', 'appeals.context_processors', "
        "'django.contrib.messages.storage.fallback', "
        "'markdown.extensions.sane_lists']\n"
        "before = [name for name in lazy if name in sys.modules]\n"
        "warm_up()\n"
        "print(before, [name for name in lazy if name not in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split("\n")[-2] == "[] []"
