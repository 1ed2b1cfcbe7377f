"""Retention: what the daily purge deletes, anonymizes and keeps, slice by slice."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appeals.models import Appeal, IPHashKey, OutgoingEmail, Signature
from appeals.services.counting import recount_signatures
from appeals.services.retention import purge_expired
from tests.factories import make_appeal, make_signature


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
