"""Sending an update to the signers who asked for updates.

Sending starts a fan-out: one set-based INSERT … SELECT per slice of the appeal's
signatures queues an email for each confirmed signer who asked for updates (a
million in well under a minute, README "Performance"), at the lowest priority, so
no confirmation link ever waits behind them. The slices run as tasks of their own,
one after the other, so the count folds of the task worker go on between them. A
unique constraint (one email per update and signature) and the slice's end,
written in the slice's own transaction, let a killed worker carry on without a
duplicate or a gap. Whether each email is still wanted (the signer unsubscribed,
withdrew, was rejected) is decided when it is sent, as for every email.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.mail.render import update_context
from appeals.models import (
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
)
from appeals.services import tasks
from appeals.services.emails import queue_email

# Sending an update this soon after the last one asks staff to confirm.
SOFT_LIMIT = timedelta(days=7)

State = Update.State
EmailState = OutgoingEmail.State


def recently_sent(update: Update) -> Update | None:
    """Another update of the same appeal that went out in the last seven days."""
    return (
        Update.objects.filter(
            appeal_id=update.appeal_id,
            published_at__gte=timezone.now() - SOFT_LIMIT,
        )
        .exclude(pk=update.pk)
        .exclude(state=State.CANCELLED)
        .order_by("-published_at")
        .first()
    )


@transaction.atomic
def send_update(*, update: Update, user, at: datetime | None = None) -> Update:
    """Send a draft update to its appeal's subscribers now, or at `at`."""
    update = Update.objects.select_for_update().get(pk=update.pk)
    if update.state not in (State.DRAFT, State.SCHEDULED):
        raise ValidationError(
            _("Only a draft or a scheduled update can be sent."), code="not_draft"
        )
    update.sent_by = user
    if at is not None and at > timezone.now():
        update.state, update.send_at = State.SCHEDULED, at
        update.save(update_fields=["state", "send_at", "sent_by", "updated_at"])
        transaction.on_commit(
            lambda: tasks.enqueue_at(queue_slices, update.pk, at=at), robust=True
        )
        return update
    _start(update)
    return update


def _start(update: Update) -> None:
    update.state, update.published_at = State.SENDING, timezone.now()
    update.send_at = update.send_at or update.published_at
    update.last_signature_id = _newest_signature_id(update)
    update.save(
        update_fields=[
            "state",
            "published_at",
            "send_at",
            "sent_by",
            "last_signature_id",
            "updated_at",
        ]
    )
    transaction.on_commit(lambda: queue_slices.enqueue(update.pk), robust=True)


# Below the count folds: a fan-out of many slices must not hold up the counts.
@task(priority=-10)
def queue_slices(update_id: int) -> None:
    """Queue an update's emails, slice after slice, for a few seconds; then queue
    the rest as a task of its own (the task worker runs other tasks between).

    After each slice it rests: a fan-out takes at most UPDATE_FAN_OUT_SHARE of
    its time writing, so that signing goes on at nearly its full rate meanwhile
    (README, "Performance").
    """
    started = time.monotonic()
    while True:
        began = time.monotonic()
        if not queue_slice(update_id):
            return
        if time.monotonic() - started > TASK_SECONDS:
            queue_slices.enqueue(update_id)
            return
        share = settings.UPDATE_FAN_OUT_SHARE
        time.sleep((time.monotonic() - began) * (1 - share) / share)


# How long one task of a fan-out runs before it makes way for other tasks.
TASK_SECONDS = 4


def queue_slice(update_id: int) -> bool:
    """Queue the emails of the next slice of signatures; True if more remain.

    A scheduled update starts here when its time has come.
    """
    with transaction.atomic():
        update = Update.objects.select_for_update().filter(pk=update_id).first()
        if update is None:
            return False
        if update.state == State.SCHEDULED:
            if update.send_at and update.send_at > timezone.now():
                return False  # Moved later: the task queued for then starts it.
            _start_scheduled(update)
        if update.state != State.SENDING:
            return False  # Paused or cancelled: resuming queues the rest.
        end = _slice_end(update)
        if end is None:
            _queue_cosignatures(update)
            update.state, update.finished_at = State.SENT, timezone.now()
            update.recipient_count = update.emails.count()
            update.save(
                update_fields=["state", "finished_at", "recipient_count", "updated_at"]
            )
            return False
        _queue_signatures(update, after=update.queued_up_to, up_to=end)
        update.queued_up_to = end
        update.save(update_fields=["queued_up_to"])
    tasks.send_mail_in_request()
    return True


