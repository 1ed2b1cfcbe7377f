"""What staff see of the mail queue: in the admin and from `manage.py mail_status`;
and how far an update has come."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Min
from django.utils import timezone

from appeals.models import OrganizationSignature, OutgoingEmail, Signature, Update

State = OutgoingEmail.State


@dataclass(frozen=True)
class QueueStatus:
    queued: int
    sending: int
    retrying: int
    sent_last_hour: int
    failed: int
    oldest_waiting_since: datetime | None

    @property
    def oldest_waiting_seconds(self) -> float:
        """How long the oldest email not yet sent has waited (0: none waits)."""
        if self.oldest_waiting_since is None:
            return 0.0
        return (timezone.now() - self.oldest_waiting_since).total_seconds()


def queue_status() -> QueueStatus:
    """Count the queue by state; every query runs on an index."""
    waiting = dict(
        OutgoingEmail.objects.waiting()
        .order_by()
        .values_list("state")
        .annotate(Count("pk"))
    )
    oldest = OutgoingEmail.objects.waiting().aggregate(Min("created_at"))
    return QueueStatus(
        queued=waiting.get(State.QUEUED, 0),
        sending=waiting.get(State.SENDING, 0),
        retrying=waiting.get(State.RETRYING, 0),
        sent_last_hour=OutgoingEmail.objects.filter(
            state=State.SENT, sent_at__gte=timezone.now() - timedelta(hours=1)
        ).count(),
        failed=OutgoingEmail.objects.filter(state=State.FAILED).count(),
        oldest_waiting_since=oldest["created_at__min"],
    )


@dataclass(frozen=True)
class UpdateProgress:
    """Where an update's emails stand, for the page staff watch while it goes out."""

    expected: int
    queued: int
    sending: int
    retrying: int
    held: int
    sent: int
    failed: int
    cancelled: int
    sent_last_minute: int
    failures: list[tuple[str, int]]
    is_queueing: bool

    @property
    def waiting(self) -> int:
        """Emails the mailer has still to send (held ones wait for a resume)."""
        return self.queued + self.sending + self.retrying

    @property
    def not_queued_yet(self) -> int:
        """Emails the fan-out has still to queue."""
        if not self.is_queueing:
            return 0
        written = self.waiting + self.held + self.sent + self.failed + self.cancelled
        return max(0, self.expected - written)

    @property
    def seconds_left(self) -> float | None:
        """At the rate of the last minute, how long the rest takes (None: no rate)."""
        left = self.waiting + self.not_queued_yet
        if not left:
            return 0.0
        if not self.sent_last_minute:
            return None
        return left * 60 / self.sent_last_minute


def expected_recipients(update: Update) -> int:
    """How many an update goes to: its appeal's subscribers now, or, once it started
    going out, those among the signatures it started with (and the co-signers)."""
    signatures = Signature.objects.filter(appeal_id=update.appeal_id).subscribed()
    if update.last_signature_id is not None:
        signatures = signatures.filter(pk__lte=update.last_signature_id)
    cosignatures = OrganizationSignature.objects.filter(
        appeal_id=update.appeal_id
    ).subscribed()
    return signatures.count() + cosignatures.count()


def update_progress(update: Update) -> UpdateProgress:
    """Count an update's emails by state, its rate and its failures by reply.

    Counted at most once every PROGRESS_SECONDS for everyone watching: no index
    leads with the update (one less to write for each of a million emails, README
    "Performance"), so each count reads the queue table. A pause, resume or
    cancel shows at once: the state is part of the key.
    """
    finished = update.finished_at.timestamp() if update.finished_at else 0
    key = f"appeals:update-progress:{update.pk}:{update.state}:{finished}"
    return cache.get_or_set(key, lambda: _count(update), PROGRESS_SECONDS)


# How old the progress staff see may be (the page reloads every 5 s).
PROGRESS_SECONDS = 5


def _count(update: Update) -> UpdateProgress:
    emails = update.emails.order_by()
    by_state = dict(emails.values_list("state").annotate(Count("pk")))
    is_queueing = update.finished_at is None and update.state in (
        Update.State.SENDING,
        Update.State.PAUSED,
    )
    if update.recipient_count is not None:
        expected = update.recipient_count
    elif is_queueing or update.state in (Update.State.DRAFT, Update.State.SCHEDULED):
        expected = expected_recipients(update)
    else:
        expected = sum(by_state.values())  # Cancelled while it was being queued.
    failures = (
        emails.filter(state=State.FAILED)
        .values_list("last_error")
        .annotate(count=Count("pk"))
        .order_by("-count", "last_error")
    )
    return UpdateProgress(
        expected=expected,
        queued=by_state.get(State.QUEUED, 0),
        sending=by_state.get(State.SENDING, 0),
        retrying=by_state.get(State.RETRYING, 0),
        held=by_state.get(State.HELD, 0),
        sent=by_state.get(State.SENT, 0),
        failed=by_state.get(State.FAILED, 0),
        cancelled=by_state.get(State.CANCELLED, 0),
        sent_last_minute=emails.filter(
            state=State.SENT, sent_at__gte=timezone.now() - timedelta(minutes=1)
        ).count(),
        failures=list(failures[:10]),
        is_queueing=is_queueing,
    )
