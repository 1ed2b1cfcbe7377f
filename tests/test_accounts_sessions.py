"""Staff sessions: idle and absolute limits, `__Host-` cookies, ended at once."""

import json
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

import appealsite.settings
from accounts.checks import check_host_cookies
from tests.test_settings import start_django

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _password_is_enough(settings):
    settings.STAFF_2FA_REQUIRED = False


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_user(
        username="moderator", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def clock(monkeypatch):
    """A wall clock that moves only when the test moves it."""

    class Clock:
        now = time.time()

        def advance(self, seconds):
            self.now += seconds

    frozen = Clock()
    monkeypatch.setattr(time, "time", lambda: frozen.now)
    return frozen


def logged_in(**request) -> Client:
    """A client of its own, logged in through the login page as the moderator."""
    client = Client(**request)
    response = client.post(
        reverse("admin:login"), {"username": "moderator", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def in_admin(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def session_key(client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_staff_sessions_last_an_idle_hour_and_twelve_hours_at_most_by_default():
    assert appealsite.settings.STAFF_SESSION_IDLE_SECONDS == 60 * 60
    assert appealsite.settings.STAFF_SESSION_MAX_SECONDS == 12 * 60 * 60
    assert appealsite.settings.SESSION_COOKIE_AGE == 12 * 60 * 60


def test_a_staff_session_left_idle_too_long_ends_and_is_deleted(
    moderator, settings, clock
):
    staff = logged_in()
    for _ in range(3):  # Each request restarts the idle clock.
        clock.advance(settings.STAFF_SESSION_IDLE_SECONDS - 60)
        assert in_admin(staff)
    key = session_key(staff)

    clock.advance(settings.STAFF_SESSION_IDLE_SECONDS + 1)
    response = staff.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "Your session has ended" in response.content.decode()
    assert not Session.objects.filter(session_key=key).exists()


def test_a_busy_staff_session_still_ends_its_maximum_time_after_login(
    moderator, settings, clock
):
    staff = logged_in()
    half_hour = 30 * 60
    for _ in range(settings.STAFF_SESSION_MAX_SECONDS // half_hour):
        clock.advance(half_hour)
        assert in_admin(staff)

    clock.advance(half_hour)

    assert not in_admin(staff)
    assert in_admin(logged_in())


def test_a_session_made_without_the_login_page_starts_its_clocks_when_first_used(
    moderator, settings, clock
):
    staff = Client()
    staff.force_login(moderator)  # As sessions made before the clocks existed.
    clock.advance(settings.STAFF_SESSION_MAX_SECONDS)
    assert in_admin(staff)

    clock.advance(settings.STAFF_SESSION_IDLE_SECONDS + 1)

    assert not in_admin(staff)


def test_deactivating_a_user_in_the_admin_ends_every_session_even_once_reactivated(
    moderator, staff_client
):
    laptop, phone = logged_in(), logged_in(REMOTE_ADDR="198.51.100.7")
    assert in_admin(laptop)

    response = staff_client.post(
        reverse("admin:auth_user_change", args=[moderator.pk]),
        {
            "username": "moderator",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },  # "is_active" left unticked.
    )
    assert response.status_code == 302
    moderator.refresh_from_db()
    assert not moderator.is_active
    moderator.is_active = True
    moderator.save()

    assert not in_admin(laptop)
    assert not in_admin(phone)
    assert in_admin(logged_in())


def test_a_user_deactivated_outside_the_admin_loses_every_session_at_the_first_used(
    moderator,
):
    laptop, phone = logged_in(), logged_in()
    moderator.is_active = False
    moderator.save()
    key = session_key(laptop)

    assert not in_admin(laptop)
    assert not Session.objects.filter(session_key=key).exists()
    moderator.is_active = True
    moderator.save()
    assert not in_admin(phone)


def test_a_changed_password_ends_every_session_of_the_user(moderator):
    laptop, phone = logged_in(), logged_in()
    keys = [session_key(laptop), session_key(phone)]

    moderator.set_password("another long passphrase")
    moderator.save()

    assert not in_admin(laptop)
    assert not in_admin(phone)
    assert not Session.objects.filter(session_key__in=keys).exists()


def test_logging_out_deletes_the_session_so_its_cookie_is_worthless(moderator):
    staff = logged_in()
    key = session_key(staff)

    staff.post(reverse("admin:logout"))

    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert not in_admin(replay)


def test_log_out_everywhere_ends_the_chosen_users_sessions(moderator, staff_client):
    laptop = logged_in()

    response = staff_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "end_all_sessions", "_selected_action": [moderator.pk]},
        follow=True,
    )

    assert "Every session of 1 user has ended." in response.content.decode()
    assert not in_admin(laptop)
    assert in_admin(staff_client)


PRINT_COOKIE_SETTINGS = """
import json
from django.conf import settings
from accounts.checks import check_host_cookies
print(json.dumps({
    prefix: [getattr(settings, f"{prefix}_COOKIE_{name}") for name in
             ["NAME", "SECURE", "PATH", "DOMAIN"]]
    for prefix in ["SESSION", "CSRF"]
} | {"problems": [problem.id for problem in check_host_cookies(None)]}))
"""


def cookie_settings(**env) -> dict:
    result = start_django(
        PRINT_COOKIE_SETTINGS,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        SIGNATURE_LOG_KEY="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_names_its_cookies_with_the_host_prefix_and_keeps_its_rules():
    assert cookie_settings() == {
        "SESSION": ["__Host-sessionid", True, "/", None],
        "CSRF": ["__Host-csrftoken", True, "/", None],
        "problems": [],
    }


def test_without_secure_cookies_the_names_stay_plain():
    names = cookie_settings(DJANGO_SECURE_COOKIES="0")

    assert names["SESSION"][0] == "sessionid"
    assert names["CSRF"][0] == "csrftoken"


def test_host_prefixed_cookies_are_sent_secure_for_the_whole_site_without_domain(
    moderator, settings
):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("admin:login"))

    response = client.post(
        reverse("admin:login"),
        {
            "username": "moderator",
            "password": PASSWORD,
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )

    assert response.status_code == 302
    for name in ["__Host-sessionid", "__Host-csrftoken"]:
        cookie = client.cookies[name]
        assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", "")
    assert in_admin(client)


def test_a_host_prefixed_cookie_a_browser_would_drop_is_an_error(settings):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.SESSION_COOKIE_SECURE = True
    settings.SESSION_COOKIE_DOMAIN = ".example.org"

    assert [problem.id for problem in check_host_cookies(None)] == ["accounts.E001"]
    settings.SESSION_COOKIE_DOMAIN = None
    assert check_host_cookies(None) == []
