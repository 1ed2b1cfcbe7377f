"""Updates for signers: sending one (now or at a set time), pausing, resuming,
cancelling it, a test to staff; and a signer's unsubscribing.

Sending marks the update as going out; the mailer queues its emails, a slice of
signatures at a time (appeals.mail.fanout), and sends them at bulk priority.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.mail import fanout
from appeals.mail.render import update_context
from appeals.models import (
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
    normalize_email,
)
from appeals.services import highrisk, tasks
from appeals.services.emails import queue_email

# Sending an update this soon after the last one asks staff to confirm.
SOFT_LIMIT = timedelta(days=7)

State = Update.State
EmailState = OutgoingEmail.State


def recently_sent(update: Update, *, at: datetime | None = None) -> Update | None:
    """Another update of the same appeal going out within seven days of `at` (now):
    one that went out, or one scheduled."""
    at = at or timezone.now()
    window = (at - SOFT_LIMIT, at + SOFT_LIMIT)
    return (
        Update.objects.filter(appeal_id=update.appeal_id)
        .filter(
            Q(published_at__range=window)
            | Q(state=State.SCHEDULED, send_at__range=window)
        )
        .exclude(pk=update.pk)
        .exclude(state__in=[State.DRAFT, State.CANCELLED])
        .order_by("-send_at", "-pk")
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
        # The mailer starts it when its time comes.
        update.state, update.send_at = State.SCHEDULED, at
        update.save(update_fields=["state", "send_at", "sent_by", "updated_at"])
        return update
    update.state, update.published_at = State.SENDING, timezone.now()
    update.send_at = update.published_at
    update.last_signature_id = fanout.newest_signature_id(update)
    update.save()
    transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return update


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
    return update.emails.filter(
        state__in=[EmailState.QUEUED, EmailState.RETRYING]
    ).update(state=EmailState.HELD)


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
    changed. A high-risk signature's address, kept for updates only, goes too."""
    model = type(signature)
    address = normalize_email(signature.email) if signature.email else ""
    if not everything or not address:
        this_one = model.objects.filter(pk=signature.pk)
        changed = this_one.update(wants_updates=False)
        highrisk.forget_addresses(signatures=this_one)
        return changed
    people = Signature.objects.made_with(address)
    changed = people.filter(wants_updates=True).count()
    people.update(wants_updates=False, has_newsletter_consent=False)
    organizations = OrganizationSignature.objects.made_with(address)
    changed += organizations.update(wants_updates=False)
    highrisk.forget_addresses(signatures=people)
    highrisk.forget_addresses(signatures=organizations)
    return changed
