"""Turning what signature rows owe into queued emails, after screening new ones.

A sign request writes one row and nothing else: the email it owes is a word on the
row (`email_due`). The mailer takes those rows in batches: it counts each new
submission against the rate limits at the moment it was made (one Redis round trip
per batch instead of one per signature), quarantines those past a limit, and
queues the emails of the rest, all in one transaction. If Redis or the database
fails, the transaction rolls back and the rows still owe their emails; screening
them again counts nothing twice (see antispam.rate_limit_reasons).
"""

from django.db import connection, transaction

from appeals.antispam import Submission, rate_limit_reasons, signing_scope
from appeals.models import Appeal, OrganizationSignature, OutgoingEmail, Signature

BATCH_SIZE = 500

EmailDue = Signature.EmailDue


def take_in() -> int:
    """Queue what signature rows owe, a batch of each kind; return how many rows."""
    return sum(_take_in(model) for model in (Signature, OrganizationSignature))


@transaction.atomic
def _take_in(model) -> int:
    owing = model.objects.exclude(email_due=EmailDue.NOTHING)
    if connection.features.has_select_for_update_skip_locked:
        # Mailers on several servers each take their own rows.
        owing = owing.select_for_update(skip_locked=True, of=("self",))
    rows = list(owing.order_by("pk")[:BATCH_SIZE])
    if not rows:
        return 0
    _screen(model, [row for row in rows if row.email_due == EmailDue.UNSCREENED])
    field = "signature" if model is Signature else "organization_signature"
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            kind=kind,
            priority=OutgoingEmail.Priority.URGENT,
            language=row.language,
            **{field: row},
        )
        for row in rows
        if (kind := _owed(row))
    )
    model.objects.filter(pk__in=[row.pk for row in rows]).update(
        email_due=EmailDue.NOTHING
    )
    return len(rows)


def _screen(model, rows) -> None:
    """Count new submissions against the rate limits; quarantine those past one."""
    if not rows:
        return
    appeals = Appeal.objects.in_bulk({row.appeal_id for row in rows})
    submissions = [
        Submission(
            id=f"{model._meta.model_name}:{row.pk}",
            scope=signing_scope(model, row.appeal_id),
            ip_hash=row.ip_hash,
            email=row.mailbox_address,
            at=row.created_at.timestamp(),
            form_token=row.form_token,
            appeal=appeals[row.appeal_id],
        )
        for row in rows
    ]
    for row, reasons in zip(rows, rate_limit_reasons(submissions), strict=True):
        if reasons and row.status == model.Status.PENDING:
            row.status = model.Status.QUARANTINED
            row.quarantine_reason = "; ".join(reasons)[:200]
            row.save(update_fields=["status", "quarantine_reason"])
        else:
            row.email_due = EmailDue.CONFIRM


def _owed(row) -> OutgoingEmail.Kind | None:
    """The email a row owes as it is now, if any (withdrawn or quarantined: none)."""
    if not row.email:
        return None
    if row.email_due == EmailDue.CONFIRM and row.status == row.Status.PENDING:
        return OutgoingEmail.Kind.CONFIRM
    if row.email_due == EmailDue.ALREADY_SIGNED and row.status == row.Status.CONFIRMED:
        return OutgoingEmail.Kind.ALREADY_SIGNED
    return None
