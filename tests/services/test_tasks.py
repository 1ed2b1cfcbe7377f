"""With the production queue: count changes are folded by one delayed task."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals.models import LogCheckpoint, Signature, SignatureCountDelta
from appeals.services import confirm_signature
from tests.factories import make_appeal, make_signature

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_queue"),
]


def run_worker():
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*"
    )


def test_count_changes_are_folded_by_one_delayed_task():
    appeal = make_appeal()
    for number in range(3):
        signature = Signature.objects.create(
            appeal=appeal, full_name="A", email=f"a{number}@example.org", country="UA"
        )
        confirm_signature(signature=signature)

    [fold] = DBTaskResult.objects.all()
    assert fold.task_path == "appeals.services.tasks.fold_signature_counts"
    assert timezone.now() < fold.run_after <= timezone.now() + timedelta(seconds=5)

    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    appeal.refresh_from_db()
    assert appeal.signature_count == 3


def test_a_change_made_while_a_worker_takes_the_waiting_fold_gets_a_fold_of_its_own():
    appeal = make_appeal()
    first, second = (make_signature(appeal, status="pending") for _ in range(2))
    confirm_signature(signature=first)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1

    with transaction.atomic():
        confirm_signature(signature=second)
        # A worker takes the waiting fold before this change is committed: that
        # fold cannot see it.
        DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)

    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_a_confirmation_rolled_back_leaves_no_fold_queued():
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")

    with pytest.raises(RuntimeError), transaction.atomic():
        confirm_signature(signature=signature)
        raise RuntimeError("the request failed after confirming")

    assert not DBTaskResult.objects.exists()
    assert not SignatureCountDelta.objects.exists()


def test_the_fold_appends_to_the_log_and_queues_a_checkpoint_an_hour_later():
    appeal = make_appeal()
    first, second = (make_signature(appeal, status="pending") for _ in range(2))
    confirm_signature(signature=first)
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    [checkpoint] = LogCheckpoint.objects.all()
    assert checkpoint.tree_size == checkpoint.signature_count == 1
    [later] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert later.task_path == "appeals.services.tasks.checkpoint_logs"
    assert later.run_after > timezone.now() + timedelta(minutes=59)

    # A signature within the hour: appended, signed by that later checkpoint.
    confirm_signature(signature=second)
    DBTaskResult.objects.filter(
        task_path="appeals.services.tasks.fold_signature_counts"
    ).update(run_after=timezone.now())
    run_worker()
    assert LogCheckpoint.objects.count() == 1
    LogCheckpoint.objects.update(made_at=timezone.now() - timedelta(hours=1))
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    latest = LogCheckpoint.objects.order_by("-tree_size").first()
    assert latest.tree_size == latest.signature_count == 2
