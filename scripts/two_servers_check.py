"""Show that app servers share everything that must be shared.

Starts two gunicorn servers on different ports against one PostgreSQL database and
one Redis, signs through both at once, confirms, lets the worker fold the counts,
and checks that both servers show the exact count; then sends one reader's burst
alternately to both servers and checks that the rate limit counted it as one once
the mailer has screened the new signatures.
"""

import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import SLUG, Site, log  # noqa: E402

SIGNERS = 120
BURST_LIMIT = 10  # SIGNING_RATE_LIMITS["ip_burst"]: 10 a minute per client.


class Browser:
    """One reader: the sign form's signed time, and a browser's Fetch Metadata."""

    def __init__(self, server: Site, address: str):
        self.server, self.address = server, address
        request = urllib.request.Request(
            f"{server.base}/en/appeals/{SLUG}/", headers={"X-Forwarded-For": address}
        )
        with urllib.request.urlopen(request) as response:
            html = response.read().decode()
            if response.headers.get("Set-Cookie"):
                raise AssertionError("the public page set a cookie")
        self.rendered_at = re.search(r'name="rendered_at" value="([^"]+)"', html)[1]

    def sign(self, server: Site, email: str) -> int:
        body = urllib.parse.urlencode(
            {
                "full_name": "Two Servers",
                "email": email,
                "country": "UA",
                "visibility": "public",
                "rendered_at": self.rendered_at,
                "homepage": "",
            }
        ).encode()
        request = urllib.request.Request(
            f"{server.base}/en/appeals/{SLUG}/sign/",
            data=body,
            headers={
                "Sec-Fetch-Site": "same-origin",
                "X-Forwarded-For": self.address,
            },
        )
        opener = urllib.request.build_opener(NoRedirect)
        try:
            return opener.open(request).status
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> int:
    first = Site()
    second = first.second_server()
    servers = [first, second]
    failures = []
    try:
        first.create()
        for server in servers:
            server.start()
        log(f"servers on ports {first.port} and {second.port}")

        browsers = [
            Browser(servers[n % 2], f"10.9.{n // 250}.{n % 250 + 1}")
            for n in range(SIGNERS)
        ]
        time.sleep(3.5)  # People take longer than the form's minimum fill time.
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(
                pool.map(
                    lambda n: browsers[n].sign(servers[n % 2], f"two-{n}@example.org"),
                    range(SIGNERS),
                )
            )
        if statuses != [302] * SIGNERS:
            failures.append(f"sign answers: {sorted(set(statuses))}")
        first.confirm_and_fold("two-")
        time.sleep(2)
        rows = first.sql(
            "SELECT count(*) FROM appeals_signature WHERE status = 'confirmed'"
        )[0][0]
        for server in servers:
            shown = json.loads(
                urllib.request.urlopen(
                    f"{server.base}/appeals/{SLUG}/count.json"
                ).read()
            )["signature_count"]
            log(f"port {server.port}: count {shown}, confirmed rows {rows}")
            if shown != rows:
                failures.append(f"port {server.port} shows {shown}, rows say {rows}")

        # One reader, alternating servers: the limit must count them together.
        burster = Browser(first, "198.51.100.99")
        time.sleep(3.5)
        for n in range(BURST_LIMIT + 2):
            burster.sign(servers[n % 2], f"burst-{n}@example.org")
        first.manage("send_due_emails")  # The mailer's pass counts them.
        quarantined = first.sql(
            "SELECT count(*) FROM appeals_signature"
            " WHERE email_normalized LIKE 'burst-%%' AND status = 'quarantined'"
        )[0][0]
        log(
            f"burst of {BURST_LIMIT + 2} across both servers: {quarantined} quarantined"
        )
        if quarantined != 2:
            failures.append(f"shared rate limit: {quarantined} quarantined, expected 2")
    finally:
        second.stop()
        first.drop()
    for failure in failures:
        log(f"FAILED: {failure}")
    if not failures:
        log("two-server check passed: counts exact and rate limits shared")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
