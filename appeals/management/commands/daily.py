"""The daily jobs, each on its own: one failing does not keep the others back."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

JOBS = [
    ["purge_expired"],
    ["recount_signatures"],
    ["send_due_emails"],
    # Finished task rows are kept a day, for looking into a failure.
    ["prune_db_task_results", "--min-age-days", "1"],
]


class Command(BaseCommand):
    help = (
        "Run the daily jobs (retention, the count check, emails still due, old task "
        "rows, the static copy if MIRROR_DIR is set) one after the other; exit with "
        "an error if any failed, after all ran."
    )

    def handle(self, *args, **options):
        failed = []
        jobs = JOBS
        if settings.MIRROR_DIR:  # The static copy, renewed (appeals.mirror).
            jobs = [*JOBS, ["export_mirror", settings.MIRROR_DIR]]
        for job in jobs:
            self.stdout.write(f"== {' '.join(job)}")
            try:
                call_command(*job, stdout=self.stdout, stderr=self.stderr)
            except Exception as error:  # Any failure: report it, run the next job.
                self.stderr.write(f"{job[0]} failed: {error!r}")
                failed.append(job[0])
        if failed:
            raise CommandError(f"Daily jobs that failed: {', '.join(failed)}.")
        self.stdout.write("All daily jobs done.")
