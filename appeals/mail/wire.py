"""Our emails as the bytes an SMTP server is given, written directly.

Every email the site sends is one plain-text part in UTF-8. Python's email
package builds such a message through its general header registry and folding
machinery: in the mailer that was most of the CPU an email took (README,
"Performance"). This writes the same
message directly: encoded-word subject, base64 body, CRLF line ends.
`SMTPBackend` is Django's SMTP backend with only that step replaced; a test pins
that every message parses back to what Django's own would say.
"""

import base64
import functools
import re
import smtplib
from collections.abc import Callable
from contextlib import suppress
from email.errors import HeaderParseError
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.utils import DNS_NAME


def plain_text_bytes(
    *,
    subject: str,
    body: str,
    from_email: str,
    to: list[str],
    message_id: str,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """The whole message: headers, a blank line, the body in base64."""
    extra = [
        f"{name}: {_header(value)}" for name, value in (extra_headers or {}).items()
    ]
    headers = [
        f"From: {_address(from_email)}",
        f"To: {', '.join(to)}",
        f"Subject: {_header(subject)}",
        f"Date: {formatdate()}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        *extra,
    ]
    # Lines end as the email package ends them: CRLF, the last one included.
    lines = b"\r\n".join(body.encode().splitlines()) + b"\r\n"
    encoded = base64.encodebytes(lines).replace(b"\n", b"\r\n")
    return "\r\n".join(headers).encode("ascii") + b"\r\n\r\n" + encoded


@functools.lru_cache(maxsize=4)  # DEFAULT_FROM_EMAIL, on every email.
def _address(value: str) -> str:
    """A From address with its display name, if any, encoded as the header needs."""
    name, address = parseaddr(value)
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    return f"{Header(name, 'utf-8').encode(linesep='\r\n')} <{address}>"


def _header(value: str) -> str:
    """A header value in 7-bit ASCII: encoded words if needed, folded with CRLF."""
    if any(character in value for character in "\r\n"):
        raise ValueError("A header must be one line.")
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def checked_address(address: str) -> str:
    """The address an SMTP server is given, checked as Django's SMTP backend checks
    it before it sends (ValueError or UnicodeError if it cannot be sent to)."""
    if PLAIN_ADDRESS.fullmatch(address) and "=?" not in address:
        return address  # What the general check returns for these.
    try:
        # The check reads nothing of the backend's own.
        return EmailBackend.prep_address(EmailBackend.__new__(EmailBackend), address)
    except (HeaderParseError, AttributeError, IndexError) as error:
        # The email package's parser breaks on some addresses ("=@[") instead of
        # refusing them: refused all the same.
        raise ValueError(f"Invalid address {address!r}") from error


# An ASCII address of plain dot-atoms: the general check (the email package's
# header parser, dear at hundreds of addresses a second) returns it unchanged, as
# tests/mail/test_wire.py pins; it is only needed for the rest, and for encoded
# words ("=?utf-8?q?…?="), which the parser decodes and refuses.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


# The From address, the same on every email, is checked once.
_checked_sender = functools.lru_cache(maxsize=4)(checked_address)


class Envelope:
    """One email on its way over a connection: begun, then finished.

    Without pipelining an email takes a round trip for MAIL, one for each RCPT,
    one for DATA and one for the message: the mailer spent most of its time
    waiting for them (README, "The mailer"). Where the server offers PIPELINING
    (RFC 2920), beginning writes the envelope (MAIL, each RCPT, DATA) at once,
    and finish() reads its replies in order and sends the message: two round
    trips, and the caller may do something else in between (the mailer records
    the previous email's outcome while the server reads this envelope). Without
    it, finish() is smtplib's sendmail(). finish() raises what sendmail() raises,
    in the same cases, so callers cannot tell which way it went.
    """

    def __init__(
        self, smtp: smtplib.SMTP, sender: str, recipients: list[str], message: bytes
    ):
        self.smtp = smtp
        self.sender = sender
        self.recipients = recipients
        self.message = message
        self.text_sent = False  # Whether the message itself was written.
        smtp.ehlo_or_helo_if_needed()
        self.pipelined = smtp.does_esmtp and smtp.has_extn("pipelining")
        if self.pipelined:
            size = f" SIZE={len(message)}" if smtp.has_extn("size") else ""
            commands = [f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}"]
            commands += [f"RCPT TO:{smtplib.quoteaddr(to)}" for to in recipients]
            smtp.send("".join(f"{command}\r\n" for command in [*commands, "DATA"]))

    def finish(self) -> dict:
        """Read the replies and send the message; return the refused recipients."""
        smtp, recipients = self.smtp, self.recipients
        if not self.pipelined:
            return smtp.sendmail(self.sender, recipients, self.message)
        replies = []
        for _command in range(len(recipients) + 2):  # MAIL, each RCPT, DATA.
            try:
                replies.append(smtp.getreply())
            except smtplib.SMTPServerDisconnected:
                if not _refusal_among(replies):
                    raise
                break  # Hung up after refusing: the refusal is its answer.
            if replies[-1][0] == 421:  # The server is closing the connection.
                smtp.close()
                break
        # Decided in sendmail()'s order: the first refusal is what is raised,
        # whatever the server said to the commands it read after it.
        mail_reply, *rcpt_replies = replies[: len(recipients) + 1]
        data_reply = replies[len(recipients) + 1 :] or [(421, b"")]
        code, text = data_reply[0]
        refused = {
            address: reply
            for address, reply in zip(recipients, rcpt_replies, strict=False)
            if reply[0] not in (250, 251)
        }
        refusal = None
        if mail_reply[0] != 250:
            refusal = smtplib.SMTPSenderRefused(*mail_reply, self.sender)
        elif len(replies) < len(recipients) + 2 or len(refused) == len(recipients):
            # Closed at a RCPT (421), or every recipient refused.
            refusal = smtplib.SMTPRecipientsRefused(refused)
        elif code != 354:
            refusal = smtplib.SMTPDataError(code, text)
        if refusal is None:
            return self._send_message(refused)
        if smtp.sock is not None:
            if code == 354:
                # A server that opens the data after refusing the envelope is out
                # of step with us: hang up rather than send it an empty message.
                smtp.close()
            else:
                _reset(smtp)
        raise refusal

    def _send_message(self, refused: dict) -> dict:
        smtp = self.smtp
        self.text_sent = True  # If only in part: from here, it may have arrived.
        smtp.send(_dot_stuffed(self.message) + b".\r\n")
        code, text = smtp.getreply()
        if code != 250:
            if code == 421:
                smtp.close()
            else:
                _reset(smtp)
            raise smtplib.SMTPDataError(code, text)
        return refused


def _refusal_among(replies: list[tuple]) -> bool:
    """Whether the replies to MAIL and the RCPTs so far refuse anything."""
    return any(code not in (250, 251) for code, _text in replies)


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET after a refusal, so the connection can carry the next email."""
    with suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def _dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it: a leading dot doubled, ending in CRLF."""
    message = LEADING_DOT.sub(b"..", message)
    return message if message.endswith(b"\r\n") else message + b"\r\n"


LEADING_DOT = re.compile(rb"(?m)^\.")


class SMTPBackend(EmailBackend):
    """Django's SMTP backend, writing plain-text messages with plain_text_bytes()."""

    def prep_address(self, address, force_ascii=True):
        if force_ascii and isinstance(address, str):
            return checked_address(address)
        return super().prep_address(address, force_ascii)

    def _send(self, email_message):
        sending = self.begin(email_message)
        try:
            sent = sending.finish()
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return sent if isinstance(sending, Unsplit) else True

    def begin(self, email_message) -> "Envelope | Unsplit":
        """Begin sending a message over the open connection; finish() ends it."""
        if not email_message.recipients():
            return Unsplit(lambda: False)
        general_way = Unsplit(
            functools.partial(EmailBackend._send, self, email_message)
        )
        if not _plain(email_message):
            return general_way  # Not one of ours.
        from_email = _checked_sender(email_message.from_email)
        recipients = [self.prep_address(address) for address in email_message.to]
        try:
            message = plain_text_bytes(
                subject=email_message.subject,
                body=email_message.body,
                from_email=email_message.from_email,
                to=recipients,
                message_id=make_msgid(domain=DNS_NAME.get_fqdn()),
                extra_headers=email_message.extra_headers,
            )
        except (ValueError, UnicodeError):
            return general_way  # Django's way, and its errors.
        return Envelope(self.connection, from_email, recipients, message)


class Unsplit:
    """A message sent all at once when finished, as other backends send."""

    text_sent = False  # Not known: none of ours is sent this way by the mailer.

    def __init__(self, send: Callable[[], object]):
        self.finish = send


def begin(backend, email_message) -> "Envelope | Unsplit":
    """Begin sending a message through any backend; finish() ends it.

    Only our SMTP backend can split the two (the envelope first); any other
    (development, tests) sends it all when finished.
    """
    if isinstance(backend, SMTPBackend):
        return backend.begin(email_message)
    return Unsplit(functools.partial(backend.send_messages, [email_message]))


# The headers our updates add (RFC 2369, RFC 8058); anything else goes the
# general way.
LIST_HEADERS = {"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"}


def _plain(email_message) -> bool:
    """Whether a message is one plain-text part to its To addresses, as ours are."""
    return not (
        getattr(email_message, "alternatives", None)
        or email_message.attachments
        or email_message.cc
        or email_message.bcc
        or email_message.reply_to
        or not set(email_message.extra_headers) <= LIST_HEADERS
        or email_message.content_subtype != "plain"
    )
