"""`make bench`: a production-like run of appealsite under load, on this machine.

Sets up a fresh PostgreSQL database with one million confirmed signatures on the demo
appeal, serves it with gunicorn (DJANGO_DEBUG=0, the production config, Redis as the
cache), loads it with wrk at 32 connections, and prints and saves (bench/results/)
a table of throughput, latency, errors, memory and sizes, with each scenario's ratio
to a reference point measured in the same run, in slices that alternate with the
scenario's (this shared machine's speed drifts from minute to minute):

  R1  a minimal Django view returning a prebuilt response as large as the appeal page
  R2  a minimal Django view doing one ORM insert into a table with a unique constraint

After the run it checks the database: every successful sign POST left exactly one
row, no address signed twice, and the shown count equals the confirmed rows once the
counter has folded.

To show where a signature's cost goes, the same sign POSTs also go to a view that
stops early (F1: the form checked, then the redirect), and py-spy samples every
worker during a sign run of its own (sampling takes CPU from the workers, so never
during a measured one): a summary is printed, the collapsed stacks are kept in
bench/results/sign-profile.txt (for a flame graph).

Then, on the same site, the mailer (bench/mail.py): owed emails drained to a local
SMTP sink beside R3 (smtplib alone, same sink, same run), and a wave of sign POSTs
at a constant rate timed from each POST to its email at the sink. Last, an update
to every signer (bench/updates.py): its fan-out timed, sign POSTs measured during it.
"""

import base64
import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import psycopg2

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = str(BASE_DIR / ".venv/bin/python")
SLUG = "let-journalists-into-stavrin"
CONNECTIONS = 32
DURATION = int(os.environ.get("BENCH_SECONDS", 20))
SHORT_DURATION = int(os.environ.get("BENCH_SHORT_SECONDS", 10))
SIGNATURES = int(os.environ.get("BENCH_SIGNATURES", 1_000_000))
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
RESULTS_DIR = BASE_DIR / "bench/results"

TARGETS = {
    "page_ratio": 0.6,
    "page_p99_ms": 100,
    "count_ratio": 0.8,
    "sign_ratio": 0.5,
    "sign_per_second": 200,
    "last_page_p99_ms": 100,
    "worker_rss_mb": 150,
    "page_weight_kb": 25,
}


