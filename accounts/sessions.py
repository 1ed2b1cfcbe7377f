"""Staff sessions that end: when left idle, when too old, or all at once.

Django's sessions last two weeks whatever happens; for an account that can read
signers' email addresses that is far too long. Each session carries when it
started and when it was last used, inside the session itself, so checking them
costs no query. StaffSessionMiddleware ends a session idle longer than
STAFF_SESSION_IDLE_SECONDS or open longer than STAFF_SESSION_MAX_SECONDS; the
cookie and the stored session expire with the latter (SESSION_COOKIE_AGE).

Ending every session of one user at once (an account deactivated, a laptop lost)
would mean finding them in the session store, which knows sessions, not users.
Instead end_sessions() records a cut-off for the user, and the middleware ends any
of their sessions started before it, at its next request. A changed password needs
nothing of ours: Django's session hash no longer matches, and it flushes the
session at its next request.
"""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SessionCutoff

STARTED_AT = "accounts:started_at"
SEEN_AT = "accounts:seen_at"
# The last use is written at most this often: writing the session on every request
# would cost a query per admin page, for an idle limit exact to the second.
SEEN_PRECISION_SECONDS = 60


def end_sessions(*, user) -> None:
    """End every session the user has open now, on every device."""
    SessionCutoff.objects.update_or_create(
        user=user, defaults={"cut_at": timezone.now()}
    )


class StaffSessionMiddleware:
    """End sessions left idle, open too long, or ended for their user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Readers without a session cookie (the public) cost nothing here.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            self.end_if_over(request)
        response = self.get_response(request)
        session = request.session
        if session.modified and SESSION_KEY in session and STARTED_AT not in session:
            _stamp(session, time.time())  # Logged in during this request.
        return response

    def end_if_over(self, request) -> None:
        session = request.session
        user_id = session.get(SESSION_KEY)
        if user_id is None:
            return
        if not request.user.is_authenticated:
            _end_refused(session, user_id)
            return
        now = time.time()
        started = session.get(STARTED_AT)
        if started is None:
            # Made before sessions carried their times, or by a test's
            # force_login(): its clocks start now rather than never.
            _stamp(session, now)
            return
        seen = session.get(SEEN_AT, started)
        if (
            now - seen > settings.STAFF_SESSION_IDLE_SECONDS
            or now - started > settings.STAFF_SESSION_MAX_SECONDS
            or _cut_off(request.user, started)
        ):
            logout(request)  # Deletes the session from the store.
            messages.info(
                request,
                _("Your session has ended, to keep your account safe. Log in again."),
                fail_silently=True,
            )
            return
        if now - seen >= SEEN_PRECISION_SECONDS:
            session[SEEN_AT] = now


def _stamp(session, now: float) -> None:
    session[STARTED_AT] = now
    session[SEEN_AT] = now


def _cut_off(user, started: float) -> bool:
    started_at = datetime.fromtimestamp(started, tz=UTC)
    return SessionCutoff.objects.filter(user=user, cut_at__gte=started_at).exists()


def _end_refused(session, user_id: str) -> None:
    """End a session whose user Django no longer lets in.

    A deactivated account's other sessions end too, so that reactivating it does
    not bring back sessions opened before. (A changed password has already
    flushed the session; a deleted user has none left.)
    """
    inactive = (
        get_user_model()._default_manager.filter(pk=user_id, is_active=False).first()
    )
    if inactive is not None:
        end_sessions(user=inactive)
    session.flush()
