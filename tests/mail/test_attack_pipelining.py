"""Attacks on SMTP pipelining (#16): hostile servers, the sender's order, the leases.

Servers that refuse and hang up without a 421, reply a byte at a time or never
answer; a recording failure of any kind with an envelope open (an email must never
go to another signer); a sent email's outcome written before its lease can run out
while the sender waits for its turn; an email whose acceptance timed out is not
sent again at once. Written by an adversarial review; each failed before its fix.
"""

import smtplib
import threading
import time
from collections import Counter

import pytest
from django.db import InterfaceError

from appeals import services
from appeals.mail.sender import Pace, Sender, ServerUnreachable
from appeals.mail.wire import Envelope
from appeals.models import OutgoingEmail, Signature
from tests.factories import make_appeal
from tests.mail.helpers import a_sender, owe, record_fails_once, send_to, sent_addresses
from tests.mail.scripted_server import (
    FROM,
    ours,
    what_happens,
    with_and_without_pipelining,
)
from tests.mail_backends import LOCMEM
from tests.processes import SmtpSink

State = OutgoingEmail.State
HANG_UP_AFTER_REFUSAL = {
    "mail-554-then-hang-up": {"MAIL": [("554 5.7.1 Client host blocked", "close")]},
    "mail-451-then-hang-up": {"MAIL": [("451 4.7.1 Try later", "close")]},
    "rcpt-550-then-hang-up": {"RCPT": [("550 5.1.1 No such user", "close")]},
    "rcpt-452-then-hang-up": {"RCPT": [("452 4.5.3 Too many", "close")]},
}


# --- Bug 1: a refusal followed by a hang-up (no 421) --------------------------


@pytest.mark.parametrize("script", HANG_UP_AFTER_REFUSAL)
def test_envelope_raises_as_sendmail_when_the_server_hangs_up_after_a_refusal(
    scripted_server, script
):
    one_at_a_time = scripted_server(HANG_UP_AFTER_REFUSAL[script])
    pipelined = scripted_server(HANG_UP_AFTER_REFUSAL[script])

    said, _ = what_happens(one_at_a_time.port, "sendmail", ["ann@example.org"])
    envelope_said, _ = what_happens(pipelined.port, "envelope", ["ann@example.org"])

    assert envelope_said == said


@with_and_without_pipelining
@pytest.mark.django_db(transaction=True)
def test_an_address_refused_550_then_hung_up_on_fails_with_the_servers_answer(
    scripted_server, settings, pipelining
):
    # README: "One address refused (5xx at RCPT ...): that email fails, with the
    # server's answer". Not retried for two days with "Connection closed".
    owe("nobody@example.org")
    server = scripted_server(
        {"RCPT": [("550 5.1.1 No such user", "close")]}, pipelining=pipelining
    )
    send_to(settings, server.port)
    with a_sender() as worker:
        worker.send_batch()

    email = OutgoingEmail.objects.get()
    assert (email.state, email.last_error) == (State.FAILED, "550 5.1.1 No such user")


@with_and_without_pipelining
@pytest.mark.django_db(transaction=True)
def test_a_server_refusing_the_sender_and_hanging_up_makes_emails_wait_uncounted(
    scripted_server, settings, pipelining
):
    # A refused sender is server trouble (SERVER_TROUBLE): the email waits, its
    # attempt not counted, and the sender pauses; it is not the email's failure.
    owe("ann@example.org")
    server = scripted_server(
        {"MAIL": [("554 5.7.1 Client host blocked", "close")]}, pipelining=pipelining
    )
    send_to(settings, server.port)
    worker = Sender(mailer_id="me", stop=threading.Event(), pace=Pace(0))
    paused = False
    try:
        worker.send_batch()
    except ServerUnreachable:
        paused = True
    finally:
        worker.close()

    email = OutgoingEmail.objects.get()
    assert (email.state, email.attempts, paused) == (State.QUEUED, 0, True)


# --- Bug 2: an envelope left open on a kept connection --------------------------


def send_until_done(worker: Sender) -> None:
    """Send batches as the mailer's loop does: a database failure is waited out."""
    for _attempt in range(10):
        try:
            if not worker.send_batch():
                return
        except InterfaceError:
            continue


