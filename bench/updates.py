"""An update to a million signers: part of `make bench`, and `make bench-updates`.

    fan-out   every confirmed signature of the demo appeal asks for updates; an
              update is sent through the real service, and the real mailer
              (`send_due_emails --watch`) queues its emails, slice after slice.
              Its senders are off (MAIL_CONNECTIONS=0): sending runs at the drain
              rate of bench/mail.py, measured there. Timed from the send until
              every email is queued; the mailer's peak resident memory is read
              from /proc.
    signing   sign POSTs (wrk, as in the sign scenario) in 5 s slices before the
              fan-out, during it and after it: the rate during it against the
              mean of the others.

The check: one queued email per opted-in signature, none twice.

    python bench/updates.py    # a fresh site with BENCH_SIGNATURES (1,000,000)
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from run import BASE_DIR, PYTHON, SLUG, Site, log, run_part, sign_env, wrk

SLICE_SECONDS = 5
TIMEOUT = 600
TARGETS = {"fan_out_seconds": 60, "rss_mb": 150, "sign_ratio": 0.8}

SEND = f"""
from appeals.models import Appeal, Update
from appeals.services import updates
appeal = Appeal.objects.get(slug={SLUG!r})
update = Update.objects.create(appeal=appeal, title="Delivered", body="Today.")
updates.send_update(update=update, user=None)
print(update.pk)
"""


class Mailer:
    """The mailer without senders, for the length of a `with` block."""

    def __init__(self, site: Site):
        self.site = site
        self.process = None
        self.peak_rss_mb = 0.0

    def __enter__(self) -> "Mailer":
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "send_due_emails", "--watch"],
            cwd=BASE_DIR,
            env={**self.site.env, "MAIL_CONNECTIONS": "0"},
            start_new_session=True,
        )
        return self

    def watch_memory(self) -> None:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024
        self.peak_rss_mb = max(self.peak_rss_mb, peak)

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def sign_slices(site: Site, form: dict, until) -> list[float]:
    """Sign POSTs a second in 5 s slices, until `until()` says stop."""
    rates = []
    while not until():
        rates.append(
            wrk(site.base, SLICE_SECONDS, "sign.lua", form)["requests_per_second"]
        )
    return rates


def measure(site: Site) -> dict:
    """Opt every signature of the demo appeal in, then send it an update."""
    opted_in = site.sql(
        "WITH opted AS (UPDATE appeals_signature SET wants_updates = true"
        " WHERE status = 'confirmed' AND email <> '' RETURNING 1)"
        " SELECT count(*) FROM opted"
    )[0][0]
    site.sql("VACUUM ANALYZE appeals_signature")
    form = sign_env(site)
    log(f"updates: {opted_in:,} signers opted in; sign rate before the fan-out")
    with Mailer(site) as mailer:
        before = sign_slices(site, form, _after(2))
        started = time.monotonic()
        update_id = int(site.manage("shell", "-c", SEND).split()[-1])

        def queued() -> bool:
            mailer.watch_memory()
            state = site.sql(
                "SELECT state FROM appeals_update WHERE id = %s", update_id
            )[0][0]
            return state == "sent" or time.monotonic() - started > TIMEOUT

        during = sign_slices(site, form, queued)
        while not queued():
            time.sleep(0.2)
        seconds = time.monotonic() - started
        after = sign_slices(site, form, _after(2))
    emails, distinct = site.sql(
        "SELECT count(*), count(DISTINCT signature_id) FROM appeals_outgoingemail"
        " WHERE update_id = %s",
        update_id,
    )[0]
    without = before + after
    # The last slice ran past the fan-out's end: only whole slices inside it count.
    inside = during[:-1] or during
    return {
        "opted_in": opted_in,
        "fan_out_seconds": round(seconds, 1),
        "emails_queued": emails,
        "distinct_signatures": distinct,
        "mailer_peak_rss_mb": round(mailer.peak_rss_mb, 1),
        "sign_without": [round(rate) for rate in without],
        "sign_during": [round(rate) for rate in inside],
        "sign_ratio": round(
            (sum(inside) / len(inside)) / (sum(without) / len(without)), 2
        ),
    }


def _after(slices: int):
    done = iter(range(slices + 1))
    return lambda: next(done) >= slices


def verdicts(result: dict) -> dict:
    return {
        "fan-out of every opted-in signer <= 60 s": {
            "met": result["fan_out_seconds"] <= TARGETS["fan_out_seconds"]
        },
        "one email per opted-in signer, none twice": {
            "met": result["emails_queued"]
            == result["distinct_signatures"]
            == result["opted_in"]
        },
        "mailer RSS < 150 MB during the fan-out": {
            "met": result["mailer_peak_rss_mb"] < TARGETS["rss_mb"]
        },
        "sign POST rate during the fan-out >= 0.8 x without": {
            "met": result["sign_ratio"] >= TARGETS["sign_ratio"]
        },
    }


def report_lines(result: dict) -> list[str]:
    return [
        f"updates: {result['opted_in']:,} opted-in signers; fan-out "
        f"{result['fan_out_seconds']} s, {result['emails_queued']:,} emails queued "
        f"({result['distinct_signatures']:,} signatures); mailer peak "
        f"{result['mailer_peak_rss_mb']} MB",
        f"sign POST/s without the fan-out {result['sign_without']}, during it "
        f"{result['sign_during']}: {result['sign_ratio']} x",
    ]


def main() -> int:
    """`make bench-updates`: this part alone, on a fresh site of its own."""
    signatures = int(os.environ.get("BENCH_SIGNATURES", 1_000_000))
    return run_part("updates", sys.modules[__name__], signatures=signatures)


if __name__ == "__main__":
    sys.exit(main())
