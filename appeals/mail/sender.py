"""Sending queued emails: claim a few, send each over a kept connection, record it.

A sender claims due messages for a lease (SKIP LOCKED: mailers on several servers
never take the same one), writes each one as its signature is at that moment,
sends it over a connection it keeps open, and records the outcome of each message
as soon as the server answered, while the next message's envelope travels and
before that message goes. So a mailer killed at any moment leaves at most one sent
message per connection unrecorded: its lease runs out and another mailer sends it
again (the only duplicate SMTP allows: the server took it and its answer was lost).

The server's answer decides what happens to a message: accepted, it is sent; a
permanent refusal (5xx) fails that message alone, with the reply kept for staff; a
temporary one (4xx, connection lost, time-out) is retried later with a growing
pause. A server that cannot be reached at all fails no message: they wait.
"""

import functools
import logging
import smtplib
import socket
import threading
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import Error, connection, transaction
from django.db.models import F
from django.utils import timezone

from appeals.mail import wire
from appeals.mail.render import Drafts, render_queued, still_needed
from appeals.models import (
    Appeal,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
)
from appealsite.logs import blank_out_addresses

logger = logging.getLogger(__name__)

State = OutgoingEmail.State

# Server-level refusals: no single message is at fault, so none is failed for it.
SERVER_TROUBLE = (
    smtplib.SMTPSenderRefused,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)


class ServerUnreachable(Exception):
    """The mail server could not be reached or refused us: nothing was sent."""


@dataclass
class Outcome:
    """What became of a message: a State (QUEUED: given back untried)."""

    message: OutgoingEmail
    state: str
    reply: str = ""


@dataclass
class Pace:
    """At most `per_second` messages a second across the threads sharing it (0: any)."""

    per_second: float
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, stop: threading.Event) -> None:
        if not self.per_second:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + 1 / self.per_second
        stop.wait(start - now)


