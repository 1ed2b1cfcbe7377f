"""Send the emails signature rows still owe, without waiting for the worker."""

from django.core.management.base import BaseCommand

from appeals.outbox import send_due_emails


class Command(BaseCommand):
    help = (
        "Send every confirmation or already-signed email that signatures still owe. "
        "The task worker does this within seconds; run it by hand after a cache or "
        "mail server outage (the daily jobs run it too)."
    )

    def handle(self, *args, **options):
        sent = send_due_emails()
        self.stdout.write(f"Emails sent: {sent}.")
