"""An update's tools for staff, beside its change page: the preview, a test to
oneself, sending (now or at a set time; a confirm step within a week of the last
one) and the progress, with pause, resume and cancel.

The views of the update admin (their URLs are in its get_urls). Each one that
changes something takes a POST and "Can change update", calls a service and is
recorded in the admin log with log_change; the others only show.
"""

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.http import require_POST

from appeals.mail.render import render_email, update_context
from appeals.mail.status import UpdateProgress, expected_recipients, update_progress
from appeals.models import Appeal, Update
from appeals.services import updates

State = Update.State

# Most of the organizations work on Kyiv time; a server's own zone is often UTC.
DEFAULT_TIME_ZONE = "Europe/Kyiv"

# How often the progress page reloads itself while an update goes out.
REFRESH_SECONDS = 5


@functools.cache
def time_zones() -> list[tuple[str, str]]:
    """The time zones a send time may be given in: UTC and every named zone."""
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix", "right/"))
    )
    return [(name, name) for name in ["UTC", *names]]


def default_time_zone() -> str:
    """The site's time zone, or Kyiv's where the site runs on plain UTC."""
    return DEFAULT_TIME_ZONE if settings.TIME_ZONE == "UTC" else settings.TIME_ZONE


class WallClockField(forms.DateTimeField):
    """A date and time as typed, in no time zone yet (the form names the zone)."""

    def to_python(self, value):
        with timezone.override(UTC):
            moment = super().to_python(value)
        return moment and timezone.make_naive(moment, UTC)


class SendForm(forms.Form):
    send_at = WallClockField(
        label=gettext_lazy("Send at"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        help_text=gettext_lazy(
            "Leave empty to send now. A later time schedules the update: it goes "
            "out by itself then."
        ),
    )
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        choices=time_zones,
        initial=default_time_zone,
        help_text=gettext_lazy("The time above is the time in this zone."),
    )
    # Set on the confirm step of the soft limit.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned_data = super().clean()
        wall_clock, zone = cleaned_data.get("send_at"), cleaned_data.get("time_zone")
        cleaned_data["at"] = None
        if wall_clock and zone:
            at = wall_clock.replace(tzinfo=zoneinfo.ZoneInfo(zone))
            if at <= timezone.now():
                self.add_error(
                    "send_at",
                    _(
                        "That time has passed. Choose a later one, or leave it "
                        "empty to send now."
                    ),
                )
            cleaned_data["at"] = at
        return cleaned_data


@dataclass(frozen=True)
class Preview:
    """An update as one language version's signers get it and its readers see it."""

    version: Appeal
    has_own_text: bool
    title: str
    subject: str
    body: str
    html: str


def previews(update: Update) -> list[Preview]:
    """The update's email and page for the original and each translation."""
    texts = {text.appeal_version_id: text for text in update.versions.all()}
    # In the staff's language: it stands for a link they will not see.
    own_link = _("(the signer's own link)")
    shown = []
    for version in [update.appeal, *update.appeal.translations.order_by("language")]:
        text = texts.get(version.pk) or update.text_for(None)
        email = render_email(
            "appeals/email/update",
            update_context(update, text) | {"unsubscribe_url": own_link},
            language=version.language,
            to="",
        )
        shown.append(
            Preview(
                version=version,
                has_own_text=text.appeal_version_id == version.pk,
                title=text.title,
                subject=email.subject,
                body=email.body,
                html=text.body_html,
            )
        )
    return shown


# What staff may do to an update going out: label, service, what it did.
STEPS = {
    "pause": (
        gettext_lazy("Pause"),
        updates.pause_update,
        ngettext_lazy(
            "Paused: %(count)d email waits until you resume.",
            "Paused: %(count)d emails wait until you resume.",
            "count",
        ),
    ),
    "resume": (
        gettext_lazy("Resume"),
        updates.resume_update,
        ngettext_lazy(
            "Resumed: %(count)d held email goes out again.",
            "Resumed: %(count)d held emails go out again.",
            "count",
        ),
    ),
    "cancel": (
        gettext_lazy("Cancel for good"),
        updates.cancel_update,
        ngettext_lazy(
            "Cancelled: %(count)d email not sent yet will never be sent.",
            "Cancelled: %(count)d emails not sent yet will never be sent.",
            "count",
        ),
    ),
}


def available_steps(update: Update, progress: UpdateProgress) -> list[str]:
    """The steps that make sense now: none once everything went out."""
    going = update.state == State.SENDING or (
        update.state == State.SENT and progress.waiting
    )
    steps = []
    if going:
        steps.append("pause")
    if update.state == State.PAUSED:
        steps.append("resume")
    if going or update.state in (State.PAUSED, State.SCHEDULED):
        steps.append("cancel")
    return steps


