"""Settings for appealsite, read from the environment (see .env.example)."""

import base64
import hashlib
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")


# --- Core --------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production (DJANGO_DEBUG off) needs a long "
            "random secret key, for example from: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'. For development, set DJANGO_DEBUG=1 "
            "(make run does)."
        )
    SECRET_KEY = "django-insecure-development-only-never-use-in-production"
# Old keys, newest first: links signed with them (confirmation, withdrawal) keep
# working while keys rotate. Remove a key once its links have expired.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

# The signature log's Ed25519 private key (README, "How to check our counts"):
# base64 of the 32 raw bytes. It signs the log's checkpoints, which anyone may
# keep: a new key starts a new signer, so keep it as safe as the database.
# Development derives one from SECRET_KEY.
SIGNATURE_LOG_KEY = env.str("SIGNATURE_LOG_KEY", default="")
if not SIGNATURE_LOG_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SIGNATURE_LOG_KEY is not set. Production (DJANGO_DEBUG off) needs the "
            "signature log's Ed25519 key: python manage.py signature_log_key "
            "--generate prints a new one (docs/deploy.md, 'The signature log key')."
        )
    SIGNATURE_LOG_KEY = base64.b64encode(
        hashlib.sha256(f"signature log:{SECRET_KEY}".encode()).digest()
    ).decode()
# Keys that signed checkpoints before this one, published with their validity so
# old checkpoints still verify: comma-separated <base64 public key>:<from>:<until>
# (dates as YYYY-MM-DD).
SIGNATURE_LOG_RETIRED_KEYS = env.list("SIGNATURE_LOG_RETIRED_KEYS", default=[])

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)

# The organization's name as shown in the header, titles and emails.
SITE_NAME = env.str("SITE_NAME", default="appealsite")

# The public base URL, used for absolute links in emails, feeds and share cards.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The site's onion service, if it has one (docs/deploy.md, "An onion service"):
# http://<56 letters and digits>.onion. Its host is served and trusted as an origin;
# clearnet pages name it in Onion-Location (appealsite.onion).
ONION_URL = env.str("ONION_URL", default="").rstrip("/")
if ONION_URL:
    # The whole value, not what urlsplit() makes of it: it drops tabs and line
    # breaks, and a query or fragment would end up in every onion link.
    if not re.fullmatch(r"https?://[a-z2-7]{56}\.onion", ONION_URL):
        raise ImproperlyConfigured(
            "ONION_URL must be http://<56 letters and digits>.onion, the address "
            "Tor wrote to HiddenServiceDir/hostname"
        )
    ALLOWED_HOSTS.append(urlsplit(ONION_URL).netloc)

# Where the daily jobs write the static copy of the site and its archive
# (appeals.mirror; docs/deploy.md, "A static mirror"); unset, none is written.
MIRROR_DIR = env.str("MIRROR_DIR", default="")

# Where the Django admin lives; a less guessable path keeps scanners off it.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")

INSTALLED_APPS = [
    "accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "appeals",
    "community",
]

MIDDLEWARE = [
    "appealsite.middleware.ForwardedHeadersMiddleware",
    "appealsite.onion.OnionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "appealsite.middleware.SharedCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "appealsite.languages.LanguageAddressMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "appealsite.middleware.FormEncodingMiddleware",
]

# `make bench` adds reference views that show the framework's ceiling.
BENCH_REFERENCE_VIEWS = env.bool("BENCH_REFERENCE_VIEWS", default=False)
if BENCH_REFERENCE_VIEWS:
    INSTALLED_APPS.append("bench.reference")

ROOT_URLCONF = "appealsite.urls"
WSGI_APPLICATION = "appealsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "appeals.context_processors.site",
            ],
        },
    },
]


# --- Database ----------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
# A connection per request cuts throughput four to eight times: keep them open,
# and check them before reuse so a restarted database is survived.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A stuck query ends with our 503 page instead of holding a worker forever.
    statement_timeout = env.int("DB_STATEMENT_TIMEOUT_MS", default=10_000)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        options=f"-c statement_timeout={statement_timeout}",
        # A database that stops answering (a network cut, a frozen host) is
        # noticed within seconds rather than the system's TCP time-out of minutes.
        connect_timeout=5,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=3,
        keepalives_count=3,
        tcp_user_timeout=15_000,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache -------------------------------------------------------------------

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://appealsite")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that stops answering fails a request in seconds, not minutes.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=2, socket_timeout=2
    )