def claim(*, mailer_id: str, limit: int) -> list[OutgoingEmail]:
    """Take up to `limit` due messages for this mailer, with what writing them needs."""
    now = timezone.now()
    with transaction.atomic():
        due = OutgoingEmail.objects.due(now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        if connection.vendor == "postgresql":
            walk_the_due_index_in_order()
        rows = list(due.values_list("pk", "priority")[:limit])
        if rows and rows[0][1] == OutgoingEmail.Priority.BULK:
            # Only updates are due: take a few, so that a confirmation queued
            # meanwhile waits behind at most a few of them per connection.
            rows = rows[:BULK_BATCH_SIZE]
        ids = [pk for pk, _priority in rows]
        if not ids:
            return []
        OutgoingEmail.objects.filter(pk__in=ids).update(
            state=State.SENDING,
            claimed_by=mailer_id,
            attempts=F("attempts") + 1,
            due_at=now + timedelta(seconds=settings.MAIL_LEASE_SECONDS),
        )
    messages = list(
        OutgoingEmail.objects.filter(pk__in=ids)
        .select_related("signature", "organization_signature")
        .order_by("priority", "pk")
    )
    _attach_appeals(messages)
    return messages


def walk_the_due_index_in_order() -> None:
    """Make this transaction's claim read the due index in order and stop at its
    batch, however many messages wait.

    The planner chooses by its statistics, which lag a queue that grew fast (an
    SMTP outage, an update's fan-out, a wave): believing a few messages waited, it
    read every waiting one and sorted them on disk, once per claim: 78 ms a claim
    at 54,000 waiting, more with each (README, "The mailer"). Sorting is what that
    plan needs and the right one does not.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")


def _attach_appeals(messages: list[OutgoingEmail]) -> None:
    """Give each signature its appeal (and version), and each update email its
    update, read once for the batch.

    A batch is about one or two appeals: read as part of every row, they cost the
    mailer dearly (README, "Performance").
    """
    update_ids = {message.update_id for message in messages if message.update_id}
    if update_ids:
        updates = (
            Update.objects.select_related("appeal")
            .prefetch_related("versions__appeal_version")
            .in_bulk(update_ids)
        )
        for message in messages:
            if message.update_id:
                message.update = updates.get(message.update_id)
    signatures = [message.about for message in messages if message.about]
    versions = [
        getattr(signature, "appeal_version_id", None) for signature in signatures
    ]
    ids = {signature.appeal_id for signature in signatures} | set(
        filter(None, versions)
    )
    appeals = Appeal.objects.in_bulk(ids)
    for signature in signatures:
        signature.appeal = appeals[signature.appeal_id]
        if getattr(signature, "appeal_version_id", None):
            signature.appeal_version = appeals.get(signature.appeal_version_id)


def give_back(*, mailer_id: str, messages=None) -> int:
    """Return claimed messages unsent to the queue, their attempt not counted.

    With no messages named, every message this mailer still holds.
    """
    held = OutgoingEmail.objects.filter(claimed_by=mailer_id, state=State.SENDING)
    if messages is not None:
        held = held.filter(pk__in=[message.pk for message in messages])
    return held.update(
        state=State.QUEUED,
        due_at=timezone.now(),
        attempts=F("attempts") - 1,
        claimed_by="",
    )


def record(outcome: Outcome, *, mailer_id: str) -> None:
    """Write what became of a message, if this mailer still holds it."""
    message, now = outcome.message, timezone.now()
    if outcome.state == State.SENT:
        _record_sent(message, now, mailer_id)
        return
    changes = {"state": outcome.state, "last_error": outcome.reply[:500]}
    if outcome.state == State.HELD:  # Not tried: its attempt does not count.
        changes |= {"claimed_by": "", "attempts": F("attempts") - 1}
    elif outcome.state == State.CANCELLED:
        changes |= {"to": "", "body": ""}  # Not kept once they are of no use.
    elif outcome.state == State.RETRYING:
        given_up = message.created_at < now - timedelta(
            hours=settings.MAIL_GIVE_UP_HOURS
        )
        if given_up:
            changes["state"] = State.FAILED
        else:
            changes["due_at"] = now + retry_pause(message.attempts)
    about_a_signature = message.signature_id or message.organization_signature_id
    if changes["state"] == State.FAILED and about_a_signature:
        # Only an email written at once about a signature has an address here
        # (high-risk mode: see services.signing); staff never need it back.
        changes |= {"to": "", "body": ""}
    OutgoingEmail.objects.filter(
        pk=message.pk, claimed_by=mailer_id, state=State.SENDING
    ).update(**changes)


def _record_sent(message: OutgoingEmail, now, mailer_id: str) -> None:
    """record() for the common case: one statement, written once per database.

    Built through the ORM each time, this UPDATE cost more than sending the email
    (README, "Performance"). Its address and text are not kept once sent.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _sent_statement(connection.vendor),
            [
                State.SENT.value,
                connection.ops.adapt_datetimefield_value(now),
                message.pk,
                mailer_id,
                State.SENDING.value,
            ],
        )


@functools.cache
def _sent_statement(vendor: str) -> str:
    table = connection.ops.quote_name(OutgoingEmail._meta.db_table)
    column = connection.ops.quote_name
    return (
        f"UPDATE {table} SET {column('state')} = %s, {column('last_error')} = '',"
        f" {column('to')} = '', {column('body')} = '', {column('sent_at')} = %s"
        f" WHERE {column('id')} = %s AND {column('claimed_by')} = %s"
        f" AND {column('state')} = %s"
    )


def retry_pause(attempts: int) -> timedelta:
    """How long a message waits after its n-th failed attempt: doubling, to 1 hour."""
    seconds = settings.MAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


# Messages a sender claims at a time: each claim is a few queries, so fewer of
# them is cheaper; but what it holds waits behind the message in flight.
BATCH_SIZE = 50
# Of bulk messages (updates), fewer: a confirmation must not wait behind them.
BULK_BATCH_SIZE = 10


