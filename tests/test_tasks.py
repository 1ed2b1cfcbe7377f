"""With the production queue: count changes are folded by one delayed task."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals.models import Signature
from appeals.services import confirm_signature
from tests.factories import make_appeal

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
