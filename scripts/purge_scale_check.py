"""See scripts/purge_scale_check: retention over a million signatures, in slices."""

import os
import subprocess
import sys
import time

import psycopg2

SERVER = os.environ.get("PURGE_CHECK_POSTGRES", "postgres://postgres@127.0.0.1:5432")
SIGNATURES = int(os.environ.get("PURGE_CHECK_SIGNATURES", 1_000_000))
SLUG = "let-journalists-into-stavrin"


def main() -> int:
    database = f"appealsite_purge_check_{os.getpid()}"
    url = f"{SERVER}/{database}"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": url,
        "DB_STATEMENT_TIMEOUT_MS": "10000",  # The production default.
    }

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def sql(query: str):
        connection = psycopg2.connect(url)
        connection.autocommit = True  # VACUUM cannot run in a transaction.
        try:
            with connection.cursor() as cursor:
                cursor.execute(query)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    admin = psycopg2.connect(f"{SERVER}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{database}"')
    try:
        manage("migrate", "--no-input", "-v0")
        manage("load_demo")
        manage("generate_signatures", SLUG, str(SIGNATURES))
        # Half of them unconfirmed for a month, the other half on an appeal closed
        # two years ago: everything but the demo's own rows is due for purging.
        sql(
            "UPDATE appeals_signature SET status = 'pending', emails_sent_on = NULL,"
            " created_at = now() - interval '30 days' WHERE id % 2 = 0"
        )
        sql(
            "UPDATE appeals_appeal SET status = 'closed',"
            " closed_at = now() - interval '2 years'"
        )
        sql("VACUUM ANALYZE appeals_signature")
        started = time.monotonic()
        output = manage("purge_expired")
        seconds = time.monotonic() - started
        left = sql(
            "SELECT count(*) FROM appeals_signature WHERE status = 'pending'"
            " OR email_normalized <> ''"
        )[0][0]
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
    sys.stdout.write(
        f"{output.strip()}\n"
        f"purge_expired over {SIGNATURES:,} signatures: {seconds:.0f} s\n"
    )
    if left:
        sys.stdout.write(f"FAIL: {left} signatures still hold what should be gone\n")
        return 1
    sys.stdout.write("purge check passed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
