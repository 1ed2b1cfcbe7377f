"""Spam waves without third parties: form traps, rate limits and IP fingerprints.

Nothing here refuses a request: whatever trips becomes a reason to quarantine the
submission silently, for a moderator to release or reject. A bot learns nothing,
and a person on Tor or a shared connection is delayed, not locked out.
"""

import functools
import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from datetime import UTC

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from publicsuffixlist import PublicSuffixList

from appeals import localcache, sharedcache
from appeals.models import Appeal, IPHashKey
from appealsite.onion import TOR_CIRCUITS

# --- Where a request comes from ----------------------------------------------


def client_ip(request) -> str:
    """Return the client's address: REMOTE_ADDR, or what trusted proxies saw.

    Each proxy appends the address it got the request from to X-Forwarded-For. So,
    read from the right, an entry is believed only while whoever wrote it is a
    trusted proxy (TRUSTED_PROXIES): first the peer, then each address just read;
    and for at most TRUSTED_PROXY_COUNT entries. What a client wrote itself is never
    reached: one that connects to the app directly gets its own address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    address = _address(remote)
    if not from_trusted_proxy(request):
        return remote if address is None else str(address)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for _hop in range(settings.TRUSTED_PROXY_COUNT):
        written = _address(forwarded.pop()) if forwarded else None
        if written is None:  # No entry, or not an address: the proxy's own request.
            break
        address = written
        if not _is_trusted_proxy(address):
            break
    return remote if address is None else str(address)


def from_trusted_proxy(request) -> bool:
    """Whether a trusted proxy sent the request: its X-Forwarded-* may be believed.

    A peer with no address reached us through a Unix socket, which only local
    processes can open (gunicorn trusts those too).
    """
    if not settings.TRUSTED_PROXY_COUNT:
        return False
    remote = request.META.get("REMOTE_ADDR", "")
    if not remote:
        return True
    address = _address(remote)
    return address is not None and _is_trusted_proxy(address)


def _is_trusted_proxy(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address written in text, or None; an IPv4 one as IPv4 however written.

    A listener on both IPv4 and IPv6 sees IPv4 clients as ::ffff:a.b.c.d.
    """
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def hash_ip(address: str) -> str:
    """Return a keyed hash of an address, with the current UTC day's key.

    IPv6 addresses are reduced to their /64 network (what one household gets),
    except a Tor circuit's, as our onion service's nginx forwards it (appealsite.onion).
    Hashes made on one day can be compared for about a week; once the day's key is
    purged, nobody can tell which address a hash came from. Days are UTC days, as
    in the purge (appeals.services.retention), whatever the site's time zone.
    """
    ip = _address(address)
    if ip is None:
        return ""
    if ip.version == 6 and ip not in TOR_CIRCUITS:  # Each Tor circuit is a client.
        ip = ipaddress.IPv6Network((ip, 64), strict=False).network_address
    key = _key_for(timezone.now().astimezone(UTC).date())
    return hmac.new(key.encode(), ip.packed, hashlib.sha256).hexdigest()[:32]


def _key_for(day) -> str:
    cache_key = f"appeals:ip-key:{day.isoformat()}"
    return localcache.get_or_set(
        cache_key,
        localcache.FINGERPRINT_KEY_SECONDS,
        lambda: _shared_key(day, cache_key),
    )


def _shared_key(day, cache_key: str) -> str:
    key = cache.get(cache_key)
    if key is None:
        try:
            with transaction.atomic():
                key = IPHashKey.objects.get_or_create(
                    day=day, defaults={"key": secrets.token_hex(32)}
                )[0].key
        except IntegrityError:  # Another process made today's key first.
            key = IPHashKey.objects.get(day=day).key
        cache.set(cache_key, key, 3600)
    return key


# --- Rate limits -------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def within_limit(limit: Limit, *scope) -> bool:
    """Count one more event for this scope; False once the window's limit is passed.

    The counter lives in the shared cache (Redis in production), so all app
    servers count together. A fixed window, counted as the request happens: right
    for throttling requests (typo reports, logins). Signatures are screened with
    rate_limit_reasons() instead, which counts each one in the window of the
    moment it was made, however late the mailer screens it.
    """
    return within_limits([(limit, scope)])[0]


def within_limits(checks: list[tuple[Limit, tuple]]) -> list[bool]:
    """Count one event against each (limit, scope); say for each if still within.

    With Redis, all counters move in one round trip.
    """
    now = time.time()
    counts = sharedcache.increment(
        [_counter(limit, scope, now) for limit, scope in checks]
    )
    return [
        count <= limit.count
        for count, (limit, _scope) in zip(counts, checks, strict=True)
    ]


