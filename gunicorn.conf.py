"""gunicorn settings for production and the benchmark: gunicorn -c gunicorn.conf.py.

Everything can be set from the environment; the defaults suit a small server.
"""

import gc
import multiprocessing
import os

wsgi_app = "appealsite.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the app is CPU-bound (rendering), and every worker keeps its own
# persistent database connection. Two per core keeps both cores busy while some
# workers wait on PostgreSQL or Redis.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# Load the app once before forking: the workers share its memory.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Recycle workers now and then, so no slow leak can grow without bound; rarely,
# since a new worker's first requests are slower (see when_ready), and a low
# limit recycles every worker within a minute in a wave. Memory stays flat
# (make bench).
max_requests = 250_000
max_requests_jitter = 25_000
# Access log without the client's address (no IP is ever written anywhere), query
# strings or the tokens of emailed links: see appealsite.logs.
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1") == "1" else None
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "appealsite.logs.RedactingLogger"
errorlog = "-"


def trusted_proxies() -> str:
    """The peers whose X-Forwarded-* Django believes: none, or TRUSTED_PROXIES.

    Read from Django's settings, so gunicorn and Django agree on which requests
    came over HTTPS (see appealsite.middleware).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "appealsite.settings")
    from django.conf import settings

    if not settings.TRUSTED_PROXY_COUNT:
        return ""
    return ",".join(str(network) for network in settings.TRUSTED_PROXIES)


# Behind nginx: believe X-Forwarded-Proto only from the proxies Django trusts.
forwarded_allow_ips = trusted_proxies()


def when_ready(server):
    """Before the first worker is forked: prepare what every worker would."""
    from appeals.warmup import warm_up

    warm_up()


def pre_fork(server, worker):
    """Just before a worker is forked: hide the master's objects from the collector.

    A worker's full garbage collections would otherwise walk the whole loaded app
    (about 100,000 objects) and, by touching each one, copy every page of memory it
    shares with the master: 200 ms each on a small server, a latency spike in every
    worker a few seconds apart (make bench's page p99). Frozen, they are never
    walked; what a worker makes itself is collected as usual.
    """
    gc.freeze()
