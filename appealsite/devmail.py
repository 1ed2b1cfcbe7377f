"""Development only: the emails the site sent, as a person reads them.

In development (DEBUG, no EMAIL_URL) emails are written to files in DEV_EMAIL_DIR
by Django's file backend, raw: quoted-printable splits a link over two lines, and
Ukrainian arrives in base64. This page reads them back and shows each as its reader
would see it, links clickable. It exists only when DEBUG is on (appealsite/urls.py).
"""

import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

SHOWN = 50
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # Between messages in the backend's files.


@require_safe
def outbox(request):
    return render(
        request,
        "dev/outbox.html",
        {"messages": sent_emails(), "folder": settings.DEV_EMAIL_DIR},
    )


def sent_emails() -> list[dict]:
    """The newest SHOWN emails written by the file backend, newest first."""
    folder = Path(settings.DEV_EMAIL_DIR)
    files = sorted(folder.glob("*.log"), key=lambda f: f.stat().st_mtime, reverse=True)
    found = []
    for path in files:
        chunks = [c for c in path.read_bytes().split(SEPARATOR) if c.strip()]
        for raw in reversed(chunks):
            found.append(readable(raw))
            if len(found) == SHOWN:
                return found
    return found


def readable(raw: bytes) -> dict:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    return {
        "subject": message["Subject"],
        "to": message["To"],
        "date": message["Date"],
        "body": body.get_content() if body is not None else "",
    }
