"""Handing an appeal over: the record of what was exported, and delivery events."""

from appeals.models import Appeal, DeliveryEvent, ExportLog


def log_export(*, user, appeal: Appeal, kind: ExportLog.Kind) -> ExportLog:
    """Record who exported an appeal's signatures, and how many there were."""
    return ExportLog.objects.create(
        user=user,
        appeal=appeal,
        kind=kind,
        row_count=appeal.signatures.confirmed().count(),
    )


def save_delivery_event(*, event: DeliveryEvent) -> DeliveryEvent:
    """Save a delivery event; a delivery not given a count records today's."""
    if event.kind == DeliveryEvent.Kind.DELIVERED and event.signature_count is None:
        event.signature_count = event.appeal.current_signature_count()
    event.save()
    return event
