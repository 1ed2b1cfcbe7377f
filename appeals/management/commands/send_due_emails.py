"""Send the queued emails: once, or as the mailer that keeps going (--watch)."""

import signal

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from redis import RedisError

from appeals.mail.mailer import Mailer, send_queued


class Command(BaseCommand):
    help = (
        "Send every email that is due: confirmation links, 'already signed', "
        "data access links, Join us and typo report emails. With --watch, keep "
        "sending as they come in, until SIGTERM: the mailer that production runs "
        "beside the web servers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--watch",
            action="store_true",
            help="Keep sending as emails are queued, until SIGTERM or Ctrl+C.",
        )

    def handle(self, *args, **options):
        if options["watch"]:
            self.watch()
            return
        try:
            report = send_queued()
        except (DatabaseError, RedisError, OSError) as error:
            raise CommandError(
                "Could not take in new signatures: the database or Redis (the "
                f"rate-limit counters) is unreachable ({error}). Nothing was lost: "
                "they wait for the next run."
            ) from error
        self.stdout.write(
            f"Emails sent: {report.sent}; failed: {report.failed}; "
            f"still waiting: {report.waiting}."
        )

    def watch(self):
        mailer = Mailer()

        def stop(signum, frame):
            mailer.request_stop()  # Finish the emails in flight, give back the rest.

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Mailer {mailer.id}: sending emails as they are queued.")
        self.stdout.flush()
        mailer.run()
        self.stdout.write("Stopped.")
