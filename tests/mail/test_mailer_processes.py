"""The mailer as production runs it: a real process, a real SMTP server, PostgreSQL.

Each test kills, restarts or starves something the mailer depends on, and checks
what the signers would see: every email that is owed arrives, once (except where
SMTP itself cannot tell: the server took a message and its answer was lost), and
nobody who is no longer owed one gets it.
"""

import os
import random
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from appeals import services
from appeals.models import OutgoingEmail, Signature
from tests.factories import make_appeal, owe_confirmations
from tests.processes import ManagePy, SmtpSink, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 4
LEASE_SECONDS = 5


def mailer(sink, **env):
    """Start `send_due_emails --watch` against the sink; return once it runs."""
    process = ManagePy(
        "send_due_emails",
        "--watch",
        EMAIL_URL=sink.url,
        EMAIL_TIMEOUT="2",
        TASKS_BACKEND="database",
        MAIL_CONNECTIONS=str(CONNECTIONS),
        MAIL_LEASE_SECONDS=str(LEASE_SECONDS),
        MAIL_RETRY_SECONDS="1",
        **env,
    )
    wait_for(lambda: "sending emails as they are queued" in process.output(), 30)
    return process


def wait_for(condition, seconds: float, *, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {seconds} s")
        time.sleep(every)


def queue_is_empty() -> bool:
    return (
        not Signature.objects.exclude(email_due="").exists()
        and not OutgoingEmail.objects.waiting().exists()
    )


def delivered(sink) -> Counter:
    """How many times each address got an email."""
    return Counter(address for message in sink.messages() for address in message["to"])


def test_a_mailer_killed_again_and_again_loses_no_email(django_db_blocker):
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 2000)
    kills = 10
    with SmtpSink(slow=0.005) as sink:
        for _ in range(kills):
            with mailer(sink) as process:
                time.sleep(random.uniform(0.05, 0.6))
                process.kill()
                process.wait(10)
        assert not queue_is_empty(), "the backlog ran out before the last kill"
        with mailer(sink):
            wait_for(queue_is_empty, 60 + LEASE_SECONDS)
        got = delivered(sink)

    assert set(got) == owed
    # Each kill may cut off one message per connection after the server took
    # it and before its outcome was written: only those may go twice.
    duplicates = sum(count - 1 for count in got.values())
    assert duplicates <= kills * CONNECTIONS
    assert OutgoingEmail.objects.filter(state="sent").count() == 2000


def test_two_mailers_at_once_send_each_email_once():
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 1000)
    with SmtpSink() as sink, mailer(sink), mailer(sink):
        wait_for(queue_is_empty, 60)
        got = delivered(sink)

    assert set(got) == owed
    assert max(got.values()) == 1


def test_sigterm_during_a_backlog_ends_the_mailer_within_seconds_and_gives_back():
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 600)
    with SmtpSink(slow=0.05) as sink:
        with mailer(sink) as first:
            wait_for(lambda: len(sink.messages()) >= 10, 30)
            stopping = time.monotonic()
            first.terminate()
            first.terminate()  # Twice, as a supervisor and a process group may.
            assert first.wait(10) == 0
            assert time.monotonic() - stopping < 5
        # Nothing left held by the mailer that left: the next takes it all at once.
        assert not OutgoingEmail.objects.filter(state="sending").exists()
        assert not queue_is_empty()
        with mailer(sink):
            wait_for(queue_is_empty, 90)
        got = delivered(sink)

    assert set(got) == owed
    assert max(got.values()) == 1  # It finished what it had in flight.


