"""Updates to signers: consent, versions, unsubscribing, priorities, fan-out."""

import email
import email.policy
import random
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appeals.mail import fanout
from appeals.mail.mailer import send_queued
from appeals.mail.sender import claim
from appeals.models import (
    DeliveryEvent,
    OutgoingEmail,
    ResponseClock,
    Signature,
    Update,
    UpdateText,
)
from appeals.services import confirm_signature, updates
from appeals.tokens import Purpose, make_token
from tests.factories import make_appeal, make_signature
from tests.mail.test_mailer_processes import CONNECTIONS, delivered, mailer, wait_for
from tests.processes import SmtpSink

pytestmark = pytest.mark.django_db

Status = Signature.Status


def make_update(appeal, **overrides) -> Update:
    fields = {"title": "The appeal was delivered", "body": "We handed it over today."}
    return Update.objects.create(appeal=appeal, **fields | overrides)


def send(update, django_capture_on_commit_callbacks, user=None):
    with django_capture_on_commit_callbacks(execute=True):
        updates.send_update(update=update, user=user)


def fan_out(update) -> None:
    """Send an update and queue all of its emails here, as the task worker would."""
    updates.send_update(update=update, user=None)
    while fanout.take_in_update():
        pass


def recipients(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_only_confirmed_signers_who_asked_get_an_update(
    mailoutbox, django_capture_on_commit_callbacks
):
    appeal = make_appeal()
    make_signature(appeal, email="yes@example.org", wants_updates=True)
    make_signature(appeal, email="no@example.org", wants_updates=False)
    for status in [
        Status.PENDING,
        Status.WITHDRAWN,
        Status.QUARANTINED,
        Status.REJECTED,
    ]:
        make_signature(
            appeal, email=f"{status}@example.org", status=status, wants_updates=True
        )
    make_signature(appeal, email="", wants_updates=True)  # Erased.
    make_signature(make_appeal(), email="other@example.org", wants_updates=True)
    update = make_update(appeal)

    send(update, django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == ["yes@example.org"]
    update.refresh_from_db()
    assert (update.state, update.recipient_count) == (Update.State.SENT, 1)
    assert update.published_at is not None


def test_each_signer_gets_the_version_they_read_in_their_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    appeal = make_appeal(title="Free the journalists")
    version = make_appeal(
        title="Звільніть журналістів", translation_of=appeal, slug="uk"
    )
    make_signature(appeal, email="en@example.org", wants_updates=True)
    make_signature(
        appeal,
        email="uk@example.org",
        wants_updates=True,
        appeal_version=version,
        language="uk",
    )
    update = make_update(appeal)
    UpdateText.objects.create(
        update=update,
        appeal_version=version,
        title="Звернення передано",
        body="Сьогодні.",
    )

    send(update, django_capture_on_commit_callbacks)

    by_address = {message.to[0]: message for message in mailoutbox}
    assert by_address["en@example.org"].subject == "The appeal was delivered"
    assert "We handed it over today." in by_address["en@example.org"].body
    ukrainian = by_address["uk@example.org"]
    assert ukrainian.subject == "Звернення передано"
    assert "Сьогодні." in ukrainian.body
    assert "Звільніть журналістів" in ukrainian.body
    assert "We handed it over" not in ukrainian.body


def test_an_update_carries_one_click_unsubscribe_headers(
    mailoutbox, django_capture_on_commit_callbacks
):
    appeal = make_appeal(slug="free-them")
    signature = make_signature(appeal, email="ann@example.org", wants_updates=True)

    send(make_update(appeal), django_capture_on_commit_callbacks)

    message = email.message_from_bytes(
        mailoutbox[0].message().as_bytes(), policy=email.policy.default
    )
    link = reverse(
        "appeals:unsubscribe",
        kwargs={"token": make_token(signature, Purpose.UNSUBSCRIBE)},
    )
    assert message["List-Unsubscribe"].endswith(f"{link}>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"].startswith("<free-them.updates.")
    assert link in mailoutbox[0].body


def unsubscribe_url(signature) -> str:
    return reverse(
        "appeals:unsubscribe",
        kwargs={"token": make_token(signature, Purpose.UNSUBSCRIBE)},
    )


def test_one_click_unsubscribe_needs_no_cookie_and_get_changes_nothing():
    appeal = make_appeal()
    signature = make_signature(appeal, wants_updates=True)
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(unsubscribe_url(signature))
    signature.refresh_from_db()
    assert page.status_code == 200 and signature.wants_updates

    # What a mail client sends (RFC 8058): no cookie, no CSRF token.
    done = browser.post(unsubscribe_url(signature), {"List-Unsubscribe": "One-Click"})

    assert done.status_code == 200
    signature.refresh_from_db()
    assert not signature.wants_updates
    assert signature.status == Status.CONFIRMED  # Still counted.


def test_unsubscribing_from_everything_covers_every_appeal_and_the_newsletter():
    first, second = make_appeal(), make_appeal()
    one = make_signature(
        first, email="ann@example.org", wants_updates=True, has_newsletter_consent=True
    )
    two = make_signature(second, email="ANN@example.org", wants_updates=True)
    someone_else = make_signature(second, email="bob@example.org", wants_updates=True)

    Client().post(unsubscribe_url(one), {"scope": "everything"})

    assert list(
        Signature.objects.filter(pk__in=[one.pk, two.pk]).values_list(
            "wants_updates", "has_newsletter_consent"
        )
    ) == [(False, False), (False, False)]
    someone_else.refresh_from_db()
    assert someone_else.wants_updates


def test_a_bad_unsubscribe_link_says_so():
    response = Client().post(
        reverse("appeals:unsubscribe", kwargs={"token": "forged"}), {}
    )
    assert response.status_code == 400


def test_unsubscribing_while_the_update_is_queued_stops_its_email(
    mailoutbox, database_queue
):
    appeal = make_appeal()
    ann = make_signature(appeal, email="ann@example.org", wants_updates=True)
    make_signature(appeal, email="bob@example.org", wants_updates=True)
    update = make_update(appeal)
    fan_out(update)
    assert update.emails.filter(state="queued").count() == 2

    Client().post(unsubscribe_url(ann), {"List-Unsubscribe": "One-Click"})
    send_queued()

    assert recipients(mailoutbox) == ["bob@example.org"]
    assert update.emails.get(signature=ann).state == OutgoingEmail.State.CANCELLED


def test_a_fan_out_run_again_queues_no_one_twice(database_queue):
    appeal = make_appeal()
    for number in range(5):
        make_signature(appeal, email=f"s{number}@example.org", wants_updates=True)
    update = make_update(appeal)

    fan_out(update)
    Update.objects.filter(pk=update.pk).update(
        state=Update.State.SENDING,
        queued_up_to=0,  # As if killed before its end.
    )
    while fanout.take_in_update():
        pass

    assert update.emails.count() == 5
    update.refresh_from_db()
    assert update.recipient_count == 5


def test_confirmation_links_go_before_any_update_email(database_queue):
    appeal = make_appeal()
    for number in range(30):
        make_signature(appeal, email=f"s{number}@example.org", wants_updates=True)
    update = make_update(appeal)
    fan_out(update)
    pending = make_signature(appeal, status=Status.PENDING)
    OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.CONFIRM,
        priority=OutgoingEmail.Priority.URGENT,
        signature=pending,
        language="en",
    )

    first = claim(mailer_id="test", limit=1)

    assert [message.kind for message in first] == [OutgoingEmail.Kind.CONFIRM]


def test_a_paused_update_holds_its_emails_until_resumed(
    mailoutbox, database_queue, django_capture_on_commit_callbacks
):
    appeal = make_appeal()
    make_signature(appeal, email="ann@example.org", wants_updates=True)
    update = make_update(appeal)
    fan_out(update)

    updates.pause_update(update=update)
    send_queued()
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        updates.resume_update(update=update)
    send_queued()
    assert recipients(mailoutbox) == ["ann@example.org"]


def test_a_cancelled_update_sends_nothing_more(mailoutbox, database_queue):
    appeal = make_appeal()
    make_signature(appeal, email="ann@example.org", wants_updates=True)
    update = make_update(appeal)
    fan_out(update)

    updates.cancel_update(update=update)
    send_queued()

    assert mailoutbox == []
    assert set(update.emails.values_list("state", flat=True)) == {"cancelled"}


def test_sending_a_second_update_within_a_week_is_flagged(
    django_capture_on_commit_callbacks,
):
    appeal = make_appeal()
    first = make_update(appeal)
    send(first, django_capture_on_commit_callbacks)
    second = make_update(appeal, title="Another")

    assert updates.recently_sent(second) == first
    assert updates.recently_sent(first) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fan_out_and_a_mailer_killed_again_and_again_send_each_signer_one_update(
    database_queue,
):
    appeal = make_appeal()
    owed = {f"reader{number}@example.org" for number in range(1200)}
    Signature.objects.bulk_create(
        Signature(
            appeal=appeal,
            full_name="Reader",
            email=address,
            email_normalized=address,
            country="UA",
            status=Status.CONFIRMED,
            wants_updates=True,
        )
        for address in owed
    )
    update = make_update(appeal)
    updates.send_update(update=update, user=None)  # The mailer takes it from here.

    kills, queued_at_kills = 8, []
    slow_fan_out = {"UPDATE_SLICE_SIZE": "50", "UPDATE_FAN_OUT_SHARE": "0.05"}
    with SmtpSink(slow=0.005) as sink:
        for _ in range(kills):  # While it queues slices of 50, and sends.
            with mailer(sink, **slow_fan_out) as process:
                time.sleep(random.uniform(0.1, 1.5))
                process.kill()
                process.wait(10)
            queued_at_kills.append(update.emails.count())
        assert any(0 < queued < 1200 for queued in queued_at_kills), queued_at_kills
        with mailer(sink, **slow_fan_out):
            wait_for(
                lambda: (
                    Update.objects.get(pk=update.pk).state == Update.State.SENT
                    and not OutgoingEmail.objects.waiting().exists()
                ),
                120,
            )
        got = delivered(sink)

    assert update.emails.count() == 1200
    assert set(got) == owed
    # Each kill may cut off one message per connection after the server took it
    # and before its outcome was written: only those may go twice.
    assert sum(count - 1 for count in got.values()) <= kills * CONNECTIONS


def event(appeal, kind, days_ago, **fields):
    return DeliveryEvent.objects.create(
        appeal=appeal,
        kind=kind,
        occurred_on=timezone.localdate() - timedelta(days=days_ago),
        **fields,
    )


def test_the_response_clock_counts_from_the_latest_delivery_until_a_reply():
    appeal = make_appeal()
    assert ResponseClock.of(appeal.delivery_events.all()) is None

    event(appeal, DeliveryEvent.Kind.DELIVERED, 30)
    event(appeal, DeliveryEvent.Kind.REPLY, 25, text="We refuse.")
    event(appeal, DeliveryEvent.Kind.DELIVERED, 12)  # Delivered again, since.
    clock = ResponseClock.of(appeal.delivery_events.all())
    assert (clock.is_waiting, clock.days_waiting) == (True, 12)

    reply = event(appeal, DeliveryEvent.Kind.REPLY, 2, text="We will review it.")
    clock = ResponseClock.of(appeal.delivery_events.all())
    assert (clock.is_waiting, clock.reply, clock.days_waiting) == (False, reply, 10)


def test_a_fan_out_stops_at_the_signers_it_started_with(database_queue):
    appeal = make_appeal()
    make_signature(appeal, email="before@example.org", wants_updates=True)
    update = make_update(appeal)
    updates.send_update(update=update, user=None)
    make_signature(appeal, email="after@example.org", wants_updates=True)

    while fanout.take_in_update():
        pass

    queued = update.emails.values_list("signature__email", flat=True)
    assert list(queued) == ["before@example.org"]


# Found by attacking it.


@pytest.mark.parametrize("state", ["retrying", "sending"])
def test_a_paused_update_sends_nothing_retried_or_taken_over(
    mailoutbox, database_queue, state
):
    appeal = make_appeal()
    make_signature(appeal, email="ann@example.org", wants_updates=True)
    update = make_update(appeal)
    fan_out(update)
    # Waiting to retry, or left by a mailer that died holding it.
    update.emails.update(state=state, attempts=1, due_at=timezone.now())

    updates.pause_update(update=update)
    send_queued()

    assert mailoutbox == []
    assert update.emails.get().state == OutgoingEmail.State.HELD


def test_a_confirmation_waits_behind_few_update_emails(database_queue):
    appeal = make_appeal()
    for number in range(60):
        make_signature(appeal, email=f"s{number}@example.org", wants_updates=True)
    fan_out(make_update(appeal))

    held = claim(mailer_id="bulk", limit=50)

    assert 0 < len(held) <= 10


def test_a_signer_who_confirms_after_the_fan_out_passed_still_gets_it(
    mailoutbox, database_queue
):
    appeal = make_appeal()
    make_signature(appeal, email="early@example.org", wants_updates=True)
    late = make_signature(
        appeal, email="late@example.org", wants_updates=True, status=Status.PENDING
    )
    fan_out(make_update(appeal))

    confirm_signature(signature=late)
    confirm_signature(signature=late)  # Twice: still one email.
    send_queued()

    assert recipients(mailoutbox) == ["early@example.org", "late@example.org"]


def test_an_update_email_links_to_the_version_its_reader_read(
    mailoutbox, django_capture_on_commit_callbacks
):
    appeal = make_appeal(slug="free-them")
    version = make_appeal(translation_of=appeal, slug="zvilnit", language="uk")
    make_signature(appeal, wants_updates=True, appeal_version=version, language="uk")
    update = make_update(appeal)
    UpdateText.objects.create(
        update=update, appeal_version=version, title="Т", body="Т"
    )

    send(update, django_capture_on_commit_callbacks)

    assert f"/appeals/zvilnit/updates/{update.pk}/" in mailoutbox[0].body


def test_one_click_unsubscribe_in_us_ascii_is_understood():
    signature = make_signature(make_appeal(), wants_updates=True)

    response = Client().post(
        unsubscribe_url(signature),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded; charset=us-ascii",
    )

    signature.refresh_from_db()
    assert (response.status_code, signature.wants_updates) == (200, False)


def test_a_delivery_dated_in_the_future_does_not_start_the_clock():
    appeal = make_appeal()
    event(appeal, DeliveryEvent.Kind.DELIVERED, -7)

    assert ResponseClock.of(appeal.delivery_events.all()) is None
