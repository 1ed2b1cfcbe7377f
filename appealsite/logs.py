"""What our logs may hold: nothing that could lead to a person.

gunicorn's access log has no client address, no query string (an admin search may
hold an email address) and no token of an emailed link (confirming, withdrawing, a
signer's data): the path keeps its shape, the token is blanked out. The app's own
log lines go through the same redaction (RedactingFilter, in settings.LOGGING).
"""

import logging
import re

from gunicorn.glogging import Logger

# The paths whose last part opens something only its reader should (see the URL
# map); a language prefix may come first.
TOKEN_PATH = re.compile(
    r"(/(?:my-data|signatures/confirm|signatures/withdraw|unsubscribe)/)[^/]+"
)


def loggable_path(path: str) -> str:
    """A request's path as it may be logged: no query string, tokens blanked out."""
    return TOKEN_PATH.sub(r"\1…", path.partition("?")[0])


class RedactingLogger(Logger):
    """Gives the access log format only atoms that are safe to write, and passes
    gunicorn's own error lines (a bad request quotes its line and peer) through
    RedactingFilter."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(RedactingFilter())

    SAFE_ATOMS = ("t", "m", "s", "b", "B", "T", "D", "M", "L", "H", "p")

    def atoms(self, resp, req, environ, request_time):
        every = super().atoms(resp, req, environ, request_time)
        atoms = {name: every[name] for name in self.SAFE_ATOMS}
        path = loggable_path(environ.get("PATH_INFO", ""))
        atoms.update(U=path, r=f"{atoms['m']} {path} {atoms['H']}", q="", h="-")
        return atoms


# gunicorn's "Invalid request from ip=…", and a quoted request line's query.
PEER = re.compile(r"\bip=\S+")
QUERY = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")
EMAIL = re.compile(r"[^\s<>\"'(),;:/?=&]+@[^\s<>\"'(),;:/?=&]+")


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def blank_out_addresses(text: str) -> str:
    """Text with every email address, and every control character, blanked out."""
    return CONTROL.sub(" ", EMAIL.sub("<address>", text))


class RedactingFilter:
    """A logging filter that blanks out tokens, addresses, peers and query strings.

    Django logs the path of every 4xx and 5xx answer ("Not Found: /my-data/…"),
    and an error's message may quote an address: the log lines our handlers
    write carry neither.
    """

    def filter(self, record) -> bool:
        message = record.getMessage()
        cleaned = redacted(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        # An error's traceback is written after the message and quotes what the
        # error said: a database's "Key (email)=(…)", a mail library's recipient.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
        if record.stack_info:
            record.stack_info = redacted(record.stack_info)
        return True


def redacted(text: str) -> str:
    """Text as our logs may hold it: no token, address, peer or query string."""
    cleaned = TOKEN_PATH.sub(r"\1…", text)
    cleaned = PEER.sub("ip=-", blank_out_addresses(cleaned))
    return QUERY.sub(r"\1", cleaned)