def log(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """The app under test: its database, environment and gunicorn."""

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = f"appealsite_bench_{int(time.time())}"
        # What nginx serves itself: static/ (STATIC_ROOT) and maintenance/.
        self.public_root = Path(tempfile.mkdtemp(prefix="appealsite-public-"))
        self.public_root.chmod(0o755)  # nginx's workers read it.
        self.static_root = str(self.public_root / "static")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "SIGNATURE_LOG_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "SITE_URL": self.base,
            "DATABASE_URL": f"{POSTGRES}/{self.database}",
            "CACHE_URL": REDIS,
            "EMAIL_URL": "dummymail://",
            "TASKS_BACKEND": "database",
            "TRUSTED_PROXY_COUNT": "1",
            "STATIC_ROOT": self.static_root,
            "BENCH_REFERENCE_VIEWS": "1",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESS_LOG": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.server = None

    def second_server(self) -> "Site":
        """Another app server on its own port, sharing this one's database and cache."""
        other = Site.__new__(Site)
        other.__dict__.update(self.__dict__)
        other.port = free_port()
        other.base = f"http://127.0.0.1:{other.port}"
        other.env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{other.port}"}
        other.server = None
        return other

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def confirm_and_fold(self, email_prefix: str, *, limit: int | None = None) -> None:
        """Confirm signatures through the real service, then fold the count changes."""
        self.manage(
            "shell",
            "-c",
            "from appeals.models import Signature\n"
            "from appeals.services import confirm_signature\n"
            f"signatures = Signature.objects.filter(email_normalized__startswith="
            f"{email_prefix!r}).order_by('pk')[:{limit}]\n"
            "for s in signatures: confirm_signature(signature=s)",
        )
        time.sleep(6)  # The fold task waits out the counter's window (5 s).
        self.manage(
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "--queue-name",
            "counts",
        )

    def sql(self, query: str, *params):
        connection = psycopg2.connect(f"{POSTGRES}/{self.database}")
        connection.autocommit = True  # VACUUM cannot run in a transaction.
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def create(self) -> None:
        admin = psycopg2.connect(f"{POSTGRES}/postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.database}"')
        admin.close()
        subprocess.run(
            ["redis-cli", "-u", REDIS, "FLUSHDB"], check=True, capture_output=True
        )
        self.manage("migrate", "--no-input", "-v0")
        self.manage("load_demo")
        self.manage("collectstatic", "--no-input", "-v0")
        self.manage("maintenance_pages", str(self.public_root / "maintenance"))

    def add_signatures(self, count: int) -> None:
        started = time.monotonic()
        self.manage("generate_signatures", SLUG, str(count))
        self.sql("VACUUM ANALYZE appeals_signature")
        log(f"added {count:,} signatures in {time.monotonic() - started:.0f} s")

    def start(self) -> None:
        self.server = subprocess.Popen(
            [str(BASE_DIR / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=BASE_DIR,
            env=self.env,
            start_new_session=True,
        )
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{self.base}/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_memory_mb(self) -> dict[str, float]:
        """Current and peak resident memory of the largest worker, in MB."""
        current, peak = [], []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            current.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
            peak.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
        return {"rss_mb": max(current), "peak_rss_mb": max(peak)}

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)
        self.server = None

    def drop(self) -> None:
        self.stop()
        shutil.rmtree(self.public_root, ignore_errors=True)
        for attempt in range(30):
            try:
                admin = psycopg2.connect(f"{POSTGRES}/postgres")
                break
            except psycopg2.OperationalError:
                if attempt == 29:
                    raise
                time.sleep(2)  # PostgreSQL restarting: the database must still go.
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        admin.close()


def wrk(url: str, seconds: int, script: str | None = None, env=None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(BASE_DIR / "bench" / script)]
    output = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    ).stdout
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result = {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": latency_ms(output, "50%"),
        "p99_ms": latency_ms(output, "99%"),
        "errors": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }
    for key, value in re.findall(r"^BENCH_(\w+) (\d+)$", output, re.MULTILINE):
        result[key.lower()] = int(value)
    return result


def latency_ms(output: str, percentile: str) -> float:
    value, unit = re.search(
        rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M
    ).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


# Each scenario is measured in slices that alternate with its reference point's.
SLICES = 4


def paired(reference, scenario, seconds: int = DURATION) -> tuple[list, list]:
    """Measure a scenario and its reference point in alternating slices.

    This machine's speed drifts by up to ±20 % from one minute to the next (a
    shared VM): measured a minute apart, a ratio showed that drift as much as the
    app. Alternating slices of a few seconds measure both under the same
    conditions. Return the reference's slices and the scenario's.
    """
    references, scenarios = [], []
    for _ in range(SLICES):
        references.append(reference(seconds // SLICES))
        scenarios.append(scenario(seconds // SLICES))
    return references, scenarios


def merged(slices: list[dict]) -> dict:
    """One result from slices of equal length: mean rate, worst p99, summed counts."""
    result = {
        "requests_per_second": statistics.mean(
            part["requests_per_second"] for part in slices
        ),
        "p50_ms": statistics.median(part["p50_ms"] for part in slices),
        "p99_ms": max(part["p99_ms"] for part in slices),
        "slices_requests_per_second": [part["requests_per_second"] for part in slices],
    }
    for key in {key for part in slices for key in part} - result.keys():
        result[key] = sum(part.get(key, 0) for part in slices)
    return result


def summarized(pairs: dict[str, tuple[list, list]]) -> tuple[dict, dict]:
    """Return each scenario merged over its slices, and its reference point's rate.

    `pairs` maps a scenario's name to what paired() returned for it.
    """
    return (
        {name: merged(slices) for name, (_reference, slices) in pairs.items()},
        {
            name: merged(reference)["requests_per_second"]
            for name, (reference, _slices) in pairs.items()
        },
    )


# Frames worth naming in the profile summary: ours and Django's request machinery.
PROFILE_FRAMES = re.compile(
    r"^(sign|signable_appeal|_record|_insert_or_existing|_owe_email|"
    r"rate_limit_reasons|hash_ip|BaseForm\.is_valid|insert_row|"
    r"SignatureForm\.__init__|CsrfViewMiddleware\.process_view|"
    r"redirect|WSGIHandler\.__call__) "
)


class Profiler:
    """py-spy on every worker while a measurement runs (on-CPU time only).

    Stacks from several measurements add up; save() keeps them in bench/results/
    for a flame graph and returns a summary.
    """

    def __init__(self, site: Site):
        self.site = site
        self.stacks: list[str] = []

    def around(self, measure, seconds: int):
        py_spy = shutil.which("py-spy") or str(BASE_DIR / ".venv/bin/py-spy")
        stacks_dir = Path(tempfile.mkdtemp(prefix="appealsite-profile-"))
        spies = [
            subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(seconds),
                    "--rate",
                    "100",
                    "--gil",
                    "--format",
                    "raw",
                    "--output",
                    str(stacks_dir / f"{pid}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in self.site.worker_pids()
        ]
        result = measure()
        for spy in spies:
            spy.wait(timeout=60)
        self.stacks += [path.read_text() for path in stacks_dir.glob("*.txt")]
        shutil.rmtree(stacks_dir)
        return result

    def save(self) -> list[tuple[str, float]]:
        stacks = "".join(self.stacks)
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "sign-profile.txt").write_text(stacks)
        return profile_summary(stacks)


def profile_summary(stacks: str) -> list[tuple[str, float]]:
    """Share of on-CPU samples spent in (below) each frame of interest."""
    total, inclusive = 0, {}
    for line in stacks.splitlines():
        frames, _, count = line.rpartition(" ")
        total += int(count)
        seen = set()
        for frame in frames.split(";"):
            # "function (path/file.py:line)" -> "function (file.py)"
            name = re.sub(r"\(.*?([^/]+\.py):\d+\)", r"(\1)", frame)
            if PROFILE_FRAMES.match(name) and name not in seen:
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])
    return [(name, round(100 * count / total, 1)) for name, count in ranked if total]


def sign_env(site: Site) -> dict:
    """What a browser holds after opening the appeal page: the form's signed time.

    The page is the same for every reader (no cookie, no token): the browser's
    `Sec-Fetch-Site: same-origin` header is what lets its POST through.
    """
    request = urllib.request.Request(
        f"{site.base}/en/appeals/{SLUG}/", headers={"X-Forwarded-For": "192.0.2.1"}
    )
    with urllib.request.urlopen(request) as response:
        html = response.read().decode()
    time.sleep(4)  # A person takes longer than the form's minimum fill time.
    return {
        "BENCH_RENDERED_AT": re.search(r'name="rendered_at" value="([^"]+)"', html)[1],
        "BENCH_PATH": f"/en/appeals/{SLUG}/sign/",
    }


def page_weight(site: Site) -> dict:
    """Compressed size of the appeal page and everything it loads; other origins."""
    url = f"{site.base}/en/appeals/{SLUG}/"
    html = urllib.request.urlopen(url).read()
    assets = re.findall(rb'(?:href|src)="([^"]+\.(?:css|js))"', html)
    other_origins = [
        ref.decode()
        for ref in re.findall(
            rb'<(?:script|link|img|iframe)[^>]+(?:src|href)="([^"]+)"', html
        )
        if urlsplit(ref.decode()).netloc not in ("", f"127.0.0.1:{site.port}")
    ]
    total = len(gzip.compress(html))
    for asset in assets:
        total += len(
            gzip.compress(urllib.request.urlopen(urljoin(url, asset.decode())).read())
        )
    return {
        "html_bytes": len(html),
        "compressed_kb": round(total / 1024, 1),
        "other_origin_requests": other_origins,
    }


EXPORT_TIMING = """
import json, time
from appeals import exports
from appeals.models import Appeal
appeal = Appeal.objects.get(slug=%r)
document = "<html>" + exports.NAMES_PLACEHOLDER + exports.DIGEST_PLACEHOLDER
runs = {
    "delivery_csv": lambda: exports.csv_bytes(exports.delivery_rows(appeal)),
    "delivery_document": lambda: exports.delivery_document(appeal, document),
    "emails_csv": lambda: exports.csv_bytes(exports.email_rows(appeal)),
}
seconds = {}
for name, parts in runs.items():
    started = time.perf_counter()
    for _part in parts():
        pass
    seconds[name] = round(time.perf_counter() - started, 1)
print(json.dumps(seconds))
"""


def time_exports(site: Site) -> dict:
    """Seconds to produce each staff export of the appeal, in one process."""
    return json.loads(site.manage("shell", "-c", EXPORT_TIMING % SLUG).splitlines()[-1])


def check_database(site: Site, sign_runs: list[dict]) -> dict:
    signed_ok = sum(run.get("ok", 0) for run in sign_runs)
    inserted = site.sql(
        "SELECT count(*) FROM appeals_signature WHERE email_normalized LIKE 'bench-%%'"
    )[0][0]
    duplicates = site.sql(
        "SELECT count(*) FROM (SELECT appeal_id, email_normalized"
        " FROM appeals_signature WHERE email_normalized <> ''"
        " GROUP BY 1, 2 HAVING count(*) > 1) AS d"
    )[0][0]
    # Confirm some of the new signatures through the real service; the counter must
    # show them once its worker has folded the changes.
    site.confirm_and_fold("bench-", limit=500)
    time.sleep(5)  # Let the page cache expire (PAGE_CACHE_SECONDS=4).
    shown = json.loads(
        urllib.request.urlopen(f"{site.base}/appeals/{SLUG}/count.json").read()
    )["signature_count"]
    rows = site.sql(
        "SELECT count(*) FROM appeals_signature s JOIN appeals_appeal a"
        " ON a.id = s.appeal_id WHERE a.slug = %s AND s.status = 'confirmed'",
        SLUG,
    )[0][0]
    return {
        "successful_posts": signed_ok,
        "rows_inserted": inserted,
        "duplicates": duplicates,
        "shown_count": shown,
        "confirmed_rows": rows,
        # wrk stops with requests in flight: their rows exist, their answers were
        # not counted. Rows may exceed answers by at most the open connections of
        # each run.
        "lost": max(0, signed_ok - inserted),
        "unanswered_at_stop": max(0, inserted - signed_ok),
        "in_flight_allowed": len(sign_runs) * CONNECTIONS,
    }


def main() -> int:
    for tool in ("wrk", "redis-cli"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install wrk redis-tools")
    site = Site()
    log(f"database {site.database}, gunicorn on port {site.port}")
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "started_at": datetime.now(UTC).isoformat(),
        "connections": CONNECTIONS,
        "duration_seconds": DURATION,
    }
    page_size = 0
    form: dict = {}

    def r1(seconds):
        return wrk(f"{site.base}/bench/r1/{page_size}/", seconds)

    def r2(seconds):
        return wrk(f"{site.base}/bench/r2/", seconds, "post.lua")

    def page(seconds):
        return wrk(f"{site.base}/en/appeals/{SLUG}/", seconds)

    def sign(seconds, path=f"/en/appeals/{SLUG}/sign/"):
        return wrk(site.base, seconds, "sign.lua", {**form, "BENCH_PATH": path})

    try:
        site.create()
        site.add_signatures(1_000)
        site.start()
        log("1,000 signatures: appeal page and sign POST, with their reference points")
        page_size = page_weight(site)["html_bytes"]
        form = sign_env(site)
        small_pairs = {
            "page": paired(r1, page, SHORT_DURATION),
            "sign": paired(r2, sign, SHORT_DURATION),
        }
        small, small_references = summarized(small_pairs)
        site.stop()
        site.add_signatures(SIGNATURES - 1_000)
        site.start()
        weight = page_weight(site)
        page_size = weight["html_bytes"]
        log(f"{SIGNATURES:,} signatures: reference points and scenarios")
        form = sign_env(site)
        profiler = Profiler(site)

        pairs = {
            "page": paired(r1, page),
            "count_json": paired(
                r1, lambda s: wrk(f"{site.base}/appeals/{SLUG}/count.json", s)
            ),
            "sign": paired(r2, sign),
            "last_page": paired(
                r1,
                lambda s: wrk(f"{site.base}/en/appeals/{SLUG}/signatures/?oldest=1", s),
            ),
        }
        # Where a signature's cost goes: the same POSTs to a view that stops early.
        floor_pairs = {
            "F1": paired(
                r2, lambda s: sign(s, f"/bench/f1/{SLUG}/sign/"), SHORT_DURATION
            )
        }
        # Profiled on its own: py-spy's sampling takes CPU from the workers.
        profiled_sign = profiler.around(lambda: sign(SHORT_DURATION), SHORT_DURATION)
        measured, references = summarized(pairs)
        floors, floor_references = summarized(floor_pairs)
        references.update(floor_references)
        r1_slices = [
            part
            for name in ("page", "count_json", "last_page")
            for part in pairs[name][0]
        ]
        scenarios = {
            "R1": merged(r1_slices),
            "R2": merged(pairs["sign"][0]),
            **measured,
        }
        memory = site.worker_memory_mb()
        sign_runs = [*small_pairs["sign"][1], *pairs["sign"][1], profiled_sign]
        database = check_database(site, sign_runs)
        import edge  # Not at the top: bench/edge.py imports this module.

        edge_results = edge.measure(site)
        scenarios["sign"]["profile"] = profiler.save()
        export_seconds = time_exports(site)
        size = site.sql("SELECT pg_size_pretty(pg_database_size(current_database()))")
        import mail  # Not at the top: bench/mail.py imports this module.
        import updates  # Nor this one: bench/updates.py imports it too.

        mail_results = mail.measure(site)
        update_results = updates.measure(site)  # Last: it opts every signer in.
        results.update(
            small=small,
            small_references=small_references,
            scenarios=scenarios,
            references=references,
            floors=floors,
            export_seconds=export_seconds,
            page_weight=weight,
            worker_memory=memory,
            database=database,
            database_size=size[0][0],
            signatures=SIGNATURES,
            edge=edge_results,
            mail=mail_results,
            updates=update_results,
        )
    finally:
        site.drop()
    results["verdicts"] = verdicts(results)
    report(results)
    out = RESULTS_DIR / f"{results['started_at'][:19].replace(':', '')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    log(f"saved {out.relative_to(BASE_DIR)}")
    return 0 if all(v["met"] for v in results["verdicts"].values()) else 1


def ratio(results: dict, name: str) -> float:
    """A scenario's rate over its reference point's, measured in the same slices."""
    row = results["scenarios"].get(name) or results["floors"][name]
    return row["requests_per_second"] / results["references"][name]


def verdicts(results: dict) -> dict:
    s = results["scenarios"]
    db = results["database"]
    checks = {
        "page >= 0.6 x R1": ratio(results, "page") >= TARGETS["page_ratio"],
        "page p99 < 100 ms": s["page"]["p99_ms"] < TARGETS["page_p99_ms"],
        "page: zero errors": s["page"]["errors"] + s["page"]["socket_errors"] == 0,
        "count.json >= 0.8 x R1": ratio(results, "count_json")
        >= TARGETS["count_ratio"],
        "sign >= 0.5 x R2": ratio(results, "sign") >= TARGETS["sign_ratio"],
        "sign >= 200/s": s["sign"]["requests_per_second"] >= TARGETS["sign_per_second"],
        "sign: zero 5xx/errors": s["sign"].get("bad", 0) == 0,
        "sign: zero lost": db["lost"] == 0
        and db["unanswered_at_stop"] <= db["in_flight_allowed"],
        "sign: zero duplicated": db["duplicates"] == 0,
        "count shown == rows": db["shown_count"] == db["confirmed_rows"],
        "last page p99 < 100 ms": s["last_page"]["p99_ms"]
        < TARGETS["last_page_p99_ms"],
        "worker RSS < 150 MB": results["worker_memory"]["peak_rss_mb"]
        < TARGETS["worker_rss_mb"],
        "page weight <= 25 KB": results["page_weight"]["compressed_kb"]
        <= TARGETS["page_weight_kb"],
        "no other origins": not results["page_weight"]["other_origin_requests"],
        # Not an issue target: exports must finish within gunicorn's timeout.
        "staff exports < 30 s": max(results["export_seconds"].values()) < 30,
    }
    if "mail" in results:
        import edge  # Not at the top: these modules import this one.
        import mail
        import updates

        return {
            **{name: {"met": bool(met)} for name, met in checks.items()},
            **edge.verdicts(results["edge"]),
            **mail.verdicts(results["mail"]),
            **updates.verdicts(results["updates"]),
        }
    return {name: {"met": bool(met)} for name, met in checks.items()}


def growth(results: dict, name: str) -> tuple[float, float, float, float]:
    """A scenario's ratio and rate at 1,000 signatures and at the full count."""
    small = results["small"][name]["requests_per_second"]
    return (
        small / results["small_references"][name],
        ratio(results, name),
        small,
        results["scenarios"][name]["requests_per_second"],
    )


def report(results: dict) -> None:
    s = results["scenarios"]
    reference_name = {"page": "R1", "count_json": "R1", "last_page": "R1", "sign": "R2"}
    lines = [
        f"appealsite benchmark: {results['machine']['cpus']} CPUs, "
        f"{results['signatures']:,} signatures, {CONNECTIONS} connections, "
        f"{DURATION} s per scenario in {SLICES} slices that alternate with its "
        "reference point's (ratios compare the same moments)",
        "",
        f"{'scenario':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'ratio':>12}",
    ]
    for name, row in s.items():
        shown_ratio = ""
        if name in reference_name:
            shown_ratio = f"{ratio(results, name):.2f} x {reference_name[name]}"
        errors = row["errors"] + row["socket_errors"] + row.get("bad", 0)
        lines.append(
            f"{name:<12} {row['requests_per_second']:>9.0f} {row['p50_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {errors:>7} {shown_ratio:>12}"
        )
    lines += [
        "",
        "where a signature's cost goes (same POSTs, a view that stops early):",
        f"F1   {results['floors']['F1']['requests_per_second']:>9.0f} req/s "
        f"{ratio(results, 'F1'):>5.2f} x R2  form checked, then redirect",
    ]
    lines += ["", "sign POST, share of on-CPU samples (py-spy, all workers):"]
    lines += [f"  {share:>5.1f}%  {name}" for name, share in s["sign"]["profile"]]
    lines += [
        "",
        "cost growth (1,000 -> {:,} signatures, each to its reference point at the "
        "same moments): page {:.2f} -> {:.2f} x R1 ({:.0f} -> {:.0f} req/s), "
        "sign {:.2f} -> {:.2f} x R2 ({:.0f} -> {:.0f} req/s)".format(
            results["signatures"],
            *growth(results, "page"),
            *growth(results, "sign"),
        ),
        "worker memory: {rss_mb:.0f} MB now, {peak_rss_mb:.0f} MB peak".format(
            **results["worker_memory"]
        ),
        f"database size: {results['database_size']}",
        "staff exports of the appeal (s): "
        + ", ".join(f"{k} {v}" for k, v in results["export_seconds"].items()),
        "page weight: {compressed_kb} KB compressed (HTML, CSS, JS); other origins: "
        "{}".format(
            results["page_weight"]["other_origin_requests"] or "none",
            **results["page_weight"],
        ),
        "database check: {successful_posts} successful sign POSTs, {rows_inserted} "
        "rows, {duplicates} duplicates, {lost} lost; count shown {shown_count} = "
        "confirmed rows {confirmed_rows}".format(**results["database"]),
    ]
    if "mail" in results:
        import edge  # Not at the top: these modules import this one.
        import mail

        lines += edge.report_lines(results["edge"])
        lines += mail.report_lines(results["mail"])
        import updates

        lines += updates.report_lines(results["updates"])
    lines.append("")
    for name, verdict in results["verdicts"].items():
        lines.append(f"  [{'ok' if verdict['met'] else 'MISSED'}] {name}")
    sys.stdout.write("\n".join(lines) + "\n")


def run_part(part: str, module, *, signatures: int) -> int:
    """Run one part of the benchmark on a fresh site of its own (`make bench-<part>`).

    `module` gives measure(site), verdicts(result) and report_lines(result).
    """
    if not shutil.which("redis-cli"):
        raise SystemExit("redis-cli is needed: apt-get install redis-tools")
    site = Site()
    log(f"database {site.database}, gunicorn on port {site.port}")
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "started_at": datetime.now(UTC).isoformat(),
        "signatures": signatures,
    }
    try:
        site.create()
        site.add_signatures(signatures)
        site.start()
        results[part] = module.measure(site)
    finally:
        site.drop()
    results["verdicts"] = module.verdicts(results[part])
    lines = [
        f"appealsite {part} benchmark: {results['machine']['cpus']} CPUs, "
        f"{signatures:,} signatures",
        *module.report_lines(results[part]),
        "",
    ]
    for name, verdict in results["verdicts"].items():
        lines.append(f"  [{'ok' if verdict['met'] else 'MISSED'}] {name}")
    sys.stdout.write("\n".join(lines) + "\n")
    out = RESULTS_DIR / f"{results['started_at'][:19].replace(':', '')}-{part}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    log(f"saved {out.relative_to(BASE_DIR)}")
    return 0 if all(v["met"] for v in results["verdicts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
