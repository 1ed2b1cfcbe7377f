"""With the production queue: the mailer sends what rows owe, counts are folded."""

import os
import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals import outbox, sharedcache
from appeals.models import Signature
from appeals.services import confirm_signature, withdraw_signature
from tests.concurrency import run_in_threads
from tests.factories import form_shown, make_appeal
from tests.mail_backends import LOCMEM, use_mail_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "counts"],
        }
    }


def run_worker():
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*"
    )


def sign(client, appeal, email):
    """Sign as a visitor would; each test client is one IP address."""
    return client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Ann",
            "email": email,
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )


def mailer_pass():
    """What the mailer (send_due_emails --watch) does each second."""
    return outbox.send_due_emails()


@pytest.fixture
def counter_round_trips(monkeypatch):
    """The rate-limit counters' round trips to the shared cache: the keys of each."""
    round_trips = []
    increment = sharedcache.increment

    def recorded(keys):
        round_trips.append([name for name, _seconds in keys])
        return increment(keys)

    monkeypatch.setattr(sharedcache, "increment", recorded)
    return round_trips


def test_signing_only_writes_the_row_and_the_mailer_sends_what_it_owes(
    client, database_queue, mailoutbox, counter_round_trips
):
    appeal = make_appeal()

    for email in ["ann@example.org", "bob@example.org", "cy@example.org"]:
        assert sign(client, appeal, email).status_code == 302

    assert mailoutbox == []
    assert not DBTaskResult.objects.exists()  # No task row, nothing queued.
    assert counter_round_trips == []  # Not even the rate limits' counters.
    assert Signature.objects.filter(email_due=outbox.UNSCREENED).count() == 3

    assert mailer_pass() == 3

    # The three were counted against the limits in one round trip.
    assert len(counter_round_trips) == 1
    assert len(counter_round_trips[0]) == 3 * 3  # IP burst, IP sustained, domain.

    assert sorted(message.to[0] for message in mailoutbox) == [
        "ann@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
    assert not Signature.objects.exclude(email_due="").exists()
    assert mailer_pass() == 0  # Each email goes once.


def test_emails_wait_while_the_mail_server_is_down_and_go_out_after(
    client, database_queue, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bob@example.org")

    with pytest.raises(outbox.MailServerFailed):
        mailer_pass()

    assert Signature.objects.filter(email_due="confirm").count() == 2
    use_mail_server(settings, LOCMEM)
    mailer_pass()
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert not Signature.objects.exclude(email_due="").exists()


@pytest.mark.usefixtures("three_a_minute_per_client")
def test_the_mailer_quarantines_the_submissions_past_a_rate_limit(
    database_queue, mailoutbox
):
    appeal = make_appeal()
    bot, person = Client(REMOTE_ADDR="198.51.100.7"), Client(REMOTE_ADDR="192.0.2.1")
    for number in range(5):
        assert sign(bot, appeal, f"bot{number}@example.org").status_code == 302
    sign(person, appeal, "ann@example.org")

    assert mailer_pass() == 4

    assert sorted(message.to[0] for message in mailoutbox) == [
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


@pytest.mark.usefixtures("three_a_minute_per_client")
def test_submissions_are_counted_in_the_window_of_the_moment_they_were_sent(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()
    for number in range(5):
        sign(client, appeal, f"signer{number}@example.org")
    # Two of them were sent two minutes ago, and the mailer was late.
    Signature.objects.filter(
        email__in=["signer0@example.org", "signer1@example.org"]
    ).update(created_at=timezone.now() - timedelta(minutes=2))

    assert mailer_pass() == 5

    assert not Signature.objects.filter(status=Signature.Status.QUARANTINED).exists()


@pytest.mark.usefixtures("three_a_minute_per_client")
def test_rows_given_back_after_a_mail_server_failure_are_not_counted_again(
    client, database_queue, mailoutbox, settings
):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"signer{number}@example.org")
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")
    with pytest.raises(outbox.MailServerFailed):
        mailer_pass()
    use_mail_server(settings, LOCMEM)

    assert mailer_pass() == 3

    assert not Signature.objects.filter(status=Signature.Status.QUARANTINED).exists()


def test_while_the_rate_limit_counters_are_unreachable_emails_wait(
    client, database_queue, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    assert sign(client, appeal, "ann@example.org").status_code == 302
    increment = sharedcache.increment

    def unreachable(keys):
        raise ConnectionError("Redis unreachable")

    monkeypatch.setattr(sharedcache, "increment", unreachable)
    with pytest.raises(CommandError, match="Redis"):
        call_command("send_due_emails", stdout=StringIO())
    pauses = Mailer(monkeypatch, rounds=1).run()

    assert pauses == [outbox.POLL_SECONDS]
    assert mailoutbox == []
    row = Signature.objects.get()
    assert (row.status, row.email_due) == (Signature.Status.PENDING, outbox.UNSCREENED)
    monkeypatch.setattr(sharedcache, "increment", increment)
    assert mailer_pass() == 1
    assert [message.to for message in mailoutbox] == [["ann@example.org"]]


def test_an_address_the_server_refuses_does_not_hold_up_the_others(
    client, database_queue, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.RefusingServerBackend")
    sign(client, appeal, "nobody@refused.example")
    sign(client, appeal, "ann@example.org")

    mailer_pass()

    assert [message.to for message in mailoutbox] == [["ann@example.org"]]
    assert not Signature.objects.exclude(email_due="").exists()


class Mailer:
    """Runs outbox.watch() for a given number of rounds, recording its pauses."""

    def __init__(self, monkeypatch, rounds):
        self.rounds, self.pauses = rounds, []
        monkeypatch.setattr(outbox, "_sleep", self.sleep)

    def sleep(self, seconds, should_stop):
        self.pauses.append(seconds)

    def should_stop(self):
        return len(self.pauses) >= self.rounds

    def run(self):
        outbox.watch(should_stop=self.should_stop)
        return self.pauses


def test_the_mailer_sends_as_rows_come_in_and_waits_when_there_are_none(
    client, database_queue, mailoutbox, monkeypatch
):
    sign(client, make_appeal(), "ann@example.org")

    pauses = Mailer(monkeypatch, rounds=2).run()

    assert [message.to for message in mailoutbox] == [["ann@example.org"]]
    # Straight on after sending (more may have come in), then a second's wait.
    assert pauses == [0, outbox.POLL_SECONDS]


def test_the_mailer_waits_a_minute_after_the_mail_server_failed(
    client, database_queue, mailoutbox, monkeypatch, settings
):
    sign(client, make_appeal(), "ann@example.org")
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")

    pauses = Mailer(monkeypatch, rounds=1).run()

    assert pauses == [outbox.RETRY_SECONDS]
    assert Signature.objects.filter(email_due="confirm").count() == 1


def test_the_mailer_keeps_going_when_the_database_is_unreachable(
    database_queue, monkeypatch
):
    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(outbox, "send_due_emails", unreachable)

    pauses = Mailer(monkeypatch, rounds=2).run()

    assert pauses == [outbox.POLL_SECONDS, outbox.POLL_SECONDS]


def test_the_mailer_command_stops_on_sigterm_after_the_batch_in_hand(monkeypatch):
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    seen = []

    def watch(*, should_stop):
        seen.append(should_stop())
        os.kill(os.getpid(), signal.SIGTERM)
        seen.append(should_stop())

    monkeypatch.setattr(outbox, "watch", watch)
    try:
        call_command("send_due_emails", "--watch", stdout=StringIO())
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])

    assert seen == [False, True]


def test_count_changes_are_folded_by_one_delayed_task(database_queue):
    appeal = make_appeal()
    for number in range(3):
        signature = Signature.objects.create(
            appeal=appeal, full_name="A", email=f"a{number}@example.org", country="UA"
        )
        confirm_signature(signature=signature)

    [fold] = DBTaskResult.objects.all()
    assert fold.task_path == "appeals.tasks.fold_signature_counts"
    assert timezone.now() < fold.run_after <= timezone.now() + timedelta(seconds=5)

    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    appeal.refresh_from_db()
    assert appeal.signature_count == 3


def test_a_signature_withdrawn_before_its_email_went_out_gets_none(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    signature = Signature.objects.get()

    withdraw_signature(signature=signature)
    mailer_pass()

    assert mailoutbox == []
    signature.refresh_from_db()
    assert (signature.email, signature.email_due) == ("", "")


def test_an_email_that_cannot_be_written_does_not_cost_the_others_theirs(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bob@example.org")
    Signature.objects.filter(email="ann@example.org").update(email_due="no-such-email")

    mailer_pass()

    assert [message.to for message in mailoutbox] == [["bob@example.org"]]
    assert not Signature.objects.exclude(email_due="").exists()


@pytest.mark.postgres
def test_mailers_running_at_once_send_each_owed_email_once(mailoutbox):
    appeal = make_appeal()
    Signature.objects.bulk_create(
        Signature(
            appeal=appeal,
            full_name="Ann",
            email=f"signer{number}@example.org",
            email_normalized=f"signer{number}@example.org",
            country="UA",
            email_due="confirm",
        )
        for number in range(250)
    )

    sent = run_in_threads(4, lambda i: outbox.send_due_emails())

    assert sum(sent) == 250
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        f"signer{number}@example.org" for number in range(250)
    )
    assert not Signature.objects.exclude(email_due="").exists()
