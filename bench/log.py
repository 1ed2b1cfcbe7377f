"""`make bench-log`: the signature log's proofs at a million entries.

Makes a fresh PostgreSQL database, gives one appeal a log of BENCH_LOG_ENTRIES
(1,000,000) entries, appended in batches by the code production runs
(appeals.services.signature_log), signs a checkpoint, then asks the proof and
consistency views (through Django's test client, no network) for random
positions and sizes, and prints p50/p99 and the append rate; writes
bench/results/<time>-log.json. Each proof is also verified, so a fast wrong
answer cannot pass.
"""

import base64
import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
ENTRIES = int(os.environ.get("BENCH_LOG_ENTRIES", "1000000"))
REQUESTS = int(os.environ.get("BENCH_LOG_REQUESTS", "2000"))
DATABASE = f"appealsite_bench_log_{int(time.time())}"


def log(message: str) -> None:
    sys.stdout.write(f"{message}\n")
    sys.stdout.flush()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    postgres_admin(f'CREATE DATABASE "{DATABASE}"')
    os.environ.update(
        DATABASE_URL=f"{POSTGRES}/{DATABASE}",
        DJANGO_DEBUG="0",  # Production settings: no query log, no debug pages.
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SIGNATURE_LOG_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        DJANGO_ALLOWED_HOSTS="localhost",
        DJANGO_SSL_REDIRECT="0",
        STAFF_2FA_REQUIRED="0",
        DJANGO_SETTINGS_MODULE="appealsite.settings",
    )
    sys.path.insert(0, str(BASE_DIR))
    try:
        run()
    finally:
        from django.db import connections

        connections.close_all()
        postgres_admin(f'DROP DATABASE IF EXISTS "{DATABASE}"')


def postgres_admin(statement: str) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{POSTGRES}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(statement)
    admin.close()


def run() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from appeals import merkle
    from appeals.models import Appeal, LogEntry
    from appeals.services import signature_log

    call_command("migrate", verbosity=0)
    appeal = Appeal.objects.create(
        title="Bench", slug="bench", addressee="x", summary="x", body="x",
        status=Appeal.Status.PUBLISHED, published_at=timezone.now(),
    )  # fmt: skip
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    batch = signature_log.APPEND_BATCH_SIZE
    log(f"Appending {ENTRIES:,} entries in batches of {batch:,}")
    started = time.perf_counter()
    # The entries confirmations would have written, made by PostgreSQL itself
    # (random salts and commitments); then appended by the production code.
    table = LogEntry._meta.db_table
    for start in range(0, ENTRIES, 100_000):  # Each within the statement timeout.
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (appeal_id, kind, salt, digest, hour) '
                "SELECT %s, 'added', decode(md5(random()::text), 'hex'), "
                "md5(random()::text) || md5(random()::text), %s "
                "FROM generate_series(1, %s)",
                [appeal.pk, hour, min(100_000, ENTRIES - start)],
            )
    log(f"  {ENTRIES:,} entries written in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    signature_log.append_pending()
    append_seconds = time.perf_counter() - started
    log(f"  {ENTRIES / append_seconds:,.0f} entries/s appended")
    checkpoint = signature_log.make_checkpoint(appeal=appeal)
    size, root = checkpoint.tree_size, bytes(checkpoint.root_hash)

    client = Client(HTTP_HOST="localhost")
    proof_ms, consistency_ms = [], []
    for _ in range(REQUESTS):
        index = random.randrange(size)
        began = time.perf_counter()
        answer = client.get("/appeals/bench/log/proof", {"index": index, "size": size})
        proof_ms.append((time.perf_counter() - began) * 1000)
        data = answer.json()
        assert merkle.verify_inclusion(
            index=index,
            size=size,
            leaf=merkle.leaf_hash(data["entry"].encode()),
            proof=[bytes.fromhex(value) for value in data["proof"]],
            root=root,
        ), index
        old = random.randrange(1, size)
        began = time.perf_counter()
        answer = client.get("/appeals/bench/log/consistency", {"from": old, "to": size})
        consistency_ms.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200
    service_ms = []
    for _ in range(REQUESTS):
        index = random.randrange(size)
        began = time.perf_counter()
        signature_log.inclusion_proof(appeal.pk, index=index, size=size)
        service_ms.append((time.perf_counter() - began) * 1000)
    results = {
        "entries": size,
        "append_entries_per_second": round(ENTRIES / append_seconds),
        "proof_p50_ms": round(statistics.median(proof_ms), 2),
        "proof_p99_ms": round(percentile(proof_ms, 0.99), 2),
        "consistency_p50_ms": round(statistics.median(consistency_ms), 2),
        "consistency_p99_ms": round(percentile(consistency_ms, 0.99), 2),
        "proof_service_p50_ms": round(statistics.median(service_ms), 2),
        "proof_service_p99_ms": round(percentile(service_ms, 0.99), 2),
        "requests": REQUESTS,
    }
    for name, value in results.items():
        log(f"  {name:28} {value}")
    out = BASE_DIR / "bench" / "results" / f"{time.strftime('%Y%m%d-%H%M%S')}-log.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"Wrote {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
