"""Signer privacy through the pages: no raw IP, the signer's own data, no caching."""

import base64
import io
import logging
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appeals.antispam import hash_ip
from appeals.models import PRIVACY_NOTICE_VERSION, DataAccessLink, IPHashKey, Signature
from tests.factories import form_shown, make_appeal, make_signature

SIGNER_IP = "203.0.113.77"


def sign(client, appeal, **overrides):
    data = {
        "full_name": "Olena Marchuk",
        "email": "olena@example.org",
        "country": "UA",
        "city": "Kharkiv",
        "visibility": "public",
        "has_newsletter_consent": "on",
        **form_shown(),
        **overrides,
    }
    return client.post(reverse("appeals:sign", kwargs={"slug": appeal.slug}), data)


@pytest.mark.django_db(transaction=True)
def test_no_raw_ip_address_reaches_the_database_or_the_logs(caplog, mailoutbox):
    appeal = make_appeal()
    client = Client(REMOTE_ADDR=SIGNER_IP)
    caplog.set_level(logging.DEBUG)

    sign(client, appeal)
    path = re.search(
        r"http://[^/]+(/[a-z]{2}/signatures/confirm/\S+/)", mailoutbox[0].body
    )
    client.post(path.group(1))

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert Signature.objects.get().ip_hash
    assert SIGNER_IP not in dump.getvalue()
    assert SIGNER_IP not in caplog.text


@pytest.mark.django_db
def test_ip_fingerprints_compare_within_a_day_but_not_across_keys():
    first = hash_ip(SIGNER_IP)

    assert hash_ip(SIGNER_IP) == first
    assert hash_ip("203.0.113.78") != first
    assert hash_ip("2001:db8:1:2::1") == hash_ip("2001:db8:1:2:ffff::9")  # Same /64.
    assert hash_ip("2001:db8:1:3::1") != hash_ip("2001:db8:1:2::1")
    assert len(first) == 32 and SIGNER_IP not in first

    IPHashKey.objects.all().delete()
    from django.core.cache import cache

    from appeals import localcache

    cache.clear()
    localcache.clear()
    assert hash_ip(SIGNER_IP) != first  # A new key: the old hash is now unlinkable.


@pytest.mark.django_db(transaction=True)
def test_consents_are_stored_with_the_notice_version_and_time():
    appeal = make_appeal()

    sign(Client(), appeal)

    signature = Signature.objects.get()
    assert signature.has_newsletter_consent is True
    assert signature.privacy_notice_version == PRIVACY_NOTICE_VERSION
    assert timezone.now() - signature.created_at < timedelta(minutes=1)


@pytest.mark.django_db
def test_an_anonymized_signature_can_no_longer_be_withdrawn(client):
    from appeals.tokens import Purpose, make_token

    appeal = make_appeal()
    signature = make_signature(appeal)
    token = make_token(signature, Purpose.WITHDRAW)
    Signature.objects.filter(pk=signature.pk).update(
        full_name="", email="", email_normalized=""
    )

    response = client.get(reverse("appeals:withdraw", kwargs={"token": token}))

    assert response.status_code == 410
    assert "anonymized" in response.content.decode()


def data_link(mailoutbox):
    match = re.search(r"http://[^/]+(/[a-z]{2}/my-data/\S+/)", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_a_signer_can_see_download_and_withdraw_what_we_hold(mailoutbox):
    first, second = make_appeal(title="First appeal"), make_appeal(title="Second one")
    make_signature(first, email="olena@example.org", full_name="Olena M")
    make_signature(second, email="Olena@Example.org ", full_name="Olena Marchuk")
    make_signature(first, email="someone.else@example.org", full_name="Other Person")
    client = Client()

    response = client.post(
        reverse("appeals:my_data_request"),
        {"email": "olena@example.org", **form_shown()},
    )
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    page = client.get(data_link(mailoutbox))

    assert "no-store" in page.headers["Cache-Control"]
    html = page.content.decode()
    assert "First appeal" in html and "Second one" in html
    assert "Olena Marchuk" in html
    assert "Other Person" not in html
    assert html.count("Withdraw this signature") == 2

    download = client.get(data_link(mailoutbox) + "data.json")
    assert (
        download["Content-Disposition"] == 'attachment; filename="my-signatures.json"'
    )
    data = download.json()
    assert {entry["appeal"] for entry in data["signatures"]} == {
        "First appeal",
        "Second one",
    }
    assert data["signatures"][0]["privacy_notice_version"] == PRIVACY_NOTICE_VERSION


@pytest.mark.django_db(transaction=True)
def test_asking_about_an_unknown_address_looks_the_same(mailoutbox):
    make_signature(make_appeal(), email="known@example.org")

    def ask(email):
        response = Client().post(
            reverse("appeals:my_data_request"), {"email": email, **form_shown()}
        )
        return re.sub(rb'value="[^"]+"', b"", response.content)

    assert ask("known@example.org") == ask("unknown@example.org")


@pytest.mark.django_db(transaction=True)
def test_the_data_link_expires_after_a_day(mailoutbox, monkeypatch):
    make_signature(make_appeal(), email="olena@example.org")
    Client().post(
        reverse("appeals:my_data_request"),
        {"email": "olena@example.org", **form_shown()},
    )
    link = data_link(mailoutbox)
    tomorrow = timezone.now() + timedelta(hours=25)
    monkeypatch.setattr("appeals.tokens.timezone.now", lambda: tomorrow)

    response = Client().get(link)

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_data_link_names_no_address_and_is_kept_only_hashed(mailoutbox):
    Client().post(
        reverse("appeals:my_data_request"),
        {"email": "olena@example.org", **form_shown()},
    )
    link = data_link(mailoutbox)
    token = link.rstrip("/").rpartition("/")[2]

    assert "olena" not in base64_decoded(token)
    [stored] = DataAccessLink.objects.all()
    assert token not in stored.token_hash
    assert Client().get(link).status_code == 200
    assert Client().get(link.replace(token, token[:-2] + "xx")).status_code == 400


def base64_decoded(token: str) -> str:
    padded = token + "=" * (-len(token) % 4)
    return base64.urlsafe_b64decode(padded).decode("latin-1")


@pytest.mark.django_db(transaction=True)
def test_signing_and_token_pages_are_never_cached(mailoutbox):
    appeal = make_appeal()
    client = Client()
    sign_response = sign(client, appeal)
    confirm_path = re.search(
        r"http://[^/]+(/[a-z]{2}/signatures/confirm/\S+/)", mailoutbox[0].body
    ).group(1)
    withdraw_path = re.search(
        r"http://[^/]+(/[a-z]{2}/signatures/withdraw/\S+/)", mailoutbox[0].body
    ).group(1)

    for response in [
        sign_response,
        client.get(sign_response.headers["Location"]),
        client.get(confirm_path),
        client.get(withdraw_path),
    ]:
        assert "no-store" in response.headers["Cache-Control"], response
    # The form that asks for a data link is the same for everyone: any cache may
    # keep it. What it answers is for the one who asked.
    form_page = client.get(reverse("appeals:my_data_request"))
    assert "public" in form_page.headers["Cache-Control"]
    answer = client.post(reverse("appeals:my_data_request"), {"email": "x@example.org"})
    assert "no-store" in answer.headers["Cache-Control"]
