"""High-risk mode: a signer's address is kept only while it is needed.

An appeal addressed to a government that goes after the people who sign is put in
high-risk mode by staff (Appeal.is_high_risk). Then:

- Every signature of it stores in `email_normalized` not the address but its
  HMAC-SHA256 under a random key of the appeal (Appeal.stored_address). The unique
  constraint on (email_normalized, appeal) is the same as ever: the database still
  lets one signature per address in, and a second submission finds the first.
- The address itself (`email`) is kept only while it is needed: until the
  signature is confirmed (its link goes there) or its link expires (the row is
  then deleted; a rejected one keeps its code), and, for a signer who asked for
  updates, until the key is destroyed. A second submission of a signature that
  kept no address is answered at the address just typed (see signing); that
  email's address and text are erased once it is sent or given up.
- The key lives in the appeal's row, the simplest honest place: the threat is a
  later seizure of the database, and destroying the key in the database defeats
  it for every copy made afterwards. A copy made before (a backup) still holds the
  key: backups must be kept for less than the grace period (README).
- HIGH_RISK_KEY_GRACE_DAYS after signing stops, the daily job erases every address
  and every code of the appeal's signatures, then the key. Erased rather than left
  behind: a code whose key is gone links to nothing, but a blank says so to anyone
  reading the table, and nothing needs the codes once signing has stopped. An
  appeal reopened after that gets a new key; its earlier signers are no longer
  recognized and could sign a second time.

Each step is idempotent and runs again daily (purge_expired), so a run cut short,
or a signature taken by a server that had not yet seen the mode turned on, is set
right the next day.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from appeals.models import (
    Appeal,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
)
from appeals.models.appeals import HASHED_ADDRESS_PREFIX
from appeals.tokens import CONFIRM_MAX_AGE

SIGNATURE_MODELS = (Signature, OrganizationSignature)


def forget_addresses(*, signatures: QuerySet) -> int:
    """Erase the addresses that high-risk signatures no longer need.

    A confirmed signature keeps its address only if its signer asked for updates;
    its client fingerprint goes with it.
    """
    model = signatures.model
    return (
        signatures.filter(
            appeal__is_high_risk=True,
            status=model.Status.CONFIRMED,
            wants_updates=False,
        )
        .exclude(email="")
        .update(email="", ip_hash="", email_due="")
    )


@transaction.atomic
def turn_on_high_risk(*, appeal: Appeal) -> int:
    """Hash the addresses an appeal's signatures stored before the mode was on,
    and erase those no longer needed; return how many signatures changed."""
    changed = hash_stored_addresses(appeal=appeal)
    for model in SIGNATURE_MODELS:
        changed += forget_addresses(signatures=model.objects.filter(appeal=appeal))
    return changed


def hash_stored_addresses(*, appeal: Appeal) -> int:
    """Replace the addresses a high-risk appeal's signatures store by their codes.

    A server that had not yet seen the mode turned on (it keeps the appeal it
    read for a second) stored an address; if its signer signed again after, the
    code is taken by that second signature. The first then keeps neither: the
    unique constraint would refuse the code, and the address must go.
    """
    changed = 0
    for model in SIGNATURE_MODELS:
        rows = list(
            model.objects.filter(appeal=appeal)
            .exclude(email_normalized="")
            .exclude(email_normalized__startswith=HASHED_ADDRESS_PREFIX)
            .only("pk", "email_normalized")
        )
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            for row in chunk:
                row.email_normalized = appeal.stored_address(row.email_normalized)
            taken = set(
                model.objects.filter(
                    appeal=appeal,
                    email_normalized__in=[row.email_normalized for row in chunk],
                ).values_list("email_normalized", flat=True)
            )
            for row in chunk:
                if row.email_normalized in taken:
                    row.email_normalized = ""
            model.objects.bulk_update(chunk, ["email_normalized"])
            changed += len(chunk)
    return changed


def delete_expired_unconfirmed(*, now: datetime) -> int:
    """Delete high-risk signatures whose confirmation link has expired.

    Their address is of no more use: the link it was for no longer works. Counted
    from the last email sent, as the link is.
    """
    cutoff = now - CONFIRM_MAX_AGE
    deleted = 0
    for model in SIGNATURE_MODELS:
        _count, by_model = (
            model.objects.filter(
                appeal__is_high_risk=True,
                status__in=[model.Status.PENDING, model.Status.QUARANTINED],
                created_at__lt=cutoff,
            )
            .exclude(emails_sent_on__gte=cutoff.date())
            .delete()
        )
        deleted += by_model.get(model._meta.label, 0)
    return deleted


def forget_rejected_addresses(*, now: datetime) -> int:
    """Erase the addresses of rejected high-risk signatures once their link is dead.

    A rejected signature keeps its code: it keeps the address from signing again.
    Its address served only the confirmation link, which a moderator may still
    want sent on restoring it while the link would work; after that, nothing.
    Counted from the last email sent, as the link is.
    """
    cutoff = now - CONFIRM_MAX_AGE
    erased = 0
    for model in SIGNATURE_MODELS:
        erased += (
            model.objects.filter(
                appeal__is_high_risk=True,
                status=model.Status.REJECTED,
                created_at__lt=cutoff,
            )
            .exclude(emails_sent_on__gte=cutoff.date())
            .exclude(email="")
            .update(email="", ip_hash="", email_due="")
        )
    return erased


def appeals_with_key_due(now: datetime) -> QuerySet[Appeal]:
    """High-risk appeals whose signing stopped more than the grace period ago and
    whose key still exists."""
    cutoff = now - timedelta(days=settings.HIGH_RISK_KEY_GRACE_DAYS)
    return (
        Appeal.objects.filter(is_high_risk=True)
        .exclude(high_risk_key="")
        .filter(
            Q(
                status__in=[Appeal.Status.CLOSED, Appeal.Status.ARCHIVED],
                closed_at__lt=cutoff,
            )
            | Q(closes_at__lt=cutoff)
        )
    )


def destroy_keys(
    *, now: datetime, in_slices: Callable, progress: Callable[[str], None]
) -> int:
    """Erase every address and code of appeals past their grace period, then
    their keys; return how many keys were destroyed.

    `in_slices` walks a table a slice at a time (retention's). The key goes last:
    a run cut short leaves it to the next, which erases what is left first.
    """
    destroyed = 0
    for appeal in appeals_with_key_due(now):
        # Asked again by each statement: staff may reopen the appeal meanwhile,
        # and an open appeal keeps its key and its codes.
        still_due = appeals_with_key_due(now).filter(pk=appeal.pk)
        for model in SIGNATURE_MODELS:
            in_slices(
                model.objects.filter(appeal__in=still_due).exclude(
                    email="", email_normalized=""
                ),
                lambda rows: rows.update(
                    email="", email_normalized="", email_due="", ip_hash=""
                ),
                f"{appeal.slug}: {model._meta.verbose_name_plural} unlinked",
                progress,
            )
        # Written at once (a reply to someone signing twice): never kept past here.
        OutgoingEmail.objects.filter(
            Q(signature__appeal=appeal) | Q(organization_signature__appeal=appeal)
        ).exclude(to="", body="").update(to="", body="")
        destroyed += still_due.update(high_risk_key="", high_risk_key_destroyed_at=now)
    return destroyed
