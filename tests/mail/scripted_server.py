"""An SMTP server in a thread that answers from a script, for the replies the sink
(scripts/smtp_sink.py) never gives: refusals at every step, hang-ups, silence.

The `scripted_server` fixture (tests/mail/conftest.py) starts them and stops each
after its test.
"""

import contextlib
import smtplib
import socket
import threading
import time

import pytest
from django.db import connections

from appeals.mail.wire import Envelope, plain_text_bytes

FROM = "noreply@example.org"

with_and_without_pipelining = pytest.mark.parametrize(
    "pipelining", [True, False], ids=["pipelining", "one-at-a-time"]
)


class ScriptedServer:
    """An SMTP server in a thread, one connection at a time, answering from a script.

    `replies` maps a verb (MAIL, RCPT, DATA, or END for the message's end) to the
    replies it gets in turn, the last one repeated; other commands are answered as
    a plain server would, and DATA with 503 unless MAIL and a RCPT were taken. A
    reply is a line; (line, "close") says it, then closes the server's side (a
    server that refuses and hangs up without a 421, as Exim's `drop` does); None
    never answers. A reply starting 421 closes the server's side too. Each line
    received is kept in `received`, each whole message in `messages` with its
    recipients; `on_data(recipients)` is called, in the server's thread, on a
    message's first line of data. `dribble` sends replies a byte at a time;
    `idle_timeout` says "421 ... timeout" to a connection quiet that long and closes
    it, as Postfix and Exim do; `hold_greeting` (an Event) holds the greeting back
    until it is set (a slow server); `accepted` is set once a client connects.
    """

    def __init__(
        self,
        replies=None,
        *,
        pipelining=True,
        on_data=None,
        dribble=False,
        idle_timeout=None,
        hold_greeting=None,
    ):
        self.replies = {verb: list(said) for verb, said in (replies or {}).items()}
        self.pipelining = pipelining
        self.on_data = on_data
        self.dribble = dribble
        self.idle_timeout = idle_timeout
        self.hold_greeting = hold_greeting
        self.accepted = threading.Event()
        self.received: list[bytes] = []
        self.messages: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self.hung_up = threading.Event()  # The client closed its side.
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._conn = None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def texts(self) -> list[bytes]:
        return [text for _recipients, text in self.messages]

    def stop(self) -> None:
        self._stop.set()
        if self.hold_greeting is not None:
            self.hold_greeting.set()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.shutdown(socket.SHUT_RDWR)
        self.thread.join(10)
        self.listener.close()
        assert not self.thread.is_alive(), "the scripted server did not stop"

    def _reply(self, verb: str, default: str):
        answers = self.replies.get(verb)
        if not answers:
            return default
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    conn, _address = self.listener.accept()
                except TimeoutError:
                    continue
                self.connections += 1
                self._conn = conn
                self.accepted.set()
                with conn, contextlib.suppress(ConnectionError):  # The client left.
                    conn.settimeout(self.idle_timeout)
                    self._session(conn)
        except BaseException as error:  # Seen by the test, not lost in the thread.
            self.errors.append(error)
        finally:
            connections.close_all()  # This thread's database connection, if any.

    def _session(self, conn: socket.socket) -> None:
        file = conn.makefile("rb")
        open_for_writing = True

        def say(answer) -> None:
            nonlocal open_for_writing
            if answer is None or not open_for_writing:
                return  # Silent, or already closed its side.
            text, close = (answer, None) if isinstance(answer, str) else answer
            if self.dribble:
                for byte in text.encode() + b"\r\n":
                    conn.sendall(bytes([byte]))
                    time.sleep(0.001)
            else:
                conn.sendall(text.encode() + b"\r\n")
            if close or text.startswith("421"):
                conn.shutdown(socket.SHUT_WR)
                open_for_writing = False

        if self.hold_greeting is not None:
            self.hold_greeting.wait(10)
        say("220 scripted ESMTP")
        mail_taken, recipients, data = False, [], None
        while True:
            try:
                line = file.readline()
            except TimeoutError:  # Quiet for idle_timeout.
                say("421 4.4.2 scripted Error: timeout exceeded")
                return
            if not line:
                self.hung_up.set()
                return
            self.received.append(line)
            if data is not None:
                if line == b".\r\n":
                    self.messages.append((recipients, b"".join(data)))
                    data, mail_taken, recipients = None, False, []
                    say(self._reply("END", "250 2.0.0 OK"))
                    continue
                if not data and self.on_data:
                    self.on_data(list(recipients))
                data.append(line)
                continue
            verb = line[:4].decode(errors="replace").upper()
            if verb in ("EHLO", "HELO"):
                extensions = ["PIPELINING"] if self.pipelining else []
                *lines, last = ["scripted", *extensions, "8BITMIME"]
                say("".join(f"250-{x}\r\n" for x in lines) + f"250 {last}")
            elif verb == "MAIL":
                answer = self._reply("MAIL", "250 2.1.0 OK")
                mail_taken = _text(answer).startswith("250")
                say(answer)
            elif verb == "RCPT":
                default = "250 2.1.5 OK" if mail_taken else "503 5.5.1 MAIL first"
                answer = self._reply("RCPT", default)
                if _text(answer).startswith("25"):
                    recipients = [*recipients, line[8:].decode().strip().strip("<>")]
                say(answer)
            elif verb == "DATA":
                taken = mail_taken and recipients
                answer = self._reply("DATA", "354 Go on" if taken else "503 5.5.1 RCPT")
                if _text(answer).startswith("354"):
                    data = []
                say(answer)
            elif verb == "RSET":
                mail_taken, recipients = False, []
                say("250 2.0.0 OK")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                return
            else:
                say("250 2.0.0 OK")


def _text(answer) -> str:
    if answer is None:
        return ""
    return answer if isinstance(answer, str) else answer[0]


def ours(to: list[str], *, subject: str = "Hello", body: str = "Hi.\n") -> bytes:
    """A message as our backend writes it."""
    return plain_text_bytes(
        subject=subject,
        body=body,
        from_email=FROM,
        to=to,
        message_id=f"<{subject.encode().hex()}@example.org>",
    )


def connected(port: int) -> smtplib.SMTP:
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
    smtp.ehlo()
    return smtp


def what_happens(port: int, way: str, recipients: list[str]):
    """Send one message to the server `way` (sendmail or envelope); say what came of
    it: the exception and its codes (or "sent" and the refused), and whether the
    client hung up."""
    message = ours(recipients)
    with connected(port) as smtp:
        try:
            if way == "sendmail":
                refused = smtp.sendmail(FROM, recipients, message)
            else:
                refused = Envelope(smtp, FROM, recipients, message).finish()
            said = ("sent", {to: code for to, (code, _) in refused.items()})
        except smtplib.SMTPRecipientsRefused as error:
            codes = {to: code for to, (code, _) in error.recipients.items()}
            said = (type(error).__name__, codes)
        except smtplib.SMTPResponseException as error:
            said = (type(error).__name__, error.smtp_code)
        except smtplib.SMTPException as error:
            said = (type(error).__name__,)
        return said, smtp.sock is None
