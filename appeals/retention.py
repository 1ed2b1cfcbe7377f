"""Keep signer data only as long as it is needed (run daily: purge_expired)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from appeals.models import (
    Appeal,
    IPHashKey,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
)

UNCONFIRMED = [Signature.Status.PENDING, Signature.Status.QUARANTINED]


@dataclass
class PurgeReport:
    deleted_unconfirmed: int
    anonymized: int
    fingerprints_cleared: int
    keys_deleted: int
    emails_deleted: int = 0


@transaction.atomic
def purge_expired(*, now: datetime | None = None) -> PurgeReport:
    """Delete and anonymize what the privacy notice promises to, as of `now`."""
    now = now or timezone.now()
    unconfirmed_cutoff = now - timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS)
    deleted = 0
    for model in (Signature, OrganizationSignature):
        _count, by_model = model.objects.filter(
            status__in=UNCONFIRMED, created_at__lt=unconfirmed_cutoff
        ).delete()
        deleted += by_model.get(model._meta.label, 0)  # Not their emails.

    anonymized = 0
    for model in (Signature, OrganizationSignature):
        anonymized += (
            model.objects.filter(appeal__in=_appeals_past_retention(now))
            .exclude(email_normalized="")
            .update(**model.ERASED_VALUES, email_normalized="", ip_hash="")
        )

    fingerprint_cutoff = now - timedelta(days=settings.IP_HASH_RETENTION_DAYS)
    cleared = sum(
        model.objects.filter(created_at__lt=fingerprint_cutoff)
        .exclude(ip_hash="")
        .update(ip_hash="")
        for model in (Signature, OrganizationSignature)
    )
    keys_deleted, _by_model = IPHashKey.objects.filter(
        day__lt=fingerprint_cutoff.date()
    ).delete()
    emails_deleted = _delete_old_emails(now)
    return PurgeReport(deleted, anonymized, cleared, keys_deleted, emails_deleted)


def _delete_old_emails(now: datetime) -> int:
    """Forget emails that went out (or failed) long enough ago, a batch at a time."""
    old = OutgoingEmail.objects.filter(
        Q(
            state__in=[OutgoingEmail.State.SENT, OutgoingEmail.State.CANCELLED],
            created_at__lt=now - timedelta(days=settings.MAIL_KEEP_DAYS),
        )
        | Q(
            state=OutgoingEmail.State.FAILED,
            created_at__lt=now - timedelta(days=settings.MAIL_KEEP_FAILED_DAYS),
        )
    )
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:5000]):
        deleted += OutgoingEmail.objects.filter(pk__in=batch).delete()[0]
    return deleted


def _appeals_past_retention(now: datetime):
    cutoff = now - timedelta(days=settings.SIGNER_DATA_RETENTION_DAYS)
    closed_by_staff = Q(
        status__in=[Appeal.Status.CLOSED, Appeal.Status.ARCHIVED], closed_at__lt=cutoff
    )
    past_deadline = Q(closes_at__lt=cutoff)
    return Appeal.objects.filter(closed_by_staff | past_deadline).values("pk")