def _counter(limit: Limit, scope: tuple, at: float) -> tuple[str, int]:
    """The counter's key for the window that `at` falls in, and its time to live."""
    window = int(at // limit.seconds)
    name = ":".join(["appeals:rate", limit.name, *map(str, scope), str(window)])
    return name, limit.seconds + 1


def signing_limits() -> dict[str, Limit]:
    return {
        name: Limit(name, count, seconds)
        for name, (count, seconds) in settings.SIGNING_RATE_LIMITS.items()
    }


def signing_scope(model, appeal_id) -> str:
    """What a signature's rate limits are counted per: its kind and appeal."""
    return f"{model._meta.model_name}:{appeal_id}"


@dataclass(frozen=True)
class Submission:
    """A form sent that writes to a mailbox: what the rate limits count it by."""

    id: str  # Unique: "signature:12" for a new row, a random one for a repeat.
    scope: str  # signing_scope() for signatures: "signature:12"; or "my-data".
    ip_hash: str
    email: str  # Normalized.
    at: float  # When it was sent (a timestamp).
    form_token: str = ""  # SpamTrapMixin.form_token(): which form time it used.
    # The appeal signed: a high-risk one's mailbox is counted by its keyed code.
    appeal: Appeal | None = None


def rate_limit_reasons(submissions: list[Submission]) -> list[list[str]]:
    """Screen submissions against the signing rate limits; say what each went past.

    The one place that decides, for every path that may write to a mailbox: the
    sign request (an address that signed before), the mailer (a new signature),
    the admin's resend. Each submission is counted in the windows that end at its
    own moment, and only if it is within all of them; screening one again gives
    the same answer and counts nothing twice (see sharedcache.admit). One round
    trip for them all. A submission within every limit gets [].
    """
    limits = signing_limits()
    checks_of = [_signing_checks(limits, submission) for submission in submissions]
    verdicts = sharedcache.admit(
        [
            sharedcache.Event(
                id=submission.id,
                at=submission.at,
                windows=tuple(
                    sharedcache.Window(
                        ":".join(["appeals:window", limit.name, *map(str, scope)]),
                        limit.seconds,
                        limit.count,
                    )
                    for limit, scope in checks
                ),
            )
            for submission, checks in zip(submissions, checks_of, strict=True)
        ]
    )
    return [
        [
            f"rate limit: {limit.name}"
            for (limit, _scope), past in zip(checks, past_of, strict=True)
            if past
        ]
        for checks, past_of in zip(checks_of, verdicts, strict=True)
    ]


def _signing_checks(limits, submission: Submission) -> list[tuple[Limit, tuple]]:
    checks = []
    if submission.ip_hash:
        scope = (submission.scope, submission.ip_hash)
        checks += [(limits["ip_burst"], scope), (limits["ip_sustained"], scope)]
    domain = registrable_domain(submission.email.rpartition("@")[2])
    if domain not in settings.COMMON_EMAIL_DOMAINS:
        checks += [(limits["email_domain"], (submission.scope, domain))]
    if counted := counted_mailbox(submission):
        checks += [(limits["mailbox"], (submission.scope, counted))]
    if submission.form_token:
        form_use = (submission.form_token, submission.ip_hash)
        checks += [(limits["form_time"], form_use)]
    return checks


def mailbox(email_normalized: str) -> str:
    """The mailbox an address delivers to: the emails it may get are counted by it.

    "ann+1@…", "ann+2@…" reach one person, as do "a.nn@gmail.com" and
    "ann@googlemail.com": without this, one could fill a stranger's inbox by
    signing with a new tag each time. The signature itself stays per address.
    """
    local, _at, domain = email_normalized.rpartition("@")
    local = local.partition("+")[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def counted_mailbox(submission: Submission) -> str:
    """The mailbox as its counter in the shared cache is named.

    On a high-risk appeal, its keyed code: the counter outlives the signature's
    address by a day, and Redis writes its keys to disk. Once the key is gone
    (signing has long stopped), nothing is counted by mailbox.
    """
    box, appeal = mailbox(submission.email), submission.appeal
    if appeal is None or not appeal.is_high_risk:
        return box
    return appeal.stored_address(box) if appeal.high_risk_key else ""


def registrable_domain(domain: str) -> str:
    """The part of a domain one can register: "a.spam.org", "b.spam.org" are one.

    From the Public Suffix List bundled with publicsuffixlist (never fetched at run
    time), so "example.co.uk" and "x.github.io" count as their owners' domains.
    """
    return _public_suffixes().privatesuffix(domain.lower()) or domain.lower()


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


# --- Traps in the form -------------------------------------------------------


class SpamTrapMixin(forms.Form):
    """A honeypot field people never see, and a signed time the form was shown.

    The fields never make a form invalid: suspicion_reasons() lists what tripped.
    """

    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    rendered_at = forms.CharField(required=False, widget=forms.HiddenInput)

    trap_fields = ("homepage", "rendered_at")
    _signer = signing.TimestampSigner(salt="appeals.form-rendered-at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # A bound form shows the time it was first sent.
            self.fields["rendered_at"].initial = self._signer.sign("form")

    def model_data(self) -> dict:
        """The model fields of a valid form, without its spam traps."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.trap_fields
        }

    def suspicion_reasons(self) -> list[str]:
        reasons = []
        if self.cleaned_data.get("homepage"):
            reasons.append("honeypot filled")
        shown = self.cleaned_data.get("rendered_at", "")
        try:
            # A page left open for hours is rare; a form time harvested once and
            # replayed by a script is not.
            self._signer.unsign(shown, max_age=settings.FORM_MAX_AGE_SECONDS)
        except signing.SignatureExpired:
            return [*reasons, "form time too old"]
        except signing.BadSignature:
            return [*reasons, "form time missing or forged"]
        try:
            self._signer.unsign(shown, max_age=settings.FORM_MIN_FILL_SECONDS)
        except signing.SignatureExpired:
            pass  # Old enough: a person had time to read and type.
        else:
            reasons.append("sent faster than a person types")
        return reasons

    def form_token(self) -> str:
        """A short digest of the form time sent, for counting how often it is used.

        The same form time (one page shown, or harvested once by a script) may be
        used for a handful of submissions from one client, not hundreds: see the
        "form_time" rate limit.
        """
        value = self.cleaned_data.get("rendered_at", "")
        return hashlib.sha256(value.encode()).hexdigest()[:16] if value else ""