# Anonymous readers get public pages rendered at most this many seconds ago
# (0 turns it off): our own copy, for a site with no cache in front of it.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=4)
# What a reader sees is never older than this, wherever it was kept: our copy,
# nginx or a CDN (s-maxage), the browser (max-age). Pages, with their count:
PAGE_FRESH_SECONDS = env.int("PAGE_FRESH_SECONDS", default=10)
# count.json, which pollers and widgets read:
COUNT_FRESH_SECONDS = env.int("COUNT_FRESH_SECONDS", default=5)
# While one request fetches a new copy, a cache may serve the old one this long
# (stale-while-revalidate); while the site cannot answer, this long
# (stale-if-error): readers still read the appeal during an outage.
HTTP_STALE_SECONDS = env.int("HTTP_STALE_SECONDS", default=30)
HTTP_STALE_IF_ERROR_SECONDS = env.int("HTTP_STALE_IF_ERROR_SECONDS", default=86400)


# --- Email -------------------------------------------------------------------


def mailer_from_url(url: str) -> dict:
    """Turn an EMAIL_URL such as smtp+tls://user:pass@host:587 into a MAILERS entry."""
    config = environ.Env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    if backend.endswith("filebased.EmailBackend"):
        return {"BACKEND": backend, "OPTIONS": {"file_path": str(DEV_EMAIL_DIR)}}
    if not backend.endswith("smtp.EmailBackend"):
        return {"BACKEND": backend}
    return {
        # Django's SMTP backend, writing our plain-text emails faster.
        "BACKEND": "appeals.mail.wire.SMTPBackend",
        "OPTIONS": {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"] or None,
            "password": config["EMAIL_HOST_PASSWORD"] or None,
            "use_tls": config.get("EMAIL_USE_TLS", False),
            "use_ssl": config.get("EMAIL_USE_SSL", False),
            "timeout": env.int("EMAIL_TIMEOUT", default=10),
        },
    }


# In development emails are kept as files in DEV_EMAIL_DIR, and read as a person
# reads them at /dev/emails/ (appealsite/devmail.py); production sets an SMTP URL.
DEV_EMAIL_DIR = env.path("DEV_EMAIL_DIR", default=BASE_DIR / "var" / "emails")
MAILERS = {
    "default": mailer_from_url(
        env.str("EMAIL_URL", default="filemail://" if DEBUG else "consolemail://")
    )
}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="appealsite <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The mailer (`manage.py send_due_emails --watch`; see appeals.mail). Connections
# it keeps open to the mail server, each sending in parallel.
MAIL_CONNECTIONS = env.int("MAIL_CONNECTIONS", default=4)
# At most this many emails a second per mailer process (0: no cap). Providers
# such as Amazon SES refuse mail above their per-second quota.
MAIL_MAX_PER_SECOND = env.float("MAIL_MAX_PER_SECOND", default=0)
# After a temporary failure an email waits this long, doubling each time (to 1 h).
MAIL_RETRY_SECONDS = env.int("MAIL_RETRY_SECONDS", default=60)
# An email that still fails this long after it was queued is given up on.
MAIL_GIVE_UP_HOURS = env.int("MAIL_GIVE_UP_HOURS", default=48)
# How long a mailer holds the emails it took; if it dies, others take them then.
MAIL_LEASE_SECONDS = env.int("MAIL_LEASE_SECONDS", default=120)
# The record of each email (kind, state, the server's answer; never the text of a
# sent one) is kept this many days once sent, and longer once failed.
MAIL_KEEP_DAYS = env.int("MAIL_KEEP_DAYS", default=7)
MAIL_KEEP_FAILED_DAYS = env.int("MAIL_KEEP_FAILED_DAYS", default=30)
# Signatures one task of an update's fan-out queues emails for (README, "Updates").
UPDATE_SLICE_SIZE = env.int("UPDATE_SLICE_SIZE", default=20_000)
# The share of its time a fan-out spends writing; it rests the rest, for signing.
UPDATE_FAN_OUT_SHARE = env.float("UPDATE_FAN_OUT_SHARE", default=0.5)


