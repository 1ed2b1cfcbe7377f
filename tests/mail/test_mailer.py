"""One pass of the mailer in one process: intake and sending, what goes out and when."""

import pytest
from django.urls import reverse

from appeals import services, sharedcache
from appeals.mail import intake
from appeals.mail.mailer import send_queued
from appeals.models import OutgoingEmail, Signature
from tests.concurrency import run_in_threads
from tests.factories import form_shown, make_appeal, owe_confirmations
from tests.mail.helpers import recipients, sign, states
from tests.mail_backends import LOCMEM, use_mail_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_queue"),
]

State = OutgoingEmail.State


@pytest.fixture
def screenings(monkeypatch):
    """The rate-limit screenings' round trips to the shared cache: events of each."""
    round_trips = []
    admit = sharedcache.admit

    def recorded(events):
        round_trips.append(events)
        return admit(events)

    monkeypatch.setattr(sharedcache, "admit", recorded)
    return round_trips


def test_signing_only_writes_the_row_and_the_mailer_sends_what_it_owes(
    client, mailoutbox, screenings
):
    appeal = make_appeal()

    for email in ["ann@example.org", "bob@example.org", "cy@example.org"]:
        assert sign(client, appeal, email).status_code == 302

    assert mailoutbox == []
    assert not OutgoingEmail.objects.exists()  # Nothing queued by the request...
    assert screenings == []  # ...and not even the rate limits consulted.
    assert Signature.objects.filter(email_due="unscreened").count() == 3

    assert send_queued().sent == 3

    assert len(screenings) == 1  # The three screened in one round trip.
    assert recipients(mailoutbox) == [
        "ann@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
    assert set(states().values()) == {State.SENT}
    assert not Signature.objects.exclude(email_due="").exists()
    assert send_queued().sent == 0  # Each email goes once.


def test_emails_wait_while_the_mail_server_is_down_and_go_out_after(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bob@example.org")

    report = send_queued()

    assert (report.sent, report.waiting) == (0, 2)
    # Nobody's attempt counted: the server was not there to refuse anything.
    assert list(OutgoingEmail.objects.values_list("state", "attempts")) == [
        (State.QUEUED, 0),
        (State.QUEUED, 0),
    ]
    use_mail_server(settings, LOCMEM)
    assert send_queued().sent == 2
    assert recipients(mailoutbox) == ["ann@example.org", "bob@example.org"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda signature: services.withdraw_signature(signature=signature),
            id="withdrawn",
        ),
        pytest.param(
            lambda signature: services.reject_signatures(
                signatures=Signature.objects.filter(pk=signature.pk)
            ),
            id="rejected",
        ),
        pytest.param(
            lambda signature: Signature.objects.filter(pk=signature.pk).update(
                status=Signature.Status.QUARANTINED
            ),
            id="quarantined",
        ),
    ],
)
@pytest.mark.parametrize("when", ["before intake", "after intake"])
def test_a_signature_no_longer_pending_gets_no_email(client, mailoutbox, change, when):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    signature = Signature.objects.get()
    if when == "after intake":
        intake.take_in()
        assert OutgoingEmail.objects.get().state == State.QUEUED

    change(signature)
    send_queued()

    assert mailoutbox == []
    assert not OutgoingEmail.objects.exclude(state=State.CANCELLED).exists()


def test_every_other_email_goes_through_the_queue_and_is_erased_once_sent(
    client, mailoutbox, settings
):
    settings.TYPO_REPORT_EMAILS = ["editor@example.org"]
    client.post(
        reverse("appeals:my_data_request"), {"email": "ann@example.org", **form_shown()}
    )
    assert mailoutbox == []
    queued = OutgoingEmail.objects.get()
    assert (queued.kind, queued.to) == ("data_access", "ann@example.org")
    assert "/my-data/" in queued.body

    send_queued()

    assert recipients(mailoutbox) == ["ann@example.org"]
    sent = OutgoingEmail.objects.get()
    assert (sent.state, sent.to, sent.body) == (State.SENT, "", "")


@pytest.mark.postgres
def test_mailers_running_at_once_send_each_owed_email_once(mailoutbox):
    owed = owe_confirmations(make_appeal(), 250)

    reports = run_in_threads(4, lambda i: send_queued())

    assert sum(report.sent for report in reports) == 250
    assert recipients(mailoutbox) == sorted(owed)
    assert OutgoingEmail.objects.filter(state=State.SENT).count() == 250
    assert not Signature.objects.exclude(email_due="").exists()
