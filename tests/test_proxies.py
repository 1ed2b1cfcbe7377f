"""Where a request comes from: trusted proxies, forwarded headers, fingerprints."""

import runpy
from datetime import UTC, date, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from gunicorn.config import validate_string_to_addr_list

from appeals.antispam import client_ip, hash_ip
from appeals.models import IPHashKey
from appeals.services.retention import purge_expired

NGINX = "127.0.0.1"
BALANCER = "10.0.0.5"
CLIENT = "198.51.100.23"
FORGED = "203.0.113.9"

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def request_from(peer: str, forwarded_for: str | None = None):
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


@pytest.fixture
def behind_nginx(settings):
    """One proxy on this machine, as docs/deploy.md sets it up."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.0/8"), ip_network("::1")]


@pytest.mark.usefixtures("behind_nginx")
def test_a_client_that_reaches_the_app_directly_cannot_forge_its_address():
    assert client_ip(request_from(CLIENT, forwarded_for=FORGED)) == CLIENT


@pytest.mark.usefixtures("behind_nginx")
def test_behind_nginx_the_client_is_the_address_nginx_saw():
    assert client_ip(request_from(NGINX, f"{FORGED}, {CLIENT}")) == CLIENT
    # A dual-stack listener sees IPv4 peers as IPv4-mapped IPv6 addresses.
    assert client_ip(request_from(f"::ffff:{NGINX}", CLIENT)) == CLIENT
    # Nginx's own requests (no header) and a mangled header: the peer itself.
    assert client_ip(request_from(NGINX)) == NGINX
    assert client_ip(request_from(NGINX, "not-an-address")) == NGINX


def test_behind_two_proxies_only_hops_written_by_a_trusted_proxy_count(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.0/8"), ip_network("10.0.0.0/24")]

    # Through the balancer, then nginx: the client is second from the right.
    assert client_ip(request_from(NGINX, f"{FORGED}, {CLIENT}, {BALANCER}")) == CLIENT
    # Straight to nginx, around the balancer: the entry left of the client's was
    # written by the client, not by a proxy.
    assert client_ip(request_from(NGINX, f"{FORGED}, {CLIENT}")) == CLIENT


def test_without_trusted_proxies_forwarded_for_counts_for_nothing(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_from(NGINX, CLIENT)) == NGINX


@pytest.mark.django_db  # The privacy notice asks whether the site has copies.
@pytest.mark.usefixtures("behind_nginx")
def test_a_client_that_reaches_the_app_directly_cannot_claim_https(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True

    page = "/en/privacy/"
    direct = Client(REMOTE_ADDR=CLIENT).get(page, HTTP_X_FORWARDED_PROTO="https")
    proxied = Client(REMOTE_ADDR=NGINX).get(page, HTTP_X_FORWARDED_PROTO="https")

    assert direct.status_code == 301
    assert direct.headers["Location"] == "https://testserver/en/privacy/"
    assert proxied.status_code == 200


def test_gunicorn_believes_forwarded_headers_from_the_proxies_django_trusts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.0/8"), ip_network("::1")]
    proxied = runpy.run_path(str(GUNICORN_CONF))["forwarded_allow_ips"]
    settings.TRUSTED_PROXY_COUNT = 0
    direct = runpy.run_path(str(GUNICORN_CONF))["forwarded_allow_ips"]

    assert validate_string_to_addr_list(proxied) == ["127.0.0.0/8", "::1/128"]
    assert validate_string_to_addr_list(direct) == []


@pytest.mark.django_db
def test_ipv4_addresses_written_as_ipv6_keep_their_own_fingerprints():
    assert hash_ip(f"::ffff:{CLIENT}") == hash_ip(CLIENT)
    assert hash_ip(f"::ffff:{CLIENT}") != hash_ip(f"::ffff:{FORGED}")


@pytest.fixture
def far_east_of_utc(settings):
    """A site clock 14 hours ahead of UTC: its date is often tomorrow's."""
    settings.TIME_ZONE = "Pacific/Kiritimati"


@pytest.mark.django_db
@pytest.mark.usefixtures("far_east_of_utc")
def test_fingerprint_keys_change_at_midnight_utc_whatever_the_time_zone(monkeypatch):
    evening = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # March 11th in Kiritimati.
    monkeypatch.setattr(timezone, "now", lambda: evening)

    hash_ip(CLIENT)

    assert IPHashKey.objects.get().day == date(2026, 3, 10)


@pytest.mark.django_db
@pytest.mark.usefixtures("far_east_of_utc")
def test_a_days_key_is_purged_once_the_fingerprints_made_with_it_are(
    settings, monkeypatch
):
    evening = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: evening)
    hash_ip(CLIENT)
    # A fingerprint made at the day's last moment is cleared this much later.
    last_cleared = datetime(2026, 3, 11, tzinfo=UTC) + timedelta(
        days=settings.IP_HASH_RETENTION_DAYS
    )

    purge_expired(now=last_cleared - timedelta(minutes=1))
    assert IPHashKey.objects.exists()

    purge_expired(now=last_cleared)
    assert not IPHashKey.objects.exists()
