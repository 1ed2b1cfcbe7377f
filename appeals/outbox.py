"""Emails owed to signers: each signature row says which one it still owes.

Signing writes the row and the email it owes in one INSERT, and nothing more: no
task row, no transaction block, no message to a queue or cache. The mailer
(`manage.py send_due_emails --watch`, on one server or several) looks for rows
that owe an email every second and sends them. Rows are claimed with SKIP LOCKED,
so mailers on several servers never send one email twice, and a row is found
however its signer's request ended.

A new signature is counted against the signing rate limits here, before its
confirmation link goes out, not while its signer waits: one Redis round trip per
batch instead of one per signature (a seventh of a sign request's cost in a wave).
Each is counted in the windows of the moment it was sent, and one past a limit is
quarantined before anyone is written to, as the request did before; while Redis
cannot be reached, the links wait.

Where tasks run inside the request (development, tests), signing sends at once.
"""

import logging
import smtplib
import time
from collections.abc import Callable

from django.db import DatabaseError, close_old_connections, connection, transaction

from appeals import emails
from appeals.antispam import Submission, rate_limit_reasons, signing_scope
from appeals.models import OrganizationSignature, Signature

logger = logging.getLogger(__name__)

# How often the mailer looks for rows that owe an email when it found none.
POLL_SECONDS = 1
# After the mail server failed, the mailer waits this long before the next try.
RETRY_SECONDS = 60
BATCH_SIZE = 100
# What a new submission's row owes: its confirmation link, once it is counted
# against the rate limits.
UNSCREENED = "unscreened"


class MailServerFailed(Exception):
    """The mail server failed; the unsent rows still owe their emails."""


class ScreeningFailed(Exception):
    """The rate-limit counters could not be reached; the rows still owe their emails."""


def send_due_emails() -> int:
    """Send every email the signature rows owe; return how many went out.

    Raise MailServerFailed if the mail server fails, ScreeningFailed if the
    rate-limit counters cannot be reached: what was not sent stays owed.
    """
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
    try:
        _screen(model, rows)
    except Exception as error:  # Redis (or the database) failed: try again later.
        _give_back(model, rows)
        raise ScreeningFailed from error
    sent = 0
    for position, signature in enumerate(rows):
        if not signature.email or not signature.email_due:
            continue  # Erased since (withdrawn), or quarantined: nobody to write to.
        try:
            emails.send_signature_email(signature, emails.Message(signature.email_due))
        except smtplib.SMTPRecipientsRefused:
            # The server will never take this address: give up on this email only.
            logger.warning("Mail server refused the address of %r", signature.pk)
        except (smtplib.SMTPException, OSError) as error:
            _give_back(model, rows[position:])
            raise MailServerFailed from error
        except Exception:
            # A fault in this one email (a bug, a broken template) must not cost the
            # other rows of the batch theirs.
            logger.exception("Could not write the email owed by %r", signature.pk)
        else:
            sent += 1
    return sent, len(rows) == BATCH_SIZE


def _screen(model, rows) -> None:
    """Count new submissions against the rate limits; quarantine those past one.

    A row within the limits now owes its confirmation link; a quarantined one owes
    nothing, and waits for a moderator.
    """
    new = [row for row in rows if row.email_due == UNSCREENED]
    if not new:
        return
    submissions = [
        Submission(
            scope=signing_scope(model, row.appeal_id),
            ip_hash=row.ip_hash,
            email_domain=row.email_normalized.rpartition("@")[2],
            at=row.created_at.timestamp(),
        )
        for row in new
    ]
    for row, reasons in zip(new, rate_limit_reasons(submissions), strict=True):
        if reasons:
            model.objects.filter(pk=row.pk, status=model.Status.PENDING).update(
                status=model.Status.QUARANTINED,
                quarantine_reason="; ".join(reasons)[:200],
            )
        # Counted: given back after a failure, it is not counted again.
        row.email_due = "" if reasons else emails.Message.CONFIRM


def _give_back(model, rows) -> None:
    """Mark unsent rows due again, unless something newer is due on them already."""
    for row in rows:
        model.objects.filter(pk=row.pk, email_due="").update(email_due=row.email_due)


def watch(*, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Send owed emails as rows come in, until should_stop() says so (the mailer)."""
    while not should_stop():
        close_old_connections()  # After a database restart, connect again.
        try:
            sent = send_due_emails()
        except MailServerFailed:
            logger.exception("Mail server failed; emails wait for the next try")
            pause = RETRY_SECONDS
        except (DatabaseError, ScreeningFailed):
            logger.exception("Database or Redis unreachable; looking again shortly")
            pause = POLL_SECONDS
        else:
            pause = 0 if sent else POLL_SECONDS
        _sleep(pause, should_stop)


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    """Sleep, waking up early when told to stop."""
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.2, deadline - time.monotonic()))
