"""The mail queue in one process: intake, screening, sending, retries, send-time checks.

The mailer as a real process, against a real SMTP server and PostgreSQL, is in
test_mail_processes.py.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appeals import services, sharedcache
from appeals.mail import intake, sender
from appeals.mail.mailer import send_queued
from appeals.mail.sender import Pace, Sender, claim, give_back
from appeals.models import OutgoingEmail, Signature
from tests.concurrency import run_in_threads
from tests.factories import form_shown, make_appeal, make_signature, owe_confirmations
from tests.mail_backends import LOCMEM, GreylistingServerBackend, use_mail_server
from tests.processes import SmtpSink

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_queue"),
]

State = OutgoingEmail.State


@pytest.fixture(autouse=True)
def _greylisting_forgets():
    GreylistingServerBackend.seen.clear()


def sign(client, appeal, email):
    """Sign as a visitor would; each test client is one IP address."""
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


def recipients(mailoutbox) -> list[str]:
    return sorted(message.to[0] for message in mailoutbox)


def states() -> dict[str, str]:
    """Each signature email's state, by the signer's address."""
    return {
        message.signature.email_normalized: message.state
        for message in OutgoingEmail.objects.select_related("signature")
    }


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


@pytest.mark.usefixtures("three_a_minute_per_client")
def test_the_mailer_quarantines_the_submissions_past_a_rate_limit(mailoutbox):
    appeal = make_appeal()
    bot, person = Client(REMOTE_ADDR="198.51.100.7"), Client(REMOTE_ADDR="192.0.2.1")
    for number in range(5):
        assert sign(bot, appeal, f"bot{number}@example.org").status_code == 302
    sign(person, appeal, "ann@example.org")

    assert send_queued().sent == 4

    assert recipients(mailoutbox) == [
        "ann@example.org",
        "bot0@example.org",
        "bot1@example.org",
        "bot2@example.org",
    ]
    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert sorted(quarantined.values_list("email", flat=True)) == [
        "bot3@example.org",
        "bot4@example.org",
    ]
    assert all("ip_burst" in row.quarantine_reason for row in quarantined)
    assert not Signature.objects.exclude(email_due="").exists()


@pytest.mark.usefixtures("three_a_minute_per_client", "shared_cache")
def test_submissions_are_counted_in_the_window_of_the_moment_they_were_sent(
    client, mailoutbox
):
    appeal = make_appeal()
    for number in range(5):
        sign(client, appeal, f"signer{number}@example.org")
    # Two of them were sent two minutes ago, and the mailer was late.
    Signature.objects.filter(
        email__in=["signer0@example.org", "signer1@example.org"]
    ).update(created_at=timezone.now() - timedelta(minutes=2))

    assert send_queued().sent == 5

    assert not Signature.objects.filter(status=Signature.Status.QUARANTINED).exists()


@pytest.mark.usefixtures("three_a_minute_per_client", "shared_cache")
def test_a_lagging_mailer_screens_as_a_prompt_one_would(mailoutbox):
    """Five a minute from one client, for five minutes: each minute, three pass."""
    appeal = make_appeal()
    start = timezone.now() - timedelta(hours=2)
    signatures = [
        make_signature(
            appeal,
            email=f"s{number}@example.org",
            ip_hash="one-client",
            status=Signature.Status.PENDING,
            created_at=start + timedelta(seconds=12 * number),
            email_due="unscreened",
        )
        for number in range(25)
    ]
    # A prompt mailer takes each in as it comes; a lagging one, all two hours on.
    prompt_quarantined = {
        f"s{number}@example.org" for number in range(25) if number % 5 >= 3
    }

    send_queued()

    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert set(quarantined.values_list("email", flat=True)) == prompt_quarantined
    assert len(mailoutbox) == len(signatures) - len(prompt_quarantined)


@pytest.mark.usefixtures("three_a_minute_per_client", "shared_cache")
def test_screening_again_after_a_failure_counts_nothing_twice(
    client, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"signer{number}@example.org")
    # The database fails after the screening, before the emails are queued.
    bulk_create = OutgoingEmail.objects.bulk_create

    def fails(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(OutgoingEmail.objects, "bulk_create", fails)
    with pytest.raises(RuntimeError):
        intake.take_in()
    monkeypatch.setattr(OutgoingEmail.objects, "bulk_create", bulk_create)

    assert send_queued().sent == 3
    assert not Signature.objects.filter(status=Signature.Status.QUARANTINED).exists()


def test_while_the_rate_limit_counters_are_unreachable_emails_wait(
    client, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    assert sign(client, appeal, "ann@example.org").status_code == 302
    admit = sharedcache.admit

    def unreachable(events):
        raise ConnectionError("Redis unreachable")

    monkeypatch.setattr(sharedcache, "admit", unreachable)
    with pytest.raises(CommandError, match="Redis"):
        call_command("send_due_emails", stdout=StringIO())

    assert mailoutbox == []
    row = Signature.objects.get()
    assert (row.status, row.email_due) == (Signature.Status.PENDING, "unscreened")
    monkeypatch.setattr(sharedcache, "admit", admit)
    assert send_queued().sent == 1
    assert recipients(mailoutbox) == ["ann@example.org"]


def test_an_address_the_server_refuses_fails_alone_with_the_reply(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.RefusingServerBackend")
    sign(client, appeal, "nobody@refused.example")
    sign(client, appeal, "ann@example.org")

    send_queued()

    assert recipients(mailoutbox) == ["ann@example.org"]
    failed = OutgoingEmail.objects.get(state=State.FAILED)
    assert failed.signature.email == "nobody@refused.example"
    assert failed.last_error == "550 5.1.1 No such user"


def test_a_message_refused_after_data_fails_alone_and_the_rest_go_out(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    use_mail_server(settings, "tests.mail_backends.RefusingAfterDataBackend")
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bot@spam.example")
    sign(client, appeal, "bob@example.org")

    send_queued()
    send_queued()  # A second pass changes nothing: failed is final.

    assert recipients(mailoutbox) == ["ann@example.org", "bob@example.org"]
    assert states() == {
        "ann@example.org": State.SENT,
        "bot@spam.example": State.FAILED,
        "bob@example.org": State.SENT,
    }
    assert OutgoingEmail.objects.get(state=State.FAILED).last_error == (
        "554 5.7.1 Message refused"
    )


def test_a_temporary_refusal_is_retried_later_and_delivered(
    client, mailoutbox, settings
):
    appeal = make_appeal()
    settings.MAIL_RETRY_SECONDS = 60
    use_mail_server(settings, "tests.mail_backends.GreylistingServerBackend")
    sign(client, appeal, "ann@example.org")

    send_queued()

    message = OutgoingEmail.objects.get()
    assert (message.state, message.attempts) == (State.RETRYING, 1)
    assert message.last_error.startswith("451 ")
    pause = message.due_at - timezone.now()
    assert timedelta(seconds=55) < pause <= timedelta(seconds=60)
    assert send_queued().sent == 0  # Not before it is due.

    OutgoingEmail.objects.update(due_at=timezone.now())
    assert send_queued().sent == 1
    assert recipients(mailoutbox) == ["ann@example.org"]


def test_retries_wait_longer_each_time_and_give_up_after_the_limit(
    client, settings, mailoutbox
):
    settings.MAIL_RETRY_SECONDS = 60
    settings.MAIL_GIVE_UP_HOURS = 48
    use_mail_server(settings, "tests.mail_backends.RefusingAfterDataBackend")
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    send_queued()
    message = OutgoingEmail.objects.get()
    # Say the server answered 451 three times already.
    message.state, message.attempts = State.RETRYING, 3
    message.due_at = timezone.now()
    message.save()
    use_mail_server(settings, "tests.mail_backends.GreylistingServerBackend")

    send_queued()

    message.refresh_from_db()
    assert message.state == State.RETRYING
    pause = message.due_at - timezone.now()
    assert timedelta(minutes=7) < pause <= timedelta(minutes=8)  # 60 s × 2³.

    OutgoingEmail.objects.update(
        due_at=timezone.now(), created_at=timezone.now() - timedelta(hours=49)
    )
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")
    send_queued()  # Unreachable: nobody's fault, it waits, even this old.
    assert OutgoingEmail.objects.get().state == State.QUEUED
    GreylistingServerBackend.seen.clear()
    use_mail_server(settings, "tests.mail_backends.GreylistingServerBackend")
    send_queued()
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert message.last_error.startswith("451 ")


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


def test_an_email_that_cannot_be_written_does_not_cost_the_others_theirs(
    client, mailoutbox, monkeypatch
):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    sign(client, appeal, "bob@example.org")
    render_queued = sender.render_queued

    def broken_for_ann(message, **kwargs):
        if message.signature.email == "ann@example.org":
            raise KeyError("template variable")
        return render_queued(message, **kwargs)

    monkeypatch.setattr(sender, "render_queued", broken_for_ann)

    send_queued()

    assert recipients(mailoutbox) == ["bob@example.org"]
    failed = OutgoingEmail.objects.get(state=State.FAILED)
    assert "KeyError" in failed.last_error


def test_a_dead_mailers_claims_are_taken_once_their_lease_runs_out(client, mailoutbox):
    appeal = make_appeal()
    sign(client, appeal, "ann@example.org")
    intake.take_in()
    [held] = claim(mailer_id="dead-mailer", limit=10)
    assert send_queued().sent == 0  # Held by a mailer that may still send it.

    OutgoingEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))

    assert send_queued().sent == 1
    held.refresh_from_db()
    assert (held.state, held.attempts) == (State.SENT, 2)
    # The dead mailer's late word changes nothing.
    assert give_back(mailer_id="dead-mailer") == 0


def test_a_stopping_sender_gives_back_what_it_has_not_sent(client, mailoutbox):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"s{number}@example.org")
    intake.take_in()
    stop = threading.Event()
    stop.set()
    sender = Sender(mailer_id="me", stop=stop, pace=Pace(0))

    assert sender.send_batch() == 3

    assert mailoutbox == []
    assert (
        list(OutgoingEmail.objects.values_list("state", "attempts"))
        == [(State.QUEUED, 0)] * 3
    )


def test_the_pace_spreads_messages_over_the_second():
    waits = []

    class Recorded(threading.Event):
        def wait(self, timeout=None):
            waits.append(round(timeout, 2))

    pace = Pace(per_second=4)
    for _ in range(4):
        pace.wait(Recorded())

    assert waits == [0, 0.25, 0.5, 0.75]


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


@pytest.mark.usefixtures("three_a_minute_per_client")
def test_the_admin_resend_counts_against_the_rate_limits(client, mailoutbox):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"s{number}@example.org")
    send_queued()
    mailoutbox.clear()
    pending = Signature.objects.order_by("pk")

    # Three confirmation links from that client this minute already.
    assert not services.resend_confirmation(signature=pending[0])

    assert send_queued().sent == 0
    assert mailoutbox == []


@pytest.mark.postgres
def test_mailers_running_at_once_send_each_owed_email_once(mailoutbox):
    owed = owe_confirmations(make_appeal(), 250)

    reports = run_in_threads(4, lambda i: send_queued())

    assert sum(report.sent for report in reports) == 250
    assert recipients(mailoutbox) == sorted(owed)
    assert OutgoingEmail.objects.filter(state=State.SENT).count() == 250
    assert not Signature.objects.exclude(email_due="").exists()


def test_a_short_lease_still_leaves_time_to_send_the_batch(
    client, mailoutbox, settings
):
    settings.MAIL_LEASE_SECONDS = 5  # Shorter than the server's time-out (10 s).
    settings.MAILERS = {"default": {"BACKEND": LOCMEM, "OPTIONS": {}}}
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"s{number}@example.org")
    intake.take_in()
    sender = Sender(mailer_id="me", stop=threading.Event(), pace=Pace(0))

    assert sender.send_batch() == 3

    assert len(mailoutbox) == 3


# --- Found by attacking it ---------------------------------------------------


def owe(appeal, *addresses):
    for address in addresses:
        make_signature(
            appeal, email=address, status="pending", email_due="confirm", ip_hash=""
        )


def test_an_address_no_mail_server_can_take_fails_alone(settings):
    appeal = make_appeal()
    owe(appeal, "a@\u00ad.com", "ann@example.org", "bob@example.org")
    with SmtpSink() as sink:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
            }
        }
        report = send_queued()
        delivered = sorted(to for message in sink.messages() for to in message["to"])

    assert delivered == ["ann@example.org", "bob@example.org"]
    assert (report.sent, report.failed, report.waiting) == (2, 1, 0)
    failed = OutgoingEmail.objects.get(state=State.FAILED)
    assert failed.last_error.startswith("Address cannot be sent to")


@pytest.mark.parametrize(
    "address",
    [
        "a@\u200b.org",
        "a@\u00ad.com",
        "an\u202en@x.org",
        '"victim"@gmail.com',  # One mailbox, spelt anew each time.
        '"\\v\\ictim"@gmail.com',
    ],
)
def test_the_forms_refuse_an_address_no_mail_server_can_take(client, address):
    appeal = make_appeal()

    response = sign(client, appeal, address)

    assert response.status_code == 400
    assert "Enter" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_refusal_quoting_the_address_keeps_neither_it_nor_a_nul(client, settings):
    use_mail_server(settings, "tests.mail_backends.QuotingRefusalBackend")
    owe(make_appeal(), "ann@example.org")

    send_queued()

    failed = OutgoingEmail.objects.get()
    assert failed.state == State.FAILED
    assert failed.last_error == "550 5.1.1 <<address>>: no such user"


def test_a_signature_withdrawn_or_rejected_while_its_batch_goes_out_gets_nothing(
    mailoutbox, monkeypatch
):
    # Signatures are read again at most FRESH_SECONDS before their email; here,
    # the withdrawal and the next email come within a millisecond.
    monkeypatch.setattr(sender, "FRESH_SECONDS", 0)
    appeal = make_appeal()
    owe(appeal, "s0@example.org", "s1@example.org", "s2@example.org")
    intake.take_in()
    deliver = sender.Sender.deliver

    def meanwhile(self, message, email, **kwargs):
        if email.to == ["s0@example.org"]:  # While the first one goes out...
            services.withdraw_signature(
                signature=Signature.objects.get(email="s1@example.org")
            )
            services.reject_signatures(
                signatures=Signature.objects.filter(email="s2@example.org")
            )
        return deliver(self, message, email, **kwargs)

    monkeypatch.setattr(sender.Sender, "deliver", meanwhile)

    send_queued()

    assert recipients(mailoutbox) == ["s0@example.org"]
    assert OutgoingEmail.objects.filter(state=State.CANCELLED).count() == 2


def test_an_email_whose_lease_another_sender_took_over_is_not_sent_twice(mailoutbox):
    owe(make_appeal(), "s0@example.org", "s1@example.org")
    intake.take_in()
    first = Sender(mailer_id="slow", stop=threading.Event(), pace=Pace(0))
    held = claim(mailer_id="slow", limit=10)
    # Its lease ran out on one of them, and another sender took it and sent it.
    OutgoingEmail.objects.filter(pk=held[1].pk).update(claimed_by="other")

    for message in held:
        if sender.renew_lease(message, mailer_id="slow"):
            first.unrecorded.append(first.send(message))
    first.flush()

    assert len(mailoutbox) == 1


def test_a_kept_connection_the_server_closed_is_opened_again(mailoutbox, settings):
    use_mail_server(settings, "tests.mail_backends.IdleClosingServerBackend")
    owe(make_appeal(), "s0@example.org", "s1@example.org", "s2@example.org")

    report = send_queued()

    assert (report.sent, report.waiting) == (3, 0)
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}


def test_a_server_refusing_everything_pauses_the_queue_instead_of_failing_it(
    mailoutbox, settings
):
    use_mail_server(settings, "tests.mail_backends.RefusingAfterDataBackend")
    owe(make_appeal(), *(f"s{number}@spam.example" for number in range(15)))

    report = send_queued()

    assert report.failed == Sender.REFUSALS_IN_A_ROW - 1
    assert OutgoingEmail.objects.filter(state=State.QUEUED).count() == 6
