"""Handing an appeal over: the record of what was exported, and delivery events."""

from appeals.models import Appeal, DeliveryEvent, ExportLog
from appeals.services import signature_log


def log_export(*, user, appeal: Appeal, kind: ExportLog.Kind) -> ExportLog:
    """Record who exported an appeal's signatures, and how many there were."""
    return ExportLog.objects.create(
        user=user,
        appeal=appeal,
        kind=kind,
        row_count=appeal.signatures.confirmed().count(),
    )


def save_delivery_event(*, event: DeliveryEvent) -> DeliveryEvent:
    """Save a delivery event and sign the log; a delivery not given a count
    records the count of that checkpoint."""
    checkpoint = signature_log.checkpoint_now(appeal=event.appeal)
    if event.kind == DeliveryEvent.Kind.DELIVERED and event.signature_count is None:
        event.signature_count = checkpoint.signature_count
    event.save()
    return event
