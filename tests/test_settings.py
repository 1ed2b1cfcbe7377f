import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def start_django(code="", **env_overrides):
    """Start Django in a fresh interpreter with the given environment, run code."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")
    }
    env["DJANGO_SETTINGS_MODULE"] = "appealsite.settings"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_refuses_a_missing_secret_key_when_debug_is_off():
    result = start_django(DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_start_up_refuses_a_missing_signature_log_key_when_debug_is_off():
    result = start_django(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "SIGNATURE_LOG_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 50,
            "SIGNATURE_LOG_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        },
        {"DJANGO_DEBUG": "1"},
    ],
    ids=["production-with-key", "development"],
)
def test_start_up_succeeds_when_configured(env):
    result = start_django(**env)

    assert result.returncode == 0, result.stderr


def test_the_admin_lives_at_the_configured_address():
    result = start_django(
        "from django.urls import reverse; print(reverse('admin:index'))",
        DJANGO_DEBUG="1",
        ADMIN_URL="staff-desk/",
    )

    assert result.stdout.strip() == "/staff-desk/", result.stderr


def test_the_operator_chooses_the_interface_languages_and_the_first_is_default():
    result = start_django(
        "from django.conf import settings; "
        "print(settings.LANGUAGE_CODE, [c for c, _ in settings.LANGUAGES])",
        DJANGO_DEBUG="1",
        INTERFACE_LANGUAGES="ru,kk,en",
    )

    assert result.stdout.strip() == "ru ['ru', 'kk', 'en']", result.stderr


def test_interface_languages_may_be_written_with_spaces():
    result = start_django(
        "from django.conf import settings; "
        "print(settings.LANGUAGE_CODE, [c for c, _ in settings.LANGUAGES])",
        DJANGO_DEBUG="1",
        INTERFACE_LANGUAGES=" uk, en ,kk, ",
    )

    assert result.stdout.strip() == "uk ['uk', 'en', 'kk']", result.stderr


def test_an_interface_language_without_a_translation_stops_start_up():
    result = start_django(DJANGO_DEBUG="1", INTERFACE_LANGUAGES="en,de")

    assert result.returncode != 0
    assert "INTERFACE_LANGUAGES names de" in result.stderr
    assert "Choose from en, uk, ru, kk" in result.stderr


def test_the_old_language_code_setting_is_refused_with_what_replaced_it():
    result = start_django(DJANGO_DEBUG="1", LANGUAGE_CODE="uk")

    assert result.returncode != 0
    assert "Set INTERFACE_LANGUAGES=uk,..." in result.stderr
