"""Add many confirmed signatures to an appeal, fast: for scale tests and benchmarks."""

import csv
import io
import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from appeals.counting import recount_signatures
from appeals.models import PRIVACY_NOTICE_VERSION, Appeal, Signature

FIRST_NAMES = ["Olena", "Ivan", "Aigerim", "Tomasz", "Marta", "Daniel", "Nino", "Sofia"]
LAST_NAMES = ["Marchuk", "Petrenko", "Sadykova", "Nowak", "Kovacs", "Brooks", "Beridze"]
CITIES = ["Kyiv", "Lviv", "Almaty", "Krakow", "Tbilisi", "Leeds", "Uppsala", ""]
COUNTRIES = ["UA", "KZ", "PL", "GE", "GB", "SE", "DE", "HU"]
BATCH = 50_000


class Command(BaseCommand):
    help = (
        "Add COUNT confirmed signatures with generated names to an appeal (PostgreSQL "
        "COPY, bulk inserts elsewhere), then recount. Never run it on a live site."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The appeal to sign.")
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, slug, count, seed, **options):
        try:
            appeal = Appeal.objects.get(slug=slug)
        except Appeal.DoesNotExist as error:
            raise CommandError(f"No appeal with the slug {slug!r}.") from error
        start = Signature.objects.filter(appeal=appeal).count()
        rows = self._rows(appeal, start, count, random.Random(seed))
        with transaction.atomic():
            if connection.vendor == "postgresql":
                self._copy(rows)
            else:
                self._bulk_create(appeal, rows)
        recount_signatures(appeals=[appeal])
        appeal.refresh_from_db()
        self.stdout.write(
            f"{appeal.slug}: added {count} signatures, "
            f"count now {appeal.signature_count}"
        )

    def _rows(self, appeal, start, count, rng):
        now = timezone.now()
        for number in range(start, start + count):
            email = f"generated-{number}@example.invalid"
            signed_at = now - timedelta(seconds=count - (number - start))
            yield {
                "appeal_id": appeal.pk,
                "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "email": email,
                "email_normalized": email,
                "country": rng.choice(COUNTRIES),
                "city": rng.choice(CITIES),
                "visibility": "counted" if number % 10 == 0 else "public",
                "created_at": signed_at,
                "confirmed_at": signed_at,
            }

    def _copy(self, rows):
        columns = [
            "appeal_id",
            "full_name",
            "email",
            "email_normalized",
            "country",
            "city",
            "affiliation",
            "comment",
            "comment_status",
            "visibility",
            "has_newsletter_consent",
            "status",
            "language",
            "privacy_notice_version",
            "created_at",
            "confirmed_at",
            "emails_sent_count",
        ]
        table = Signature._meta.db_table
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with connection.cursor() as cursor:
            buffer = io.StringIO()
            # Quote every field: in COPY's CSV an unquoted empty field means NULL.
            writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
            for index, row in enumerate(rows, start=1):
                writer.writerow(
                    [
                        row["appeal_id"],
                        row["full_name"],
                        row["email"],
                        row["email_normalized"],
                        row["country"],
                        row["city"],
                        "",
                        "",
                        "pending",
                        row["visibility"],
                        "f",
                        "confirmed",
                        "en",
                        PRIVACY_NOTICE_VERSION,
                        row["created_at"].isoformat(),
                        row["confirmed_at"].isoformat(),
                        0,
                    ]
                )
                if index % BATCH == 0:
                    self._flush(cursor, sql, buffer)
                    buffer.seek(0)
                    buffer.truncate()
            self._flush(cursor, sql, buffer)

    @staticmethod
    def _flush(cursor, sql, buffer):
        buffer.seek(0)
        cursor.cursor.copy_expert(sql, buffer)

    def _bulk_create(self, appeal, rows):
        Signature.objects.bulk_create(
            (Signature(status=Signature.Status.CONFIRMED, **row) for row in rows),
            batch_size=2000,
        )
