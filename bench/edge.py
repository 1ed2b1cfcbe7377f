"""The benchmark's edge part: nginx as shipped in front of the app (issue #20).

    python bench/edge.py  # make bench-edge: a fresh site, BENCH_SIGNATURES (1,000,000)

Scenarios, each in slices alternating with its reference point's (bench/run.py):

  R0      nginx serving a static file: the appeal page's own bytes, from disk
  page    the appeal page through nginx (kept by nginx, refreshed every few seconds)
  sign    sign POSTs through nginx, against R2 (one ORM insert, straight to the app)

While the page runs, the app's CPU is measured (it should be near idle: nginx
answers), and a sampler checks the count's freshness through nginx: the stored
count is raised by one every half second (as the counter's fold does) while
count.json and the page are read through nginx; a value read is as old as the
time since the count first moved past it.
"""

import json
import os
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path

from nginx import Nginx
from run import (
    SHORT_DURATION,
    SLUG,
    Site,
    free_port,
    log,
    merged,
    paired,
    run_part,
    sign_env,
    wrk,
)

TARGETS = {
    "page_per_second": 10_000,
    "page_ratio": 0.25,  # × R0
    "page_p99_ms": 20,
    "count_age_s": 5,  # COUNT_FRESH_SECONDS
    "page_age_s": 10,  # PAGE_FRESH_SECONDS
}
R0_FILE = "static/bench-r0.html"
DURATION = int(os.environ.get("BENCH_SECONDS", 20))


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class FreshnessSampler:
    """Raise the stored count now and then; read it through nginx; keep the ages."""

    def __init__(self, site: Site, base: str):
        self.site, self.base = site, base
        self.moved_past: dict[int, float] = {}  # count -> when the truth passed it
        self.ages = {"count": [], "page": []}
        self.raised = 0
        self.stop = threading.Event()

    def __enter__(self):
        self.threads = [
            threading.Thread(target=self.raise_count),
            threading.Thread(target=self.read, args=("count",)),
            threading.Thread(target=self.read, args=("page",)),
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()
        # Put the count back: the rows are the truth, and the bench checks them.
        self.site.sql(
            "UPDATE appeals_appeal SET signature_count = signature_count - %s"
            " WHERE slug = %s",
            self.raised,
            SLUG,
        )

    def raise_count(self) -> None:
        while not self.stop.wait(0.5):
            before = self.site.sql(
                "UPDATE appeals_appeal SET signature_count = signature_count + 1"
                " WHERE slug = %s RETURNING signature_count - 1",
                SLUG,
            )[0][0]
            self.moved_past[before] = time.monotonic()
            self.raised += 1

    def read(self, what: str) -> None:
        path = {"count": f"/appeals/{SLUG}/count.json", "page": f"/en/appeals/{SLUG}/"}[
            what
        ]
        while not self.stop.wait(0.2):
            body = urllib.request.urlopen(f"{self.base}{path}", timeout=10).read()
            if what == "count":
                shown = json.loads(body)["signature_count"]
            else:
                shown = int(re.search(rb'<progress[^>]* value="(\d+)"', body)[1])
            passed = self.moved_past.get(shown)
            self.ages[what].append(0 if passed is None else time.monotonic() - passed)


def measure(site: Site) -> dict:
    """R0, the page and sign POSTs through nginx; app CPU; the count's freshness."""
    page = urllib.request.urlopen(f"{site.base}/en/appeals/{SLUG}/").read()
    (site.public_root / R0_FILE).write_bytes(page)
    nginx = Nginx(
        port=free_port(), app_port=site.port, root=site.public_root, workers=2
    )
    nginx.start()
    try:
        form = sign_env(site)
        app = [site.server.pid, *site.worker_pids()]
        app_cpu: list[float] = []

        def r0(seconds):
            return wrk(f"{nginx.base}/{R0_FILE}", seconds)

        def page_via_nginx(seconds):
            before, started = cpu_seconds(app), time.monotonic()
            result = wrk(f"{nginx.base}/en/appeals/{SLUG}/", seconds)
            app_cpu.append((cpu_seconds(app) - before) / (time.monotonic() - started))
            return result

        def r2(seconds):
            return wrk(f"{site.base}/bench/r2/", seconds, "post.lua")

        def sign_via_nginx(seconds):
            return wrk(nginx.base, seconds, "sign.lua", form)

        log("through nginx: R0, the appeal page, sign POSTs; the count's freshness")
        with FreshnessSampler(site, nginx.base) as sampler:
            page_pair = paired(r0, page_via_nginx, DURATION)
        sign_pair = paired(r2, sign_via_nginx, SHORT_DURATION)
        cache_statuses = re.findall(r" ([A-Z]+|-)$", nginx.access_log(), re.M)
    finally:
        nginx.stop()
    return {
        "R0": merged(page_pair[0]),
        "page": merged(page_pair[1]),
        "R2": merged(sign_pair[0]),
        "sign": merged(sign_pair[1]),
        "page_bytes": len(page),
        "app_cpu_share_of_a_core": max(app_cpu),
        "count_max_age_s": max(sampler.ages["count"], default=0),
        "page_max_age_s": max(sampler.ages["page"], default=0),
        "freshness_samples": {k: len(v) for k, v in sampler.ages.items()},
        "nginx_hits": cache_statuses.count("HIT"),
        "nginx_answers": len(cache_statuses),
    }


def verdicts(result: dict) -> dict:
    page = result["page"]
    page_ratio = page["requests_per_second"] / result["R0"]["requests_per_second"]
    checks = {
        "page via nginx >= 10,000 req/s": page["requests_per_second"]
        >= TARGETS["page_per_second"],
        "page via nginx >= 0.25 x R0": page_ratio >= TARGETS["page_ratio"],
        "page via nginx p99 < 20 ms": page["p99_ms"] < TARGETS["page_p99_ms"],
        "page via nginx: zero errors": page["errors"] + page["socket_errors"] == 0,
        "count.json via nginx never older than 5 s": result["count_max_age_s"]
        <= TARGETS["count_age_s"],
        "page via nginx never older than 10 s": result["page_max_age_s"]
        <= TARGETS["page_age_s"],
        "sign via nginx: zero 5xx/errors": result["sign"].get("bad", 0) == 0,
    }
    return {name: {"met": bool(met)} for name, met in checks.items()}


def sign_ratio(result: dict) -> float:
    return result["sign"]["requests_per_second"] / result["R2"]["requests_per_second"]


def report_lines(result: dict) -> list[str]:
    rows = [
        ("R0 nginx static file", result["R0"], ""),
        (
            "page via nginx",
            result["page"],
            "{:.2f} x R0".format(
                result["page"]["requests_per_second"]
                / result["R0"]["requests_per_second"]
            ),
        ),
        ("R2 one insert", result["R2"], ""),
        ("sign via nginx", result["sign"], f"{sign_ratio(result):.2f} x R2"),
    ]
    lines = ["", "through nginx (deploy/nginx/appealsite.conf):"]
    for name, row, shown_ratio in rows:
        errors = row["errors"] + row["socket_errors"] + row.get("bad", 0)
        lines.append(
            f"{name:<22} {row['requests_per_second']:>9.0f} {row['p50_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {errors:>7} {shown_ratio:>12}"
        )
    lines += [
        "app CPU while nginx served the page: {share:.0%} of one core (at most, "
        "per slice)".format(share=result["app_cpu_share_of_a_core"]),
        "oldest count read through nginx: count.json {:.1f} s, page {:.1f} s "
        "({count} and {page} reads while the count rose every 0.5 s)".format(
            result["count_max_age_s"],
            result["page_max_age_s"],
            **result["freshness_samples"],
        ),
        f"page: {result['page_bytes']:,} bytes; nginx's log: {result['nginx_hits']:,}"
        f" answers from its cache of {result['nginx_answers']:,}",
    ]
    return lines


def main() -> int:
    """`make bench-edge`: this part alone, on a fresh site of its own."""
    signatures = int(os.environ.get("BENCH_SIGNATURES", 1_000_000))
    return run_part("edge", sys.modules[__name__], signatures=signatures)


if __name__ == "__main__":
    sys.exit(main())