# --- Background tasks --------------------------------------------------------

# "immediate" runs tasks in the request (development, tests); "database" queues
# them for `python manage.py db_worker` (production), and the emails signatures owe
# are sent by the mailer (`manage.py send_due_emails --watch`): they then never wait
# for, or fail with, the mail server.
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate")
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, "
        f"not {TASKS_BACKEND!r}."
    )
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS[TASKS_BACKEND],
        # "counts" folds signature counts; it must never wait behind emails.
        "QUEUES": ["default", "counts"],
    }
}


# --- Authentication ----------------------------------------------------------

# The admin is the only place anyone logs in.
LOGIN_URL = "admin:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Staff need an authenticator app (TOTP) to reach the admin. On by default in
# production; set STAFF_2FA_REQUIRED=0 only for a closed test installation.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = SITE_NAME

# Failed staff logins (see accounts.lockout). A client that gets one login wrong
# this many times is locked out of it for the cool-off; others are not, and the
# owner still gets in with password and authenticator code.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# Failures on one login from all clients together, per minute, past which it takes
# only password with authenticator code: a guesser on many addresses gets no more.
LOGIN_FAILURES_PER_MINUTE = env.int("LOGIN_FAILURES_PER_MINUTE", default=10)
# Failures from one client over all logins, per cool-off, past which it may not try
# again until the cool-off ends: one password sprayed over many logins.
LOGIN_CLIENT_FAILURE_LIMIT = env.int("LOGIN_CLIENT_FAILURE_LIMIT", default=20)

# A staff session ends after this long without a request, and this long after
# login however busy: a laptop left open or a stolen cookie is not a way in for
# the two weeks Django allows. Logging in again takes a minute; losing the admin
# to someone else costs signers' safety.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=60 * 60)
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=12 * 60 * 60)
# The cookie and the stored session go no further (only staff have sessions).
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_SECONDS

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# --- Abuse protection --------------------------------------------------------

# Past these, a submission is quarantined silently for moderators, never refused:
# (how many, per how many seconds), counted per appeal.
SIGNING_RATE_LIMITS = {
    "ip_burst": (10, 60),
    "ip_sustained": (60, 60 * 60),
    "email_domain": (200, 60 * 60),
    # Emails one mailbox may get per appeal and day, however its address is
    # written (tags, dots): see antispam.mailbox().
    "mailbox": (3, 24 * 60 * 60),
    # Submissions one client may send with one form time (one page shown). Per
    # client: one cached page's form time is shared by every reader of that copy.
    "form_time": (10, 2 * 60 * 60),
}
# Mail providers that millions share: never limited as a domain.
COMMON_EMAIL_DOMAINS = env.list(
    "COMMON_EMAIL_DOMAINS",
    default=[
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "ukr.net",
        "i.ua",
        "meta.ua",
        "mail.ru",
        "yandex.ru",
        "yandex.kz",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "rambler.ru",
        "tutanota.com",
        "posteo.de",
        "riseup.net",
    ],
)
# Retention (see `manage.py purge_expired`, run daily): unconfirmed signatures are
# deleted after this many days; signer data on an appeal is erased this many days
# after it closed; IP fingerprints and their daily keys are dropped after a week.
UNCONFIRMED_RETENTION_DAYS = env.int("UNCONFIRMED_RETENTION_DAYS", default=7)
SIGNER_DATA_RETENTION_DAYS = env.int("SIGNER_DATA_RETENTION_DAYS", default=365)
IP_HASH_RETENTION_DAYS = 7
# High-risk appeals (see appeals.services.highrisk): the key of their signers'
# address codes is destroyed, with every code and address left, this many days
# after signing stops; their signer data is erased this many days after it stops.
HIGH_RISK_KEY_GRACE_DAYS = env.int("HIGH_RISK_KEY_GRACE_DAYS", default=30)
HIGH_RISK_SIGNER_DATA_RETENTION_DAYS = env.int(
    "HIGH_RISK_SIGNER_DATA_RETENTION_DAYS", default=30
)

# Editors who get an email for every typo report (comma-separated; none: off).
TYPO_REPORT_EMAILS = env.list("TYPO_REPORT_EMAILS", default=[])

