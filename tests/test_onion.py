"""The onion service: Tor's configuration, nginx's onion listener, onion pages.

The Tor network cannot be reached here; what can be checked is checked for real:
the shipped torrc by Tor itself, the shipped nginx site file by nginx with
PROXY-protocol headers as Tor sends them, and the pages the app serves under the
onion host.
"""

import http.client
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from appeals.antispam import hash_ip
from appeals.models import Signature
from bench.nginx import Nginx
from tests.factories import form_shown, make_appeal, make_signature
from tests.processes import BASE_DIR, free_port

TORRC = BASE_DIR / "deploy" / "tor" / "torrc"
ONION = "h6qrh7ack5bmrjurqo6dtte37ud3g6mqgty7jttmcinms3377ortxuad.onion"
ONION_URL = f"http://{ONION}"
# Two Tor circuits as HiddenServiceExportCircuitID haproxy names them.
CIRCUIT_A = "fc00:dead:beef:4dad::0:29a"
CIRCUIT_B = "fc00:dead:beef:4dad::0:29b"


def needs(program: str) -> str:
    found = shutil.which(program) or f"/usr/sbin/{program}"
    if not os.path.exists(found):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {program}: apt-get install {program}")
        pytest.skip(f"needs {program} (apt-get install {program}; CI has it)")
    return found


@pytest.fixture
def onion_site(settings):
    settings.ONION_URL = ONION_URL
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ONION]
    settings.CSRF_TRUSTED_ORIGINS = [ONION_URL]
    settings.SITE_URL = "https://appeals.example.org"
    settings.PAGE_CACHE_SECONDS = 60


# --- Tor ----------------------------------------------------------------------