class Sender:
    """One connection to the mail server, sending what it claims until told to stop.

    A mailer runs MAIL_CONNECTIONS of these, each in its own thread with its own
    database connection and its own claims; one-off passes (the command without
    --watch, development) run one in the calling thread.
    """

    # After this many permanent refusals in a row, the server is refusing
    # everything (a sender address it no longer accepts, a suspended account):
    # the rest wait instead of failing one by one.
    REFUSALS_IN_A_ROW = 10

    def __init__(self, *, mailer_id: str, stop: threading.Event, pace: Pace):
        self.mailer_id = mailer_id  # Unique per sender: its claims are its own.
        self.stop = stop
        self.pace = pace
        self.backend = None
        self.reused = False  # Whether the open connection has sent before.
        self.unrecorded: list[Outcome] = []
        self.held: list[OutgoingEmail] = []
        self.current: OutgoingEmail | None = None  # In flight.
        self.drafts = Drafts()  # Of the appeals as the batch last read them.
        self.refusals = 0
        self.recorded: Counter[str] = Counter()  # Outcomes written, by state.

    def send_batch(self, *, limit: int = BATCH_SIZE) -> int:
        """Claim and send one batch; return how many messages it held (0: none due).

        Raise ServerUnreachable if the server could not be reached (what was sent
        is recorded, the rest of the batch given back) and DatabaseError if the
        database failed (what was sent is kept to be recorded by the next call).
        """
        self.recover()
        messages = claim(mailer_id=self.mailer_id, limit=limit)
        self.drafts = Drafts()
        if not messages:
            self.disconnect()  # Idle: servers close quiet connections anyway.
        leased_at = read_at = time.monotonic()
        lost: set[int] = set()  # Leases that ran out: other senders took them.
        for position, message in enumerate(messages):
            self.held = messages[position:]  # Given back if anything fails.
            if self.pace.per_second:
                self.flush()  # Not left unwritten while waiting for a turn.
            self.pace.wait(self.stop)
            if self.stop.is_set():
                break  # Also when asked while waiting for its turn.
            if time.monotonic() - leased_at > settings.MAIL_LEASE_SECONDS / 4:
                # A slow server: hold what is left for a whole lease again, so
                # that no email starts with less than three quarters of one.
                leased_at = time.monotonic()
                ours = renew_leases(self.held, mailer_id=self.mailer_id)
                lost |= {held.pk for held in self.held} - ours
            if message.pk in lost:
                continue
            self.current = message
            try:
                # Connecting may take seconds (TLS, AUTH): the signatures are read
                # again after it, so one rejected or withdrawn meanwhile gets none.
                self.connect()
                if time.monotonic() - read_at > FRESH_SECONDS:
                    read_at = time.monotonic()
                    read_again(self.held)
                    self.drafts = Drafts()
                outcome = self.send(message)
            except ServerUnreachable:
                self.recover()  # What went is recorded now, not after the pause.
                raise
            self.current = None
            self.held = messages[position + 1 :]
            self.unrecorded.append(outcome)
            if outcome.state != State.SENT:
                # Nothing of its own to overlap with: written now. A sent one is
                # written while the next email's envelope travels (see deliver).
                self.flush()
        self.recover()
        return len(messages)

    def send(self, message: OutgoingEmail) -> Outcome:
        """Send one message; say what became of it (raise ServerUnreachable)."""
        outcome = self.write_and_deliver(message)
        if outcome.state == State.FAILED:
            # Not set back when the sender pauses: after the pause, the first
            # refusal makes it wait again, and fails no other email.
            self.refusals += 1
            if self.refusals >= self.REFUSALS_IN_A_ROW:
                self.disconnect()
                self.unrecorded.append(Outcome(message, State.QUEUED, outcome.reply))
                raise ServerUnreachable(f"refuses every email: {outcome.reply}")
        elif outcome.state != State.CANCELLED:
            self.refusals = 0
        return outcome

    def write_and_deliver(self, message: OutgoingEmail, *, again=False) -> Outcome:
        try:
            if not still_needed(message):
                return Outcome(message, State.CANCELLED)
            if message.update and message.update.state == message.update.State.PAUSED:
                return Outcome(message, State.HELD)  # Until staff resume it.
            email = render_queued(message, drafts=self.drafts)
        except Error:  # DatabaseError, and InterfaceError beside it.
            raise
        except Exception as error:
            # A fault in this one email (a bug, a broken template) must not hold
            # up the others: it fails alone, and staff can retry it once fixed.
            logger.exception("Could not write outgoing email %s", message.pk)
            return Outcome(message, State.FAILED, f"Could not write it: {error!r}")
        return self.deliver(message, email, again=again)

    def deliver(self, message: OutgoingEmail, email, *, again: bool = False) -> Outcome:
        sending = None
        try:
            self.connect()
            sending = wire.begin(self.backend, email)
        except ServerUnreachable:
            raise
        except Exception as error:
            return self.attempt_failed(message, error, sending, again=again)
        try:
            # The outcomes so far are written while the server reads this
            # envelope, and always before this message goes: a mailer killed at
            # any moment has at most one sent email unrecorded per connection.
            self.flush()
        except BaseException:
            # Whatever failed, an envelope is open: this connection cannot carry
            # another email, and this one was not sent (it is given back).
            self.disconnect()
            raise
        try:
            sending.finish()
        except Exception as error:
            return self.attempt_failed(message, error, sending, again=again)
        self.reused = True
        return Outcome(message, State.SENT)

    def attempt_failed(
        self, message: OutgoingEmail, error: Exception, sending, *, again: bool
    ) -> Outcome:
        """What a failed attempt means for its message (raise ServerUnreachable if
        it says nothing about this message)."""
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            code, reply = next(iter(error.recipients.values()))
            self.disconnect_if_hung_up()
            return self.refused(message, code, reply)
        idle_for_long = self.reused and not again
        closed_while_idle = (
            isinstance(error, smtplib.SMTPSenderRefused) and error.smtp_code == 421
        )
        if idle_for_long and closed_while_idle:
            # "421 ... timeout exceeded": how Postfix and Exim close a kept
            # connection that sat idle too long. Nothing was sent on it.
            return self.send_again(message)
        if isinstance(error, SERVER_TROUBLE):
            self.disconnect()
            reply = _reply(error.smtp_code, error.smtp_error)
            raise ServerUnreachable(reply) from error
        if isinstance(error, smtplib.SMTPResponseException):
            self.disconnect_if_hung_up()
            return self.refused(message, error.smtp_code, error.smtp_error)
        if isinstance(error, smtplib.SMTPServerDisconnected):
            self.disconnect()
            text_sent = sending is not None and sending.text_sent
            timed_out = isinstance(error.__context__, TimeoutError)
            if idle_for_long and not text_sent and not timed_out:
                # A kept connection the server closed while it sat idle: nothing
                # was sent on it, so try once on a new one.
                return self.send_again(message)
            return Outcome(message, State.RETRYING, _describe(error))
        if isinstance(error, smtplib.SMTPException | OSError):
            # Connection lost or timed out mid-message: whether it arrived is
            # unknown, so it is tried again (at worst, sent twice).
            self.disconnect()
            return Outcome(message, State.RETRYING, _describe(error))
        if sending is not None:
            # Broken off mid-exchange: the connection is in no known state.
            self.disconnect()
        problem = type(error).__name__
        if isinstance(error, ValueError | UnicodeError):
            # An address no mail server can be given (the forms let none through).
            reply = f"Address cannot be sent to: {problem}"
            return Outcome(message, State.FAILED, reply)
        # Whatever else goes wrong with one email fails that email alone; the
        # reply names no address.
        logger.error("Could not send outgoing email %s", message.pk, exc_info=error)
        return Outcome(message, State.FAILED, f"Could not send it: {problem}")

    def send_again(self, message: OutgoingEmail) -> Outcome:
        """Try once more on a new connection, the signature read again after
        connecting (raise ServerUnreachable)."""
        self.disconnect()
        self.connect()
        read_again([message])
        return self.write_and_deliver(message, again=True)

    def refused(self, message, code: int, reply) -> Outcome:
        permanent = 500 <= code < 600
        return Outcome(
            message, State.FAILED if permanent else State.RETRYING, _reply(code, reply)
        )

    def connect(self) -> None:
        if self.backend is not None:
            return
        backend = mail.mailers.default
        try:
            backend.open()
        except (smtplib.SMTPException, OSError) as error:
            raise ServerUnreachable(_describe(error)) from error
        self.backend, self.reused = backend, False

    def disconnect_if_hung_up(self) -> None:
        """Forget a connection closed while refusing a message: the server closing
        it (421), or the wire hanging up on a server out of step with it."""
        smtp = getattr(self.backend, "connection", None)
        if smtp is not None and smtp.sock is None:
            self.disconnect()

    def disconnect(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            with suppress(smtplib.SMTPException, OSError):  # Already gone.
                backend.close()

    def flush(self) -> None:
        """Record the outcomes not yet written (raise DatabaseError if it fails)."""
        while self.unrecorded:
            outcome = self.unrecorded[0]
            if outcome.state == State.QUEUED:
                give_back(mailer_id=self.mailer_id, messages=[outcome.message])
            else:
                record(outcome, mailer_id=self.mailer_id)
                self.recorded[outcome.state] += 1
            self.unrecorded.pop(0)

    def recover(self) -> None:
        """Record what was sent, and give back what was claimed and not tried, at
        once rather than when its lease runs out."""
        self.flush()
        if self.held:
            give_back(mailer_id=self.mailer_id, messages=self.held)
            self.held = []

    def close(self) -> None:
        """Hang up, and give back what is held (at stop; best effort)."""
        self.disconnect()
        try:
            self.recover()
        except Error:
            logger.warning("Could not record the last outcomes: database unreachable")


def renew_lease(message: OutgoingEmail, *, mailer_id: str) -> bool:
    """Hold a message for a whole lease from now; False if it is no longer ours."""
    return message.pk in renew_leases([message], mailer_id=mailer_id)


def renew_leases(messages: list[OutgoingEmail], *, mailer_id: str) -> set[int]:
    """Hold messages for a whole lease from now; return those still ours."""
    held = OutgoingEmail.objects.filter(
        pk__in=[message.pk for message in messages],
        claimed_by=mailer_id,
        state=State.SENDING,
    )
    held.update(due_at=timezone.now() + timedelta(seconds=settings.MAIL_LEASE_SECONDS))
    # Nobody takes them meanwhile: their leases were just made whole again.
    return set(held.values_list("pk", flat=True))


# The signatures of a batch are read again before its emails go out, at most
# this long before each: one withdrawn, rejected or quarantined meanwhile gets none.
FRESH_SECONDS = 0.2


def read_again(messages: list[OutgoingEmail]) -> None:
    """Read the signatures these emails are about again, as they are now."""
    for name, model in [
        ("signature", Signature),
        ("organization_signature", OrganizationSignature),
    ]:
        ids = [getattr(m, f"{name}_id") for m in messages if getattr(m, f"{name}_id")]
        if not ids:
            continue
        fresh = model.objects.in_bulk(ids)
        for message in messages:
            if getattr(message, f"{name}_id"):
                setattr(message, name, fresh.get(getattr(message, f"{name}_id")))
    _attach_appeals(messages)


def _clean(text: str) -> str:
    """A server's reply as staff may read it: mail servers quote the address they
    refuse, and staff who may not see addresses read these replies."""
    return blank_out_addresses(text)[:500]


def _reply(code: int, reply) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return _clean(f"{code} {reply}".strip())


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "Timed out waiting for the mail server."
    return _clean(f"{type(error).__name__}: {error}")