# A form sent back sooner than this after it was shown was not filled by a person.
FORM_MIN_FILL_SECONDS = 3
# A form sent back later than this after it was shown is suspect: a form time
# harvested once and replayed by a script.
FORM_MAX_AGE_SECONDS = env.int("FORM_MAX_AGE_SECONDS", default=2 * 60 * 60)


# --- Languages and time ------------------------------------------------------

# Languages an appeal may be written in, and the only ones the interface may
# speak. To add one: its name here, its table locale/<code>_translations.py,
# `make messages`, and `manage.py check` to see that its catalogue is complete
# (README "Languages").
APPEAL_LANGUAGES = [
    ("en", _("English")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("kk", _("Kazakh")),
]
# Languages of the interface, in the switcher's order; the first is the default,
# for readers whose browser asks for none of them. An appeal's language versions
# are independent of these. Each needs a complete catalogue (appeals.checks).
# Written as people write lists ("en, uk"): the spaces are no part of a code.
INTERFACE_LANGUAGES = [
    code.strip()
    for code in env.list("INTERFACE_LANGUAGES", default=["en", "uk", "ru", "kk"])
    if code.strip()
]
_known_languages = dict(APPEAL_LANGUAGES)
if unknown := [code for code in INTERFACE_LANGUAGES if code not in _known_languages]:
    raise ImproperlyConfigured(
        f"INTERFACE_LANGUAGES names {', '.join(unknown)}, which this site has no "
        f"translation for. Choose from {', '.join(_known_languages)} (README "
        f'"Languages" says how to add another).'
    )
if not INTERFACE_LANGUAGES or len(set(INTERFACE_LANGUAGES)) < len(INTERFACE_LANGUAGES):
    raise ImproperlyConfigured(
        "INTERFACE_LANGUAGES must name at least one language, each once, "
        "for example: en,uk,ru,kk"
    )
if "LANGUAGE_CODE" in env.ENVIRON:
    raise ImproperlyConfigured(
        "LANGUAGE_CODE is no longer read: the default language is the first of "
        f"INTERFACE_LANGUAGES. Set INTERFACE_LANGUAGES={env.str('LANGUAGE_CODE')},... "
        "and remove LANGUAGE_CODE."
    )
LANGUAGES = [(code, _known_languages[code]) for code in INTERFACE_LANGUAGES]
LANGUAGE_CODE = INTERFACE_LANGUAGES[0]
# Ours first (`make messages` writes there); then the names of countries where
# django-countries has none (Kazakh: scripts/country_names.py).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "countries"]
# Dates and numbers for languages Django has no formats for (Kazakh).
FORMAT_MODULE_PATH = ["appealsite.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True


# --- Static and uploaded files -----------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# A file missing from the manifest is served under its plain name rather than
# turning a page (even the error pages) into a 500.
WHITENOISE_MANIFEST_STRICT = False

# --- Forms -------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


# --- Security headers --------------------------------------------------------

# Public forms are small; anything bigger is refused with a 400 before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Every asset is served from our own origin: no inline script or style, no CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Other origins whose pages may post our forms (appealsite.crosssite), e.g. a mirror.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if ONION_URL:
    CSRF_TRUSTED_ORIGINS.append(ONION_URL)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    if SESSION_COOKIE_SECURE:
        # A browser takes a `__Host-` cookie only over HTTPS, for the whole site
        # and from this host alone: a subdomain cannot plant or shadow it. That
        # needs Secure, Path=/ and no Domain (Django's defaults; accounts.E001
        # checks them).
        SESSION_COOKIE_NAME = "__Host-sessionid"
        CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)

# How many reverse proxies in front of us may be trusted to set X-Forwarded-*
# headers; 0 means clients talk to the app directly and those headers are ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Where those proxies connect from (comma-separated addresses or networks): their
# X-Forwarded-* headers are believed only from these peers (appealsite.middleware,
# antispam.client_ip, gunicorn's forwarded_allow_ips), so a client that reaches
# the app directly can claim neither another address nor HTTPS.
try:
    TRUSTED_PROXIES = [
        ipaddress.ip_network(proxy, strict=False)
        for proxy in env.list("TRUSTED_PROXIES", default=["127.0.0.0/8", "::1"])
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# --- Logging -----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "appealsite.logs.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own loggers print through the root's handler alone: Django gives
    # them a console handler of theirs too, and every line came out twice.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
