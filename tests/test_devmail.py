"""Development: the emails the site sent, readable, with links that work."""

import importlib

import pytest
from django.core.mail import send_mail
from django.urls import clear_url_caches, reverse

LINK = (
    "http://127.0.0.1:8000/uk/signatures/confirm/"
    "WyJwIiwxXQ:1xYLpD:amJyUFI_7s_p1Rmz9y1eZwrDups44AbSYeI2zyIBTX0/"
)


@pytest.fixture(autouse=True)
def _development(settings):
    """The page exists only with DEBUG on, as in `make run` (tests run without)."""
    import appealsite.urls

    settings.DEBUG = True
    importlib.reload(appealsite.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(appealsite.urls)
    clear_url_caches()


@pytest.fixture
def file_mailer(settings, tmp_path):
    settings.DEV_EMAIL_DIR = tmp_path
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    return tmp_path


def test_emails_kept_as_files_read_as_a_person_reads_them(client, file_mailer):
    send_mail(
        "Підтвердіть свій підпис",
        f"Щоб підтвердити підпис, відкрийте посилання:\n{LINK}\n",
        "appealsite <noreply@localhost>",
        ["olena@example.org"],
    )
    send_mail("Second", "Plain text.", "noreply@localhost", ["ivan@example.org"])
    raw = b"".join(path.read_bytes() for path in file_mailer.iterdir())
    assert LINK.encode() not in raw  # Encoded: no one could click it as written.

    page = client.get(reverse("dev_emails")).content.decode()

    assert "Підтвердіть свій підпис" in page
    assert "Щоб підтвердити підпис, відкрийте посилання:" in page
    assert f'<a href="{LINK}" rel="nofollow">{LINK}</a>' in page
    assert page.index("Second") < page.index("Підтвердіть")  # Newest first.


def test_the_page_says_so_when_nothing_was_sent(client, file_mailer):
    page = client.get(reverse("dev_emails")).content.decode()

    assert "No email yet" in page


def test_there_is_no_such_page_in_production(client, settings):
    import appealsite.urls

    settings.DEBUG = False
    importlib.reload(appealsite.urls)
    clear_url_caches()

    assert client.get("/dev/emails/").status_code == 404
