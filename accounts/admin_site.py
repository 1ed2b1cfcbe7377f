from django.conf import settings
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import views
from accounts.forms import StaffLoginForm, confirmed_devices
from accounts.lockout import Guard
from appealsite.admin_home import home_context

# Sections other projects' apps add, in our words: (section, {model: name}). Only
# superusers see them; they hold nothing an editor or a moderator works on.
THIRD_PARTY_SECTIONS = {
    "otp_totp": (
        _("Two-factor authentication"),
        {"TOTPDevice": _("Authenticator apps")},
    ),
    "django_tasks_database": (
        _("Background tasks"),
        {"DBTaskResult": _("Task results")},
    ),
}


def needs_second_factor(request) -> bool:
    return settings.STAFF_2FA_REQUIRED and not request.user.is_verified()


class StaffAdminSite(admin.AdminSite):
    """The admin, open only to staff who passed the lockout and, if required, 2FA.

    Staff who must use 2FA but have not enrolled an app yet are sent, once their
    password is right, to the enrolment page; until then the admin stays closed.
    """

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"
    index_template = "admin/staff_index.html"
    index_title = _("Staff home")

    @property
    def site_header(self):
        return gettext("%(site)s: staff") % {"site": settings.SITE_NAME}

    @property
    def site_title(self):
        return self.site_header

    def index(self, request, extra_context=None):
        return super().index(
            request, {**home_context(request), **(extra_context or {})}
        )

    def get_app_list(self, request, app_label=None):
        ours, theirs = [], []
        for app in super().get_app_list(request, app_label):
            if app["app_label"] not in THIRD_PARTY_SECTIONS:
                ours.append(app)
            elif request.user.is_superuser:
                name, model_names = THIRD_PARTY_SECTIONS[app["app_label"]]
                app["name"] = name
                for model in app["models"]:
                    model["name"] = model_names.get(model["object_name"], model["name"])
                theirs.append(app)
        return ours + theirs  # What staff work on first.

    def has_permission(self, request):
        return super().has_permission(request) and not needs_second_factor(request)

    def get_urls(self):
        return [
            path(
                "two-factor/setup/",
                self.admin_view_unverified(views.two_factor_setup),
                name="two_factor_setup",
            ),
            *super().get_urls(),
        ]

    def admin_view_unverified(self, view):
        def wrapped(request, *args, **kwargs):
            return view(request, *args, admin_site=self, **kwargs)

        return wrapped

    def login(self, request, extra_context=None):
        user = request.user
        if (
            user.is_active
            and user.is_staff
            and needs_second_factor(request)
            and not confirmed_devices(user).exists()
        ):
            return redirect("admin:two_factor_setup")
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None and form.has_error(NON_FIELD_ERRORS, Guard.THROTTLED.value):
            # The form with its message, and a status that scripts understand.
            response.status_code = 429
            response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
        return response
