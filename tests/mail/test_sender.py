"""Sending: claims and leases, the server's answers, retries, checks made at send time.

The mailer as a real process, against a real SMTP server and PostgreSQL, is in
test_mailer_processes.py.
"""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from appeals import services
from appeals.mail import intake, sender
from appeals.mail.mailer import send_queued
from appeals.mail.sender import Pace, Sender, claim, give_back
from appeals.models import OutgoingEmail, Signature
from tests.factories import make_appeal, make_signature
from tests.mail.helpers import recipients, sign, states
from tests.mail_backends import LOCMEM, GreylistingServerBackend, use_mail_server
from tests.processes import SmtpSink

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_queue"),
]

State = OutgoingEmail.State


@pytest.fixture(autouse=True)
def _greylisting_forgets():
    GreylistingServerBackend.seen.clear()


def test_an_address_the_server_refuses_fails_alone_with_the_reply(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.RefusingServerBackend")
    sign(client, appeal, "nobody@refused.example")
    sign(client, appeal, "ann@example.org")

    send_queued()

    assert recipients(mailoutbox) == ["ann@example.org"]
    failed = OutgoingEmail.objects.get(state=State.FAILED)
    assert failed.signature.email == "nobody@refused.example"
    assert failed.last_error == "550 5.1.1 No such user"


def test_a_message_refused_after_data_fails_alone_and_the_rest_go_out(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.RefusingAfterDataBackend")
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bot@spam.example")
    sign(client, appeal, "bob@example.org")

    send_queued()
    send_queued()  # A second pass changes nothing: failed is final.

    assert recipients(mailoutbox) == ["ann@example.org", "bob@example.org"]
    assert states() == {
        "ann@example.org": State.SENT,
        "bot@spam.example": State.FAILED,
        "bob@example.org": State.SENT,
    }
    assert OutgoingEmail.objects.get(state=State.FAILED).last_error == (
        "554 5.7.1 Message refused"
    )


def test_a_temporary_refusal_is_retried_later_and_delivered(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    settings.MAIL_RETRY_SECONDS = 60
    use_mail_server(settings, "tests.mail_backends.GreylistingServerBackend")
    sign(client, appeal, "ann@example.org")

    send_queued()

    message = OutgoingEmail.objects.get()
    assert (message.state, message.attempts) == (State.RETRYING, 1)
    assert message.last_error.startswith("451 ")
    pause = message.due_at - timezone.now()
    assert timedelta(seconds=55) < pause <= timedelta(seconds=60)
    assert send_queued().sent == 0  # Not before it is due.

    OutgoingEmail.objects.update(due_at=timezone.now())
    assert send_queued().sent == 1
    assert recipients(mailoutbox) == ["ann@example.org"]


def test_retries_wait_longer_each_time_and_give_up_after_the_limit(
    client, settings, mailoutbox
):
    settings.MAIL_RETRY_SECONDS = 60
    settings.MAIL_GIVE_UP_HOURS = 48
    use_mail_server(settings, "tests.mail_backends.RefusingAfterDataBackend")
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    send_queued()
    message = OutgoingEmail.objects.get()
    # Say the server answered 451 three times already.
    message.state, message.attempts = State.RETRYING, 3
    message.due_at = timezone.now()
    message.save()
    use_mail_server(settings, "tests.mail_backends.GreylistingServerBackend")

    send_queued()

    message.refresh_from_db()
    assert message.state == State.RETRYING
    pause = message.due_at - timezone.now()
    assert timedelta(minutes=7) < pause <= timedelta(minutes=8)  # 60 s × 2³.

    OutgoingEmail.objects.update(
        due_at=timezone.now(), created_at=timezone.now() - timedelta(hours=49)
    )
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")
    send_queued()  # Unreachable: nobody's fault, it waits, even this old.
    assert OutgoingEmail.objects.get().state == State.QUEUED
    GreylistingServerBackend.seen.clear()
    use_mail_server(settings, "tests.mail_backends.GreylistingServerBackend")
    send_queued()
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert message.last_error.startswith("451 ")


def test_an_email_that_cannot_be_written_does_not_cost_the_others_theirs(
    client, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bob@example.org")
    render_queued = sender.render_queued

    def broken_for_ann(message, **kwargs):
        if message.signature.email == "ann@example.org":
            raise KeyError("template variable")
        return render_queued(message, **kwargs)

    monkeypatch.setattr(sender, "render_queued", broken_for_ann)

    send_queued()

    assert recipients(mailoutbox) == ["bob@example.org"]
    failed = OutgoingEmail.objects.get(state=State.FAILED)
    assert "KeyError" in failed.last_error


def test_a_dead_mailers_claims_are_taken_once_their_lease_runs_out(client, mailoutbox):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    intake.take_in()
    [held] = claim(mailer_id="dead-mailer", limit=10)
    assert send_queued().sent == 0  # Held by a mailer that may still send it.

    OutgoingEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))

    assert send_queued().sent == 1
    held.refresh_from_db()
    assert (held.state, held.attempts) == (State.SENT, 2)
    # The dead mailer's late word changes nothing.
    assert give_back(mailer_id="dead-mailer") == 0


def test_a_stopping_sender_gives_back_what_it_has_not_sent(client, mailoutbox):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"s{number}@example.org")
    intake.take_in()
    stop = threading.Event()
    stop.set()
    sender = Sender(mailer_id="me", stop=stop, pace=Pace(0))

    assert sender.send_batch() == 3

    assert mailoutbox == []
    assert (
        list(OutgoingEmail.objects.values_list("state", "attempts"))
        == [(State.QUEUED, 0)] * 3
    )


def test_the_pace_spreads_messages_over_the_second():
    waits = []

    class Recorded(threading.Event):
        def wait(self, timeout=None):
            waits.append(round(timeout, 2))

    pace = Pace(per_second=4)
    for _ in range(4):
        pace.wait(Recorded())

    assert waits == [0, 0.25, 0.5, 0.75]


def test_a_short_lease_still_leaves_time_to_send_the_batch(
    client, mailoutbox, settings
):
    settings.MAIL_LEASE_SECONDS = 5  # Shorter than the server's time-out (10 s).
    settings.MAILERS = {"default": {"BACKEND": LOCMEM, "OPTIONS": {}}}
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"s{number}@example.org")
    intake.take_in()
    sender = Sender(mailer_id="me", stop=threading.Event(), pace=Pace(0))

    assert sender.send_batch() == 3

    assert len(mailoutbox) == 3


