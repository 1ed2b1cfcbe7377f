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
from django.db import connection, transaction
from django.db.models import Max, Min, Q, QuerySet

from appeals.models import (
    Appeal,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
)
from appeals.models.appeals import HASHED_ADDRESS_PREFIX
from appeals.services import tasks
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


# Stored addresses the admin hashes within its request: a few seconds' work. An
# appeal with more has them hashed by the task worker (a million take minutes).
HASHED_IN_REQUEST = 50_000


def turn_on_high_risk(*, appeal: Appeal) -> int:
    """Hash the addresses an appeal's signatures stored before the mode was on,
    and erase those no longer needed; return how many signatures changed.

    Staff turn it on in the admin, maybe on an appeal a million people signed:
    then the task worker does it once the mode is saved (0 changed here).
    """
    stored = sum(_stored_addresses(model, appeal).count() for model in SIGNATURE_MODELS)
    if stored > HASHED_IN_REQUEST:
        transaction.on_commit(
            lambda: tasks.finish_turning_on_high_risk.enqueue(appeal.pk), robust=True
        )
        return 0
    with transaction.atomic():
        return finish_turning_on_high_risk(appeal=appeal)


def finish_turning_on_high_risk(*, appeal: Appeal) -> int:
    """turn_on_high_risk()'s work, one slice of rows per statement, each within
    the database's statement time limit."""
    changed = hash_stored_addresses(appeal=appeal)
    for model in SIGNATURE_MODELS:
        rows = model.objects.filter(appeal=appeal)
        for low, high in _pk_slices(rows):
            changed += forget_addresses(
                signatures=rows.filter(pk__gte=low, pk__lt=high)
            )
    return changed


def _stored_addresses(model, appeal: Appeal) -> QuerySet:
    """An appeal's signatures that store an address, not its code."""
    return (
        model.objects.filter(appeal=appeal)
        .exclude(email_normalized="")
        .exclude(email_normalized__startswith=HASHED_ADDRESS_PREFIX)
    )


def hash_stored_addresses(*, appeal: Appeal) -> int:
    """Replace the addresses a high-risk appeal's signatures store by their codes.

    A server that had not yet seen the mode turned on (it keeps the appeal it
    read for a second) stored an address; if its signer signed again after, the
    code is taken by that second signature. The first then keeps neither: the
    unique constraint would refuse the code, and the address must go.
    """
    changed = 0
    for model in SIGNATURE_MODELS:
        stored = (
            _stored_addresses(model, appeal)
            .order_by("pk")
            .values_list("pk", "email_normalized")
        )
        after = 0
        while chunk := list(stored.filter(pk__gt=after)[:HASH_CHUNK]):
            after = chunk[-1][0]
            codes = {pk: appeal.stored_address(address) for pk, address in chunk}
            taken = set(
                model.objects.filter(
                    appeal=appeal, email_normalized__in=codes.values()
                ).values_list("email_normalized", flat=True)
            )
            _write_codes(
                model,
                {pk: "" if code in taken else code for pk, code in codes.items()},
            )
            changed += len(chunk)
    return changed


# Rows whose codes one statement writes.
HASH_CHUNK = 5000


def _write_codes(model, codes: dict[int, str]) -> None:
    """Store each row's code (pk: code).

    On PostgreSQL, one UPDATE joined to the list of codes: bulk_update's CASE
    with a branch per row took a minute for 100,000 rows (README, "Performance").
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_update(
            [model(pk=pk, email_normalized=code) for pk, code in codes.items()],
            ["email_normalized"],
        )
        return
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name("email_normalized")
    values = ", ".join(["(%s, %s)"] * len(codes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = codes.code"
            f" FROM (VALUES {values}) AS codes (id, code)"
            f" WHERE {table}.id = codes.id",
            [value for pair in codes.items() for value in pair],
        )


def _pk_slices(rows: QuerySet, size: int = 10_000):
    """The (low, high) bounds of primary-key slices that cover the rows."""
    bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    for low in range(bounds["low"], bounds["high"] + 1, size):
        yield low, low + size


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
