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
    Signature,
)

UNCONFIRMED = [Signature.Status.PENDING, Signature.Status.QUARANTINED]


@dataclass
class PurgeReport:
    deleted_unconfirmed: int
    anonymized: int
    fingerprints_cleared: int
    keys_deleted: int


@transaction.atomic
def purge_expired(*, now: datetime | None = None) -> PurgeReport:
    """Delete and anonymize what the privacy notice promises to, as of `now`."""
    now = now or timezone.now()
    unconfirmed_cutoff = now - timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS)
    deleted = 0
    for model in (Signature, OrganizationSignature):
        count, _by_model = model.objects.filter(
            status__in=UNCONFIRMED, created_at__lt=unconfirmed_cutoff
        ).delete()
        deleted += count

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
    return PurgeReport(deleted, anonymized, cleared, keys_deleted)


def _appeals_past_retention(now: datetime):
    cutoff = now - timedelta(days=settings.SIGNER_DATA_RETENTION_DAYS)
    closed_by_staff = Q(
        status__in=[Appeal.Status.CLOSED, Appeal.Status.ARCHIVED], closed_at__lt=cutoff
    )
    past_deadline = Q(closes_at__lt=cutoff)
    return Appeal.objects.filter(closed_by_staff | past_deadline).values("pk")