class UpdateToolsMixin:
    """The tool views of the update admin."""

    def may_send(self, request) -> bool:
        """Whoever may write an update may send it."""
        return self.has_change_permission(request)

    def _update(self, request, pk, *, send: bool) -> Update:
        update = get_object_or_404(Update.objects.select_related("appeal"), pk=pk)
        allowed = self.may_send(request) if send else self.has_view_permission(request)
        if not allowed:
            raise PermissionDenied
        return update

    def _context(self, request, update: Update, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "update": update,
            "title": title,
            "can_send": update.is_editable and self.may_send(request),
        }

    def preview_view(self, request, pk):
        """The email as each version's signers get it, the page as readers see it."""
        update = self._update(request, pk, send=False)
        context = self._context(
            request, update, _("Preview: %(title)s") % {"title": update.title}
        )
        context["previews"] = previews(update)
        context["can_test"] = self.may_send(request)
        return TemplateResponse(request, "admin/appeals/update/preview.html", context)

    @method_decorator(require_POST)
    def send_test_view(self, request, pk):
        update = self._update(request, pk, send=True)
        to = request.user.email
        if not to:
            self.message_user(
                request,
                _(
                    "Your account has no email address to send the test to. Ask an "
                    "administrator to add one, then try again."
                ),
                messages.ERROR,
            )
        else:
            updates.send_test(update=update, to=to, language=update.appeal.language)
            done = _("A test went to %(email)s.") % {"email": to}
            self.log_change(request, update, done)
            self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:appeals_update_preview", update.pk)

    def send_view(self, request, pk):
        """Send now or at a set time; a second update within days asks first."""
        update = self._update(request, pk, send=True)
        if not update.is_editable:
            self.message_user(request, _("This update is already going out."))
            return redirect("admin:appeals_update_progress", update.pk)
        form = SendForm(request.POST if request.method == "POST" else None)
        at = form.cleaned_data["at"] if form.is_valid() else None
        recent = updates.recently_sent(update, at=at)
        if request.method == "POST" and form.is_valid():
            if recent is None or form.cleaned_data["confirmed"]:
                return self._send(request, update, form.cleaned_data["at"])
            form.data = form.data.copy()
            form.data["confirmed"] = "1"
        context = self._context(
            request, update, _("Send: %(title)s") % {"title": update.title}
        )
        context |= {
            "form": form,
            "recent": recent,
            "confirming": form.data.get("confirmed") == "1",
            "recipients": expected_recipients(update),
        }
        return TemplateResponse(request, "admin/appeals/update/send.html", context)

    def _send(self, request, update: Update, at: datetime | None):
        recipients = expected_recipients(update)
        try:
            update = updates.send_update(update=update, user=request.user, at=at)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect("admin:appeals_update_change", update.pk)
        if update.state == State.SCHEDULED:
            done = ngettext(
                "Scheduled for %(time)s, to the %(count)d signer who asked for "
                "updates (as of now).",
                "Scheduled for %(time)s, to the %(count)d signers who asked for "
                "updates (as of now).",
                recipients,
            ) % {"time": _moment(at), "count": recipients}
        else:
            done = ngettext(
                "Going out to the %(count)d signer who asked for updates.",
                "Going out to the %(count)d signers who asked for updates.",
                recipients,
            ) % {"count": recipients}
        self.log_change(request, update, done)
        self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:appeals_update_progress", update.pk)

    def progress_view(self, request, pk):
        """Where its emails stand; reloads itself while it goes out."""
        update = self._update(request, pk, send=False)
        progress = update_progress(update)
        context = self._context(
            request, update, _("Progress: %(title)s") % {"title": update.title}
        )
        context |= {
            "progress": progress,
            "steps": [
                (step, STEPS[step][0]) for step in available_steps(update, progress)
            ]
            if self.may_send(request)
            else [],
            "time_left": None
            if update.state == State.PAUSED
            else _time_left(progress.seconds_left),
            "refresh_seconds": REFRESH_SECONDS
            if update.state == State.SENDING or progress.waiting
            else None,
        }
        return TemplateResponse(request, "admin/appeals/update/progress.html", context)

    @method_decorator(require_POST)
    def step_view(self, request, pk, step):
        update = self._update(request, pk, send=True)
        if step not in STEPS:
            raise Http404
        if step not in available_steps(update, update_progress(update)):
            self.message_user(
                request, _("This step is not possible now."), messages.ERROR
            )
            return redirect("admin:appeals_update_progress", update.pk)
        _label, service, done = STEPS[step]
        try:
            count = service(update=update)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            message = done % {"count": count}
            self.log_change(request, update, message)
            self.message_user(request, message, messages.SUCCESS)
        return redirect("admin:appeals_update_progress", update.pk)


def _time_left(seconds: float | None) -> str | None:
    """How long the rest takes, in words ("" if nothing is left; None: unknown)."""
    if seconds is None or seconds == 0:
        return None if seconds is None else ""
    if seconds < 60:
        return _("less than a minute")
    now = timezone.now()
    return timeuntil(now + timedelta(seconds=seconds), now, depth=2)


def _moment(at: datetime) -> str:
    """A send time as staff gave it, and in UTC: "2026-12-01 19:00 Europe/Kyiv
    (2026-12-01 17:00 UTC)"."""
    return f"{at:%Y-%m-%d %H:%M} {at.tzinfo} ({at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
