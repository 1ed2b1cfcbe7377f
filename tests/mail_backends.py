import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def use_mail_server(settings, backend: str) -> None:
    """Send the test's emails through this backend (a class path)."""
    settings.MAILERS = {"default": {"BACKEND": backend}}


class UnreachableServerBackend(BaseEmailBackend):
    """A mail server that is down: every send fails."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server unreachable")


class RefusingServerBackend(BaseEmailBackend):
    """A mail server that refuses addresses at refused.example and takes the rest."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if any(to.endswith("@refused.example") for to in message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No")})
            mail.outbox.append(message)
        return len(email_messages)
