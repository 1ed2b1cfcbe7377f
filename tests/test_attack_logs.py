"""Attacks on the logs: what an error's traceback may carry."""

import logging
import sys

from appealsite.logs import RedactingFilter


def test_an_errors_traceback_loses_the_addresses_and_tokens_it_quotes():
    """A database refusing a row quotes it ("Key (email)=(ann@…) already
    exists"); a mail library quotes the recipient. The traceback is written
    after the message, by the handler's formatter: it must be redacted too."""
    try:
        raise ValueError(
            "duplicate key: Key (email_normalized)=(ann@example.org) already "
            "exists, at /en/my-data/s3cret-token/"
        )
    except ValueError:
        record = logging.LogRecord(
            "appeals.mail", logging.ERROR, "", 0, "Could not send", (), True
        )
        record.exc_info = sys.exc_info()

    RedactingFilter().filter(record)
    written = logging.Formatter().format(record)

    assert "Could not send" in written
    assert "ValueError" in written
    assert "ann@example.org" not in written
    assert "s3cret-token" not in written
