"""What staff see of the mail queue: in the admin and from `manage.py mail_status`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.utils import timezone

from appeals.models import OutgoingEmail

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
