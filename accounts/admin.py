from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.sessions import end_sessions

User = get_user_model()

# Changing one of these changes who may be in the admin: open sessions end, so
# that a deactivated (or reactivated) account starts from a fresh login.
ACCESS_FIELDS = {"is_active", "is_staff"}


class StaffUserAdmin(UserAdmin):
    """Django's user admin, ending a user's sessions when their access changes."""

    actions = ["end_all_sessions"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and ACCESS_FIELDS & set(form.changed_data):
            end_sessions(user=obj)

    @admin.action(
        description=_("Log out everywhere (end all sessions)"), permissions=["change"]
    )
    def end_all_sessions(self, request, queryset):
        users = list(queryset)
        for user in users:
            end_sessions(user=user)
        self.message_user(
            request,
            ngettext(
                "Every session of %(count)d user has ended.",
                "Every session of %(count)d users has ended.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
