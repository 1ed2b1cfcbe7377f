"""Print the mail queue's state, as the admin's "Outgoing emails" page shows it."""

from django.core.management.base import BaseCommand, CommandError

from appeals.mail.status import queue_status


class Command(BaseCommand):
    help = (
        "Print how many emails are queued, being sent, waiting to retry, sent in "
        "the last hour and failed, and how long the oldest unsent one has waited. "
        "With --max-wait, exit with an error when that is longer (for monitoring)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-wait",
            type=int,
            metavar="SECONDS",
            help="Fail if the oldest unsent email has waited longer than this.",
        )

    def handle(self, *args, **options):
        status = queue_status()
        waited = status.oldest_waiting_seconds
        self.stdout.write(
            f"queued: {status.queued}\n"
            f"being sent: {status.sending}\n"
            f"waiting to retry: {status.retrying}\n"
            f"sent in the last hour: {status.sent_last_hour}\n"
            f"failed: {status.failed}\n"
            f"oldest unsent email waiting for: {waited:.0f} s"
        )
        if options["max_wait"] is not None and waited > options["max_wait"]:
            raise CommandError(
                f"The oldest unsent email has waited {waited:.0f} s, more than "
                f"{options['max_wait']} s: is the mailer running and the mail "
                "server reachable?"
            )
