"""Second adversarial review of the mailer (#16): a server refusing everything
after the mailer's pause, a kept connection closed with a 421 while idle, a
signature rejected while the sender connects. Each failed before its fix.
"""

import smtplib
import threading
import time
from collections import Counter

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections

from appeals import services
from appeals.mail.mailer import Mailer
from appeals.mail.sender import FRESH_SECONDS, Pace, Sender, ServerUnreachable
from appeals.models import OutgoingEmail, Signature
from tests.mail.helpers import a_sender, owe, send_to

State = OutgoingEmail.State


class RefusingEverythingBackend(BaseEmailBackend):
    """A relay that refuses every message after DATA: a suspended account."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPDataError(554, b"5.7.1 Sending suspended for this account")


# --- 1. A server refusing everything fails 9 more emails after every pause ------


@pytest.mark.django_db(transaction=True)
def test_a_server_refusing_everything_fails_no_more_emails_after_the_mailers_pause(
    settings,
):
    # Sender.REFUSALS_IN_A_ROW: "the server is refusing everything ...: the rest
    # wait instead of failing one by one". send() sets refusals back to 0 when it
    # raises, so after the send loop's pause (1 s, 2 s, 4 s ... 30 s) the next 9
    # emails fail for good, and again after every pause: over an hour's
    # suspension, 4 connections fail about 9 x 4 x 120 = 4,320 emails.
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingEverythingBackend"}}
    owe(*(f"s{number}@example.org" for number in range(60)))
    assert OutgoingEmail.objects.filter(state=State.QUEUED).count() == 60
    mailer = Mailer()
    worker = Sender(mailer_id=f"{mailer.id}/1", stop=mailer.stop, pace=mailer.pace)
    thread = threading.Thread(target=mailer.send_loop, args=(worker,), daemon=True)
    thread.start()
    time.sleep(3.6)  # The real send loop: a batch, 1 s pause, a batch, 2 s, a batch.
    mailer.stop.set()
    mailer.work.set()
    thread.join(10)
    assert not thread.is_alive()

    failed = OutgoingEmail.objects.filter(state=State.FAILED).count()
    assert failed == Sender.REFUSALS_IN_A_ROW - 1


# --- 2. A kept connection the server closed while idle, saying 421 -------------


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_closed_with_a_421_while_idle_is_opened_again(
    scripted_server, settings
):
    # Sender.attempt_failed: "A kept connection the server closed while it sat
    # idle: nothing was sent on it, so try once on a new one." Postfix and Exim
    # say "421 ... timeout" before they close an idle connection; the sender
    # reads that 421 as the reply to MAIL, takes it for a refused sender
    # (SERVER_TROUBLE) and raises ServerUnreachable: the batch is given back and
    # the send loop pauses 1, 2, 4 ... 30 s. With MAIL_MAX_PER_SECOND set so low
    # that a connection sits longer than the server's idle timeout between its
    # emails, each batch sends one email and then pauses: the drain falls to
    # about one email per 30 s per connection.
    owe("s0@example.org", "s1@example.org", "s2@example.org")
    server = scripted_server(idle_timeout=0.2)
    send_to(settings, server.port)
    worker = Sender(mailer_id="me", stop=threading.Event(), pace=Pace(2))
    paused = None
    try:
        worker.send_batch()
    except ServerUnreachable as error:
        paused = str(error)
    finally:
        worker.close()

    states = Counter(OutgoingEmail.objects.values_list("state", flat=True))
    assert (paused, states) == (None, {State.SENT: 3})
    assert sorted(to for to, _text in server.messages) == [
        ["s0@example.org"],
        ["s1@example.org"],
        ["s2@example.org"],
    ]


# --- 3. The signature is checked before connecting, not before sending --------


@pytest.mark.django_db(transaction=True)
def test_a_signature_rejected_while_the_sender_connects_gets_no_email(
    scripted_server, settings
):
    # README: an email about a signature "is written only when it is sent, from
    # the signature as it is then: one withdrawn, rejected or quarantined in the
    # meantime gets nothing" (read again at most FRESH_SECONDS = 0.2 s before).
    # send() checks still_needed() and writes the email, then deliver() connects:
    # TCP, the greeting, EHLO, STARTTLS, AUTH, each allowed EMAIL_TIMEOUT (10 s).
    # A signature rejected (or withdrawn, quarantined) meanwhile gets its email.
    # The same holds for the immediate second try on a new connection.
    owe("spam@example.org")
    greet = threading.Event()
    server = scripted_server(hold_greeting=greet)
    send_to(settings, server.port)

    def moderator():
        try:
            assert server.accepted.wait(10)  # The sender is connecting.
            services.reject_signatures(
                signatures=Signature.objects.filter(email="spam@example.org")
            )
            # A slow server: longer than the freshness the sender promises (a
            # rejection within FRESH_SECONDS of the email may still miss it).
            time.sleep(FRESH_SECONDS + 0.2)
        finally:
            connections.close_all()
            greet.set()

    rejecting = threading.Thread(target=moderator, daemon=True)
    rejecting.start()
    with a_sender() as worker:
        worker.send_batch()
        rejecting.join(10)

    assert Signature.objects.get().status == Signature.Status.REJECTED
    assert server.messages == []
    assert OutgoingEmail.objects.get().state == State.CANCELLED
