"""Intake: new submissions screened against the rate limits, their emails queued."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from appeals import sharedcache
from appeals.mail import intake
from appeals.mail.mailer import send_queued
from appeals.models import OutgoingEmail, Signature
from tests.factories import make_appeal, make_signature
from tests.mail.helpers import recipients, sign

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_queue"),
]


@pytest.mark.usefixtures("three_a_minute_per_client")
def test_the_mailer_quarantines_the_submissions_past_a_rate_limit(mailoutbox):
    appeal = make_appeal()
    bot, person = Client(REMOTE_ADDR="198.51.100.7"), Client(REMOTE_ADDR="192.0.2.1")
    for number in range(5):
        assert sign(bot, appeal, f"bot{number}@example.org").status_code == 302
    sign(person, appeal, "ann@example.org")

    assert send_queued().sent == 4

    assert recipients(mailoutbox) == [
        "ann@example.org",
        "bot0@example.org",
        "bot1@example.org",
        "bot2@example.org",
    ]
    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert sorted(quarantined.values_list("email", flat=True)) == [
        "bot3@example.org",
        "bot4@example.org",
    ]
    assert all("ip_burst" in row.quarantine_reason for row in quarantined)
    assert not Signature.objects.exclude(email_due="").exists()


@pytest.mark.usefixtures("three_a_minute_per_client", "shared_cache")
def test_submissions_are_counted_in_the_window_of_the_moment_they_were_sent(
    client, mailoutbox
):
    appeal = make_appeal()
    for number in range(5):
        sign(client, appeal, f"signer{number}@example.org")
    # Two of them were sent two minutes ago, and the mailer was late.
    Signature.objects.filter(
        email__in=["signer0@example.org", "signer1@example.org"]
    ).update(created_at=timezone.now() - timedelta(minutes=2))

    assert send_queued().sent == 5

    assert not Signature.objects.filter(status=Signature.Status.QUARANTINED).exists()


@pytest.mark.usefixtures("three_a_minute_per_client", "shared_cache")
def test_a_lagging_mailer_screens_as_a_prompt_one_would(mailoutbox):
    """Five a minute from one client, for five minutes: each minute, three pass."""
    appeal = make_appeal()
    start = timezone.now() - timedelta(hours=2)
    signatures = [
        make_signature(
            appeal,
            email=f"s{number}@example.org",
            ip_hash="one-client",
            status=Signature.Status.PENDING,
            created_at=start + timedelta(seconds=12 * number),
            email_due="unscreened",
        )
        for number in range(25)
    ]
    # A prompt mailer takes each in as it comes; a lagging one, all two hours on.
    prompt_quarantined = {
        f"s{number}@example.org" for number in range(25) if number % 5 >= 3
    }

    send_queued()

    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert set(quarantined.values_list("email", flat=True)) == prompt_quarantined
    assert len(mailoutbox) == len(signatures) - len(prompt_quarantined)


@pytest.mark.usefixtures("three_a_minute_per_client", "shared_cache")
def test_screening_again_after_a_failure_counts_nothing_twice(
    client, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"signer{number}@example.org")
    # The database fails after the screening, before the emails are queued.
    bulk_create = OutgoingEmail.objects.bulk_create

    def fails(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(OutgoingEmail.objects, "bulk_create", fails)
    with pytest.raises(RuntimeError):
        intake.take_in()
    monkeypatch.setattr(OutgoingEmail.objects, "bulk_create", bulk_create)

    assert send_queued().sent == 3
    assert not Signature.objects.filter(status=Signature.Status.QUARANTINED).exists()


def test_while_the_rate_limit_counters_are_unreachable_emails_wait(
    client, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    assert sign(client, appeal, "ann@example.org").status_code == 302
    admit = sharedcache.admit

    def unreachable(events):
        raise ConnectionError("Redis unreachable")

    monkeypatch.setattr(sharedcache, "admit", unreachable)
    with pytest.raises(CommandError, match="Redis"):
        call_command("send_due_emails", stdout=StringIO())

    assert mailoutbox == []
    row = Signature.objects.get()
    assert (row.status, row.email_due) == (Signature.Status.PENDING, "unscreened")
    monkeypatch.setattr(sharedcache, "admit", admit)
    assert send_queued().sent == 1
    assert recipients(mailoutbox) == ["ann@example.org"]
