"""See scripts/backup_restore_check: dump, restore into a scratch database, compare."""

import os
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

import psycopg2

SIGNATURE_DIGEST = """
    SELECT md5(coalesce(string_agg(
        concat_ws('|', id, appeal_id, email_normalized, status, country, created_at),
        ',' ORDER BY id), ''))
    FROM appeals_signature
"""


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def snapshot(url: str) -> dict:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        cursor.execute(SIGNATURE_DIGEST)
        return {"rows": counts, "signature_digest": cursor.fetchone()[0]}


def main() -> int:
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith("postgres"):
        sys.exit("Set DATABASE_URL to the PostgreSQL database to check.")
    scratch_name = f"{urlsplit(source).path.strip('/')}_restore_check"
    scratch = with_database(source, scratch_name)
    admin = psycopg2.connect(with_database(source, "postgres"))
    admin.autocommit = True
    with tempfile.TemporaryDirectory() as folder:
        dump = f"{folder}/backup.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={dump}", source], check=True
        )
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch_name}"')
            cursor.execute(f'CREATE DATABASE "{scratch_name}"')
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", f"--dbname={scratch}", dump], check=True
            )
            before, after = snapshot(source), snapshot(scratch)
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch_name}"')
    total = sum(before["rows"].values())
    sys.stdout.write(
        f"{len(before['rows'])} tables, {total} rows; signatures digest "
        f"{before['signature_digest']}\n"
    )
    if before != after:
        for table in sorted(set(before["rows"]) | set(after["rows"])):
            if before["rows"].get(table) != after["rows"].get(table):
                sys.stdout.write(
                    f"  {table}: {before['rows'].get(table)} before, "
                    f"{after['rows'].get(table)} restored\n"
                )
        sys.stdout.write("RESTORE CHECK FAILED\n")
        return 1
    sys.stdout.write("restore check passed: the restored copy is identical\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
