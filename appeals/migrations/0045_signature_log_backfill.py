"""Add every signature counted before the log existed to its appeal's log.

The entries wait for their positions like new ones: the next fold appends them
(or `manage.py checkpoint_logs`), oldest confirmation first.
"""

import hashlib
import secrets

from django.db import migrations

BATCH_SIZE = 5000


def add_counted_signatures(apps, schema_editor):
    Signature = apps.get_model("appeals", "Signature")
    LogEntry = apps.get_model("appeals", "LogEntry")
    counted = (
        Signature.objects.filter(status="confirmed")
        .order_by("confirmed_at", "pk")
        .values_list("pk", "appeal_id", "confirmed_at", "created_at")
    )
    batch = []
    for pk, appeal_id, confirmed_at, created_at in counted.iterator(BATCH_SIZE):
        salt = secrets.token_bytes(16)
        named = f"{appeal_id}\n{pk}\n".encode()
        batch.append(
            LogEntry(
                appeal_id=appeal_id,
                kind="added",
                signature_id=pk,
                salt=salt,
                digest=hashlib.sha256(
                    b"appealsite-receipt/1\n" + named + salt
                ).hexdigest(),
                hour=(confirmed_at or created_at).replace(
                    minute=0, second=0, microsecond=0
                ),
            )
        )
        if len(batch) == BATCH_SIZE:
            LogEntry.objects.bulk_create(batch)
            batch.clear()
    LogEntry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("appeals", "0044_signature_log")]

    operations = [
        migrations.RunPython(add_counted_signatures, migrations.RunPython.noop),
    ]
