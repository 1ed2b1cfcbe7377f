"""Append the log entries waiting, and sign each log that grew in the last hour."""

from django.core.management.base import BaseCommand

from appeals.services import signature_log


class Command(BaseCommand):
    help = (
        "Append waiting signature log entries and sign a checkpoint of every log "
        "that grew since its last one an hour ago or more (the worker does this "
        "by itself; development has no worker)."
    )

    def handle(self, *args, **options):
        appended = signature_log.append_pending()
        made = signature_log.checkpoint_due_logs()
        self.stdout.write(
            f"{len(appended)} logs appended to, {len(made)} checkpoints signed."
        )
