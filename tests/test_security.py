"""Hardened defaults: headers everywhere, deploy checks, 503, hostile input."""

import csv
import io
import os
import secrets
import subprocess
import sys
from itertools import count
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appeals.exports import delivery_rows
from appeals.models import Signature
from appealsite.spreadsheets import csv_bytes
from tests.factories import form_shown, make_appeal

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "SIGNATURE_LOG_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "DJANGO_ALLOWED_HOSTS": "appeals.example.org,localhost",
    "SITE_URL": "https://appeals.example.org",
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "TASKS_BACKEND": "database",
}


def run_django(code, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="appealsite.settings", **PRODUCTION_ENV)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def database_down():
    return mock.patch(
        "appeals.views.pages.Appeal.objects.published",
        side_effect=OperationalError("down"),
    )


def assert_hardened(response):
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_security_headers_on_every_kind_of_page(client, staff_client):
    appeal = make_appeal()
    responses = [
        client.get("/en/"),
        client.get(appeal.get_absolute_url()),
        client.get(reverse("appeals:signatures", args=[appeal.slug])),
        client.get(reverse("appeals:privacy")),
        client.get("/no-such-page/"),
        client.get(reverse("appeals:confirm", args=["bad-token"])),
        staff_client.get(reverse("admin:index")),
    ]
    with database_down():
        responses.append(Client(raise_request_exception=False).get("/en/"))
    assert [r.status_code for r in responses] == [
        200,
        200,
        200,
        200,
        404,
        400,
        200,
        503,
    ]
    for response in responses:
        assert_hardened(response)


@pytest.mark.django_db
def test_a_database_error_in_a_view_gives_our_503_with_retry_after():
    with database_down():
        response = Client(raise_request_exception=False).get("/en/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Back in a moment" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_with_the_shared_cache_down_pages_and_signing_answer_503_saving_nothing(
    settings,
):
    appeal = make_appeal()
    settings.PAGE_CACHE_SECONDS = 4  # The page is served through the cache.
    settings.CACHES = {  # A Redis nobody answers on.
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    client = Client(raise_request_exception=False)

    page = client.get(reverse("appeals:detail", kwargs={"slug": appeal.slug}))
    signing = client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Ann Lee",
            "email": "ann@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )

    assert [page.status_code, signing.status_code] == [503, 503]
    assert page.headers["Retry-After"] == "30"
    assert "Back in a moment" in signing.content.decode()
    assert not Signature.objects.exists()


def test_with_the_database_down_the_site_answers_503_not_a_traceback(tmp_path):
    result = run_django(
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0); "
        "from django.test import Client; "
        "r = Client(raise_request_exception=False, HTTP_HOST='localhost')"
        ".get('/en/', secure=True); "
        "print(r.status_code, r.headers['Retry-After'], "
        "'Back in a moment' in r.content.decode(), "
        "'Content-Security-Policy' in r.headers, "
        "'Strict-Transport-Security' in r.headers)",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        STATIC_ROOT=str(tmp_path),
    )

    assert result.stdout.split() == ["503", "30", "True", "True", "True"], result.stderr


def test_deploy_checks_pass_with_the_documented_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            **PRODUCTION_ENV,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_checks_warn_about_http_links_and_weak_keys():
    result = run_django(
        "from django.core.management import call_command; "
        "call_command('check', '--deploy')",
        SITE_URL="http://appeals.example.org",
        DJANGO_SECRET_KEY="tooshort",
        TASKS_BACKEND="immediate",
    )

    for check_id in ["appeals.W002", "appeals.W003", "appeals.W004"]:
        assert check_id in result.stderr + result.stdout


def test_production_cookies_and_hsts():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT)"
    )

    assert result.stdout.split() == ["True", "True", "True", "31536000", "True", "True"]


def test_old_secret_keys_still_verify_links_while_keys_rotate():
    result = run_django(
        "from django.core import signing; "
        "print(signing.loads(signing.dumps('x', key='old-key-' + 'k' * 50)))",
        DJANGO_SECRET_KEY_FALLBACKS="old-key-" + "k" * 50,
    )

    assert result.stdout.strip() == "x", result.stderr


@pytest.mark.django_db
def test_an_oversized_body_is_refused_with_400(client):
    appeal = make_appeal()

    response = client.post(
        reverse("appeals:sign", args=[appeal.slug]),
        {"comment": "x" * 2_000_000, "full_name": "A"},
    )

    assert response.status_code == 400
    assert not Signature.objects.exists()


HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            '=HYPERLINK("http://evil")',
            "Ann\r\nBcc: victim@example.org",
            "\u202eevil\u202c name",
            "\x00nul\x00",
            "Олена Марчук",
            "محمد",
            "a" * 5000,
        ]
    ),
)
_emails = count()


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=HOSTILE_TEXT, city=HOSTILE_TEXT, comment=HOSTILE_TEXT, extra=HOSTILE_TEXT)
def test_fuzzed_sign_form_never_fails_and_never_stores_a_live_payload(
    client, settings, name, city, comment, extra
):
    settings.SIGNING_RATE_LIMITS = dict.fromkeys(
        settings.SIGNING_RATE_LIMITS, (10**6, 60)
    )
    appeal = make_appeal()
    response = client.post(
        reverse("appeals:sign", args=[appeal.slug]),
        {
            "full_name": name,
            "email": f"fuzz{next(_emails)}@example.org",
            "country": "UA",
            "city": city,
            "affiliation": extra,
            "comment": comment,
            "visibility": "public",
            **form_shown(),
        },
    )

    assert response.status_code < 500
    signature = Signature.objects.filter(appeal=appeal).first()
    if signature is None:
        assert response.status_code == 400
        return
    for value in [signature.full_name, signature.city, signature.affiliation]:
        assert not any(char in value for char in "\x00\r\n\u202e\u202c")
    Signature.objects.filter(pk=signature.pk).update(
        status="confirmed", comment_status="approved"
    )
    signature.refresh_from_db()
    html = client.get(
        reverse("appeals:signatures", args=[appeal.slug])
    ).content.decode()
    assert escape(signature.full_name) in html
    if "<" in signature.full_name:
        assert signature.full_name not in html
    rows = list(
        csv.reader(
            io.StringIO(b"".join(csv_bytes(delivery_rows(appeal))).decode("utf-8-sig"))
        )
    )
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("debug", ["1", "0"])
def test_each_log_line_is_printed_once(debug):
    result = run_django(
        "import logging; logging.getLogger('django.request').warning('one line')",
        DJANGO_DEBUG=debug,
    )

    assert result.stderr.count("one line") == 1, result.stderr
