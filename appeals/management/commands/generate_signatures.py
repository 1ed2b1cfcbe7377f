"""Add many confirmed signatures to an appeal, fast: for scale tests and benchmarks."""

import csv
import io
import random
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from appeals.models import PRIVACY_NOTICE_VERSION, Appeal, Signature
from appeals.services.counting import recount_signatures

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
                "status": Signature.Status.CONFIRMED,
                "privacy_notice_version": PRIVACY_NOTICE_VERSION,
            }

    def _copy(self, rows):
        fields = [f for f in Signature._meta.concrete_fields if not f.primary_key]
        defaults = {field.attname: field.get_default() for field in fields}
        table = Signature._meta.db_table
        columns = ", ".join(field.column for field in fields)
        sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
        with connection.cursor() as cursor:
            buffer = io.StringIO()
            # Strings quoted, None not: in COPY's CSV only an unquoted empty is NULL.
            writer = csv.writer(buffer, quoting=csv.QUOTE_NOTNULL)
            for index, row in enumerate(rows, start=1):
                values = {**defaults, **row}
                writer.writerow(
                    [_copy_value(values[field.attname]) for field in fields]
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
            (Signature(**row) for row in rows),
            batch_size=2000,
        )


def _copy_value(value):
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
