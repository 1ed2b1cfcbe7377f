"""The signature log: entries for every change to the count, appended in the
background, signed checkpoints whose count is the page's, proofs that verify."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils import timezone

from appeals import logkeys, merkle
from appeals.models import LogCheckpoint, LogEntry, OutgoingEmail, Signature
from appeals.services import (
    confirm_signature,
    delete_signatures,
    reject_signatures,
    restore_signatures,
    signature_log,
    withdraw_signature,
)
from appeals.services.counting import fold_signature_counts
from tests.factories import make_appeal, make_signature


def confirmed(appeal, count):
    signatures = [make_signature(appeal, status="pending") for _ in range(count)]
    for signature in signatures:
        confirm_signature(signature=signature)
    return signatures


def leaves(appeal):
    return [
        merkle.leaf_hash(entry.entry_line().encode())
        for entry in LogEntry.objects.filter(appeal=appeal)
        .select_related("refers_to")
        .order_by("index")
    ]


@pytest.mark.django_db
def test_confirming_writes_an_entry_that_waits_for_the_background_job():
    appeal = make_appeal()
    [signature] = confirmed(appeal, 1)

    entry = LogEntry.objects.get()
    assert entry.index is None
    assert entry.kind == LogEntry.Kind.ADDED
    assert entry.signature == signature
    assert entry.hour.minute == entry.hour.second == 0

    assert signature_log.append_pending() == {appeal.pk}
    entry.refresh_from_db()
    assert entry.index == 0
    assert signature_log.log_size(appeal.pk) == 1


@pytest.mark.django_db
def test_the_stored_tree_has_the_root_of_its_leaves_at_every_size():
    appeal = make_appeal()
    for _batch in range(5):
        confirmed(appeal, 3)
        signature_log.append_pending()
    hashes = leaves(appeal)
    assert len(hashes) == 15
    for size in range(16):
        assert signature_log.root_at(appeal.pk, size) == merkle.root_of(hashes[:size])


@pytest.mark.django_db
def test_withdrawal_rejection_and_deletion_append_removals_and_the_count_matches():
    appeal = make_appeal()
    signatures = confirmed(appeal, 5)
    signature_log.append_pending()
    before = leaves(appeal)

    withdraw_signature(signature=signatures[0])
    reject_signatures(signatures=Signature.objects.filter(pk=signatures[1].pk))
    restore_signatures(signatures=Signature.objects.filter(pk=signatures[1].pk))
    reject_signatures(signatures=Signature.objects.filter(pk=signatures[2].pk))
    delete_signatures(signatures=Signature.objects.filter(pk=signatures[3].pk))
    signature_log.append_pending()
    fold_signature_counts()

    after = leaves(appeal)
    assert after[: len(before)] == before  # Append-only: nothing rewritten.
    kinds = list(
        LogEntry.objects.filter(appeal=appeal)
        .order_by("index")
        .values_list("kind", "refers_to__index")
    )
    assert kinds[5:] == [
        ("withdrawn", 0),
        ("rejected", 1),
        ("restored", 1),
        ("rejected", 2),
        ("deleted", 3),
    ]
    checkpoint = signature_log.make_checkpoint(appeal=appeal)
    appeal.refresh_from_db()
    assert checkpoint.tree_size == 10
    assert checkpoint.signature_count == appeal.signature_count == 2


@pytest.mark.django_db
def test_a_signature_counted_before_the_log_is_added_before_it_is_removed():
    appeal = make_appeal()
    older = make_signature(appeal)  # Confirmed, with no entry.
    withdraw_signature(signature=older)
    signature_log.append_pending()

    assert list(
        LogEntry.objects.order_by("index").values_list("index", "kind", "refers_to")
    ) == [(0, "added", None), (1, "withdrawn", LogEntry.objects.get(index=0).pk)]


@pytest.mark.django_db
def test_a_signature_rejected_before_the_log_is_added_once_when_restored():
    appeal = make_appeal()
    confirmed(appeal, 1)
    older = make_signature(  # Rejected before the log: no entry, not counted.
        appeal, status="rejected", confirmed_at=timezone.now()
    )
    restore_signatures(signatures=Signature.objects.filter(pk=older.pk))
    signature_log.append_pending()
    fold_signature_counts()

    checkpoint = signature_log.make_checkpoint(appeal=appeal)
    appeal.refresh_from_db()
    assert checkpoint.signature_count == appeal.signature_count == 2
    assert list(
        LogEntry.objects.filter(signature=older).values_list("kind", flat=True)
    ) == ["added"]


@pytest.mark.django_db
def test_a_checkpoint_is_signed_by_the_site_key_and_names_size_root_and_count():
    appeal = make_appeal()
    confirmed(appeal, 3)
    checkpoint = signature_log.checkpoint_now(appeal=appeal)

    lines = checkpoint.note.splitlines()
    assert lines[1:3] == ["3", base64.b64encode(bytes(checkpoint.root_hash)).decode()]
    assert lines[3] == "count 3"
    assert checkpoint.made_at.second == 0
    public = Ed25519PublicKey.from_public_bytes(logkeys.current_key().raw)
    public.verify(bytes(checkpoint.signature), checkpoint.note.encode())  # No raise.
    assert checkpoint.key_id == logkeys.current_key().key_id


@pytest.mark.django_db
def test_confirming_through_the_task_appends_and_makes_the_first_checkpoint(
    django_capture_on_commit_callbacks,
):
    appeal = make_appeal()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed(appeal, 2)

    assert LogEntry.objects.filter(index__isnull=True).count() == 0
    checkpoint = LogCheckpoint.objects.get()
    assert checkpoint.signature_count >= 1
    with django_capture_on_commit_callbacks(execute=True):
        confirmed(appeal, 1)
    # Within the hour no second checkpoint: they are hourly, and at deliveries.
    assert LogCheckpoint.objects.count() == 1


@pytest.mark.django_db
def test_each_new_signer_is_owed_a_receipt_email():
    appeal = make_appeal()
    confirmed(appeal, 2)
    signature_log.append_pending()

    assert OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.RECEIPT).count() == 2
