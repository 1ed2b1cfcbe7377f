"""The mailer: `manage.py send_due_emails --watch`, beside the web servers.

One main thread takes in what signature rows owe (see intake) and what updates
going out owe (see fanout), and watches over MAIL_CONNECTIONS sender threads,
each with its own connection to the mail server and to the database (see
sender). Nothing that fails ends it: a database restart,
Redis or the mail server being down are logged, waited out and resumed from. On
SIGTERM it finishes the messages in flight, gives back the rest of its claims and
exits within seconds; if it is killed instead, its claims come back by themselves
when their lease runs out.
"""

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import Error, connection

from appeals.mail import fanout, intake
from appeals.mail.sender import Pace, Sender, ServerUnreachable, give_back
from appeals.models import OutgoingEmail

logger = logging.getLogger(__name__)

# How often the mailer looks for new work when it found none.
POLL_SECONDS = 0.5
# The longest a sender waits before trying an unreachable server again.
MAX_PAUSE_SECONDS = 30
# On SIGTERM, how long the messages in flight may take before the mailer leaves.
STOP_SECONDS = 3


@dataclass
class PassReport:
    sent: int
    waiting: int
    failed: int


def mailer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def send_queued() -> PassReport:
    """Queue what rows owe and send every due email, once, in this thread.

    Development and tests do this after each write; `send_due_emails` without
    --watch does it once. An unreachable server leaves the emails waiting.
    """
    while intake.take_in():
        pass
    while fanout.take_in_update():
        pass
    sender = Sender(mailer_id=mailer_id(), stop=threading.Event(), pace=Pace(0))
    try:
        while sender.send_batch():
            pass
    except ServerUnreachable as error:
        logger.warning("Mail server unreachable; emails wait: %s", error)
    finally:
        sender.close()
    return PassReport(
        sent=sender.recorded[OutgoingEmail.State.SENT],
        waiting=OutgoingEmail.objects.waiting().count(),
        failed=sender.recorded[OutgoingEmail.State.FAILED],
    )


class Mailer:
    """The long-running mailer: intake in this thread, senders in theirs."""

    def __init__(self):
        self.id = mailer_id()
        # Set by request_stop(), from a signal handler: a plain flag, since an
        # Event's lock could be held by the very thread the handler interrupts.
        self.stop_requested = False
        self.stop = threading.Event()  # Tells the senders; set by this thread only.
        self.work = threading.Event()  # Set when intake queued something.
        self.pace = Pace(settings.MAIL_MAX_PER_SECOND)
        self.senders: dict[threading.Thread, Sender] = {}
        self.started = 0
        self.next_slice_at = 0.0  # When an update's fan-out may write again.

    def request_stop(self) -> None:
        """Ask the mailer to stop within seconds; safe to call from a signal handler."""
        self.stop_requested = True

    def run(self) -> None:
        """Run until asked to stop; then hand back what is held and return."""
        logger.info("Mailer %s starting", self.id)
        try:
            while not self.stop_requested:
                self.keep_senders_running()
                taken = self.guarded(intake.take_in, "taking in signatures", 0)
                if taken:
                    self.work.set()
                if time.monotonic() >= self.next_slice_at:
                    self.fan_out()
                if taken < intake.BATCH_SIZE:
                    pause = min(POLL_SECONDS, self.next_slice_at - time.monotonic())
                    time.sleep(max(pause, 0.01))
        finally:
            self.shut_down()

    def fan_out(self) -> None:
        """Queue a slice of an update's emails, then rest a while (see fanout).

        Signing shares the machine: the fan-out writes at most
        UPDATE_FAN_OUT_SHARE of the time.
        """
        began = time.monotonic()
        if self.guarded(fanout.take_in_update, "queueing an update", False):
            self.work.set()
            share = settings.UPDATE_FAN_OUT_SHARE
            rest = (time.monotonic() - began) * (1 - share) / share
        else:
            rest = POLL_SECONDS  # None is going out: look again shortly.
        self.next_slice_at = time.monotonic() + rest

    def keep_senders_running(self) -> None:
        """Start senders up to MAIL_CONNECTIONS, in place of any that died."""
        self.senders = {
            thread: sender
            for thread, sender in self.senders.items()
            if thread.is_alive()
        }
        while len(self.senders) < settings.MAIL_CONNECTIONS:
            self.started += 1
            sender = Sender(
                mailer_id=f"{self.id}/{self.started}", stop=self.stop, pace=self.pace
            )
            thread = threading.Thread(
                target=self.send_loop,
                args=(sender,),
                name=f"sender-{self.started}",
                daemon=True,
            )
            self.senders[thread] = sender
            thread.start()

    def send_loop(self, sender: Sender) -> None:
        pause = 0.0
        try:
            while not self.stop.is_set():
                try:
                    held = sender.send_batch()
                except ServerUnreachable as error:
                    pause = min(max(pause * 2, 1), MAX_PAUSE_SECONDS)
                    logger.warning(
                        "Mail server unreachable (%s); trying again in %d s",
                        error,
                        pause,
                    )
                    self.stop.wait(pause)
                    continue
                except Error:  # DatabaseError, and InterfaceError beside it.
                    logger.exception("Database unreachable; trying again shortly")
                    connection.close()
                    self.stop.wait(1)
                    continue
                except Exception:
                    logger.exception("Sender failed; starting over")
                    self.stop.wait(1)
                    continue
                pause = 0.0
                if not held:
                    self.work.wait(POLL_SECONDS)
                    self.work.clear()
        finally:
            sender.close()
            connection.close()

    def guarded(self, job, doing: str, default):
        """Run a job of the main thread; log and wait out any failure."""
        try:
            return job()
        except Error:
            logger.exception("Database unreachable while %s; trying again", doing)
            connection.close()
        except Exception:
            logger.exception("Failed while %s (Redis down?); trying again", doing)
        if not self.stop_requested:
            time.sleep(1)
        return default

    def shut_down(self) -> None:
        """Let the emails in flight finish, then give back what was not started.

        A sender still waiting for the server's answer keeps its email in flight
        under its lease: the server may be taking it.
        """
        self.stop.set()
        self.work.set()
        deadline = time.monotonic() + STOP_SECONDS
        for thread in self.senders:
            thread.join(max(0, deadline - time.monotonic()))
        # The database may be what hangs: what is not given back in time returns
        # with its lease.
        giving_back = threading.Thread(target=self.give_back_untried, daemon=True)
        giving_back.start()
        giving_back.join(max(0.5, deadline + 1 - time.monotonic()))

    def give_back_untried(self) -> None:
        given = 0
        try:
            for thread, sender in self.senders.items():
                if thread.is_alive():
                    untried = [m for m in sender.held if m is not sender.current]
                    given += give_back(mailer_id=sender.mailer_id, messages=untried)
        except Error:
            logger.warning("Could not give back claims: they return with their lease")
        finally:
            connection.close()
        logger.info("Mailer %s stopped; %d claims given back", self.id, given)
