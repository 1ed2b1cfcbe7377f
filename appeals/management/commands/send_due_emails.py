"""Send the emails signature rows owe: once, or as the mailer that keeps looking."""

import signal

from django.core.management.base import BaseCommand, CommandError

from appeals import outbox


class Command(BaseCommand):
    help = (
        "Send every confirmation or already-signed email that signatures owe. With "
        "--watch, keep looking every second until stopped: the mailer that "
        "production runs beside the task worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--watch",
            action="store_true",
            help="Keep sending as signatures come in, until SIGTERM or Ctrl+C.",
        )

    def handle(self, *args, **options):
        if options["watch"]:
            self.watch()
            return
        try:
            sent = outbox.send_due_emails()
        except outbox.MailServerFailed as error:
            raise CommandError(
                "The mail server failed; what was not sent is still owed."
            ) from error
        except outbox.ScreeningFailed as error:
            raise CommandError(
                "Redis (the rate-limit counters) could not be reached; what was not "
                "sent is still owed."
            ) from error
        self.stdout.write(f"Emails sent: {sent}.")

    def watch(self):
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)  # Finish the batch in hand: no email half-sent.

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("Sending emails as signatures come in; Ctrl+C stops.")
        outbox.watch(should_stop=lambda: bool(stopping))
        self.stdout.write("Stopped.")
