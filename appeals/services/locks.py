"""One lock per job across every process that shares the database."""

from django.db import connection


def hold_transaction_lock(lock_id: int) -> None:
    """Wait for, then hold, the job's lock until this transaction ends.

    A PostgreSQL advisory lock; elsewhere (SQLite in development) nothing is needed:
    one writer at a time is all SQLite allows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