def test_the_shipped_torrc_is_valid_and_gives_an_onion_address(tmp_path: Path):
    tor = needs("tor")
    service = tmp_path / "service"
    torrc = tmp_path / "torrc"
    text = TORRC.read_text()
    directory = "HiddenServiceDir /var/lib/tor/appealsite/"
    assert text.count(directory) == 1
    torrc.write_text(text.replace(directory, f"HiddenServiceDir {service}/"))
    tmp_path.chmod(0o700)
    command = [tor, "-f", str(torrc), "--DataDirectory", str(tmp_path / "data")]

    verified = subprocess.run(
        [*command, "--verify-config"], capture_output=True, text=True
    )

    assert verified.returncode == 0, verified.stdout
    assert "Configuration was valid" in verified.stdout
    for option in (
        "HiddenServiceExportCircuitID haproxy",
        "HiddenServicePoWDefensesEnabled 1",
        "HiddenServicePort 80 127.0.0.1:8081",
    ):
        assert re.search(rf"^{option}$", text, re.M), option
    # Tor writes the address as it starts (no network needed); then it is stopped.
    running = subprocess.Popen(
        [*command, "--Log", "err stderr"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            if (service / "hostname").exists():
                break
            time.sleep(0.1)
        hostname = (service / "hostname").read_text().strip()
    finally:
        running.terminate()
        running.wait(timeout=10)
    assert re.fullmatch(r"[a-z2-7]{56}\.onion", hostname)


def test_a_typo_in_the_torrc_is_refused_by_tor(tmp_path: Path):
    tor = needs("tor")
    torrc = tmp_path / "torrc"
    torrc.write_text(
        TORRC.read_text()
        .replace(
            "HiddenServiceDir /var/lib/tor/appealsite/",
            f"HiddenServiceDir {tmp_path}/service/",
        )
        .replace(
            "HiddenServiceExportCircuitID haproxy", "HiddenServiceExportCircuitID x"
        )
    )
    tmp_path.chmod(0o700)

    verified = subprocess.run(
        [tor, "-f", str(torrc), "--DataDirectory", str(tmp_path), "--verify-config"],
        capture_output=True,
        text=True,
    )

    assert verified.returncode != 0
    assert "HiddenServiceExportCircuitID" in verified.stdout + verified.stderr


# --- Each circuit a client ------------------------------------------------------


@pytest.mark.django_db
def test_each_tor_circuit_is_a_client_of_its_own_and_an_ipv6_household_one():
    assert hash_ip(CIRCUIT_A) != hash_ip(CIRCUIT_B)
    assert hash_ip(CIRCUIT_A) == hash_ip(CIRCUIT_A)
    assert hash_ip("2001:db8:1:2::10") == hash_ip("2001:db8:1:2::99")


class ThroughTor(http.client.HTTPConnection):
    """A connection to nginx's onion listener, opened as Tor opens it."""

    def __init__(self, port: int, circuit: str):
        super().__init__("127.0.0.1", port, timeout=10)
        self.circuit = circuit

    def connect(self):
        super().connect()
        self.sock.sendall(f"PROXY TCP6 {self.circuit} ::1 {1024} 80\r\n".encode())


def sign_through(port: int, circuit: str, email: str, slug: str) -> int:
    connection = ThroughTor(port, circuit)
    body = urlencode(
        {
            "full_name": "Onion Signer",
            "email": email,
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        }
    )
    connection.request(
        "POST",
        f"/en/appeals/{slug}/sign/",
        body=body,
        headers={
            "Host": ONION,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": ONION_URL,
            "Sec-Fetch-Site": "same-origin",
        },
    )
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.django_db(transaction=True)
def test_nginx_s_onion_listener_makes_each_circuit_a_client_of_the_app(
    live_server, onion_site, settings, tmp_path
):
    needs("nginx")
    settings.TRUSTED_PROXY_COUNT = 1
    appeal = make_appeal()
    nginx = Nginx(
        port=free_port(), app_port=urlsplit(live_server.url).port, root=tmp_path
    )
    nginx.start()
    try:
        statuses = [
            sign_through(nginx.onion_port, CIRCUIT_A, "a1@example.org", appeal.slug),
            sign_through(nginx.onion_port, CIRCUIT_A, "a2@example.org", appeal.slug),
            sign_through(nginx.onion_port, CIRCUIT_B, "b1@example.org", appeal.slug),
        ]
        # A client cannot pass as a Tor circuit on the web listener.
        forged = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
        forged.request("GET", "/en/", headers={"X-Forwarded-For": CIRCUIT_A})
        forged.getresponse().read()
        proxy_on_web = ThroughTor(nginx.port, CIRCUIT_A)
        proxy_on_web.request("GET", "/en/")
        refused = proxy_on_web.getresponse().status
    finally:
        nginx.stop()

    assert statuses == [302, 302, 302]
    clients = dict(Signature.objects.values_list("email", "ip_hash"))
    assert clients["a1@example.org"] == clients["a2@example.org"] == hash_ip(CIRCUIT_A)
    assert clients["b1@example.org"] == hash_ip(CIRCUIT_B)
    assert clients["a1@example.org"] != clients["b1@example.org"]
    assert refused == 400  # A PROXY header is read only from Tor's listener.


# --- Pages under the onion host --------------------------------------------------

LINK = re.compile(r'<(\w+)[^>]*?\s(?:href|src|action|formaction)="([^"]*)"[^>]*>')


def onion_pages(appeal) -> list[str]:
    slug = appeal.slug
    return [
        reverse("appeals:list"),
        reverse("appeals:detail", args=[slug]),
        reverse("appeals:signatures", args=[slug]),
        reverse("appeals:organization_sign", args=[slug]),
        reverse("appeals:embed", args=[slug]),
        reverse("appeals:my_data_request"),
        reverse("appeals:privacy"),
        reverse("community:join"),
        reverse("community:typo_report") + "?url=/en/",
    ]


@pytest.mark.django_db
def test_onion_pages_link_to_the_onion_never_to_the_web_but_canonically(onion_site):
    appeal = make_appeal()
    make_signature(appeal, full_name="Ann Lee")
    web = Client()
    onion = Client(HTTP_HOST=ONION)

    for path in onion_pages(appeal):
        web.get(path)  # The web's copy is kept first: the onion must not get it.
        response = onion.get(path)

        assert response.status_code == 200, path
        html = response.content.decode()
        for tag, url in LINK.findall(html):
            # A link to share, a mailto: with the web address in it, is fine: the
            # people it goes to may not use Tor. A link that leads there is not.
            if urlsplit(url.replace("&amp;", "&")).netloc == "appeals.example.org":
                assert tag == "link" and f'rel="canonical" href="{url}"' in html, (
                    path,
                    url,
                )
        assert "Strict-Transport-Security" not in response.headers
        assert "Onion-Location" not in response.headers
    detail = onion.get(appeal.get_absolute_url()).content.decode()
    assert f'hreflang="x-default" href="{ONION_URL}/appeals/' in detail


@pytest.mark.django_db
def test_web_pages_name_their_onion_twin(onion_site):
    appeal = make_appeal()

    response = Client().get(appeal.get_absolute_url() + "?oldest=1")
    data = Client().get(reverse("data:count_json", args=[appeal.slug]))

    assert (
        response["Onion-Location"] == f"{ONION_URL}{appeal.get_absolute_url()}?oldest=1"
    )
    assert "Onion-Location" not in data  # JSON is not a page Tor Browser shows.


@pytest.mark.django_db
def test_a_signer_on_the_onion_is_not_sent_to_https_and_can_sign(onion_site, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 1
    appeal = make_appeal()
    # As nginx's onion listener forwards it (REMOTE_ADDR 127.0.0.1: a trusted proxy).
    onion = Client(
        HTTP_HOST=ONION,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR=CIRCUIT_A,
    )

    page = onion.get(appeal.get_absolute_url())
    signed = onion.post(
        reverse("appeals:sign", args=[appeal.slug]),
        {
            "full_name": "Onion Signer",
            "email": "onion@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
        HTTP_ORIGIN=ONION_URL,  # Tor Browser's origin: http://, not https://.
    )

    assert page.status_code == 200
    assert signed.status_code == 302
    assert signed["Location"].startswith("/en/")
    assert Signature.objects.get(email="onion@example.org").ip_hash == hash_ip(
        CIRCUIT_A
    )


@pytest.mark.django_db(transaction=True)
def test_the_emails_links_also_open_on_the_onion_where_the_web_is_blocked(
    onion_site, mailoutbox
):
    appeal = make_appeal()
    onion = Client(HTTP_HOST=ONION)
    onion.post(
        reverse("appeals:sign", args=[appeal.slug]),
        {
            "full_name": "Onion Signer",
            "email": "onion@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
        HTTP_ORIGIN=ONION_URL,
    )

    [message] = mailoutbox
    links = re.findall(
        r"(\S+)(/en/signatures/(confirm|withdraw)/[^/\s]+/)", message.body
    )
    assert [(site, kind) for site, _path, kind in links] == [
        ("https://appeals.example.org", "confirm"),
        (ONION_URL, "confirm"),
        ("https://appeals.example.org", "withdraw"),
        (ONION_URL, "withdraw"),
    ]
    assert message.body.count("open this link in Tor Browser instead") == 2
    onion_confirm = links[1][1]
    confirmed = onion.post(onion_confirm, HTTP_ORIGIN=ONION_URL)
    assert confirmed.status_code == 302
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_without_an_onion_service_the_emails_name_none(settings, mailoutbox):
    settings.SITE_URL = "https://appeals.example.org"
    appeal = make_appeal()
    Client().post(
        reverse("appeals:sign", args=[appeal.slug]),
        {
            "full_name": "Web Signer",
            "email": "web@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )

    [message] = mailoutbox
    assert "Tor Browser" not in message.body
    assert ".onion" not in message.body
    assert "https://appeals.example.org/en/signatures/confirm/" in message.body
