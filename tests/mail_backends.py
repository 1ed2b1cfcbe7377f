"""Mail servers with a known temper, for tests that run in one process.

Tests that need a real SMTP server and a real mailer process use
scripts/smtp_sink.py through tests/processes.py instead.
"""

import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def use_mail_server(settings, backend: str) -> None:
    """Send the test's emails through this backend (a class path)."""
    settings.MAILERS = {"default": {"BACKEND": backend}}


class UnreachableServerBackend(BaseEmailBackend):
    """A mail server that is down: it cannot even be connected to."""

    def open(self):
        raise ConnectionRefusedError("mail server unreachable")

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server unreachable")


class RefusingServerBackend(BaseEmailBackend):
    """A server that refuses addresses at refused.example at RCPT, takes the rest."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if any(to.endswith("@refused.example") for to in message.to):
                raise smtplib.SMTPRecipientsRefused(
                    {message.to[0]: (550, b"5.1.1 No such user")}
                )
            mail.outbox.append(message)
        return len(email_messages)


class RefusingAfterDataBackend(BaseEmailBackend):
    """A server that refuses messages to spam.example after DATA (554)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if any(to.endswith("@spam.example") for to in message.to):
                raise smtplib.SMTPDataError(554, b"5.7.1 Message refused")
            mail.outbox.append(message)
        return len(email_messages)


class GreylistingServerBackend(BaseEmailBackend):
    """A server that answers 451 (try again later) the first time it sees an address."""

    seen: set[str] = set()

    def send_messages(self, email_messages):
        for message in email_messages:
            address = message.to[0]
            if address not in self.seen:
                self.seen.add(address)
                raise smtplib.SMTPRecipientsRefused(
                    {address: (451, b"4.7.1 Greylisted, try again later")}
                )
            mail.outbox.append(message)
        return len(email_messages)


class QuotingRefusalBackend(BaseEmailBackend):
    """A server whose refusal quotes the address, with a NUL byte in its reply."""

    def send_messages(self, email_messages):
        address = email_messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused(
            {address: (550, f"5.1.1 <{address}>: no such\x00user".encode())}
        )


class IdleClosingServerBackend(BaseEmailBackend):
    """A server that drops a kept connection after one email, as idle ones are."""

    def open(self):
        self.sent_here = 0
        return True

    def close(self):
        self.sent_here = 0

    def send_messages(self, email_messages):
        if self.sent_here:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.sent_here += 1
        mail.outbox.extend(email_messages)
        return len(email_messages)
