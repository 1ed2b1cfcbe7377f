"""What the mail tests share: signing as a visitor, emails owed and where they go,
who got mail, each email's state."""

import contextlib
import threading

from django.urls import reverse

from appeals.mail import intake, sender
from appeals.mail.sender import Pace, Sender
from appeals.models import Appeal, OutgoingEmail
from tests.factories import form_shown, make_appeal, make_signature


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


def recipients(mailoutbox) -> list[str]:
    return sorted(message.to[0] for message in mailoutbox)


def states() -> dict[str, str]:
    """Each signature email's state, by the signer's address."""
    return {
        message.signature.email_normalized: message.state
        for message in OutgoingEmail.objects.select_related("signature")
    }


def owe(*addresses: str) -> Appeal:
    """Queue a confirmation email to each address, screened already."""
    appeal = make_appeal()
    for address in addresses:
        make_signature(
            appeal, email=address, status="pending", email_due="confirm", ip_hash=""
        )
    intake.take_in()
    return appeal


def send_to(settings, port: int, timeout: float = 5) -> None:
    """Send through our SMTP backend to a server on this machine."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "appeals.mail.wire.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": timeout},
        }
    }


def sent_addresses() -> set[str]:
    """The addresses whose emails are recorded as sent."""
    return set(
        OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENT).values_list(
            "signature__email", flat=True
        )
    )


def record_fails_once(monkeypatch, error: Exception) -> list[int]:
    """Make the first attempt to record an outcome raise `error`; return the list
    that gets the message it failed for."""
    record, failures = sender.record, []

    def fails_once(outcome, **kwargs):
        if not failures:
            failures.append(outcome.message.pk)
            raise error
        return record(outcome, **kwargs)

    monkeypatch.setattr(sender, "record", fails_once)
    return failures


@contextlib.contextmanager
def a_sender(*, pace: float = 0):
    """One of the mailer's senders, closed (what it holds given back) after use."""
    worker = Sender(mailer_id="me", stop=threading.Event(), pace=Pace(pace))
    try:
        yield worker
    finally:
        worker.close()
