"""With the production queue, emails and count folding wait for the worker."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals.models import Signature
from appeals.services import confirm_signature, withdraw_signature
from tests.factories import form_shown, make_appeal
from tests.mail_backends import LOCMEM, use_mail_server

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


def sign(client, appeal, email):
    return client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Ann",
            "email": email,
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )


def queued_email_runs():
    return DBTaskResult.objects.filter(
        task_path="appeals.tasks.send_due_signature_emails", status="READY"
    ).count()


@pytest.mark.usefixtures("shared_cache")
def test_signers_get_their_emails_from_one_queued_run_however_many_sign(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()

    for email in ["ann@example.org", "bob@example.org", "cy@example.org"]:
        assert sign(client, appeal, email).status_code == 302

    assert mailoutbox == []
    assert queued_email_runs() == 1
    assert Signature.objects.filter(email_due="confirm").count() == 3

    run_worker()

    assert sorted(message.to[0] for message in mailoutbox) == [
        "ann@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
    assert not Signature.objects.exclude(email_due="").exists()
    # The run cleared its marker: the next signer queues a run of their own.
    sign(client, appeal, "dee@example.org")
    assert queued_email_runs() == 1
    run_worker()
    assert mailoutbox[-1].to == ["dee@example.org"]


def test_emails_wait_while_the_mail_server_is_down_and_go_out_after(
    client, database_queue, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")
    sign(client, appeal, "ann@example.org")

    run_worker()
    sign(client, appeal, "bob@example.org")  # Another failed run: no second retry.
    run_worker()

    assert Signature.objects.filter(email_due="confirm").count() == 2
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert retry.run_after > timezone.now() + timedelta(seconds=50)

    use_mail_server(settings, LOCMEM)
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    assert sorted(message.to[0] for message in mailoutbox) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert not Signature.objects.exclude(email_due="").exists()


def test_an_address_the_server_refuses_does_not_hold_up_the_others(
    client, database_queue, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.RefusingServerBackend")
    sign(client, appeal, "nobody@refused.example")
    sign(client, appeal, "ann@example.org")

    run_worker()

    assert [message.to for message in mailoutbox] == [["ann@example.org"]]
    assert not Signature.objects.exclude(email_due="").exists()
    assert not DBTaskResult.objects.filter(status="READY").exists()


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


def test_a_signature_withdrawn_before_its_email_went_out_gets_none(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    signature = Signature.objects.get()

    withdraw_signature(signature=signature)
    run_worker()

    assert mailoutbox == []
    signature.refresh_from_db()
    assert (signature.email, signature.email_due) == ("", "")


def test_an_email_that_cannot_be_written_does_not_cost_the_others_theirs(
    client, database_queue, mailoutbox
):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bob@example.org")
    Signature.objects.filter(email="ann@example.org").update(email_due="no-such-email")

    run_worker()

    assert [message.to for message in mailoutbox] == [["bob@example.org"]]
    assert not Signature.objects.exclude(email_due="").exists()
