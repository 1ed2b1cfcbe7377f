"""The confirmed-signature count: exact, without a hot row on the signing path.

Confirming or withdrawing appends a SignatureCountDelta in the same transaction as
the status change. fold_signature_counts() moves the deltas into
Appeal.signature_count in batches (a task scheduled a few seconds after a change),
so the stored count is exact within seconds and never drifts; recount_signatures()
checks it against the rows themselves.

One fold runs at a time: a fold that took a withdrawal's -1 while another still
held the confirmation's +1 could bring a count below zero. On PostgreSQL a
transaction-level advisory lock makes the second fold wait, and then see every
change the first one left; SQLite runs one writer at a time anyway.
"""

from collections import Counter

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from appeals.models import Appeal, Signature, SignatureCountDelta
from appeals.services.locks import hold_transaction_lock

# How long count changes may wait before they are folded into the stored count.
COUNT_REFRESH_SECONDS = 5
FOLD_BATCH_SIZE = 5000
# The advisory lock folds take on PostgreSQL (any number no other code uses).
FOLD_LOCK_ID = 0x61707065616C73  # "appeals"


def fold_signature_counts() -> int:
    """Move pending count changes into the appeals' stored counts; return how many."""
    folded = 0
    while batch := _fold_batch():
        folded += batch
    return folded


@transaction.atomic
def _fold_batch() -> int:
    hold_transaction_lock(FOLD_LOCK_ID)
    # In the order they were made: a -1 seen here has its +1 here or folded before.
    rows = list(
        SignatureCountDelta.objects.order_by("pk").values_list(
            "pk", "appeal_id", "delta"
        )[:FOLD_BATCH_SIZE]
    )
    if not rows:
        return 0
    deleted, _by_model = SignatureCountDelta.objects.filter(
        pk__in=[pk for pk, _appeal, _delta in rows]
    ).delete()
    if deleted != len(rows):
        # Another fold took some of these first (SQLite: no advisory lock there).
        transaction.set_rollback(True)
        return 0
    totals = Counter()
    for _pk, appeal_id, delta in rows:
        totals[appeal_id] += delta
    now = timezone.now()
    for appeal_id, total in sorted(totals.items()):
        if total:
            Appeal.objects.filter(pk=appeal_id).update(
                signature_count=F("signature_count") + total, count_updated_at=now
            )
    return len(rows)


def recount_signatures(
    *, appeals: "list[Appeal] | None" = None
) -> list[tuple[Appeal, int, int]]:
    """Check each stored count against the rows, fix drift, return what was fixed.

    Each item is (appeal, stored count, correct stored count).
    """
    fold_signature_counts()
    appeal_ids = Appeal.objects.order_by("pk").values_list("pk", flat=True)
    if appeals is not None:
        appeal_ids = appeal_ids.filter(pk__in=[appeal.pk for appeal in appeals])
    return [fixed for pk in appeal_ids if (fixed := _recount_one(pk))]


@transaction.atomic
def _recount_one(appeal_id: int) -> tuple[Appeal, int, int] | None:
    # Locking the appeal row holds back a fold for it; the count and the pending
    # deltas are then read in one statement, so they see the same moment.
    Appeal.objects.select_for_update().filter(pk=appeal_id).values("pk").get()
    confirmed = (
        Signature.objects.filter(appeal=OuterRef("pk"))
        .confirmed()
        .values("appeal")
        .annotate(total=Count("pk"))
        .values("total")
    )
    unfolded = (
        SignatureCountDelta.objects.filter(appeal=OuterRef("pk"))
        .values("appeal")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    appeal = Appeal.objects.annotate(
        confirmed=Coalesce(Subquery(confirmed), 0, output_field=IntegerField()),
        unfolded=Coalesce(Subquery(unfolded), 0, output_field=IntegerField()),
    ).get(pk=appeal_id)
    correct = appeal.confirmed - appeal.unfolded
    if appeal.signature_count == correct:
        return None
    Appeal.objects.filter(pk=appeal_id).update(
        signature_count=correct, count_updated_at=timezone.now()
    )
    return appeal, appeal.signature_count, correct
