"""With the production queue, emails and count folding wait for the worker."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals.models import Signature
from appeals.services import confirm_signature
from tests.factories import form_shown, make_appeal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "counts"],
        }
    }


def run_worker():
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*"
    )


def test_the_signer_gets_the_email_once_the_worker_runs(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()
    response = client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Ann",
            "email": "ann@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )

    assert response.status_code == 302
    assert mailoutbox == []
    assert DBTaskResult.objects.count() == 1

    run_worker()

    assert [message.to for message in mailoutbox] == [["ann@example.org"]]


def test_count_changes_are_folded_by_one_delayed_task(database_queue):
    appeal = make_appeal()
    for number in range(3):
        signature = Signature.objects.create(
            appeal=appeal, full_name="A", email=f"a{number}@example.org", country="UA"
        )
        confirm_signature(signature=signature)

    [fold] = DBTaskResult.objects.all()
    assert fold.task_path == "appeals.tasks.fold_signature_counts"
    assert timezone.now() < fold.run_after <= timezone.now() + timedelta(seconds=5)

    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    appeal.refresh_from_db()
    assert appeal.signature_count == 3
