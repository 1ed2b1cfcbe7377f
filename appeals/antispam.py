"""Spam waves without third parties: form traps, rate limits and IP fingerprints.

Nothing here refuses a request: whatever trips becomes a reason to quarantine the
submission silently, for a moderator to release or reject. A bot learns nothing,
and a person on Tor or a shared connection is delayed, not locked out.
"""

import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals import localcache, sharedcache
from appeals.models import IPHashKey

# --- Where a request comes from ----------------------------------------------


def client_ip(request) -> str:
    """Return the client's address: REMOTE_ADDR, or what trusted proxies saw.

    Each proxy appends the address it got the request from to X-Forwarded-For, so
    with N trusted proxies the client is the N-th entry from the right. Anything
    further left was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def hash_ip(address: str) -> str:
    """Return a keyed hash of an address, with today's key.

    IPv6 addresses are reduced to their /64 network (what one household gets).
    Hashes made on one day can be compared for about a week; once the day's key is
    purged, nobody can tell which address a hash came from.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 6:
        ip = ipaddress.ip_network(f"{ip}/64", strict=False).network_address
    key = _key_for(timezone.localdate())
    return hmac.new(key.encode(), ip.packed, hashlib.sha256).hexdigest()[:32]


def _key_for(day) -> str:
    cache_key = f"appeals:ip-key:{day.isoformat()}"
    return localcache.get_or_set(cache_key, 600, lambda: _shared_key(day, cache_key))


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
    servers count together.
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
    """A sign form sent: what the signing rate limits count it by."""

    id: str  # Unique: "signature:12" for a new row, a random one for a repeat.
    scope: str  # signing_scope(): "signature:12".
    ip_hash: str
    email_domain: str
    at: float  # When it was sent (a timestamp).


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
    if submission.email_domain not in settings.COMMON_EMAIL_DOMAINS:
        checks += [
            (limits["email_domain"], (submission.scope, submission.email_domain))
        ]
    return checks


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

    def suspicion_reasons(self) -> list[str]:
        reasons = []
        if self.cleaned_data.get("homepage"):
            reasons.append("honeypot filled")
        try:
            self._signer.unsign(
                self.cleaned_data.get("rendered_at", ""),
                max_age=settings.FORM_MIN_FILL_SECONDS,
            )
        except signing.SignatureExpired:
            pass  # Old enough: a person had time to read and type.
        except signing.BadSignature:
            reasons.append("form time missing or forged")
        else:
            reasons.append("sent faster than a person types")
        return reasons