def _start_scheduled(update: Update) -> None:
    update.state, update.published_at = State.SENDING, timezone.now()
    update.last_signature_id = _newest_signature_id(update)
    update.save(
        update_fields=["state", "published_at", "last_signature_id", "updated_at"]
    )


def _newest_signature_id(update: Update) -> int:
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
                EmailState.QUEUED.value,
                OutgoingEmail.Priority.BULK.value,
                update.pk,
                now,
                now,
                *params,
                model.Status.CONFIRMED.value,
            ],
        )
        return cursor.rowcount


@transaction.atomic
def pause_update(*, update: Update) -> int:
    """Hold an update's emails not yet sent (those in flight still go)."""
    changed = Update.objects.filter(
        pk=update.pk, state__in=[State.SENDING, State.SENT]
    ).update(state=State.PAUSED)
    if not changed:
        raise ValidationError(
            _("Only an update going out can be paused."), code="state"
        )
    return update.emails.filter(state=EmailState.QUEUED).update(state=EmailState.HELD)


@transaction.atomic
def resume_update(*, update: Update) -> int:
    """Let a paused update go out again, from where it stopped."""
    update = Update.objects.select_for_update().get(pk=update.pk)
    if update.state != State.PAUSED:
        raise ValidationError(_("Only a paused update can be resumed."), code="state")
    update.state = State.SENT if update.finished_at else State.SENDING
    update.save(update_fields=["state", "updated_at"])
    released = update.emails.filter(state=EmailState.HELD).update(
        state=EmailState.QUEUED, due_at=timezone.now()
    )
    if update.state == State.SENDING:
        transaction.on_commit(lambda: queue_slices.enqueue(update.pk), robust=True)
    transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return released


@transaction.atomic
def cancel_update(*, update: Update) -> int:
    """Stop an update for good: what is not sent yet is never sent."""
    changed = Update.objects.filter(
        pk=update.pk,
        state__in=[State.SCHEDULED, State.SENDING, State.SENT, State.PAUSED],
    ).update(state=State.CANCELLED)
    if not changed:
        raise ValidationError(_("This update cannot be cancelled."), code="state")
    return update.emails.filter(
        state__in=[EmailState.QUEUED, EmailState.HELD, EmailState.RETRYING]
    ).update(state=EmailState.CANCELLED)


def send_test(*, update: Update, to: str, language: str) -> None:
    """Send the update to one address (staff's own), marked as a test."""
    text = update.text_for(None)
    queue_email(
        kind=OutgoingEmail.Kind.UPDATE,
        template="appeals/email/update",
        context=update_context(update, text) | {"is_test": True},
        language=language,
        to=[to],
        priority=OutgoingEmail.Priority.URGENT,
    )


@transaction.atomic
def unsubscribe(
    *, signature: Signature | OrganizationSignature, everything: bool = False
) -> int:
    """Stop updates to a signer: about this appeal, or about every appeal (and the
    newsletter) for every signature made with the address. At once, for emails
    still queued too: each is checked when it is sent. Return how many signatures
    changed."""
    if not everything or not signature.email_normalized:
        return (
            type(signature).objects.filter(pk=signature.pk).update(wants_updates=False)
        )
    address = signature.email_normalized
    people = Signature.objects.filter(email_normalized=address)
    changed = people.filter(wants_updates=True).count()
    people.update(wants_updates=False, has_newsletter_consent=False)
    return changed + OrganizationSignature.objects.filter(
        email_normalized=address
    ).update(wants_updates=False)
