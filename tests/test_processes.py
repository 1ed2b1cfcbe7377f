"""The harness for tests that run real processes: the SMTP sink and manage.py."""

import signal
import smtplib
import time
from email.message import EmailMessage

import pytest
from django.db import connection

from tests.processes import ManagePy, SmtpSink


def send(sink, to, subject="Confirm your signature", connection=None):
    message = EmailMessage()
    message["From"] = "noreply@example.org"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@example.org>"
    message.set_content("Follow the link to confirm.\n")
    if connection:
        return connection.send_message(message)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as smtp:
        return smtp.send_message(message)


def test_the_sink_accepts_a_message_and_logs_it():
    with SmtpSink() as sink:
        send(sink, "reader@example.org", subject="Hello")

        [logged] = sink.messages()

    assert logged["to"] == ["reader@example.org"]
    assert logged["subject"] == "Hello"
    assert logged["message_id"] == "<Hello@example.org>"
    assert logged["body"] == "Follow the link to confirm.\n"
    assert logged["at"] <= time.time()


def test_the_sink_logs_only_arrivals_when_told_to():
    with SmtpSink(arrivals_only=True) as sink:
        send(sink, "reader@example.org", subject="Hello")

        [logged] = sink.messages()

    assert set(logged) == {"to", "at"}
    assert logged["to"] == ["reader@example.org"]


def test_the_sink_refuses_the_data_of_a_refused_address_only():
    with SmtpSink(refuse_data=("refused@example.org",)) as sink:
        with pytest.raises(smtplib.SMTPDataError) as refusal:
            send(sink, "refused@example.org")
        send(sink, "reader@example.org")

        assert [m["to"] for m in sink.messages()] == [["reader@example.org"]]
    assert refusal.value.smtp_code == 554


def test_the_sink_defers_a_recipient_the_given_number_of_times_then_accepts():
    with SmtpSink(defer_rcpt={"later@example.org": 1}) as sink:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as deferral:
            send(sink, "later@example.org")
        send(sink, "later@example.org")

        assert len(sink.messages()) == 1
    assert deferral.value.recipients == {
        "later@example.org": (451, b"4.3.0 Try again later")
    }


def test_the_sink_stops_with_a_client_connected_and_comes_back_on_its_port():
    with SmtpSink() as sink:
        send(sink, "before@example.org", subject="Before")
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as connected:
            started = time.monotonic()
            sink.stop()
            assert time.monotonic() - started < 1
            assert sink.process.returncode == 0
            with pytest.raises(smtplib.SMTPServerDisconnected):
                send(sink, "lost@example.org", connection=connected)
        with pytest.raises(ConnectionRefusedError):
            send(sink, "during@example.org")

        sink.start()
        send(sink, "after@example.org", subject="After")

        assert [m["subject"] for m in sink.messages()] == ["Before", "After"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_manage_py_runs_on_the_test_database():
    with ManagePy("showmigrations", "appeals") as command:
        assert command.wait(timeout=60) == 0, command.output()
        # pytest-django migrated the test database; the database of DATABASE_URL
        # may not be.
        assert "[X] 0001_initial" in command.output()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killing_a_manage_py_command_ends_it():
    test_database = connection.settings_dict["NAME"]
    code = (
        "from django.db import connection; import time\n"
        "print(connection.settings_dict['NAME'], flush=True); time.sleep(60)"
    )
    with ManagePy("shell", "-c", code) as command:
        deadline = time.monotonic() + 30
        while test_database not in command.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert f"{test_database}\n" in command.output()
        assert command.is_running()

        command.kill()

        assert command.wait(timeout=5) == -signal.SIGKILL
        assert not command.is_running()
