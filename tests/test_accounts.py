"""Staff account safety: argon2, strong passwords, lockout, two-factor login."""

import logging
import time

import django.contrib.auth.forms
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

import appealsite.settings
from appeals.antispam import hash_ip

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_user(
        username="moderator", password=PASSWORD, is_staff=True, is_superuser=True
    )


def log_in(client, username="moderator", password=PASSWORD, code="", **request):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "otp_token": code},
        **request,
    )


def code_for(device, *, steps_ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def test_passwords_are_hashed_with_argon2_in_production():
    assert appealsite.settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert Argon2PasswordHasher().encode("x", "somesalt").startswith("argon2$")


def test_staff_passwords_need_at_least_twelve_characters():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Tr0ub4dor&3")
    validate_password("a much longer passphrase")


def test_repeated_failures_lock_the_login_then_it_cools_off(
    client, moderator, settings, monkeypatch
):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in(client, password="wrong password")

    response = log_in(client)

    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert log_in(Client(), username="someone-else").status_code == 200

    later = time.time() + settings.LOGIN_LOCKOUT_SECONDS + 1
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
    response = log_in(client)
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_without_2fa_required_a_password_is_enough(client, moderator, settings):
    settings.STAFF_2FA_REQUIRED = False

    assert log_in(client).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_required_2fa_sends_staff_to_enrol_then_asks_for_the_code(
    client, moderator, settings
):
    settings.STAFF_2FA_REQUIRED = True

    assert log_in(client).status_code == 302
    admin_index = client.get(reverse("admin:index"))
    assert admin_index.status_code == 302
    setup = client.get(admin_index.headers["Location"], follow=True)
    assert setup.redirect_chain[-1][0] == reverse("admin:two_factor_setup")
    assert "<svg" in setup.content.decode()

    device = TOTPDevice.objects.get(user=moderator, confirmed=False)
    wrong = client.post(reverse("admin:two_factor_setup"), {"otp_token": "000000"})
    assert "That code is not correct" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # A person takes longer than the one-second back-off.
    response = client.post(
        reverse("admin:two_factor_setup"), {"otp_token": code_for(device)}
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200

    client.logout()
    without_code = log_in(client)
    assert "Enter the code from your authenticator app" in without_code.content.decode()
    wrong_code = log_in(client, code="123456")
    assert "not correct" in wrong_code.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # Wrong codes slow down guessing.
    device.throttle_reset()
    assert log_in(client, code=code_for(device, steps_ahead=1)).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_required_2fa_keeps_unverified_sessions_out_of_the_admin(
    client, moderator, settings
):
    settings.STAFF_2FA_REQUIRED = True
    client.force_login(moderator)

    for url in [
        reverse("admin:index"),
        reverse("admin:appeals_signature_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("admin:login") in response.headers["Location"]


# --- Failed logins: per client and login, per login, per client ----------------


@pytest.mark.usefixtures("shared_cache")
def test_fifty_strangers_hammering_a_login_do_not_keep_its_owner_out(
    client, moderator, settings
):
    settings.STAFF_2FA_REQUIRED = True
    device = TOTPDevice.objects.create(user=moderator, name="Phone", confirmed=True)
    for number in range(50):
        stranger = {"REMOTE_ADDR": f"203.0.113.{number}"}
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            refused = log_in(client, password="a guess", code="123456", **stranger)
        assert "_auth_user_id" not in client.session
    assert "Too many failed attempts" in refused.content.decode()

    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(owner, code=code_for(device)).status_code == 302
    assert owner.get(reverse("admin:index")).status_code == 200


@pytest.mark.usefixtures("shared_cache")
def test_a_locked_client_is_locked_alone_and_the_code_still_lets_the_owner_in(
    moderator, settings
):
    settings.STAFF_2FA_REQUIRED = False
    shared_connection = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(shared_connection, password="a guess")

    locked = log_in(shared_connection)
    assert "locked for your connection" in locked.content.decode()
    assert log_in(Client(REMOTE_ADDR="198.51.100.7")).status_code == 302

    device = TOTPDevice.objects.create(user=moderator, name="Phone", confirmed=True)
    assert log_in(shared_connection, code=code_for(device)).status_code == 302
    assert shared_connection.get(reverse("admin:index")).status_code == 200


def test_a_login_under_attack_answers_a_right_password_as_a_wrong_one_for_a_minute(
    client, moderator, settings, monkeypatch
):
    settings.STAFF_2FA_REQUIRED = False
    for number in range(settings.LOGIN_FAILURES_PER_MINUTE):
        log_in(client, password="a guess", REMOTE_ADDR=f"203.0.113.{number}")
    owner = Client(REMOTE_ADDR="198.51.100.7")

    right = log_in(owner)
    wrong = log_in(owner, password="a guess")

    assert "in the last minute" in right.content.decode()
    assert right.context["form"].errors == wrong.context["form"].errors
    assert "_auth_user_id" not in owner.session
    later = time.time() + 61
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
    assert log_in(owner).status_code == 302


@pytest.mark.usefixtures("shared_cache")
def test_a_client_failing_many_logins_is_refused_with_429_before_any_hashing(
    moderator, settings, monkeypatch
):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    checked = []

    def authenticate(request, **credentials):
        checked.append(credentials["username"])
        return real_authenticate(request, **credentials)

    real_authenticate = django.contrib.auth.forms.authenticate
    monkeypatch.setattr(django.contrib.auth.forms, "authenticate", authenticate)
    sprayer = Client(REMOTE_ADDR="203.0.113.5")
    for name in ["ann", "bob", "cem"]:
        assert log_in(sprayer, username=name, password="Summer2026!").status_code == 200

    refused = log_in(sprayer, username="moderator")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(settings.LOGIN_LOCKOUT_SECONDS)
    assert "Too many failed login attempts from your connection" in (
        refused.content.decode()
    )
    assert checked == ["ann", "bob", "cem"]
    assert log_in(Client(REMOTE_ADDR="198.51.100.7")).status_code == 302


def test_the_owner_gets_in_with_a_code_from_a_connection_others_throttled(
    moderator, settings
):
    settings.STAFF_2FA_REQUIRED = True
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 3
    device = TOTPDevice.objects.create(user=moderator, name="Phone", confirmed=True)
    office = "192.0.2.10"  # One address for everyone behind the office's router.
    sprayer = Client(REMOTE_ADDR=office)
    for name in ["ann", "bob", "cem", "dan"]:
        log_in(sprayer, username=name, password="Summer2026!")
    assert log_in(sprayer, username="moderator").status_code == 429

    owner = Client(REMOTE_ADDR=office)
    assert log_in(owner, code="000000").status_code == 429  # A wrong code: no.
    device.refresh_from_db()
    device.throttle_reset()  # A person takes longer than the one-second back-off.
    assert log_in(owner, code=code_for(device)).status_code == 302
    assert owner.get(reverse("admin:index")).status_code == 200


@pytest.mark.usefixtures("shared_cache")
def test_a_lockout_is_logged_with_the_login_name_and_fingerprint_never_the_address(
    moderator, settings, caplog
):
    settings.LOGIN_FAILURE_LIMIT = 2
    guesser = Client(REMOTE_ADDR="203.0.113.77")
    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        for _ in range(2):
            log_in(guesser, password="a guess")

    [record] = caplog.records
    assert "'moderator'" in record.getMessage()
    assert hash_ip("203.0.113.77") in record.getMessage()
    assert "203.0.113.77" not in caplog.text