# --- Found by attacking it ---------------------------------------------------


def owe(appeal, *addresses):
    for address in addresses:
        make_signature(
            appeal, email=address, status="pending", email_due="confirm", ip_hash=""
        )


def test_an_address_no_mail_server_can_take_fails_alone(settings):
    appeal = make_appeal()
    owe(appeal, "a@\u00ad.com", "ann@example.org", "bob@example.org")
    with SmtpSink() as sink:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
            }
        }
        report = send_queued()
        delivered = sorted(to for message in sink.messages() for to in message["to"])

    assert delivered == ["ann@example.org", "bob@example.org"]
    assert (report.sent, report.failed, report.waiting) == (2, 1, 0)
    failed = OutgoingEmail.objects.get(state=State.FAILED)
    assert failed.last_error.startswith("Address cannot be sent to")


def test_a_refusal_quoting_the_address_keeps_neither_it_nor_a_nul(client, settings):
    use_mail_server(settings, "tests.mail_backends.QuotingRefusalBackend")
    owe(make_appeal(), "ann@example.org")

    send_queued()

    failed = OutgoingEmail.objects.get()
    assert failed.state == State.FAILED
    assert failed.last_error == "550 5.1.1 <<address>>: no such user"


def test_a_signature_withdrawn_or_rejected_while_its_batch_goes_out_gets_nothing(
    mailoutbox, monkeypatch
):
    # Signatures are read again at most FRESH_SECONDS before their email; here,
    # the withdrawal and the next email come within a millisecond.
    monkeypatch.setattr(sender, "FRESH_SECONDS", 0)
    appeal = make_appeal()
    owe(appeal, "s0@example.org", "s1@example.org", "s2@example.org")
    intake.take_in()
    deliver = sender.Sender.deliver

    def meanwhile(self, message, email, **kwargs):
        if email.to == ["s0@example.org"]:  # While the first one goes out...
            services.withdraw_signature(
                signature=Signature.objects.get(email="s1@example.org")
            )
            services.reject_signatures(
                signatures=Signature.objects.filter(email="s2@example.org")
            )
        return deliver(self, message, email, **kwargs)

    monkeypatch.setattr(sender.Sender, "deliver", meanwhile)

    send_queued()

    assert recipients(mailoutbox) == ["s0@example.org"]
    assert OutgoingEmail.objects.filter(state=State.CANCELLED).count() == 2


