"""Drill: nginx as shipped in front of gunicorn, and gunicorn killed.

Starts the app (PostgreSQL, Redis, gunicorn in production mode) behind nginx with
deploy/nginx/appealsite.conf, and checks what readers and signers get:

1. Pages are kept by nginx (a second reader gets its copy), are the same bytes
   for everyone, carry no cookie; staff always reach the app.
2. A new signature shows in count.json within COUNT_FRESH_SECONDS and on the page
   within PAGE_FRESH_SECONDS (after the count folded).
3. gunicorn SIGKILLed: the appeal page, its JSON and the home page still answer
   200 from nginx's copy, past their freshness; a sign POST and a page never kept
   get the maintenance page (503, in the address's language, else the default
   one) at once, never a hang or a 502.
4. gunicorn back: fresh pages (a count changed while it was down) within
   PAGE_FRESH_SECONDS.
"""

import gzip
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nginx import Nginx  # noqa: E402
from bench.run import SLUG, Site, free_port, log  # noqa: E402

PAGE_FRESH_SECONDS = 10  # appealsite/settings.py defaults, which the site runs with.
COUNT_FRESH_SECONDS = 5
SLACK_SECONDS = 1.5  # Whole seconds in headers, and the polling interval.
APPEAL = f"/en/appeals/{SLUG}/"
KEPT = [APPEAL, f"/appeals/{SLUG}.json", f"/appeals/{SLUG}/count.json", "/en/"]


class Answer:
    def __init__(self, status: int, headers, body: bytes, seconds: float):
        self.status, self.headers, self.seconds = status, headers, seconds
        encoded = headers.get("Content-Encoding") == "gzip"
        self.body = gzip.decompress(body) if encoded else body

    @property
    def cache(self) -> str:
        return self.headers.get("X-Cache", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(base: str, path: str, *, data=None, headers=None, timeout=15) -> Answer:
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers or {})
    started = time.monotonic()
    try:
        with OPENER.open(request, timeout=timeout) as response:
            status, head, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, head, body = error.code, error.headers, error.read()
    return Answer(status, head, body, time.monotonic() - started)


def page_count(answer: Answer) -> int:
    return int(re.search(rb'<progress[^>]* value="(\d+)"', answer.body)[1])


def json_count(answer: Answer) -> int:
    return json.loads(answer.body)["signature_count"]


def seconds_until(read, expected: int, limit: float, since: float) -> float | None:
    """Seconds from since until read() gives expected, or None if not within limit."""
    while time.monotonic() - since <= limit:
        if read() == expected:
            return time.monotonic() - since
        time.sleep(0.25)
    return None


def sign(base: str, language: str, email: str, rendered_at: str) -> Answer:
    body = urllib.parse.urlencode(
        {
            "full_name": "Edge Drill",
            "email": email,
            "country": "UA",
            "visibility": "public",
            "rendered_at": rendered_at,
            "homepage": "",
        }
    ).encode()
    return fetch(
        base,
        f"/{language}/appeals/{SLUG}/sign/",
        data=body,
        headers={"Sec-Fetch-Site": "same-origin", "X-Forwarded-For": "203.0.113.9"},
    )


def keep_reading(base: str, stop: threading.Event) -> None:
    while not stop.wait(0.2):
        for path in KEPT:
            fetch(base, path)


def kill(site: Site) -> None:
    """SIGKILL gunicorn and its workers: no goodbye, as after an OOM kill."""
    os.killpg(site.server.pid, signal.SIGKILL)
    site.server.wait(timeout=10)
    site.server = None


