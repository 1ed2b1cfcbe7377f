"""SMTP pipelining (RFC 2920): what a server receives, what is raised, what is recorded.

Against the real SMTP sink (scripts/smtp_sink.py) with and without PIPELINING, and
against a scripted server in a thread for replies the sink never gives.
"""

import smtplib
import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import OperationalError

from appeals.mail import wire
from appeals.mail.sender import Pace, Sender
from appeals.mail.wire import Envelope
from appeals.models import OutgoingEmail
from tests.mail.helpers import a_sender, owe, record_fails_once, send_to, sent_addresses
from tests.mail.scripted_server import (
    FROM,
    connected,
    ours,
    what_happens,
    with_and_without_pipelining,
)
from tests.mail_backends import LOCMEM
from tests.processes import SmtpSink

State = OutgoingEmail.State


def plain_7bit(to: str, body: str) -> bytes:
    """A message whose body goes on the wire as it is (no base64): lines with dots."""
    headers = [
        f"From: {FROM}",
        f"To: {to}",
        "Subject: Dots",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


# --- Against the real sink ---------------------------------------------------


@with_and_without_pipelining
def test_a_message_arrives_as_written_with_or_without_pipelining(pipelining):
    subject, body = "Ваш підпис", "Підтвердіть, будь ласка.\nДякуємо!\n"
    message = ours(["ann@example.org", "bob@example.org"], subject=subject, body=body)
    with SmtpSink(pipelining=pipelining) as sink, connected(sink.port) as smtp:
        envelope = Envelope(smtp, FROM, ["ann@example.org", "bob@example.org"], message)

        assert smtp.has_extn("pipelining") == pipelining
        assert envelope.pipelined == pipelining
        assert envelope.finish() == {}
        [got] = sink.messages()

    assert got["to"] == ["ann@example.org", "bob@example.org"]
    assert got["subject"] == subject
    assert got["body"] == body
    assert got["message_id"] == f"<{subject.encode().hex()}@example.org>"


@with_and_without_pipelining
def test_lines_starting_with_a_dot_arrive_intact(pipelining):
    # A lone "." would end the message early if it were not doubled on the wire.
    body = ".starts with a dot\n.\n..two dots\nmiddle . dot\n. space\n."
    with SmtpSink(pipelining=pipelining) as sink, connected(sink.port) as smtp:
        dotted = plain_7bit("ann@example.org", body)
        Envelope(smtp, FROM, ["ann@example.org"], dotted).finish()
        Envelope(smtp, FROM, ["bob@example.org"], ours(["bob@example.org"])).finish()
        got = sink.messages()

    assert [message["to"] for message in got] == [
        ["ann@example.org"],
        ["bob@example.org"],
    ]
    assert got[0]["body"] == body + "\n"


@with_and_without_pipelining
def test_a_recipient_deferred_at_rcpt_raises_451_and_the_connection_sends_on(
    pipelining,
):
    with (
        SmtpSink(pipelining=pipelining, defer_rcpt={"ann@example.org": 5}) as sink,
        connected(sink.port) as smtp,
    ):
        envelope = Envelope(smtp, FROM, ["ann@example.org"], ours(["ann@example.org"]))
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            envelope.finish()
        # Refused with another that is taken: the message goes to that one.
        partly = Envelope(
            smtp,
            FROM,
            ["ann@example.org", "bob@example.org"],
            ours(["ann@example.org", "bob@example.org"], subject="Partly"),
        ).finish()
        after = Envelope(smtp, FROM, ["cy@example.org"], ours(["cy@example.org"]))
        assert after.finish() == {}
        assert smtp.noop()[0] == 250  # No reply left over, out of step.
        got = sink.messages()

    [(code, _text)] = refused.value.recipients.values()
    assert list(refused.value.recipients) == ["ann@example.org"]
    assert code == 451
    assert partly["ann@example.org"][0] == 451
    assert [message["to"] for message in got] == [
        ["bob@example.org"],
        ["cy@example.org"],
    ]
    assert [message["subject"] for message in got] == ["Partly", "Hello"]


@with_and_without_pipelining
def test_a_message_refused_after_data_raises_554_and_the_connection_sends_on(
    pipelining,
):
    with (
        SmtpSink(pipelining=pipelining, refuse_data=("bot@spam.example",)) as sink,
        connected(sink.port) as smtp,
    ):
        spam = ours(["bot@spam.example"], subject="Spam")
        with pytest.raises(smtplib.SMTPDataError) as refused:
            Envelope(smtp, FROM, ["bot@spam.example"], spam).finish()
        for address in ("ann@example.org", "bob@example.org"):
            assert Envelope(smtp, FROM, [address], ours([address])).finish() == {}
        assert smtp.noop()[0] == 250
        got = sink.messages()

    assert refused.value.smtp_code == 554
    assert [message["to"] for message in got] == [
        ["ann@example.org"],
        ["bob@example.org"],
    ]


# --- Against a scripted server -----------------------------------------------


ENVELOPE = [
    b"MAIL FROM:<noreply@example.org>\r\n",
    b"RCPT TO:<ann@example.org>\r\n",
    b"DATA\r\n",
]


def commands(server) -> list[bytes]:
    """What the server received after EHLO, line by line."""
    return server.received[1:]


def test_a_sender_refused_at_mail_raises_and_no_message_data_is_sent(
    scripted_server,
):
    server = scripted_server({"MAIL": ["550 5.7.1 Sender refused", "250 OK"]})
    with connected(server.port) as smtp:
        message = ours(["ann@example.org"])
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            Envelope(smtp, FROM, ["ann@example.org"], message).finish()
        # The connection carries the next email.
        assert Envelope(smtp, FROM, ["ann@example.org"], message).finish() == {}

    assert (refused.value.smtp_code, refused.value.sender) == (550, FROM)
    assert commands(server) == [
        *ENVELOPE,
        b"rset\r\n",
        *ENVELOPE,
        *message.splitlines(keepends=True),
        b".\r\n",
        b"QUIT\r\n",  # As smtplib's context manager spells it.
    ]
    assert server.texts == [message]


def test_a_server_closing_at_mail_raises_and_the_client_hangs_up(scripted_server):
    server = scripted_server({"MAIL": ["421 4.3.2 Shutting down"]})
    with connected(server.port) as smtp:
        envelope = Envelope(smtp, FROM, ["ann@example.org"], ours(["ann@example.org"]))
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            envelope.finish()

        assert smtp.sock is None
        assert server.hung_up.wait(5)

    assert refused.value.smtp_code == 421
    assert commands(server) == ENVELOPE
    assert server.texts == []


def test_data_opened_although_every_recipient_was_refused_is_hung_up_on(
    scripted_server,
):
    # Out of step with RFC 2920: it should have answered DATA 503 or 554.
    server = scripted_server(
        {"RCPT": ["550 5.1.1 No such user"], "DATA": ["354 Go on anyway"]}
    )
    recipients = ["ann@example.org", "bob@example.org"]
    with connected(server.port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            Envelope(smtp, FROM, recipients, ours(recipients)).finish()

        assert smtp.sock is None
        assert server.hung_up.wait(5)

    assert {to: code for to, (code, _) in refused.value.recipients.items()} == {
        "ann@example.org": 550,
        "bob@example.org": 550,
    }
    assert commands(server) == [
        ENVELOPE[0],
        b"RCPT TO:<ann@example.org>\r\n",
        b"RCPT TO:<bob@example.org>\r\n",
        b"DATA\r\n",
    ]
    assert server.texts == []


def test_a_server_closing_after_the_data_raises_421_and_the_client_hangs_up(
    scripted_server,
):
    server = scripted_server({"END": ["421 4.3.2 Shutting down"]})
    message = ours(["ann@example.org"])
    with connected(server.port) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            Envelope(smtp, FROM, ["ann@example.org"], message).finish()

        assert smtp.sock is None
        assert server.hung_up.wait(5)

    assert refused.value.smtp_code == 421
    assert commands(server) == [
        *ENVELOPE,
        *message.splitlines(keepends=True),
        b".\r\n",
    ]


TWO = ["ann@example.org", "bob@example.org"]

# Replies as sendmail() meets them one at a time and the envelope all at once.
SCRIPTS = {
    "mail-550": ({"MAIL": ["550 5.7.1 Sender refused"]}, TWO),
    "mail-421": ({"MAIL": ["421 4.3.2 Shutting down"]}, TWO),
    "mail-451": ({"MAIL": ["451 4.3.0 Try later"]}, TWO),
    "every-rcpt-550": ({"RCPT": ["550 5.1.1 No such user"]}, TWO),
    "one-rcpt-550": ({"RCPT": ["550 5.1.1 No such user", "250 OK"]}, TWO),
    "second-rcpt-421": ({"RCPT": ["250 OK", "421 4.3.2 Shutting down"]}, TWO),
    "first-rcpt-421": ({"RCPT": ["421 4.3.2 Shutting down"]}, TWO),
    "data-554": ({"DATA": ["554 5.7.1 No"]}, TWO),
    "data-451": ({"DATA": ["451 4.3.0 Try later"]}, TWO),
    "end-554": ({"END": ["554 5.7.1 Message refused"]}, TWO),
    "end-452": ({"END": ["452 4.3.1 Out of space"]}, TWO),
    "end-421": ({"END": ["421 4.3.2 Shutting down"]}, TWO),
    "taken": ({}, TWO),
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_envelope_raises_what_sendmail_raises(scripted_server, script):
    replies, recipients = SCRIPTS[script]
    one_at_a_time = scripted_server(replies)
    pipelined = scripted_server(replies)

    said, _ = what_happens(one_at_a_time.port, "sendmail", recipients)
    envelope_said, hung_up = what_happens(pipelined.port, "envelope", recipients)

    assert envelope_said == said
    assert pipelined.messages == one_at_a_time.messages
    # A server that closes (421) is hung up on; any other keeps the connection.
    assert hung_up == ("421" in str(replies))


# --- The sender -------------------------------------------------------------


@with_and_without_pipelining
@pytest.mark.django_db(transaction=True)
def test_each_emails_outcome_is_written_before_the_next_emails_data_is_sent(
    scripted_server, settings, pipelining
):
    addresses = [f"s{number}@example.org" for number in range(5)]
    owe(*addresses)
    seen = []  # At each message's first line of data: its recipient, the sent ones.

    def look(recipients):
        seen.append((recipients, sent_addresses()))

    server = scripted_server(pipelining=pipelining, on_data=look)
    send_to(settings, server.port)
    worker = Sender(mailer_id="me", stop=threading.Event(), pace=Pace(0))

    try:
        assert worker.send_batch() == 5
    finally:
        worker.close()

    assert server.connections == 1
    assert [recipients for recipients, _sent in seen] == [[to] for to in addresses]
    for position, (_recipients, sent) in enumerate(seen):
        assert sent == set(addresses[:position])
    assert sent_addresses() == set(addresses)


@with_and_without_pipelining
@pytest.mark.django_db(transaction=True)
def test_a_database_error_while_recording_drops_the_connection_and_sends_nothing(
    settings, monkeypatch, pipelining
):
    owe("s0@example.org", "s1@example.org")
    failures = record_fails_once(
        monkeypatch, OperationalError("server closed the connection unexpectedly")
    )
    with SmtpSink(pipelining=pipelining) as sink:
        send_to(settings, sink.port)
        with a_sender() as worker:
            with pytest.raises(OperationalError):
                worker.send_batch()
            dropped = worker.backend is None
            first_attempt = [message["to"] for message in sink.messages()]
            while worker.send_batch():
                pass
        got = Counter(to for message in sink.messages() for to in message["to"])

    assert len(failures) == 1
    assert dropped
    assert first_attempt == [["s0@example.org"]]
    assert got == {"s0@example.org": 1, "s1@example.org": 1}
    assert sent_addresses() == {"s0@example.org", "s1@example.org"}
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}


def test_begin_through_another_backend_sends_when_finished(mailoutbox, settings):
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}}
    email = mail.EmailMessage("Hi", "Body", FROM, ["ann@example.org"])
    backend = mail.mailers.default

    sending = wire.begin(backend, email)
    assert mailoutbox == []
    sending.finish()

    assert [message.to for message in mailoutbox] == [["ann@example.org"]]


