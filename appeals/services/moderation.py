"""Moderators' writes: rejecting, restoring, releasing and deleting signatures,
comments, and organizations' co-signatures."""

from collections import Counter

from django.db import transaction
from django.db.models import QuerySet

from appeals.models import LogEntry, OrganizationSignature, Signature
from appeals.services import signature_log
from appeals.services.signing import change_counts, queue_confirmation


@transaction.atomic
def reject_signatures(*, signatures: QuerySet[Signature]) -> int:
    """Reject signatures as spam (kept for the record, no longer counted or shown)."""
    return _move_signatures(
        signatures.exclude(
            status__in=[Signature.Status.REJECTED, Signature.Status.WITHDRAWN]
        ),
        to_status=lambda row: Signature.Status.REJECTED,
    )


@transaction.atomic
def restore_signatures(*, signatures: QuerySet[Signature]) -> int:
    """Undo a rejection: back to confirmed if it was confirmed, else to pending."""
    return _move_signatures(
        signatures.filter(status=Signature.Status.REJECTED),
        to_status=lambda row: (
            Signature.Status.CONFIRMED
            if row["confirmed_at"] is not None
            else Signature.Status.PENDING
        ),
    )


def _move_signatures(signatures, *, to_status) -> int:
    """Change statuses row by row and record what that does to each count.

    Each move is a state transition: the rows are locked before their statuses are
    read, and each UPDATE names the status it moves from, so what is counted is
    exactly what moved.
    """
    rows = list(
        signatures.order_by("pk")
        .select_for_update(of=("self",))
        .values("pk", "appeal_id", "status", "confirmed_at")
    )
    deltas = Counter()
    moves: dict[tuple[str, str], list[int]] = {}
    counted, uncounted = [], []
    for row in rows:
        target = to_status(row)
        moves.setdefault((row["status"], target), []).append(row["pk"])
        was_counted = row["status"] == Signature.Status.CONFIRMED
        is_counted = target == Signature.Status.CONFIRMED
        deltas[row["appeal_id"]] += int(is_counted) - int(was_counted)
        if is_counted != was_counted:
            (counted if is_counted else uncounted).append(row["pk"])
    for (source, target), pks in moves.items():
        for start in range(0, len(pks), 1000):
            Signature.objects.filter(
                pk__in=pks[start : start + 1000], status=source
            ).update(status=target)
    signature_log.record_changes(signature_ids=counted, kind=LogEntry.Kind.RESTORED)
    signature_log.record_changes(signature_ids=uncounted, kind=LogEntry.Kind.REJECTED)
    change_counts(deltas)
    return len(rows)


@transaction.atomic
def release_signatures(
    *, signatures: QuerySet[Signature] | QuerySet[OrganizationSignature]
) -> int:
    """Release quarantined signatures: they become pending and get their email.

    Only rows still quarantined move (locked, then updated from that status):
    one rejected or withdrawn meanwhile is never made pending, nor written to.
    """
    model = signatures.model
    released = list(
        signatures.filter(status=model.Status.QUARANTINED)
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    pks = [signature.pk for signature in released]
    for start in range(0, len(pks), 1000):
        model.objects.filter(
            pk__in=pks[start : start + 1000], status=model.Status.QUARANTINED
        ).update(status=model.Status.PENDING)
    for signature in released:
        # A moderator's release is a person's judgement: not screened again.
        queue_confirmation(signature)
    return len(released)


@transaction.atomic
def delete_signatures(
    *, signatures: QuerySet[Signature] | QuerySet[OrganizationSignature]
) -> int:
    """Delete signatures for good (superusers only); confirmed ones leave the count."""
    model = signatures.model
    rows = list(
        signatures.order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", "appeal_id", "status")
    )
    if model is Signature:
        deltas = Counter()
        for _pk, appeal_id, status in rows:
            deltas[appeal_id] -= int(status == Signature.Status.CONFIRMED)
        signature_log.record_changes(
            signature_ids=[
                pk
                for pk, _appeal_id, status in rows
                if status == Signature.Status.CONFIRMED
            ],
            kind=LogEntry.Kind.DELETED,
        )
        change_counts(deltas)
    pks = [pk for pk, _appeal_id, _status in rows]
    for start in range(0, len(pks), 1000):
        model.objects.filter(pk__in=pks[start : start + 1000]).delete()
    return len(rows)


def set_comment_status(
    *, signatures: QuerySet[Signature], status: Signature.CommentStatus
) -> int:
    """Approve or hide the comments of these signatures (those that have one)."""
    return signatures.exclude(comment="").update(comment_status=status)


def approve_organization_signatures(
    *, signatures: QuerySet[OrganizationSignature]
) -> int:
    """Show confirmed co-signatures on the appeal."""
    return signatures.filter(status=OrganizationSignature.Status.CONFIRMED).update(
        is_approved=True
    )


def reject_organization_signatures(
    *, signatures: QuerySet[OrganizationSignature]
) -> int:
    """Reject co-signatures: never shown, kept for the record."""
    return signatures.exclude(status=OrganizationSignature.Status.WITHDRAWN).update(
        status=OrganizationSignature.Status.REJECTED, is_approved=False
    )
