"""Signer privacy: no raw IP, retention, the signer's own data, no caching."""

import base64
import io
import logging
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appeals.antispam import hash_ip
from appeals.models import (
    PRIVACY_NOTICE_VERSION,
    Appeal,
    DataAccessLink,
    IPHashKey,
    OutgoingEmail,
    Signature,
)
from appeals.services.counting import recount_signatures
from appeals.services.retention import purge_expired
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
    path = re.search(r"http://[^/]+(/signatures/confirm/\S+/)", mailoutbox[0].body)
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
def test_purge_expired_deletes_and_anonymizes_exactly_what_it_should():
    now = timezone.now()
    appeal = make_appeal()
    old_pending = make_signature(appeal, status="pending")
    old_quarantined = make_signature(appeal, status="quarantined")
    recent_pending = make_signature(appeal, status="pending")
    old_confirmed = make_signature(appeal, ip_hash="a" * 32)
    Signature.objects.filter(pk__in=[old_pending.pk, old_quarantined.pk]).update(
        created_at=now - timedelta(days=8)
    )
    Signature.objects.filter(pk=recent_pending.pk).update(
        created_at=now - timedelta(days=6)
    )
    Signature.objects.filter(pk=old_confirmed.pk).update(
        created_at=now - timedelta(days=30)
    )

    long_closed = make_appeal(status=Appeal.Status.CLOSED)
    Appeal.objects.filter(pk=long_closed.pk).update(closed_at=now - timedelta(days=366))
    expired = [make_signature(long_closed, comment="Words") for _ in range(3)]
    expired_hidden = make_signature(long_closed, visibility="counted")
    recently_closed = make_appeal(closes_at=now - timedelta(days=300))
    kept = make_signature(recently_closed)
    recount_signatures()

    IPHashKey.objects.create(day=(now - timedelta(days=8)).date(), key="old")
    IPHashKey.objects.create(day=now.date(), key="today")

    report = purge_expired(now=now)

    assert set(Signature.objects.filter(appeal=appeal)) == {
        recent_pending,
        old_confirmed,
    }
    assert report.deleted_unconfirmed == 2
    for signature in [*expired, expired_hidden]:
        signature.refresh_from_db()
        assert (signature.full_name, signature.email, signature.email_normalized) == (
            "",
            "",
            "",
        )
        assert signature.comment == ""
        assert signature.country == "UA"
        assert signature.status == Signature.Status.CONFIRMED
        assert signature.confirmed_at is not None
    assert report.anonymized == 4
    long_closed.refresh_from_db()
    assert long_closed.signature_count == 4
    assert recount_signatures() == []
    kept.refresh_from_db()
    assert kept.full_name and kept.email
    old_confirmed.refresh_from_db()
    assert old_confirmed.ip_hash == ""
    assert list(IPHashKey.objects.values_list("key", flat=True)) == ["today"]


@pytest.mark.django_db
def test_purge_expired_command_reports_its_work():
    out = io.StringIO()

    call_command("purge_expired", stdout=out)

    assert "Deleted 0 unconfirmed signatures (older than 7 days)" in out.getvalue()


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
    match = re.search(r"http://[^/]+(/my-data/\S+/)", mailoutbox[-1].body)
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
        r"http://[^/]+(/signatures/confirm/\S+/)", mailoutbox[0].body
    ).group(1)
    withdraw_path = re.search(
        r"http://[^/]+(/signatures/withdraw/\S+/)", mailoutbox[0].body
    ).group(1)

    for response in [
        sign_response,
        client.get(sign_response.headers["Location"]),
        client.get(confirm_path),
        client.get(withdraw_path),
        client.get(reverse("appeals:my_data_request")),
    ]:
        assert "no-store" in response.headers["Cache-Control"], response


@pytest.mark.django_db
def test_the_record_of_old_emails_is_forgotten_and_a_purged_signature_takes_its_own(
    settings,
):
    settings.MAIL_KEEP_DAYS, settings.MAIL_KEEP_FAILED_DAYS = 7, 30
    now = timezone.now()
    pending = make_signature(make_appeal(), status=Signature.Status.PENDING)
    Signature.objects.filter(pk=pending.pk).update(created_at=now - timedelta(days=8))

    def email(state, days_ago, kind="data_access", **fields):
        return OutgoingEmail.objects.create(
            kind=kind,
            state=state,
            created_at=now - timedelta(days=days_ago),
            **fields,
        )

    kept = [email("sent", 6), email("failed", 20), email("queued", 40)]
    email("sent", 8)
    email("cancelled", 8)
    email("failed", 31)
    email("sent", 1, kind="confirm", signature=pending)

    report = purge_expired(now=now)

    assert set(OutgoingEmail.objects.all()) == set(kept)
    assert (report.deleted_unconfirmed, report.emails_deleted) == (1, 3)


@pytest.mark.django_db
def test_a_pending_signature_whose_link_went_out_again_lately_is_kept():
    now = timezone.now()
    appeal = make_appeal()
    resent = make_signature(appeal, status=Signature.Status.PENDING)
    forgotten = make_signature(appeal, status=Signature.Status.PENDING)
    Signature.objects.filter(pk__in=[resent.pk, forgotten.pk]).update(
        created_at=now - timedelta(days=20),
        emails_sent_on=(now - timedelta(days=10)).date(),
    )
    Signature.objects.filter(pk=resent.pk).update(
        emails_sent_on=(now - timedelta(days=1)).date()
    )

    report = purge_expired(now=now)

    assert list(Signature.objects.all()) == [resent]
    assert report.deleted_unconfirmed == 1


@pytest.mark.django_db
def test_purging_goes_slice_by_slice_and_reports_its_progress(monkeypatch):
    from appeals.services import retention

    monkeypatch.setattr(retention, "SLICE", 3)
    now = timezone.now()
    appeal = make_appeal()
    for _ in range(10):
        make_signature(appeal, status=Signature.Status.PENDING)
    Signature.objects.update(created_at=now - timedelta(days=30), emails_sent_on=None)
    lines = []

    with CaptureQueriesContext(connection) as queries:
        report = purge_expired(now=now, progress=lines.append)

    deletes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('DELETE FROM "appeals_signature"')
    ]
    assert len(deletes) >= 4  # Ten rows, three at a time at most.
    assert report.deleted_unconfirmed == 10
    assert not Signature.objects.exists()
    assert "unconfirmed signatures deleted: 10" in lines