@pytest.mark.skipif(
    os.environ.get("TEST_RESTART_POSTGRESQL") != "1",
    reason="restarts the machine's PostgreSQL for everyone on it; .ci/run sets "
    "TEST_RESTART_POSTGRESQL=1, set it to run this here",
)
def test_the_mailer_lives_through_a_postgresql_restart_and_sends_the_rest():
    pg_ctlcluster = shutil.which("pg_ctlcluster")
    if not pg_ctlcluster:
        pytest.fail("needs pg_ctlcluster to restart PostgreSQL (Debian's postgresql)")
    version = sorted(Path("/etc/postgresql").iterdir())[0].name
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 1000, due="unscreened")
    with SmtpSink(slow=0.01) as sink, mailer(sink) as process:
        wait_for(lambda: len(sink.messages()) >= 50, 30)
        connection.close()
        subprocess.run(
            [pg_ctlcluster, "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            timeout=60,
        )
        wait_for(queue_is_empty_after_restart, 120, every=0.5)
        assert process.is_running(), process.output()
        log = process.output()
        got = delivered(sink)

    assert set(got) == owed
    assert "Database unreachable" in log
    assert not OutgoingEmail.objects.exclude(state="sent").exists()


def queue_is_empty_after_restart() -> bool:
    try:
        return queue_is_empty()
    except Exception:  # PostgreSQL not back yet: ask again.
        connection.close()
        return False


def test_the_mailer_waits_out_a_mail_server_outage():
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 300)
    with SmtpSink(slow=0.01) as sink, mailer(sink) as process:
        wait_for(lambda: len(sink.messages()) >= 20, 30)
        sink.stop()
        time.sleep(3)
        assert process.is_running()
        sink.start()
        wait_for(queue_is_empty, 90)
        got = delivered(sink)

    assert set(got) == owed
    assert not OutgoingEmail.objects.filter(state="failed").exists()


def test_the_mailer_waits_out_a_redis_outage():
    redis_server = shutil.which("redis-server")
    if not redis_server:
        pytest.fail("needs redis-server")
    port = free_port()
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 50, due="unscreened")
    redis = None
    with SmtpSink() as sink, mailer(sink, CACHE_URL=f"redis://127.0.0.1:{port}/0"):
        try:
            time.sleep(3)
            # New signatures wait, unscreened and unsent, for the rate limits.
            assert sink.messages() == []
            assert Signature.objects.filter(email_due="unscreened").count() == 50
            redis = subprocess.Popen(
                [redis_server, "--port", str(port), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
            wait_for(queue_is_empty, 60)
            got = delivered(sink)
        finally:
            if redis:
                redis.terminate()
                redis.wait(10)

    assert set(got) == owed


def test_a_refusal_after_data_fails_that_email_alone():
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 50)
    with SmtpSink(refuse_data=("signer7@gmail.com",)) as sink, mailer(sink):
        wait_for(queue_is_empty, 60)
        got = delivered(sink)

    assert set(got) == owed - {"signer7@gmail.com"}
    failed = OutgoingEmail.objects.get(state="failed")
    assert failed.signature.email == "signer7@gmail.com"
    assert failed.last_error.startswith("554 5.7.1")


def test_a_temporary_refusal_at_rcpt_is_retried_and_delivered():
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 20)
    with SmtpSink(defer_rcpt={"signer3@gmail.com": 1}) as sink, mailer(sink):
        wait_for(queue_is_empty, 60)
        got = delivered(sink)

    assert set(got) == owed
    retried = OutgoingEmail.objects.get(signature__email="signer3@gmail.com")
    assert (retried.state, retried.attempts) == ("sent", 2)


def test_signatures_rejected_quarantined_or_withdrawn_before_the_mailer_get_nothing():
    appeal = make_appeal()
    owed = owe_confirmations(appeal, 20, due="unscreened")
    rejected, quarantined, withdrawn = (
        Signature.objects.get(email=f"signer{number}@gmail.com") for number in (1, 2, 3)
    )
    services.reject_signatures(signatures=Signature.objects.filter(pk=rejected.pk))
    Signature.objects.filter(pk=quarantined.pk).update(status="quarantined")
    services.withdraw_signature(signature=withdrawn)

    with SmtpSink() as sink, mailer(sink):
        wait_for(queue_is_empty, 60)
        got = delivered(sink)

    assert set(got) == owed - {
        "signer1@gmail.com",
        "signer2@gmail.com",
        "signer3@gmail.com",
    }
