"""The mail queue in the admin: the state at a glance, failures, retrying them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals.models import OutgoingEmail
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db

State = OutgoingEmail.State


def email(**fields) -> OutgoingEmail:
    return OutgoingEmail.objects.create(**{"kind": "data_access", **fields})


def test_the_queue_page_shows_each_state_and_a_failure_with_its_reply(staff_client):
    for state in [State.QUEUED, State.QUEUED, State.SENDING, State.RETRYING]:
        email(state=state, to="someone@example.org", body="secret link /my-data/x/")
    email(state=State.SENT, sent_at=timezone.now())
    email(state=State.FAILED, last_error="554 5.7.1 Message refused")

    page = staff_client.get(reverse("admin:appeals_outgoingemail_changelist"))

    assert page.status_code == 200
    text = page.content.decode()
    queue = page.context["queue"]
    assert (queue.queued, queue.sending, queue.retrying) == (2, 1, 1)
    assert (queue.sent_last_hour, queue.failed) == (1, 1)
    assert "554 5.7.1 Message refused" in text
    # Neither an address nor a link meant for its reader is shown to staff.
    assert "someone@example.org" not in text
    assert "/my-data/x/" not in text


def test_staff_send_failed_emails_again(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    failed = email(
        state=State.FAILED,
        to="ann@example.org",
        subject="Your data",
        body="The link",
        attempts=3,
        last_error="550 mailbox full",
    )
    sent = email(state=State.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:appeals_outgoingemail_changelist"),
            {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
        )

    # Development sends at once; production's mailer within a second.
    assert [message.to for message in mailoutbox] == [["ann@example.org"]]
    failed.refresh_from_db()
    assert failed.state == State.SENT
    assert OutgoingEmail.objects.filter(state=State.SENT).count() == 2


def test_a_signatures_page_shows_its_emails(staff_client):
    signature = make_signature(make_appeal(), status="pending")
    OutgoingEmail.objects.create(
        kind="confirm", signature=signature, state=State.FAILED, last_error="550 No"
    )

    page = staff_client.get(
        reverse("admin:appeals_signature_change", args=[signature.pk])
    )

    assert page.status_code == 200
    assert "550 No" in page.content.decode()
