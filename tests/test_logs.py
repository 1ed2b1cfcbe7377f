"""What the logs hold after a drill: no address, no email, no token of a link.

gunicorn in production mode serves a signer's journey and a staff search; every
line it and the app wrote is then searched for what could lead to a person.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from appeals.models import Signature
from appeals.tokens import Purpose, make_data_access_token, make_token
from appealsite.logs import RedactingFilter, loggable_path
from tests.factories import make_appeal, make_signature
from tests.processes import BASE_DIR, current_database_url, free_port


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/my-data/abcDEF_-123/", "/my-data/…/"),
        ("/my-data/abcDEF_-123/data.json", "/my-data/…/data.json"),
        ("/uk/signatures/confirm/eyJ0:1x:Ab/", "/uk/signatures/confirm/…/"),
        ("/signatures/withdraw/eyJ0:1x:Ab/", "/signatures/withdraw/…/"),
        ("/admin/appeals/signature/?q=ann@example.org", "/admin/appeals/signature/"),
        ("/appeals/free-the-press/", "/appeals/free-the-press/"),
    ],
)
def test_paths_are_logged_without_tokens_or_query_strings(path, logged):
    assert loggable_path(path) == logged


def test_app_log_lines_lose_tokens_and_addresses():
    import logging

    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "%s: %s", ("Not Found", ""), None
    )
    record.args = ("Not Found", "/my-data/s3cret-token/ for ann@example.org")

    RedactingFilter().filter(record)

    assert record.getMessage() == "Not Found: /my-data/…/ for <address>"


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0  # Not listening yet.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_drill_leaves_no_address_email_or_token_in_the_logs():
    appeal = make_appeal()
    signature = make_signature(appeal, email="olena.drill@example.org")
    pending = make_signature(
        appeal, email="taras.drill@example.org", status=Signature.Status.PENDING
    )
    secrets_in_urls = [
        make_data_access_token(signature.email_normalized),
        make_token(pending, Purpose.CONFIRM),
        make_token(signature, Purpose.WITHDRAW),
    ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log")  # noqa: SIM115
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "SIGNATURE_LOG_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "SITE_URL": base,
        "DATABASE_URL": current_database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "1",
        "STATIC_ROOT": tempfile.mkdtemp(prefix="static-"),
        "LOG_LEVEL": "INFO",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(60):
            if get(f"{base}/") == 200:
                break
            time.sleep(0.5)
        visits = [
            f"/my-data/{secrets_in_urls[0]}/",
            f"/my-data/{secrets_in_urls[0]}/data.json",
            f"/my-data/{secrets_in_urls[0]}x/",  # A mistyped link: logged as 4xx.
            f"/signatures/confirm/{secrets_in_urls[1]}/",
            f"/signatures/withdraw/{secrets_in_urls[2]}/",
            "/admin/appeals/signature/?q=olena.drill%40example.org",
        ]
        statuses = [get(base + path) for path in visits]
        # A request line gunicorn refuses: it logs the line and the peer.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(
                f"GET /my-data/{secrets_in_urls[0]}/".encode()
                + b"\xc3\xa9?q=olena.drill@example.org HTTP/1.1\r\n"
                + b"Host: 127.0.0.1\r\n\r\n"
            )
            raw.recv(1000)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
    text = Path(log.name).read_text(errors="replace")

    assert statuses[:2] == [200, 200], text
    assert statuses[2] >= 400
    assert "/my-data/…/" in text  # The requests were logged...
    assert "Invalid request from ip=-" in text
    for secret in [*secrets_in_urls, "olena.drill", "taras.drill"]:
        assert secret not in text  # ...without what they carried.
    assert not re.search(r"\b127\.0\.0\.1\b(?!:)", text.replace(base, ""))
