"""Running test work on several threads at once, each with its own connection."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def run_in_threads(count, work, *, at_once=16):
    """Run work(0) .. work(count - 1) on `at_once` threads; return the results.

    Each thread has its own database connection, like a separate app worker; the
    first `at_once` calls start together at a barrier.
    """
    barrier = threading.Barrier(min(count, at_once))

    def runner(index):
        try:
            if index < at_once:
                barrier.wait()
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        return list(pool.map(runner, range(count)))
