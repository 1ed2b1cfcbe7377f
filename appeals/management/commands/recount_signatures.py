"""Recompute every appeal's signature count from the signatures themselves."""

from django.core.management.base import BaseCommand

from appeals.services.counting import recount_signatures


class Command(BaseCommand):
    help = (
        "Fold pending count changes, then check every appeal's stored count against "
        "its confirmed signatures and correct any drift (reported)."
    )

    def handle(self, *args, **options):
        corrected = recount_signatures()
        for appeal, stored, correct in corrected:
            self.stdout.write(
                self.style.WARNING(
                    f"{appeal.slug}: stored count was {stored}, corrected to {correct}"
                )
            )
        if not corrected:
            self.stdout.write("All counts were exact.")