def main() -> int:
    site = Site()
    nginx = None
    failures: list[str] = []

    def check(ok: bool, message: str) -> None:
        log(("ok: " if ok else "FAILED: ") + message)
        if not ok:
            failures.append(message)

    def shown_within(what: str, read, expected: int, limit: int, since: float):
        seconds = seconds_until(read, expected, limit + SLACK_SECONDS, since)
        shown = "not at all" if seconds is None else f"{seconds:.1f} s"
        check(seconds is not None, f"{what} within {limit} s ({shown})")

    try:
        site.create()
        site.start()
        nginx = Nginx(port=free_port(), app_port=site.port, root=site.public_root)
        nginx.start()
        base = nginx.base
        log(f"nginx on {nginx.port} in front of gunicorn on {site.port}")

        # 1. Kept by nginx, the same for everyone, staff passing through.
        for path in KEPT:
            first = fetch(base, path)
            second = fetch(base, path, headers={"Cookie": "csrftoken=x; theme=dark"})
            check(
                first.status == second.status == 200 and second.cache == "HIT",
                f"{path}: kept ({first.status} {first.cache}, then {second.cache})",
            )
            check(first.body == second.body, f"{path}: the same bytes for two readers")
            check("Set-Cookie" not in second.headers, f"{path}: no cookie")
        zipped = fetch(base, APPEAL, headers={"Accept-Encoding": "gzip, deflate, br"})
        check(
            zipped.headers.get("Content-Encoding") == "gzip",
            "the page goes compressed to a browser that accepts it",
        )
        # nginx cannot tell a real session from a made-up one: it sends both on,
        # and the app, which can, gives a made-up one the public page (a staff
        # member's own view, kept by nobody: tests/test_attack_pagecache.py).
        anonymous = fetch(base, APPEAL)
        made_up = fetch(base, APPEAL, headers={"Cookie": "sessionid=someone"})
        check(made_up.cache == "BYPASS", f"a session reaches the app ({made_up.cache})")
        check(
            made_up.body == anonymous.body and "Set-Cookie" not in made_up.headers,
            "a made-up session gets the public page, and no cookie",
        )

        # 2. Fresh counts through nginx.
        rendered_at = re.search(
            rb'name="rendered_at" value="([^"]+)"', fetch(base, APPEAL).body
        )[1].decode()
        time.sleep(3.5)  # People take longer than the form's minimum fill time.
        before = json_count(fetch(base, f"/appeals/{SLUG}/count.json"))
        signed = sign(base, "en", "edge-1@example.org", rendered_at)
        check(signed.status == 302, f"a sign POST through nginx ({signed.status})")
        # Readers keep nginx's copies fresh while the count changes, so what is
        # measured next is how long a fresh copy takes to show it.
        reading = threading.Event()
        readers = threading.Thread(target=keep_reading, args=(base, reading))
        readers.start()
        try:
            site.confirm_and_fold("edge-")
        finally:
            reading.set()
            readers.join()
        folded = time.monotonic()
        shown_within(
            "count.json shows the new signature",
            lambda: json_count(fetch(base, f"/appeals/{SLUG}/count.json")),
            before + 1,
            COUNT_FRESH_SECONDS,
            folded,
        )
        shown_within(
            "the page shows it",
            lambda: page_count(fetch(base, APPEAL)),
            before + 1,
            PAGE_FRESH_SECONDS,
            folded,
        )
        for path in KEPT:
            fetch(base, path)  # Every kept page fresh in nginx before the app dies.

        # 3. gunicorn killed.
        kill(site)
        log("gunicorn SIGKILLed")
        time.sleep(PAGE_FRESH_SECONDS + 1)  # Every copy past its freshness.
        for path in KEPT:
            answer = fetch(base, path)
            check(
                answer.status == 200 and answer.cache == "STALE",
                f"{path} while the app is down: {answer.status} {answer.cache}",
            )
        for language, words in (
            ("en", b"Back in a moment"),
            ("uk", "Скоро".encode()),
            ("kk", "ораламыз".encode()),
            ("xx", b"Back in a moment"),  # Not offered: the default language's page.
        ):
            answer = sign(base, language, "edge-2@example.org", rendered_at)
            check(
                answer.status == 503 and words in answer.body and answer.seconds < 3,
                f"a sign POST ({language}) while the app is down: {answer.status}"
                f" in {answer.seconds:.2f} s",
            )
            check(
                answer.headers.get("Retry-After") == "60"
                and "no-store" in answer.headers.get("Cache-Control", ""),
                "the maintenance page says when to retry and is kept by nobody",
            )
        never_kept = fetch(base, "/en/privacy/")
        check(
            never_kept.status == 503 and b"Back in a moment" in never_kept.body,
            f"a page nginx never kept, while the app is down: {never_kept.status}",
        )

        # 4. Back: a count changed meanwhile shows within the page's freshness.
        site.manage("generate_signatures", SLUG, "3")
        site.start()
        started = time.monotonic()
        log("gunicorn started again")
        shown_within(
            "fresh pages after the app is back",
            lambda: page_count(fetch(base, APPEAL)),
            before + 4,
            PAGE_FRESH_SECONDS,
            started,
        )
        log_text = nginx.access_log()
        check("203.0.113.9" not in log_text, "nginx's log holds no client address")
    finally:
        if nginx is not None:
            errors = nginx.errors()
            nginx.stop()
            if failures and errors:
                log(f"nginx's error log:\n{errors[-3000:]}")
        site.drop()
    if failures:
        log(f"edge cache drill FAILED: {len(failures)} check(s)")
        return 1
    log("edge cache drill passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
