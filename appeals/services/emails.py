"""Putting emails in the queue (appeals.mail sends them), in the same transaction
as what they are about."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from appeals.mail.render import render_email
from appeals.models import OutgoingEmail
from appeals.services import tasks


def queue_email(
    *,
    kind: OutgoingEmail.Kind,
    template: str,
    context: dict,
    language: str,
    to: list[str],
    priority: OutgoingEmail.Priority = OutgoingEmail.Priority.NORMAL,
) -> list[OutgoingEmail]:
    """Write an email now and queue it, one message per address.

    It is saved with the caller's transaction: if that rolls back, nothing is
    queued; once it commits, the email goes out whatever happens to the process.
    """
    messages = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            kind=kind,
            priority=priority,
            language=language,
            to=address,
            subject=email.subject,
            body=email.body,
        )
        for address in to
        for email in [render_email(template, context, language=language, to=address)]
    )
    transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return messages


def retry_emails(*, messages: QuerySet[OutgoingEmail]) -> int:
    """Queue failed emails again, as if new (staff, once the cause is fixed)."""
    now = timezone.now()
    retried = messages.filter(state=OutgoingEmail.State.FAILED).update(
        state=OutgoingEmail.State.QUEUED,
        created_at=now,
        due_at=now,
        attempts=0,
        claimed_by="",
    )
    transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return retried