REFUSED_THEN_CLOSED = {
    # Postfix's "421 4.7.0 Error: too many errors" comes at the next command:
    # with pipelining, that is the DATA after the refused RCPTs.
    "every-rcpt-550-then-data-421": (
        {"RCPT": ["550 5.1.1 No such user"], "DATA": ["421 4.7.0 Too many errors"]},
        TWO,
    ),
    "mail-550-then-data-421": (
        {"MAIL": ["550 5.7.1 Sender refused"], "DATA": ["421 4.7.0 Too many errors"]},
        TWO,
    ),
    "mail-550-then-rcpt-421": (
        {"MAIL": ["550 5.7.1 Sender refused"], "RCPT": ["421 4.7.0 Too many errors"]},
        TWO,
    ),
}


@pytest.mark.parametrize("script", REFUSED_THEN_CLOSED)
def test_the_envelope_raises_what_sendmail_raises_when_421_follows_a_refusal(
    scripted_server,
    script,
):
    replies, recipients = REFUSED_THEN_CLOSED[script]
    one_at_a_time = scripted_server(replies)
    pipelined = scripted_server(replies)

    said, _ = what_happens(one_at_a_time.port, "sendmail", recipients)
    envelope_said, _ = what_happens(pipelined.port, "envelope", recipients)

    assert envelope_said == said


@pytest.mark.django_db(transaction=True)
def test_after_hanging_up_on_a_server_out_of_step_the_next_email_still_goes(
    scripted_server,
    settings,
):
    owe("s0@example.org", "s1@example.org")
    server = scripted_server(
        {
            "RCPT": ["550 5.1.1 No such user", "250 OK"],
            "DATA": ["354 Go on anyway", "354 Go on"],
        }
    )
    send_to(settings, server.port)
    with a_sender() as worker:
        worker.send_batch()

    states = dict(OutgoingEmail.objects.values_list("signature__email", "state"))
    assert states == {"s0@example.org": "failed", "s1@example.org": "sent"}
    assert len(server.messages) == 1