@pytest.mark.django_db(transaction=True)
def test_a_non_database_error_while_recording_sends_no_email_to_another_signer(
    settings, monkeypatch
):
    # django.db.InterfaceError ("connection already closed", psycopg2) is not a
    # DatabaseError: deliver() takes it for a fault of the email, and keeps the
    # connection with the pipelined envelope open and its replies unread.
    owe("s0@example.org", "s1@example.org", "s2@example.org")
    failures = record_fails_once(
        monkeypatch, InterfaceError("connection already closed")
    )
    with SmtpSink(pipelining=True) as sink:
        send_to(settings, sink.port)
        with a_sender() as worker:
            send_until_done(worker)
        got = sink.messages()

    assert len(failures) == 1
    # Each email the sink took is a whole email (the sink parsed a subject) to
    # an address whose email is recorded as sent, once; and each one recorded as
    # sent arrived. Here s1 (recorded failed) got s2's email, envelope lines first,
    # and s2 (recorded sent) got nothing.
    assert all(message["subject"] for message in got)
    assert sorted(message["to"] for message in got) == [
        [address] for address in sorted(sent_addresses())
    ]
    # A database hiccup fails no email (README: nothing waiting is lost).
    assert not OutgoingEmail.objects.filter(state=State.FAILED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_non_database_error_while_recording_sends_no_signers_link_to_another(
    scripted_server, settings, monkeypatch
):
    # The same, against a server that keeps what it is given byte for byte.
    owe("s0@example.org", "s1@example.org", "s2@example.org")
    failures = record_fails_once(
        monkeypatch, InterfaceError("connection already closed")
    )
    server = scripted_server()
    send_to(settings, server.port)
    with a_sender() as worker:
        send_until_done(worker)

    assert len(failures) == 1
    for recipients, data in server.messages:
        others = {"s0@example.org", "s1@example.org", "s2@example.org"}
        others -= set(recipients)
        assert not [other for other in others if other.encode() in data], data[:200]


# --- Bug 3: a sent email's lease runs out before its outcome is written -------


@pytest.mark.django_db(transaction=True)
def test_an_email_sent_is_recorded_before_its_lease_can_run_out_in_later_pace_waits(
    mailoutbox, settings
):
    # The outcome of s0 waits for the next email that is delivered; meanwhile the
    # sender takes its pace turns for emails that turn out not to be owed any
    # more (withdrawn, quarantined, rejected). With MAIL_MAX_PER_SECOND=1 shared by
    # 4 connections a turn is 4 s: 23 such emails and a 120 s lease has run out
    # on s0, sent and unrecorded, and another connection takes it and sends it
    # again. Here: a 1 s lease, 4 turns a second.
    settings.MAILERS = {"default": {"BACKEND": LOCMEM, "OPTIONS": {}}}
    settings.MAIL_LEASE_SECONDS = 1
    rejected = [f"r{number}@example.org" for number in range(8)]
    owe("s0@example.org", *rejected, "s9@example.org")
    started = time.monotonic()
    other = Sender(mailer_id="other", stop=threading.Event(), pace=Pace(0))
    other_ran = []

    class SharedPace(Pace):
        def wait(self, stop):
            super().wait(stop)
            # Another connection of the mailer looks for due emails meanwhile.
            if not other_ran and time.monotonic() - started > 1.5:
                other_ran.append(other.send_batch())

    first = Sender(mailer_id="first", stop=threading.Event(), pace=SharedPace(4))
    original_send = first.send

    def send(message):
        outcome = original_send(message)
        if message.signature.email == "s0@example.org":
            # Rejected by a moderator while s0 went out.
            services.reject_signatures(
                signatures=Signature.objects.filter(email__in=rejected)
            )
        return outcome

    first.send = send
    try:
        first.send_batch()
        while other.send_batch():
            pass
    finally:
        first.close()
        other.close()

    assert other_ran  # The other connection did look.
    got = Counter(message.to[0] for message in mailoutbox)
    assert got == {"s0@example.org": 1, "s9@example.org": 1}


# --- Held up (kept as checks) --------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sigterm_ends_the_mailer_in_5_s_while_a_pipelined_envelope_gets_no_answer(
    scripted_server,
):
    from tests.factories import owe_confirmations
    from tests.processes import ManagePy

    owe_confirmations(make_appeal(), 5)
    server = scripted_server({"MAIL": [None]})  # Reads the envelope, never answers.
    with ManagePy(
        "send_due_emails",
        "--watch",
        EMAIL_URL=f"smtp://127.0.0.1:{server.port}",
        EMAIL_TIMEOUT="30",
        TASKS_BACKEND="database",
        MAIL_CONNECTIONS="1",
        MAIL_LEASE_SECONDS="60",
    ) as process:
        deadline = time.monotonic() + 30
        while not OutgoingEmail.objects.filter(state=State.SENDING).exists():
            assert time.monotonic() < deadline, process.output()
            time.sleep(0.1)
        time.sleep(1)  # The envelope is out, unanswered.
        stopping = time.monotonic()
        process.terminate()
        assert process.wait(10) == 0, process.output()
        took = time.monotonic() - stopping

    assert took < 5
    states = Counter(OutgoingEmail.objects.values_list("state", flat=True))
    # Nothing sent or failed; the one in flight keeps its lease, the rest are back.
    assert set(states) <= {State.QUEUED, State.SENDING}
    assert states[State.SENDING] <= 1


def test_multi_line_replies_dribbled_byte_by_byte_keep_the_pipeline_in_step(
    scripted_server,
):
    server = scripted_server(
        {
            "MAIL": ["250-2.1.0 Sender\r\n250-looks\r\n250 2.1.0 OK"],
            "RCPT": ["250-2.1.5 Recipient\r\n250 2.1.5 OK"],
            "DATA": ["354-Go\r\n354 on"],
            "END": ["250-2.0.0 Queued\r\n250 2.0.0 as 1"],
        },
        dribble=True,
    )
    with smtplib.SMTP("127.0.0.1", server.port, timeout=5) as smtp:
        smtp.ehlo()
        for address in ("ann@example.org", "bob@example.org"):
            assert Envelope(smtp, FROM, [address], ours([address])).finish() == {}
        assert smtp.noop()[0] == 250  # Nothing left over.

    assert [recipients for recipients, _ in server.messages] == [
        ["ann@example.org"],
        ["bob@example.org"],
    ]


@with_and_without_pipelining
@pytest.mark.django_db(transaction=True)
def test_an_email_whose_acceptance_timed_out_is_retried_later_not_sent_again_at_once(
    scripted_server, settings, pipelining
):
    # The server took the first email over this connection, then never answers
    # the end of the second: it may have taken it. Only a kept connection closed
    # while idle (nothing sent on it) is worth an immediate second try.
    owe("s0@example.org", "s1@example.org")
    server = scripted_server({"END": ["250 OK", None]}, pipelining=pipelining)
    send_to(settings, server.port, timeout=1)
    with a_sender() as worker:
        worker.send_batch()

    states = dict(OutgoingEmail.objects.values_list("signature__email", "state"))
    assert states == {"s0@example.org": State.SENT, "s1@example.org": State.RETRYING}
    assert [to for to, _data in server.messages] == [
        ["s0@example.org"],
        ["s1@example.org"],
    ]
