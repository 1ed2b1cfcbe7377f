"""Turning an update into queued emails, one slice of signatures at a time.

An update going out owes an email to every confirmed signer of its appeal who
asked for updates. The mailer queues them between taking in signatures (see
mailer.Mailer.run; send_queued() in development): one set-based INSERT … SELECT
per slice of the appeal's signatures (a million in well under a minute, README
"Performance"), at bulk priority, so no confirmation link ever waits behind them.
After each slice it rests, writing at most UPDATE_FAN_OUT_SHARE of the time, so
that signing goes on at nearly its full rate meanwhile.

A unique constraint (one email per update and signature) and the slice's end,
written in the slice's own transaction, let a mailer killed mid-fan-out carry on
without a duplicate or a gap; mailers on several servers take different updates
(SKIP LOCKED). The fan-out covers the signatures made until it started: later
signers read the update on the page. Whether each email is still wanted (the
signer unsubscribed, withdrew, was rejected) is decided when it is sent, as for
every email.
"""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from appeals.models import OrganizationSignature, OutgoingEmail, Signature, Update
from appeals.tokens import CONFIRM_MAX_AGE

State = Update.State


def take_in_update() -> bool:
    """Queue the emails of the next slice of an update going out; False if none is.

    A scheduled update whose time has come starts going out here.
    """
    now = timezone.now()
    Update.objects.filter(state=State.SCHEDULED, send_at__lte=now).update(
        state=State.SENDING, published_at=now
    )
    with transaction.atomic():
        going_out = Update.objects.filter(state=State.SENDING).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            going_out = going_out.select_for_update(skip_locked=True)
        update = going_out.first()
        if update is None:
            return False
        if update.last_signature_id is None:  # Started by its schedule.
            update.last_signature_id = newest_signature_id(update)
        end = _slice_end(update)
        if end is None:
            _queue_cosignatures(update)
            update.state, update.finished_at = State.SENT, timezone.now()
            update.recipient_count = update.emails.count()
        else:
            _queue_signatures(update, after=update.queued_up_to, up_to=end)
            update.queued_up_to = end
        update.save(
            update_fields=[
                "state",
                "finished_at",
                "recipient_count",
                "queued_up_to",
                "last_signature_id",
                "updated_at",
            ]
        )
    return True


def queue_for_late_signer(signature: Signature | OrganizationSignature) -> int:
    """Queue the updates a signature confirmed just now would have had.

    The fan-out queues the signers confirmed when it reaches them; one who signed
    before the update went out but confirmed after the fan-out passed (the email
    was late, a moderator released it) gets it here. Updates of the last week only,
    as a confirmation link lasts a week. The unique constraint keeps it once.
    """
    if not signature.wants_updates or not signature.email:
        return 0
    late_for = Update.objects.filter(
        appeal_id=signature.appeal_id,
        state__in=[State.SENDING, State.PAUSED, State.SENT],
        published_at__gte=timezone.now() - CONFIRM_MAX_AGE,
    )
    if isinstance(signature, Signature):
        late_for = late_for.filter(
            last_signature_id__gte=signature.pk, queued_up_to__gte=signature.pk
        )
        link = "signature"
    else:
        late_for = late_for.filter(finished_at__isnull=False)
        link = "organization_signature"
    emails = OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                kind=OutgoingEmail.Kind.UPDATE,
                priority=OutgoingEmail.Priority.BULK,
                state=OutgoingEmail.State.HELD
                if update.state == State.PAUSED
                else OutgoingEmail.State.QUEUED,
                update=update,
                language=signature.language,
                **{link: signature},
            )
            for update in late_for
        ],
        ignore_conflicts=True,
    )
    return len(emails)


def newest_signature_id(update: Update) -> int:
    """The newest signature of the update's appeal: where its fan-out ends."""
    newest = (
        Signature.objects.filter(appeal_id=update.appeal_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return newest or 0


def _slice_end(update: Update) -> int | None:
    """The last signature id of the next slice, or None when none is left."""
    ids = (
        Signature.objects.filter(
            appeal_id=update.appeal_id,
            pk__gt=update.queued_up_to,
            pk__lte=update.last_signature_id or 0,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = settings.UPDATE_SLICE_SIZE
    return ids[size - 1 : size].first() or ids.last()


# The columns of a queued update email, in the order the statements below give.
_COLUMNS = [
    "kind",
    "state",
    "priority",
    "update_id",
    "language",
    "to",
    "subject",
    "body",
    "created_at",
    "due_at",
    "attempts",
    "claimed_by",
    "last_error",
]


def _queue_signatures(update: Update, *, after: int, up_to: int) -> int:
    return _insert_from(
        Signature,
        "signature_id",
        update,
        "appeal_id = %s AND id > %s AND id <= %s",
        [update.appeal_id, after, up_to],
    )


def _queue_cosignatures(update: Update) -> int:
    return _insert_from(
        OrganizationSignature,
        "organization_signature_id",
        update,
        "appeal_id = %s",
        [update.appeal_id],
    )


def _insert_from(model, link: str, update: Update, where: str, params: list) -> int:
    """INSERT … SELECT the emails owed to the subscribers among some signatures."""
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = ", ".join(quote(column) for column in [*_COLUMNS, link])
    ignore, on_conflict = (
        ("OR IGNORE ", "")
        if connection.vendor == "sqlite"
        else ("", " ON CONFLICT DO NOTHING")
    )
    sql = (
        f"INSERT {ignore}INTO {quote(OutgoingEmail._meta.db_table)} ({columns})"
        f" SELECT %s, %s, %s, %s, language, '', '', '', %s, %s, 0, '', '', id"
        f" FROM {quote(model._meta.db_table)}"
        f" WHERE {where} AND status = %s AND wants_updates AND email <> ''"
        f"{on_conflict}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                OutgoingEmail.Kind.UPDATE.value,
                OutgoingEmail.State.QUEUED.value,
                OutgoingEmail.Priority.BULK.value,
                update.pk,
                now,
                now,
                *params,
                model.Status.CONFIRMED.value,
            ],
        )
        return cursor.rowcount
