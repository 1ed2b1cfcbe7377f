"""Write the static copy of the site (appeals.mirror) and its archive."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from appeals.mirror import ARCHIVE
from appeals.services import export_mirror


class Command(BaseCommand):
    help = (
        "Write a static copy of every published appeal to DIRECTORY (replacing "
        f"the copy there), packed as DIRECTORY/{ARCHIVE}, and record its SHA-256 "
        "for the live site to publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            export, is_new = export_mirror(directory=directory)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from error
        state = "new" if is_new else "unchanged"
        self.stdout.write(
            f"Wrote {directory} as of {export.as_of:%Y-%m-%d %H:%M:%S %Z}; "
            f"{ARCHIVE} ({state}): {export.size} bytes, SHA-256 {export.sha256}"
        )
