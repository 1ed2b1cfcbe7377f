"""Emails owed to signers: each signature row says which one it still owes.

Signing writes the row and the email it owes in one INSERT (no task row, no
transaction block: the cheapest write a signature can be). A task sends what the
rows owe, scheduled at most once however many signatures come in:

1. After its write commits, a request adds the "scheduled" marker to the shared
   cache; only the request that adds it queues the task.
2. The task removes the marker before it looks for rows.

So a row committed while the marker is there is always found by the task the
marker stands for, which has not yet looked; and once it has, the next row
queues another.
"""

import logging
import smtplib
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from appeals import emails
from appeals.models import OrganizationSignature, Signature

logger = logging.getLogger(__name__)

SCHEDULED_MARKER = "appeals:due-emails-scheduled"
# If the worker is down, the marker expires and a later signature queues the task
# again (an extra run finds nothing to do).
SCHEDULED_MARKER_SECONDS = 120
# When the mail server fails, the rest waits this long for the next try.
RETRY_AFTER = timedelta(minutes=1)
RETRY_MARKER = "appeals:due-emails-retry"
BATCH_SIZE = 100


def send_due_emails() -> int:
    """Send every email the signature rows owe; return how many went out."""
    cache.delete(SCHEDULED_MARKER)  # From here on, a new row queues another run.
    sent = 0
    for model in (Signature, OrganizationSignature):
        while True:
            batch_sent, more = _send_batch(model)
            sent += batch_sent
            if not more:
                break
    return sent


def _send_batch(model) -> tuple[int, bool]:
    """Send one batch; return (sent, whether to go on with the next batch).

    The rows are claimed in a short transaction and written to outside it: no row
    stays locked while a mail server takes its time (a signer may be confirming).
    """
    with transaction.atomic():
        due = model.objects.exclude(email_due="").select_related("appeal")
        if connection.features.has_select_for_update_skip_locked:
            # Two workers at once each take their own rows: no email goes twice.
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.order_by("pk")[:BATCH_SIZE])
        model.objects.filter(pk__in=[row.pk for row in rows]).update(email_due="")
    sent = 0
    for position, signature in enumerate(rows):
        if not signature.email:
            continue  # Erased since (withdrawn): nobody to write to.
        try:
            emails.send_signature_email(signature, emails.Message(signature.email_due))
        except smtplib.SMTPRecipientsRefused:
            # The server will never take this address: give up on this email only.
            logger.warning("Mail server refused the address of %r", signature.pk)
        except (smtplib.SMTPException, OSError):
            logger.exception("Mail server failed; emails wait for the next try")
            _give_back(model, rows[position:])
            _retry_later()
            return sent, False
        except Exception:
            # A fault in this one email (a bug, a broken template) must not cost the
            # other rows of the batch theirs.
            logger.exception("Could not write the email owed by %r", signature.pk)
        else:
            sent += 1
    return sent, len(rows) == BATCH_SIZE


def _give_back(model, rows) -> None:
    """Mark unsent rows due again, unless something newer is due on them already."""
    for row in rows:
        model.objects.filter(pk=row.pk, email_due="").update(email_due=row.email_due)


def _retry_later() -> None:
    """Queue one more run after a pause; one at a time, however many runs failed."""
    from appeals import tasks  # Tasks run this module: import it only when needed.

    task = tasks.send_due_signature_emails
    if not task.get_backend().supports_defer:
        return  # Development: the next signature tries again.
    if cache.add(RETRY_MARKER, True, RETRY_AFTER.total_seconds()):
        task.using(run_after=timezone.now() + RETRY_AFTER).enqueue()