def test_an_email_whose_lease_another_sender_took_over_is_not_sent_twice(mailoutbox):
    owe(make_appeal(), "s0@example.org", "s1@example.org")
    intake.take_in()
    first = Sender(mailer_id="slow", stop=threading.Event(), pace=Pace(0))
    held = claim(mailer_id="slow", limit=10)
    # Its lease ran out on one of them, and another sender took it and sent it.
    OutgoingEmail.objects.filter(pk=held[1].pk).update(claimed_by="other")

    for message in held:
        if sender.renew_lease(message, mailer_id="slow"):
            first.unrecorded.append(first.send(message))
    first.flush()

    assert len(mailoutbox) == 1


def test_after_a_lease_ran_out_no_later_email_of_the_batch_goes_unrenewed(
    mailoutbox, settings, monkeypatch
):
    settings.MAIL_LEASE_SECONDS = 4
    owe(make_appeal(), "s0@example.org", "s1@example.org", "s2@example.org")
    intake.take_in()
    deliver = Sender.deliver

    def slow_first(self, message, email, **kwargs):
        if email.to == ["s0@example.org"]:
            time.sleep(1.2)  # Past a quarter of the lease...
            # ...and meanwhile another mailer took the rest, their leases run out.
            OutgoingEmail.objects.exclude(pk=message.pk).update(claimed_by="other")
        return deliver(self, message, email, **kwargs)

    monkeypatch.setattr(Sender, "deliver", slow_first)
    Sender(mailer_id="me", stop=threading.Event(), pace=Pace(0)).send_batch()

    assert recipients(mailoutbox) == ["s0@example.org"]


def test_a_kept_connection_the_server_closed_is_opened_again(mailoutbox, settings):
    use_mail_server(settings, "tests.mail_backends.IdleClosingServerBackend")
    owe(make_appeal(), "s0@example.org", "s1@example.org", "s2@example.org")

    report = send_queued()

    assert (report.sent, report.waiting) == (3, 0)
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}


def test_a_server_refusing_everything_pauses_the_queue_instead_of_failing_it(
    mailoutbox, settings
):
    use_mail_server(settings, "tests.mail_backends.RefusingAfterDataBackend")
    owe(make_appeal(), *(f"s{number}@spam.example" for number in range(15)))

    report = send_queued()

    assert report.failed == Sender.REFUSALS_IN_A_ROW - 1
    assert OutgoingEmail.objects.filter(state=State.QUEUED).count() == 6


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the plan of PostgreSQL's planner (CI runs it on PostgreSQL)",
)
def test_a_claim_reads_the_due_index_in_order_when_statistics_lag_the_queue():
    # Statistics taken when a few messages waited; then a backlog builds up (an
    # SMTP outage). Whether the planner then sorts the whole queue depends on the
    # table's history (in the benchmark it sorted 54,000 messages per claim); a
    # dear random read makes this test's planner choose as it did there.
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(kind="typo_report", to="ed@example.org", state=state)
        for state in [State.SENT] * 2000 + [State.QUEUED] * 40
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE appeals_outgoingemail")
        cursor.execute("SET random_page_cost = 1000")  # Reset below.
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(kind="typo_report", to="ed@example.org", subject="Typo")
        for _ in range(20_000)
    )
    plans = []

    def explain(execute, sql, params, many, context):
        if "FOR UPDATE" in sql:
            raw = context["cursor"].cursor  # In the claim's own transaction.
            raw.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row for (row,) in raw.fetchall()))
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(explain):
            claimed = claim(mailer_id="m", limit=50)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET random_page_cost")

    assert len(claimed) == 50
    assert "Index Scan using outgoing_email_due" in plans[0]
    assert "Sort" not in plans[0]
