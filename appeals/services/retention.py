"""Keep signer data only as long as it is needed (run daily: purge_expired).

High-risk appeals keep less, for less long (see highrisk): their addresses go once
unneeded, their keys and every code made with them after the grace period.

A table of a million signatures is walked in slices of its primary key, each slice
one short statement that commits on its own: no statement comes near the database's
time limit, a run cut short keeps what it did, and running it again finishes the
rest (every step is idempotent).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from appeals.models import (
    Appeal,
    DataAccessLink,
    IPHashKey,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
)
from appeals.services import highrisk

UNCONFIRMED = [Signature.Status.PENDING, Signature.Status.QUARANTINED]
# Rows per statement: each one reads at most this many rows by primary key.
SLICE = 10_000


@dataclass
class PurgeReport:
    deleted_unconfirmed: int = 0
    anonymized: int = 0
    fingerprints_cleared: int = 0
    keys_deleted: int = 0
    emails_deleted: int = 0
    addresses_forgotten: int = 0
    keys_destroyed: int = 0
    progress: Callable[[str], None] = field(default=lambda line: None, repr=False)


def purge_expired(
    *, now: datetime | None = None, progress: Callable[[str], None] | None = None
) -> PurgeReport:
    """Delete and anonymize what the privacy notice promises to, as of `now`."""
    now = now or timezone.now()
    report = PurgeReport(progress=progress or (lambda line: None))
    unconfirmed_cutoff = now - timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS)
    fingerprint_cutoff = now - timedelta(days=settings.IP_HASH_RETENTION_DAYS)
    past_retention = list(_appeals_past_retention(now))
    high_risk = list(Appeal.objects.filter(is_high_risk=True))
    report.deleted_unconfirmed += highrisk.delete_expired_unconfirmed(now=now)
    report.addresses_forgotten += highrisk.forget_rejected_addresses(now=now)
    for appeal in high_risk:
        if appeal.high_risk_key:
            report.addresses_forgotten += highrisk.hash_stored_addresses(appeal=appeal)
    for model in (Signature, OrganizationSignature):
        name = model._meta.verbose_name_plural
        # Unconfirmed: no live link left, counted from the last email sent.
        report.deleted_unconfirmed += _in_slices(
            model.objects.filter(
                status__in=UNCONFIRMED, created_at__lt=unconfirmed_cutoff
            ).exclude(emails_sent_on__gte=unconfirmed_cutoff.date()),
            _delete_rows,
            f"unconfirmed {name} deleted",
            report.progress,
        )
        if past_retention:
            report.anonymized += _in_slices(
                model.objects.filter(appeal__in=past_retention).exclude(
                    _anonymized(model)
                ),
                lambda rows, model=model: rows.update(
                    **model.ERASED_VALUES, email_normalized="", ip_hash=""
                ),
                f"{name} anonymized",
                report.progress,
            )
        report.addresses_forgotten += _in_slices(
            model.objects.filter(appeal__in=high_risk)
            if high_risk
            else model.objects.none(),
            lambda rows: highrisk.forget_addresses(signatures=rows),
            f"{name}: addresses no longer needed erased (high-risk)",
            report.progress,
        )
        report.fingerprints_cleared += _in_slices(
            model.objects.filter(created_at__lt=fingerprint_cutoff).exclude(ip_hash=""),
            lambda rows: rows.update(ip_hash=""),
            f"{name}: IP fingerprints cleared",
            report.progress,
        )
    report.keys_destroyed = highrisk.destroy_keys(
        now=now, in_slices=_in_slices, progress=report.progress
    )
    report.keys_deleted, _by_model = IPHashKey.objects.filter(
        day__lt=fingerprint_cutoff.date()
    ).delete()
    DataAccessLink.objects.filter(expires_at__lt=now).delete()
    report.emails_deleted = _in_slices(
        OutgoingEmail.objects.filter(
            Q(
                state__in=[OutgoingEmail.State.SENT, OutgoingEmail.State.CANCELLED],
                created_at__lt=now - timedelta(days=settings.MAIL_KEEP_DAYS),
            )
            | Q(
                state=OutgoingEmail.State.FAILED,
                created_at__lt=now - timedelta(days=settings.MAIL_KEEP_FAILED_DAYS),
            )
        ),
        _delete_rows,
        "old outgoing emails deleted",
        report.progress,
    )
    return report


def _anonymized(model) -> Q:
    """Rows with neither an address (nor its code) nor their signer's name left.

    A high-risk signature loses its address and code before its name (highrisk).
    """
    name = "full_name" if model is Signature else "contact_name"
    return Q(email_normalized="", **{name: ""})


def _delete_rows(rows: QuerySet) -> int:
    """Delete rows and what cascades from them; count the rows themselves."""
    _count, by_model = rows.delete()
    return by_model.get(rows.model._meta.label, 0)


def _in_slices(
    rows: QuerySet, change: Callable[[QuerySet], int], done: str, progress
) -> int:
    """Apply change() to the rows, one slice of primary keys per statement."""
    bounds = rows.model.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    changed = 0
    for start in range(bounds["low"], bounds["high"] + 1, SLICE):
        changed += change(rows.filter(pk__gte=start, pk__lt=start + SLICE))
    progress(f"{done}: {changed}")
    return changed


def _appeals_past_retention(now: datetime):
    def stopped_before(days: int) -> Q:
        cutoff = now - timedelta(days=days)
        closed_by_staff = Q(
            status__in=[Appeal.Status.CLOSED, Appeal.Status.ARCHIVED],
            closed_at__lt=cutoff,
        )
        return closed_by_staff | Q(closes_at__lt=cutoff)

    usual = Q(is_high_risk=False) & stopped_before(settings.SIGNER_DATA_RETENTION_DAYS)
    high_risk = Q(is_high_risk=True) & stopped_before(
        settings.HIGH_RISK_SIGNER_DATA_RETENTION_DAYS
    )
    return Appeal.objects.filter(usual | high_risk).values_list("pk", flat=True)
